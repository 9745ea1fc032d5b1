"""Agenda and minutes as PDF from the web UI, and the full list behind "… und n weitere"."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.cli.test_documents_cli import _weasyprint
from tests.web.conftest import World


def test_the_agenda_links_each_cut_list_to_its_full_list(world: World, clients: dict[str, TestClient]) -> None:
    month = f"{world.today:%Y-%m}"
    page = clients["koord"].get(f"/jourfixe/{month}/tagesordnung").text
    links = re.findall(r'… und (\d+) weitere \(<a href="(/jourfixe/[^"]+)">', page)
    assert links, "the region has more than ten persons in some list"
    more, url = links[0]
    full = clients["koord"].get(url.replace("&amp;", "&"))
    assert full.status_code == 200
    rows = full.text.count("<tr><td>")
    shown = page[page.index(url) - 3000 : page.index(url)].count("<tr><td>")
    assert rows > 10 and rows >= int(more), (rows, more, shown)
    assert "weitere (" not in full.text  # nothing cut on the full list
    missing = clients["koord"].get(f"/jourfixe/{month}/punkt/gibt-es-nicht")
    assert missing.status_code == 404 and "gibt es in dieser Sitzung nicht" in missing.text


def test_agenda_and_minutes_download_as_pdf(world: World, clients: dict[str, TestClient]) -> None:
    _weasyprint()
    month = f"{world.today:%Y-%m}"
    for path, title in (("tagesordnung.pdf", "Tagesordnung"), ("protokoll.pdf", "Protokoll")):
        response = clients["jobcenter"].get(f"/jourfixe/{month}/{path}")
        assert response.status_code == 200, response.text[:300]
        assert response.headers["content-type"] == "application/pdf"
        assert "attachment" in response.headers["content-disposition"]
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert title in text and f"Seite 1 von {len(reader.pages)}" in text
    agency = PdfReader(io.BytesIO(clients["jobcenter"].get(f"/jourfixe/{month}/tagesordnung.pdf").content))
    assert "Fassung für" in " ".join(agency.pages[0].extract_text().split())

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
    rows = full.text.count("<tr><td")  # a row's first cell may carry a class (short cells do not wrap)
    shown = page[page.index(url) - 3000 : page.index(url)].count("<tr><td")
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


def test_the_public_offer_overview_and_its_brochure(world: World) -> None:
    from tests.web.conftest import new_client
    from tests.web.test_planning_pages import _personal_data

    client = new_client(world)
    page = client.get("/angebote/BY-BA")
    assert page.status_code == 200
    assert "Angebote für Zugewanderte – Landkreis Bamberg" in page.text
    assert "Migrationsberatung für Erwachsene" in page.text and 'action="/logout"' not in page.text
    assert [value for value in _personal_data(world, "BY-BA") if value in page.text] == []
    assert client.get("/angebote/XX-YY").status_code == 404
    _weasyprint()
    pdf = client.get("/angebote/BY-BA.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Angebote für Zugewanderte" in words
    assert [value for value in _personal_data(world, "BY-BA") if value in words] == []


def test_the_coordination_replaces_the_offers_from_a_file(world: World) -> None:
    from tests.web.conftest import login, token_of

    client = login(world, "koord")
    form = client.get("/planung")
    token = token_of(form.text)
    bad = b"art;name\nBeratung;X\n"
    refused = client.post("/planung/angebote", data={"csrf_token": token}, files={"datei": ("a.csv", bad, "text/csv")})
    assert refused.status_code == 422
    assert "a.csv: Zeile 2, Spalte &#39;art&#39;, Wert &#39;Beratung&#39;: unbekannte Angebotsart" in refused.text
    good = "art;name;ort;zeiten\nlotsen;Lotsen Hallstadt;Hallstadt;Mi 16–18 Uhr\n".encode()
    done = client.post("/planung/angebote", data={"csrf_token": token}, files={"datei": ("a.csv", good, "text/csv")})
    assert done.status_code == 303 and "gespeichert=Angebote" in done.headers["location"]
    page = client.get(done.headers["location"]).text
    assert "Angebotsübersicht ersetzt: 1 Angebote." in page and "Lotsen Hallstadt" in page
    reader = login(world, "leser")
    denied = reader.post(
        "/planung/angebote",
        data={"csrf_token": token_of(reader.get("/planung").text)},
        files={"datei": ("a.csv", good, "text/csv")},
    )
    assert denied.status_code == 403

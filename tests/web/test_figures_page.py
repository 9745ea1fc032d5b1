"""The Kennzahlen page: the start page, every chart with its data table, the filters, an agency's
own figures, the Land view for the coordination only, and a policy that lets only the charts'
own styles through."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, new_client

CHARTS = ("waiting", "funnel", "trend_waiting", "trend_shares", "dtz", "fill", "overdue")


def test_the_start_page_is_the_key_figures(world: World) -> None:
    assert new_client(world).get("/").headers["location"] == "/kennzahlen"


def test_every_chart_has_its_svg_title_and_data_table(clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/kennzahlen")
    assert page.status_code == 200
    html = page.text
    for key in CHARTS:
        figure = re.search(rf'<figure class="chart" id="diagramm-{key}".*?</figure>', html, re.S)
        assert figure, key
        body = figure[0]
        assert re.search(rf'<svg role="img" aria-labelledby="chart-{key}-title chart-{key}-desc"', body), key
        assert f'<title id="chart-{key}-title">' in body and f'<desc id="chart-{key}-desc">' in body
        assert "<table" in body and "<caption>" in body
        assert "<script" not in body
    assert "Wartezeit Anmeldung → Kursbeginn" in html and "§ 7 Abs. 3 IntV" in html
    # no identifier or Python value reaches the page
    for leak in ("None", "waiting_time", "in_course", "True", "nan"):
        assert f">{leak}<" not in html and f" {leak} " not in html


def test_the_policy_admits_exactly_the_charts_styles(clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/kennzahlen")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and "unsafe-inline" not in policy
    styles = re.findall(r"<style([^>]*)>", page.text)
    assert styles and all(f'nonce="{nonce[1]}"' in attrs for attrs in styles)
    assert nonce[1] not in clients["koord"].get("/kennzahlen").headers["content-security-policy"]


def test_filters_narrow_and_bad_values_are_named(clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    everything = client.get("/kennzahlen?zeitraum=24").text
    literacy = client.get("/kennzahlen?zeitraum=24&kursart=literacy").text
    count = re.compile(r"\((\d+) Personen\)")
    assert int(count.search(literacy)[1]) < int(count.search(everything)[1])  # type: ignore[index]
    assert 'value="literacy" selected' in literacy
    wrong = client.get("/kennzahlen?zeitraum=7&kursart=unbekannt&traeger=XY").text
    assert "Zeitraum „7“ gibt es nicht" in wrong
    assert "Kursart „unbekannt“ gibt es nicht" in wrong
    assert "Kursträger „XY“ gibt es in dieser Region nicht" in wrong


def test_an_agency_sees_its_own_figures_and_no_land_view(clients: dict[str, TestClient]) -> None:
    count = re.compile(r"\((\d+) Personen?\)")
    region = int(count.search(clients["koord"].get("/kennzahlen").text)[1])  # type: ignore[index]
    jobcenter = clients["jobcenter"].get("/kennzahlen?ansicht=land").text
    assert "zuständig ist oder war" in jobcenter
    assert int(count.search(jobcenter)[1]) < region  # type: ignore[index]
    assert "Landesansicht" not in jobcenter


def _land_rows(client: TestClient, query: str = "") -> dict[str, list[str]]:
    page = client.get(f"/kennzahlen?ansicht=land{query}").text
    table = re.search(r"<caption>Kennzahlen je Region</caption>.*?</table>", page, re.S)
    assert table, page[:500]
    return {
        name: re.findall(r"<td[^>]*>([^<]*)</td>", cells)
        for name, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table[0], re.S)
    }


def test_the_land_view_compares_the_regions(clients: dict[str, TestClient]) -> None:
    """Each region's row is what its own coordinator sees live: the stored row of the daily
    computation (figures.land) and the live one count with the same definitions."""
    bamberg, passau = "Landkreis Bamberg", "Stadt Passau"
    for query in ("", "&zeitraum=24", "&kursart=general"):
        seen_from_bamberg = _land_rows(clients["koord"], query)
        seen_from_passau = _land_rows(clients["koord-pa"], query)
        assert set(seen_from_bamberg) == {bamberg, passau}
        assert seen_from_bamberg[bamberg][-1] == "heute" and seen_from_passau[passau][-1] == "heute"
        assert seen_from_bamberg[passau][:-1] == seen_from_passau[passau][:-1], query
        assert seen_from_passau[bamberg][:-1] == seen_from_bamberg[bamberg][:-1], query
        assert int(seen_from_bamberg[passau][0]) > 0

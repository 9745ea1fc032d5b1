"""`foerderkette places …`, `transit …` and `courses suggest` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from process_models import load_model
from tests.conftest import CliRunner
from tests.factories import make_course, make_participant, make_region
from tests.places.gtfs import hand_feed, write_feed


def _files(tmp_path: Path) -> tuple[Path, Path]:
    municipalities = tmp_path / "gemeinden.csv"
    municipalities.write_text(
        "ags;gemeinde;plz;breite;laenge\n;Dorf;96001;49,9;10,9\n;Weiler;96002;49,8;10,8\n", encoding="utf-8"
    )
    sites = tmp_path / "kursorte.csv"
    sites.write_text(
        "kursort;name;adresse;plz;ort;breite;laenge;kinderbetreuung\nA;Kursort A;Hauptstraße 1;96003;Stadt;50,0;11,0;ja\n",
        encoding="utf-8",
    )
    return municipalities, sites


def test_places_transit_and_suggestions_end_to_end(run_cli: CliRunner, engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        region = make_region(session)
        course = make_course(session, region, code="IK-1", provider="VHS-BA", start=date(2027, 1, 11))
        course.site = "A"
        session.add(course)
        session.commit()
    municipalities, sites = _files(tmp_path)
    done = run_cli("places", "import", str(municipalities), "--region", "BY-BA")
    assert done.returncode == 0, done.stderr
    assert "2 Gemeinden: 2 neu" in done.stdout
    done = run_cli("places", "import", str(sites), "--region", "BY-BA")
    assert done.returncode == 0, done.stderr
    assert "1 Kursorte: 1 neu" in done.stdout and "1 Kurse ihrem Kursort zugeordnet" in done.stdout
    assert "geschätzt aus der Entfernung" in done.stdout
    listing = json.loads(run_cli("places", "list", "--region", "BY-BA", "--format", "json").stdout)
    assert [m["name"] for m in listing["municipalities"]] == ["Dorf", "Weiler"]
    assert listing["sites"][0] | {"id": 0} == {
        "id": 0, "code": "A", "name": "Kursort A", "address": "Hauptstraße 1", "postcode": "96003", "place": "Stadt",
        "municipality": None, "lat": 50.0, "lon": 11.0, "childcare": True, "courses": 1,
    }  # fmt: skip

    feed = write_feed(tmp_path / "feed.zip", hand_feed())
    done = run_cli("transit", "import", str(feed), "--region", "BY-BA", "--as-of", "2026-12-03")
    assert done.returncode == 0, done.stderr
    assert (
        "4 Haltestellen, 8 Fahrten, 14 Halte" in done.stdout and "Verkehrstag der Berechnung 07.12.2026" in done.stdout
    )
    reach = json.loads(run_cli("transit", "reach", "--region", "BY-BA", "--format", "json").stdout)
    dorf = next(row for row in reach["rows"] if row["municipality"] == "Dorf" and row["slot"] == "morning")
    assert (dorf["out_depart"], dorf["out_arrive"], dorf["out_minutes"], dorf["out_transfers"], dorf["reachable"]) == (
        "07:30", "08:19", 49, 1, True,
    )  # fmt: skip
    table = run_cli("transit", "reach", "--region", "BY-BA", "--only-unreachable")
    assert "Weiler" in table.stdout and "keine Verbindung" in table.stdout
    assert "Dorf                A        vormittags" not in table.stdout

    # a site moved: the next `transit reach` recomputes from the stored feed before it answers
    sites.write_text("kursort;name;ort;breite;laenge\nA;Kursort A;Stadt;50,0018;11,0\n", encoding="utf-8")
    assert run_cli("places", "import", str(sites), "--region", "BY-BA").returncode == 0
    reach = json.loads(run_cli("transit", "reach", "--region", "BY-BA", "--format", "json").stdout)
    dorf = next(row for row in reach["rows"] if row["municipality"] == "Dorf" and row["slot"] == "morning")
    assert dorf["out_arrive"] == "08:15"  # the site now is at the stop

    broken = tmp_path / "broken.zip"
    tables = hand_feed()
    tables["stop_times.txt"][0]["stop_id"] = "Q"
    done = run_cli("transit", "import", str(write_feed(broken, tables)), "--region", "BY-BA")
    assert done.returncode == 1
    assert "Fahrplan abgelehnt, nichts gespeichert" in done.stderr
    assert "stop_times.txt Zeile 2, Feld stop_id: Haltestelle 'Q' fehlt in stops.txt" in done.stderr

    with Session(engine) as session:
        from sqlmodel import select

        from pipeline.tables import Participant, Region
        from places.tables import Municipality

        region = session.exec(select(Region)).one()
        person = make_participant(
            session,
            region,
            load_model(),
            ref="BA-9",
            stage="placement_tested",
            since=date(2026, 11, 2),
            entitled_on=date(2026, 10, 1),
            placement_tested_on=date(2026, 11, 2),
            course_type="general",
        )
        person.municipality_id = session.exec(select(Municipality).where(Municipality.name == "Dorf")).one().id
        session.add(person)
        session.commit()
        assert session.get(Participant, person.id) is not None
    shown = run_cli("courses", "suggest", "BA-9", "--as-of", "2026-12-03")
    assert shown.returncode == 0, shown.stderr
    assert "1. IK-1: Allgemeiner Integrationskurs, Vollzeit, vormittags, Kursort A" in shown.stdout
    assert "✓ mit ÖPNV in 45 Min., 1× umsteigen (Grenze 60)" in shown.stdout
    data = json.loads(run_cli("courses", "suggest", "BA-9", "--as-of", "2026-12-03", "--format", "json").stdout)
    assert data["municipality"] == "Dorf" and data["suggestions"][0]["course"] == "IK-1"
    fill = json.loads(
        run_cli("courses", "fill", "--region", "BY-BA", "--as-of", "2026-12-03", "--format", "json").stdout
    )
    assert fill["courses_below_minimum"] == 1 and fill["courses_reaching_minimum"] == 0 and fill["assignments"] == []
    assert (
        fill["message"] == "Kein Kurs unter Mindestgröße lässt sich mit den Wartenden auf seine Mindestgröße bringen."
    )
    assert fill["courses"][0]["note"] == "es fehlen 15 bis zur Mindestgröße 15, passend sind nur 1 Wartende"
    html = run_cli(
        "courses",
        "fill",
        "--region",
        "BY-BA",
        "--as-of",
        "2026-12-03",
        "--format",
        "html",
        "-o",
        str(tmp_path / "v.html"),
    )
    assert html.returncode == 0 and "geschrieben" in html.stdout
    page = (tmp_path / "v.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page and "IK-1" in page and "bleibt darunter" in page
    demand = json.loads(
        run_cli("planning", "demand", "--region", "BY-BA", "--as-of", "2026-12-03", "--format", "json").stdout
    )
    assert demand["months"] == 6
    assert {(r["municipality"], r["course_type"], r["waiting"]) for r in demand["rows"]} == {("Dorf", "general", 1)}
    assert demand["rows"][0]["places"] == 25 and demand["rows"][0]["cluster"] == "Kursort A"
    text = run_cli("planning", "demand", "--region", "BY-BA", "--as-of", "2026-12-03")
    assert text.returncode == 0 and "Bedarf nach Ort und Format – Region BY-BA" in text.stdout
    missing = run_cli("courses", "suggest", "XX-1")
    assert missing.returncode == 1 and "Teilnehmende 'XX-1' gibt es nicht" in missing.stderr

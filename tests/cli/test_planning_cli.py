"""`foerderkette planning agreement|testing|proposals` as a user runs them (subprocesses): the
agreement versioned and audited, bookings with invitations, the proposal as JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from pipeline.tables import AuditEntry
from places.tables import Municipality
from planning.tables import AgreementVersion, PlacementBooking
from process_models import load_model
from tests.conftest import CliRunner
from tests.factories import make_participant, make_region

AGREEMENT = """\
traeger:
  - kuerzel: VHS-BA
    kursarten: [Allgemeiner Integrationskurs]
    kursorte: [A]
    kurse_je_monat: 1
einstufungstests:
  rhythmus: wöchentlich
  erster_termin: 2026-12-08
  uhrzeit: "09:00"
  plaetze: 1
  gastgeber:
    - {traeger: VHS-BA, kursort: A}
"""


def _region_with_places(engine: Engine, tmp_path: Path, run_cli: CliRunner) -> None:
    with Session(engine) as session:
        make_region(session)
        session.commit()
    homes = tmp_path / "gemeinden.csv"
    homes.write_text("ags;gemeinde;plz;breite;laenge\n;Dorf;96001;49,9;10,9\n", encoding="utf-8")
    sites = tmp_path / "kursorte.csv"
    sites.write_text(
        "kursort;name;adresse;plz;ort;breite;laenge\nA;Kursort A;Hauptstraße 1;96003;Stadt;49,905;10,905\n",
        encoding="utf-8",
    )
    for path in (homes, sites):
        done = run_cli("places", "import", str(path), "--region", "BY-BA")
        assert done.returncode == 0, done.stderr


def test_agreement_testing_and_proposals_end_to_end(run_cli: CliRunner, engine: Engine, tmp_path: Path) -> None:
    _region_with_places(engine, tmp_path, run_cli)
    assert "noch keine Kooperationsvereinbarung" in run_cli("planning", "agreement", "show", "--region", "BY-BA").stdout
    missing = run_cli("planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01")
    assert "Es gibt noch keine Kooperationsvereinbarung" in missing.stdout

    bad = tmp_path / "falsch.yaml"
    bad.write_text(AGREEMENT.replace("kursorte: [A]", "kursorte: [B]"), encoding="utf-8")
    done = run_cli("planning", "agreement", "import", str(bad), "--region", "BY-BA")
    assert done.returncode == 1
    assert "falsch.yaml: nichts gespeichert – 1 Fehler:" in done.stderr
    assert "falsch.yaml, Zeile 4, Feld „kursorte“: Kursort „B“ gibt es in der Region nicht (bekannt: A)" in done.stderr

    good = tmp_path / "vereinbarung.yaml"
    good.write_text(AGREEMENT, encoding="utf-8")
    done = run_cli("planning", "agreement", "import", str(good), "--region", "BY-BA")
    assert done.returncode == 0, done.stderr
    assert "Kooperationsvereinbarung Fassung 1 gespeichert (Region BY-BA): erste Fassung" in done.stdout
    again = run_cli("planning", "agreement", "import", str(good), "--region", "BY-BA")
    assert "unverändert – die geltende Fassung bleibt" in again.stdout
    good.write_text(AGREEMENT.replace("plaetze: 1", "plaetze: 2"), encoding="utf-8")
    assert "Fassung 2 gespeichert" in run_cli("planning", "agreement", "import", str(good), "--region", "BY-BA").stdout
    shown = run_cli("planning", "agreement", "show", "--region", "BY-BA")
    assert "Fassung 2" in shown.stdout and "Volkshochschule Bamberg-Land" in shown.stdout
    assert "wöchentlich ab 08.12.2026, 09:00 Uhr, 2 Plätze" in shown.stdout
    exported = run_cli("planning", "agreement", "show", "--region", "BY-BA", "--format", "yaml").stdout
    assert "plaetze: 2" in exported and 'kursarten: ["Allgemeiner Integrationskurs"]' in exported
    history = run_cli("planning", "agreement", "history", "--region", "BY-BA").stdout
    assert "Einstufungstests geändert" in history and "erste Fassung" in history
    with Session(engine) as session:
        assert [v.version for v in session.exec(select(AgreementVersion)).all()] == [1, 2]
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "agreement")).all()
        assert [a.detail for a in audit] == [
            "Kooperationsvereinbarung Fassung 1: erste Fassung",
            "Kooperationsvereinbarung Fassung 2: Einstufungstests geändert",
        ]

        model = load_model()
        region_id = session.exec(select(Municipality)).one().region_id
        from pipeline.tables import Region

        region = session.get(Region, region_id)
        assert region is not None
        dorf = session.exec(select(Municipality)).one().id
        for index in range(3):
            person = make_participant(
                session,
                region,
                model,
                ref=f"BA-{index}",
                stage="entitled",
                since=date(2026, 10, 1 + index),
                entitled_on=date(2026, 10, 1 + index),
            )
            person.municipality_id = dorf
            session.add(person)
        session.commit()

    # from 01.12.: dates 08.12., 15.12., 22.12. …; a week's notice: the first is 08.12.
    plan = json.loads(
        run_cli(
            "planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01", "--months", "1", "--format", "json"
        ).stdout
    )
    assert [(d["day"], d["booked"], d["proposed"], d["capacity"]) for d in plan["dates"]][:3] == [
        ("2026-12-08", 0, 2, 2),
        ("2026-12-15", 0, 1, 2),
        ("2026-12-22", 0, 0, 2),
    ]
    assert [(b["ref"], b["day"], b["new"]) for b in plan["bookings"]] == [
        ("BA-0", "2026-12-08", True),
        ("BA-1", "2026-12-08", True),
        ("BA-2", "2026-12-15", True),
    ]
    invitations = tmp_path / "einladungen.html"
    done = run_cli(
        "planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01", "--months", "1", "--book",
        "--invitations", str(invitations),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 werden eingeplant (gespeichert)" in done.stdout
    letter = invitations.read_text(encoding="utf-8")
    assert letter.count("Einladung zum Einstufungstest</h1>") == 3
    assert "Dienstag, 8. Dezember 2026, um 09:00 Uhr" in letter and "Hauptstraße 1, 96003 Stadt" in letter
    assert "Die Fahrt von Dorf dauert etwa" in letter  # no timetable: the estimate, said as one
    with Session(engine) as session:
        assert len(session.exec(select(PlacementBooking)).all()) == 3
    kept = run_cli("planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01", "--months", "1")
    assert "3 Personen sind schon eingeplant, 0 werden vorgeschlagen" in kept.stdout
    stored = json.loads(
        run_cli(
            "planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01", "--months", "1", "--format", "json"
        ).stdout
    )
    assert [(d["booked"], d["proposed"]) for d in stored["dates"]][:2] == [(2, 0), (1, 0)]
    # the dates passed and nobody came back placed: missed, booked again (the same rows, no duplicate)
    again = run_cli("planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-16", "--months", "1", "--book")
    assert again.returncode == 0, again.stderr
    assert "0 Personen sind schon eingeplant, 3 werden eingeplant (gespeichert)" in again.stdout
    with Session(engine) as session:
        rows = session.exec(select(PlacementBooking).order_by(PlacementBooking.test_date)).all()
        assert [row.test_date for row in rows] == [date(2026, 12, 29), date(2026, 12, 29), date(2027, 1, 5)]

    page = tmp_path / "bedarf.html"
    written = run_cli(
        "planning", "demand", "--region", "BY-BA", "--as-of", "2026-12-01", "--format", "html", "-o", str(page)
    )  # fmt: skip
    assert written.returncode == 0 and "Bedarf geschrieben" in written.stdout
    document = page.read_text(encoding="utf-8")
    assert '<html lang="de">' in document and "<td>Dorf</td><td>Allgemeiner Integrationskurs</td>" in document
    assert "BA-0" not in document  # counts, never persons

    proposal = json.loads(
        run_cli("planning", "proposals", "--region", "BY-BA", "--as-of", "2026-12-01", "--format", "json").stdout
    )
    assert proposal["agreement_version"] == 2 and proposal["waiting"] == 3
    # three people never make a course of at least 15: no new course, the gap is said
    assert proposal["proposed_courses"] == []
    assert proposal["unserved"] == [
        {
            "municipality": "Dorf",
            "course_type": "general",
            "part_time": False,
            "people": 3,
            "reason": "zu wenige Plätze: freie Plätze, Mindestgröße oder vereinbarte Kursbeginne je Monat reichen nicht",
        }
    ]


def test_results_come_back_as_placement_events_all_or_nothing(
    run_cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    _region_with_places(engine, tmp_path, run_cli)
    agreement = tmp_path / "vereinbarung.yaml"
    agreement.write_text(AGREEMENT, encoding="utf-8")
    assert run_cli("planning", "agreement", "import", str(agreement), "--region", "BY-BA").returncode == 0
    with Session(engine) as session:
        from pipeline.tables import Participant, Region

        region = session.exec(select(Region)).one()
        model = load_model()
        for index in range(2):
            make_participant(
                session, region, model, ref=f"BA-{index}", stage="entitled", since=date(2026, 10, 1),
                entitled_on=date(2026, 10, 1),
            )  # fmt: skip
        session.commit()
    booked = run_cli("planning", "testing", "--region", "BY-BA", "--as-of", "2026-12-01", "--book")
    assert booked.returncode == 0 and "2 werden eingeplant (gespeichert)" in booked.stdout

    bad = tmp_path / "ergebnisse.csv"
    bad.write_text(
        "ref;datum;kursart;einstiegsmodul;traeger\n"
        "BA-0;08.12.2026;Allgemeiner Integrationskurs;1;VHS-BA\n"
        "BA-1;08.12.2026;Tanzkurs;1;VHS-BA\n"
        "BA-7;08.12.2026;Allgemeiner Integrationskurs;1;VHS-BA\n",
        encoding="utf-8",
    )
    done = run_cli("planning", "results", str(bad), "--region", "BY-BA", "--as-of", "2026-12-09")
    assert done.returncode == 1
    assert "Import abgebrochen, nichts gespeichert – 2 Fehler" in done.stderr
    assert "Zeile 3, Spalte 'kursart', Wert 'Tanzkurs'" in done.stderr
    assert "Zeile 4, Spalte 'ref', Wert 'BA-7': keine Teilnehmende dieser Region" in done.stderr
    with Session(engine) as session:
        # nothing written: BA-0 of the good first row is not placed either
        person = session.exec(select(Participant).where(Participant.ref == "BA-0")).one()
        assert person.stage == "entitled"
        assert len(session.exec(select(PlacementBooking)).all()) == 2

    good = tmp_path / "gut.csv"
    good.write_text(
        "ref;datum;kursart;einstiegsmodul\nBA-0;08.12.2026;Allgemeiner Integrationskurs;3\n"
        "BA-1;08.12.2026;Alphabetisierungskurs;1\n",
        encoding="utf-8",
    )
    done = run_cli("planning", "results", str(good), "--region", "BY-BA", "--as-of", "2026-12-09")
    assert done.returncode == 0, done.stderr
    assert "2 Einstufungen erfasst" in done.stdout
    with Session(engine) as session:
        placed = {p.ref: p for p in session.exec(select(Participant)).all()}
        assert placed["BA-0"].stage == "placement_tested"
        assert placed["BA-0"].state["facts"]["course_type"] == "general"
        assert placed["BA-0"].state["facts"]["start_module"] == 3
        assert placed["BA-1"].state["facts"]["course_type"] == "literacy"
        assert session.exec(select(PlacementBooking)).all() == []  # placed: the seats are free again

"""Files agencies drop: imported and archived, or rejected with an emailed error report."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from flows.import_drop import find_dropped, run_import_drop
from foerderkette.app import App
from foerderkette.settings import Settings
from notifications.tables import OutboxContent, OutboxMessage
from pipeline.tables import Participant
from tests.factories import make_region

GOOD = "ref;nachname;vorname;stage;verpflichtet_durch;verpflichtet_am\nBA-901;Haddad;Rania;Verpflichtet;JC;2026-11-02\nBA-902;Kovalenko;Olena;Verpflichtet;JC;2026-11-03\n"
BAD = "ref;nachname;vorname;stage;verpflichtet_durch;verpflichtet_am\nBA-903;Nasser;Omar;Wartend;JC;2026-11-02\nBA-904;Rahimi;Navid;Verpflichtet;JC;31.02.2026\n"


@pytest.fixture
def app(db_url: str, engine: Engine, tmp_path: Path) -> App:
    with Session(engine) as session:
        make_region(session)
    return App(Settings(database_url=db_url, drop_dir=tmp_path / "drop", mailer="memory"))


def drop(app: App, agency: str, kind: str, name: str, content: str, age: float = 3600) -> Path:
    folder = app.settings.drop_dir / "BY-BA" / agency / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content, encoding="utf-8")
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def test_good_file_is_imported_and_archived(app: App, engine: Engine) -> None:
    path = drop(app, "JC-BA", "participants", "verpflichtete.csv", GOOD)
    report = run_import_drop(app, today=date(2026, 11, 20))
    assert report.imported == ["BY-BA/JC-BA/participants/verpflichtete.csv"] and not report.rejected
    assert not path.exists()
    assert [p.name.endswith("-verpflichtete.csv") for p in (path.parent.parent / "archive").iterdir()] == [True]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 2
        drop_history = session.exec(select(Participant).where(Participant.ref == "BA-901")).one()
        assert drop_history.stage == "obliged"


def test_bad_file_is_rejected_reported_and_emailed_to_the_sending_agency(app: App, engine: Engine) -> None:
    path = drop(app, "JC-BA", "participants", "fehlerhaft.csv", BAD)
    report = run_import_drop(app, today=date(2026, 11, 20))
    assert report.rejected == ["BY-BA/JC-BA/participants/fehlerhaft.csv"] and report.emails == 1
    failed = sorted((path.parent.parent / "failed").iterdir())
    assert [item.name.split("-", 1)[1] for item in failed] == ["fehlerhaft-fehler.csv", "fehlerhaft.csv"]
    assert "unbekannte Stufe" in failed[0].read_text(encoding="utf-8-sig")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 0
        message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "import_report")).one()
        content = session.get(OutboxContent, message.id)
    assert content is not None
    assert message.recipient == "case_worker@jc-ba.bamberg.example"
    assert "Import abgelehnt: fehlerhaft.csv (2 Fehler)" in message.subject
    assert "Zeile 2, Spalte 'stage', Wert 'Wartend': unbekannte Stufe" in content.body_text
    assert "Zeile 3, Spalte 'verpflichtet_am', Wert '31.02.2026'" in content.body_text
    assert content.attachments[0]["filename"].endswith("fehlerhaft-fehler.csv")
    assert message.send_on == date(2026, 11, 20)


def test_files_still_being_written_and_stray_files_wait(app: App) -> None:
    drop(app, "JC-BA", "participants", "frisch.csv", GOOD, age=5)
    drop(app, "JC-BA", "unbekannt", "x.csv", GOOD)
    (app.settings.drop_dir / "BY-BA" / "lose.csv").write_text(GOOD, encoding="utf-8")
    assert list(find_dropped(app.settings.drop_dir)) == []
    assert [item.path.name for item in find_dropped(app.settings.drop_dir, min_age_seconds=0)] == ["frisch.csv"]


def test_a_file_for_an_unknown_region_is_rejected_not_lost(app: App) -> None:
    folder = app.settings.drop_dir / "BY-XX" / "JC-XX" / "courses"
    folder.mkdir(parents=True)
    (folder / "kurse.csv").write_text("kurs;kurstraeger\n", encoding="utf-8")
    os.utime(folder / "kurse.csv", (0, 0))
    report = run_import_drop(app, today=date(2026, 11, 20))
    assert report.rejected == ["BY-XX/JC-XX/courses/kurse.csv"] and report.emails == 0
    assert (folder.parent / "failed").is_dir()

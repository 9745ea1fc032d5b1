"""Each flow once through Prefect on seeded data: the database, the mailer and the run history."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from flows import runtime
from foerderkette.app import App
from foerderkette.demo import generate_demo
from foerderkette.settings import Settings
from notifications.mailers import MemoryMailer
from notifications.tables import OutboxMessage
from pipeline.tables import Participant
from process_models import ModelCatalog

pytestmark = pytest.mark.prefect
MONDAY = "2026-11-23"


@pytest.fixture
def app(prefect_harness: None, engine: Engine, db_url: str, tmp_path: Path) -> App:
    generate_demo(
        engine=engine, catalog=ModelCatalog(None), participants=300, regions=1, seed=8, as_of=date(2026, 11, 20)
    )
    return App(Settings(database_url=db_url, mailer="memory", drop_dir=tmp_path / "drop"))


def test_every_flow_once(app: App, engine: Engine) -> None:
    import httpx
    from prefect.settings import PREFECT_API_URL

    from flows.scheduled import FLOWS

    folder = app.settings.drop_dir / "BY-BA" / "JC-BA" / "participants"
    folder.mkdir(parents=True)
    (folder / "neu.csv").write_text(
        "ref;nachname;vorname;stage;verpflichtet_durch;verpflichtet_am\nBA-NEU;Haddad;Rania;Verpflichtet;JC;2026-11-19\n",
        encoding="utf-8",
    )
    os.utime(folder / "neu.csv", (time.time() - 600, time.time() - 600))
    with runtime.use(app):
        sweep = FLOWS["daily-sweep"](region="BY-BA", as_of=MONDAY)
        assert sweep["participants"] > 0 and sweep["digests_created"] > 0
        # issue 24: the reference process's phases are the run's tasks, with their counts
        assert list(sweep["phases"])[:3] == ["Zusteuerung", "Integrationskurs", "Prüfung"]
        with Session(engine) as session:
            everyone = session.exec(select(func.count()).select_from(Participant)).one()
        assert sum(phase["persons"] for phase in sweep["phases"].values()) == everyone  # each person in one phase
        assert sweep["land_figures"] == everyone  # the region's row of the Land view, computed once a day
        prepared = FLOWS["jourfixe-prepare"](region="BY-BA", as_of="2026-11-24")
        assert prepared and prepared[0]["queued"] > 0 and prepared[0]["meeting"] == "2026-12-01"
        followup = FLOWS["jourfixe-followup"](region="BY-BA", as_of=MONDAY)
        assert followup["reminded"] >= 1
        dropped = FLOWS["import-drop"](region="BY-BA", as_of=MONDAY, min_age_seconds=60)
        assert dropped["imported"] == ["BY-BA/JC-BA/participants/neu.csv"]
        with Session(engine) as session:
            due = session.exec(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.send_on <= date(2026, 11, 24))
            ).one()
        sent = FLOWS["send-reminders"](region="BY-BA", as_of="2026-11-24")
        assert sent["sent"] == due and sent["failed"] == 0
        mailer = app.mailer
        assert isinstance(mailer, MemoryMailer) and len(mailer.outbox) == due
        assert FLOWS["send-reminders"](region="BY-BA", as_of="2026-11-24")["sent"] == 0
        assert FLOWS["daily-sweep"](region="BY-BA", as_of="2026-11-21") == {"skipped": True}  # Saturday
        [purged] = FLOWS["privacy-purge"](as_of=MONDAY)
        assert purged["case_years"] == 3 and purged["dry_run"] is False and purged["region"] == "BY-BA"
    api = PREFECT_API_URL.value()
    runs = httpx.post(f"{api}/flow_runs/filter", json={"sort": "START_TIME_ASC", "limit": 200, "offset": 0}).json()
    artifacts = httpx.post(f"{api}/artifacts/filter", json={"sort": "KEY_ASC", "limit": 200, "offset": 0}).json()
    names = {run["name"] for run in runs}
    keys = {artifact["key"] for artifact in artifacts}
    by_key = {artifact["key"]: artifact["data"] for artifact in artifacts}
    assert {
        "daily-sweep BY-BA 2026-11-23",
        "send-reminders BY-BA 2026-11-24",
        "jourfixe-prepare BY-BA 2026-11-24",
    } <= names
    assert {
        "daily-sweep-by-ba",
        "send-reminders-by-ba",
        "jourfixe-prepare-by-ba",
        "jourfixe-followup-by-ba",
        "import-drop-by-ba",
        "privacy-purge-alle",
    } <= keys
    assert (
        "| Gesendet |" in by_key["send-reminders-by-ba"] and "| Erinnerungen geplant |" in by_key["daily-sweep-by-ba"]
    )
    funnel = next(a for a in artifacts if a["key"] == "daily-sweep-funnel-by-ba")
    table = json.loads(funnel["data"]) if isinstance(funnel["data"], str) else funnel["data"]
    assert funnel["type"] == "table" and table[0]["Phase"] == "Zusteuerung" and "davon überfällig" in table[0]
    assert sum(row["Personen"] for row in table) == everyone
    assert "daily-sweep-funnel-by-ba-stellen" in keys
    sweep_run = next(run for run in runs if run["name"] == "daily-sweep BY-BA 2026-11-23")
    tasks = httpx.post(
        f"{api}/task_runs/filter",
        json={
            "flow_runs": {"id": {"any_": [sweep_run["id"]]}},
            "limit": 200,
            "offset": 0,
            "sort": "EXPECTED_START_TIME_ASC",
        },
    ).json()
    names_of_tasks = [task["name"] for task in tasks]
    assert {
        "Zusteuerung",
        "Integrationskurs",
        "Prüfung",
        "Sprache → Beruf",
        "Arbeit / Ausbildung",
        "Kennzahlen für die Landesansicht",
    } <= set(names_of_tasks)
    assert len(tasks) <= 10  # a handful of task runs, never one per participant

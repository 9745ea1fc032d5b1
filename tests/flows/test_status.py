"""`foerderkette status` and the Betrieb page (issue 21): a job that did not run is noticed – the
scheduler's heartbeat, each job's last due and last completed run, missed runs, exit code 3."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert

from flows.status import scheduler_status
from flows.tables import JobRun, SchedulerLock
from pipeline.database import table_of
from tests.conftest import ROOT

BERLIN = ZoneInfo("Europe/Berlin")
#: Wednesday 25.11.2026, 10:00 in Berlin
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _ran(engine: Engine, flow: str, started: datetime, *, finished: bool = True, failed: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(JobRun)).values(
                flow=flow,
                started_at=started,
                finished_at=started + timedelta(minutes=2) if finished else None,
                regions=1,
                failed=failed,
            )
        )


def _beat(engine: Engine, at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(SchedulerLock)).values(id=1, holder="host:42", started_at=at, heartbeat_at=at)
        )


def _healthy(engine: Engine) -> None:
    """Every job ran at its last time before NOW."""
    _beat(engine, NOW - timedelta(seconds=20))
    for flow, started in (
        ("daily-sweep", datetime(2026, 11, 25, 5, 0, 5, tzinfo=UTC)),  # 06:00 Berlin
        ("jourfixe-prepare", datetime(2026, 11, 25, 5, 30, 5, tzinfo=UTC)),
        ("jourfixe-followup", datetime(2026, 11, 25, 5, 45, 5, tzinfo=UTC)),
        ("send-reminders", datetime(2026, 11, 25, 7, 45, 1, tzinfo=UTC)),  # 08:45 Berlin
        ("import-drop", datetime(2026, 11, 25, 7, 45, 1, tzinfo=UTC)),
        ("privacy-purge", datetime(2026, 11, 23, 4, 30, 2, tzinfo=UTC)),  # Monday 05:30
    ):
        _ran(engine, flow, started)


def test_all_jobs_on_time_is_no_problem(engine: Engine) -> None:
    _healthy(engine)
    with engine.connect() as connection:
        status = scheduler_status(connection, now=NOW, timezone=BERLIN)
    assert status.alive and status.problems == []
    send = next(job for job in status.jobs if job.flow == "send-reminders")
    assert send.last_due == datetime(2026, 11, 25, 8, 45, tzinfo=BERLIN)  # the last one over an hour ago
    assert send.next_due == datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    assert send.missed == 0 and not send.overdue


def test_a_job_that_stopped_running_is_overdue_with_its_missed_runs(engine: Engine) -> None:
    _healthy(engine)
    later = NOW + timedelta(hours=3)  # 13:00 Berlin: send-reminders last completed at 08:45
    with engine.connect() as connection:
        status = scheduler_status(connection, now=later, timezone=BERLIN)
    send = next(job for job in status.jobs if job.flow == "send-reminders")
    assert send.overdue and send.missed == 12  # 09:00 … 11:45, every quarter of an hour
    assert not status.alive  # the heartbeat is three hours old
    assert status.problems[0].startswith("Kein Scheduler aktiv (letztes Lebenszeichen 25.11.2026 09:59)")
    assert (
        "E-Mail-Versand überfällig: fällig 25.11.2026 11:45, zuletzt erfolgreich 25.11.2026 08:45, 12 Läufe verpasst"
        in status.problems
    )
    assert not next(job for job in status.jobs if job.flow == "daily-sweep").overdue


def test_a_failed_region_and_a_cut_off_run_are_reported(engine: Engine) -> None:
    _healthy(engine)
    _ran(engine, "daily-sweep", datetime(2026, 11, 25, 5, 0, 6, tzinfo=UTC), failed="BY-BA")
    _ran(engine, "import-drop", datetime(2026, 11, 25, 2, 0, tzinfo=UTC), finished=False)
    with engine.connect() as connection:
        status = scheduler_status(connection, now=NOW, timezone=BERLIN)
    assert "Fristenprüfung: letzter Lauf fehlgeschlagen für BY-BA" in status.problems
    assert next(job for job in status.jobs if job.flow == "import-drop").cut_off == 1


def _status(cli_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "foerderkette", "status", *args],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=ROOT,
        check=False,
    )


def test_status_exits_non_zero_for_monitoring_until_the_jobs_run(engine: Engine, cli_env: dict[str, str]) -> None:
    never = _status(cli_env)
    assert never.returncode == 3
    assert "Kein Scheduler aktiv (noch nie gestartet)" in never.stderr
    assert "Fristenprüfung überfällig" in never.stderr and "Traceback" not in never.stderr
    assert "überfällig" in never.stdout and "None" not in never.stdout
    now = datetime.now(UTC)
    _beat(engine, now)
    for job in json.loads(_status(cli_env, "--format", "json").stdout)["jobs"]:
        _ran(engine, job["flow"], now - timedelta(seconds=30))
    healthy = _status(cli_env)
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.startswith("Scheduler läuft (host:42") and healthy.stderr == ""


@pytest.mark.parametrize("flow", ["send-reminders"])
def test_the_embedded_scheduler_records_each_run(
    engine: Engine, db_url: str, flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.scheduled
    from flows.scheduler import run_flow_for_all_regions
    from foerderkette.app import App
    from foerderkette.settings import Settings

    calls: list[str | None] = []

    def failing(region: str | None = None) -> None:
        calls.append(region)
        raise RuntimeError("SMTP down")

    monkeypatch.setitem(flows.scheduled.FLOWS, flow, failing)
    app = App(Settings(database_url=db_url))
    try:
        run_flow_for_all_regions(app, flow)
    finally:
        app.dispose()
    assert calls == [None]  # one run for all regions
    with engine.connect() as connection:
        status = scheduler_status(connection, now=datetime.now(UTC), timezone=BERLIN)
    job = next(job for job in status.jobs if job.flow == flow)
    assert job.last_completed is not None and job.last_failed_regions == "alle Regionen"

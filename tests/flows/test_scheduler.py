"""The embedded scheduler with a frozen clock: right flows at the right local times across the
daylight-saving change, no repeats after a restart, missed runs caught up once, one scheduler."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from flows.scheduler import Runner, SchedulerLocked, runs_on
from foerderkette.app import App
from foerderkette.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")


class Recorder:
    def __init__(self) -> None:
        self.fired: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, flow: str) -> None:
        with self.lock:
            self.fired.append((flow, datetime.now(BERLIN).strftime("%a %d.%m. %H:%M %Z")))

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.fired) >= count:
                    break
            time.sleep(0.02)
        time.sleep(0.3)  # and nothing more arrives


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


@pytest.fixture
def app(db_url: str, engine: object) -> Iterator[App]:
    from sqlalchemy import text

    app = App(Settings(database_url=db_url))
    with app.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS scheduler_jobs"))
    yield app
    app.dispose()


def step(traveller: time_machine.Coordinates, runner: Runner, recorder: Recorder, when: str, expect: int) -> None:
    traveller.move_to(local(when))
    runner.wakeup()
    recorder.wait_for(expect)


def test_right_flows_at_local_times_across_dst_and_restarts(app: App) -> None:
    recorder = Recorder()
    with time_machine.travel(local("2026-10-23 05:00"), tick=False) as traveller:
        runner = Runner(app, dispatch=recorder)
        runner.start()
        try:
            assert runner.next_runs()["daily-sweep"] == local("2026-10-23 06:00")
            step(traveller, runner, recorder, "2026-10-23 06:00", 1)
            step(traveller, runner, recorder, "2026-10-23 06:30", 2)
            step(traveller, runner, recorder, "2026-10-23 06:45", 3)
            step(traveller, runner, recorder, "2026-10-23 07:00", 5)  # send-reminders and import-drop
            assert recorder.fired[:3] == [
                ("daily-sweep", "Fri 23.10. 06:00 CEST"),
                ("jourfixe-prepare", "Fri 23.10. 06:30 CEST"),
                ("jourfixe-followup", "Fri 23.10. 06:45 CEST"),
            ]
            assert sorted(recorder.fired[3:]) == [
                ("import-drop", "Fri 23.10. 07:00 CEST"),
                ("send-reminders", "Fri 23.10. 07:00 CEST"),
            ]
            # after the change to winter time the sweep still runs at 06:00 local (05:00 UTC, not 04:00)
            assert runner.next_runs()["daily-sweep"] == local("2026-10-26 06:00")
            assert runner.next_runs()["daily-sweep"].utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
            before = len(recorder.fired)
            step(traveller, runner, recorder, "2026-10-26 06:00", before + 1)
            assert recorder.fired[-1] == ("daily-sweep", "Mon 26.10. 06:00 CET")
        finally:
            runner.stop()

        # a restart right after the run does not repeat it
        count = len(recorder.fired)
        traveller.move_to(local("2026-10-26 06:01"))
        second = Runner(app, dispatch=recorder)
        second.start()
        try:
            second.wakeup()
            recorder.wait_for(count)
            assert len(recorder.fired) == count
            assert second.next_runs()["daily-sweep"] == local("2026-10-27 06:00")
        finally:
            second.stop()

        # down from Monday 06:01 until Wednesday 09:00: every missed job runs once, not once per miss
        traveller.move_to(local("2026-10-28 09:00"))
        third = Runner(app, dispatch=recorder)
        third.start()
        try:
            third.wakeup()
            recorder.wait_for(count + 5)
            caught_up = recorder.fired[count:]
            assert sorted(flow for flow, _ in caught_up) == [
                "daily-sweep",
                "import-drop",
                "jourfixe-followup",
                "jourfixe-prepare",
                "send-reminders",
            ]
            assert all(when == "Wed 28.10. 09:00 CET" for _, when in caught_up)
            assert third.next_runs()["daily-sweep"] == local("2026-10-29 06:00")
        finally:
            third.stop()


def test_only_one_scheduler_per_database(app: App) -> None:
    first = Runner(app, dispatch=Recorder())
    first.start()
    try:
        with pytest.raises(SchedulerLocked, match="läuft bereits ein Scheduler"):
            Runner(app, dispatch=Recorder()).start()
    finally:
        first.stop()
    again = Runner(app, dispatch=Recorder())
    again.start()  # released on stop
    again.stop()


def test_a_silent_lock_is_taken_over(app: App) -> None:
    with time_machine.travel(local("2026-10-23 05:00"), tick=False) as traveller:
        crashed = Runner(app, dispatch=Recorder())
        crashed._acquire()
        traveller.move_to(local("2026-10-23 05:10"))
        successor = Runner(app, dispatch=Recorder())
        successor.start()
        successor.stop()


def test_flow_runs_per_day_grow_with_regions_not_participants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    monday = runs_on(date(2026, 11, 23), [f"R{n}" for n in range(100)], berlin)
    # three daily jobs per region; the outbox is sent and the drop folder read every 15 minutes
    # 7–18 h, the retention purge on Mondays, each once for all regions
    assert monday == {
        "daily-sweep": 100,
        "jourfixe-prepare": 100,
        "jourfixe-followup": 100,
        "send-reminders": 48,
        "import-drop": 48,
        "privacy-purge": 1,
    }
    assert sum(runs_on(date(2026, 11, 23), ["R1"], berlin).values()) == 3 + 48 + 48 + 1
    assert sum(runs_on(date(2026, 11, 24), ["R1"], berlin).values()) == 3 + 48 + 48  # Tuesday: no purge
    assert sum(runs_on(date(2026, 11, 22), ["R1"], berlin).values()) == 0  # Sunday

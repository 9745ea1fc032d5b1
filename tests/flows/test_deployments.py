"""The schedules of flows/deployments.py mean the same in both set-ups."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prefect.server.schemas.schedules import CronSchedule

from flows.cron import cron_trigger
from flows.deployments import SCHEDULES

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.flow)
def test_embedded_and_prefect_fire_at_the_same_local_times(schedule: object) -> None:
    cron = schedule.cron  # type: ignore[attr-defined]
    start = datetime(2026, 10, 20, 0, 0, tzinfo=BERLIN)  # a week around the change to winter time
    trigger = cron_trigger(cron, BERLIN)
    embedded, previous, now = [], None, start
    while len(embedded) < 40:
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        embedded.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    reference = asyncio.run(CronSchedule(cron=cron, timezone="Europe/Berlin").get_dates(n=40, start=start))
    assert [fire.astimezone(BERLIN).isoformat() for fire in embedded] == [
        fire.astimezone(BERLIN).isoformat() for fire in reference
    ]
    assert all(fire.weekday() < 5 for fire in embedded)


def test_every_flow_has_exactly_one_schedule() -> None:
    from flows.scheduled import FLOWS

    assert sorted(schedule.flow for schedule in SCHEDULES) == sorted(FLOWS)
    assert {schedule.function for schedule in SCHEDULES} == {flow.fn.__name__ for flow in FLOWS.values()}


def test_the_automations_watch_the_sweep_and_the_sending_and_every_failure() -> None:
    """Issue 21: proactive – a run of daily-sweep or send-reminders not completed an hour after it
    turned late or started; reactive – any failed, crashed or timed-out run of our jobs."""
    from prefect.events.schemas.automations import EventTrigger, Posture

    from flows.automations import automation_specs
    from flows.deployments import SCHEDULES

    specs = automation_specs()
    triggers = [EventTrigger.model_validate(spec["trigger"]) for spec in specs]
    proactive = [t for t in triggers if t.posture == Posture.Proactive]
    watched = [t.match_related["prefect.resource.name"] for t in proactive]  # type: ignore[index, call-overload]
    assert sorted(name for names in watched for name in ([names] if isinstance(names, str) else names)) == [
        "daily-sweep",
        "send-reminders",
    ]
    assert all(t.expect == {"prefect.flow-run.Completed"} and t.within.total_seconds() == 3600 for t in proactive)
    assert all("prefect.flow-run.Late" in t.after for t in proactive)
    (reactive,) = [t for t in triggers if t.posture == Posture.Reactive]
    assert reactive.expect == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"}
    assert set(reactive.match_related["prefect.resource.name"]) == {s.flow for s in SCHEDULES}  # type: ignore[index, call-overload, arg-type]

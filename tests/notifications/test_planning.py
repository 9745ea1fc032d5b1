"""Reminder levels and recipients, pure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from notifications.planning import (
    AgencyInfo,
    ContactInfo,
    Directory,
    SweepRow,
    plan_region,
    reminder_level,
    send_day,
)
from pipeline.steps_cache import steps_columns
from process_models import (
    AgencyRef,
    BusinessCalendar,
    CalendarConfig,
    Duration,
    OpenStep,
    ProcessModel,
    calendar_for,
    load_model,
    new_state,
    open_steps,
)
from process_models.spec import ReminderRule

BY = BusinessCalendar(CalendarConfig(land="BY"))
RULE = ReminderRule(
    lead=Duration.parse("5bd"), on_due=True, repeat_after=Duration.parse("5bd"), escalate_after=Duration.parse("10bd")
)


def step(due: date, rule: ReminderRule = RULE, *refs: AgencyRef) -> OpenStep:
    return OpenStep("course_start", "Kursbeginn", refs or (AgencyRef("KT", "VHS"),), due, due, "", False, 0, "", rule)


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (date(2026, 5, 15), None),
        (date(2026, 5, 18), "upcoming"),  # five business days before 26.05. (Pfingstmontag does not count)
        (date(2026, 5, 25), "upcoming"),
        (date(2026, 5, 26), "due"),
        (date(2026, 6, 1), "due"),
        (date(2026, 6, 2), "second"),  # five business days after
        (date(2026, 6, 9), "second"),  # Fronleichnam 04.06. does not count
        (date(2026, 6, 10), "escalated"),
        (date(2027, 1, 1), "escalated"),
    ],
)
def test_levels_count_business_days(today: date, level: str | None) -> None:
    assert reminder_level(step(date(2026, 5, 26)), today, BY) == level


def test_calendar_lead_and_no_reminder_on_the_due_day() -> None:
    rule = ReminderRule(
        lead=Duration.parse("8w"), on_due=False, repeat_after=Duration.parse("1w"), escalate_after=Duration.parse("2w")
    )
    due = date(2026, 7, 1)
    assert reminder_level(step(due, rule), date(2026, 5, 5), BY) is None
    assert reminder_level(step(due, rule), date(2026, 5, 6), BY) == "upcoming"
    assert reminder_level(step(due, rule), due, BY) is None
    assert reminder_level(step(due, rule), date(2026, 7, 2), BY) == "due"  # late, even without on-due reminders
    assert reminder_level(step(due, rule), date(2026, 7, 8), BY) == "second"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 5, 22), date(2026, 5, 22)),
        (date(2026, 5, 23), date(2026, 5, 26)),
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 26), date(2026, 12, 28)),
    ],
)
def test_send_day_skips_weekends_and_holidays(today: date, expected: date) -> None:
    assert send_day(today, BY) == expected


AGENCIES = [
    AgencyInfo(1, "VHS", "KT", "VHS"),
    AgencyInfo(2, "BFZ", "KT", "bfz"),
    AgencyInfo(3, "JC-BA", "JC", "Jobcenter"),
    AgencyInfo(4, "KOM-BA", "KOM", "Landratsamt"),
    AgencyInfo(5, "MBE-BA", "MBE", "Caritas"),
]
CONTACTS = [
    ContactInfo(10, 1, "VHS Sachbearbeitung", "sb@vhs.example", "case_worker"),
    ContactInfo(11, 1, "VHS Leitung", "leitung@vhs.example", "lead"),
    ContactInfo(20, 2, "bfz", "sb@bfz.example", "case_worker"),
    ContactInfo(31, 3, "JC Leitung", "leitung@jc.example", "lead"),
    ContactInfo(40, 4, "Koordination", "koordination@lra.example", "coordinator"),
]
DIRECTORY = Directory(AGENCIES, CONTACTS)


def ids(found: list[tuple[ContactInfo, AgencyInfo | None]]) -> list[int]:
    return [contact.id for contact, _ in found]


def test_the_participants_own_provider_is_reminded_not_every_provider() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "VHS")], "due")) == [10]
    assert ids(DIRECTORY.recipients([AgencyRef("KT")], "due")) == [10, 20]
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "UNBEKANNT")], "due")) == [10, 20]


def test_escalation_adds_the_lead_and_the_coordinator() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "VHS")], "escalated")) == [10, 11, 40]


def test_an_agency_without_case_workers_reaches_its_lead_and_one_without_anybody_the_coordinator() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("JC")], "upcoming")) == [31]
    assert ids(DIRECTORY.recipients([AgencyRef("MBE")], "due")) == [40]
    assert ids(DIRECTORY.recipients([AgencyRef("ABH")], "due")) == [40]


# --------------------------------------------------------------------------- plan_region, on plain data


def _plain_row(model: ProcessModel, pid: int, since: date, cached: dict[str, object] | None = None) -> SweepRow:
    state = new_state(model, on=since)
    cached = cached or {}
    return SweepRow(
        pid,
        model.version,
        state.stage,
        since,
        state.to_json(),
        cached.get("open_steps", []),  # type: ignore[arg-type]
        cached.get("next_remind"),  # type: ignore[arg-type]
        cached.get("steps_valid_until"),  # type: ignore[arg-type]
        str(cached.get("steps_fingerprint", "")),
    )


def test_plan_region_plans_reminders_and_refreshes_only_stale_caches() -> None:
    model = load_model()
    calendar = calendar_for(model)
    since = date(2026, 3, 2)
    first = new_state(model, on=since)
    # the first day one of the new participant's steps has a reminder
    today = next(
        day
        for day in (since + timedelta(days=offset) for offset in range(400))
        if any(reminder_level(s, day, calendar) for s in open_steps(first, today=day, model=model))
    )
    steps = open_steps(first, today=today, model=model)
    agencies = sorted({ref.type for s in steps for ref in s.responsible} | {"KOM"})
    directory = Directory(
        [AgencyInfo(index, f"{kind}-X", kind, f"Stelle {kind}") for index, kind in enumerate(agencies, 1)],
        [
            ContactInfo(
                100 + index,
                index,
                f"Person {kind}",
                f"p{index}@amt.example",
                "coordinator" if kind == "KOM" else "case_worker",
            )
            for index, kind in enumerate(agencies, 1)
        ],
    )
    exact = steps_columns(steps, state=first, today=today, model=model, reminders_planned=True)
    written = steps_columns(steps, state=first, today=today, model=model)  # as a write leaves it
    assert written["next_remind"] == today < exact["next_remind"]  # today's reminders still to plan
    rows = [_plain_row(model, 1, since), _plain_row(model, 2, since, exact), _plain_row(model, 3, since, written)]

    plan = plan_region(rows[:2], directory=directory, model_for=lambda _version: model, calendar=calendar, today=today)

    assert plan.evaluated == 2 and set(plan.refreshed) == {1}  # row 2's cache is already exact
    later = plan_region(rows[2:], directory=directory, model_for=lambda _version: model, calendar=calendar, today=today)
    assert later.refreshed[3]["next_remind"] == exact["next_remind"]  # planned: wait for the next milestone
    assert plan.refreshed[1]["open_steps"] == exact["open_steps"]
    assert {(pid, step) for pid, step, _due in plan.open_keys} == {(pid, s.step) for pid in (1, 2) for s in steps}
    reminded = [s for s in steps if reminder_level(s, today, calendar)]
    assert reminded and {(item.participant_id, item.step) for item in plan.items} == {
        (pid, s.step) for pid in (1, 2) for s in reminded
    }
    for item in plan.items:
        spec = next(s for s in reminded if s.step == item.step)
        assert item.level == reminder_level(spec, today, calendar) and item.due == spec.due
        expected = {contact.id for contact, _agency in directory.recipients(spec.responsible, item.level)}
        assert item.contact_id in expected
    assert plan.responsible[(1, reminded[0].step)] == [str(ref) for ref in reminded[0].responsible]


def test_plan_region_of_no_rows_is_empty() -> None:
    model = load_model()
    plan = plan_region(
        [],
        directory=Directory([], []),
        model_for=lambda _v: model,
        calendar=calendar_for(model),
        today=date(2026, 5, 4),
    )
    assert (plan.evaluated, plan.items, plan.refreshed, plan.open_keys) == (0, [], {}, {})


def test_a_wiedervorlage_pauses_reminders_not_the_escalation() -> None:
    """Issue 19: a step "in Bearbeitung" gets no reminder until its follow-up date – except its
    escalation, whose date stays the law's; the row is looked at again on the follow-up day."""
    from dataclasses import replace

    from notifications.planning import still_remindable

    model = load_model()
    calendar = calendar_for(model)
    since = date(2026, 3, 2)
    state = new_state(model, on=since)
    step = open_steps(state, today=since, model=model)[0]
    day_of = {
        level: next(
            d for d in (since + timedelta(days=n) for n in range(400)) if reminder_level(step, d, calendar) == level
        )
        for level in ("due", "escalated")
    }
    directory = Directory(
        [AgencyInfo(1, "ABH-X", "ABH", "Ausländerbehörde"), AgencyInfo(2, "KOM-X", "KOM", "Koordination")],
        [
            ContactInfo(10, 1, "Sachb.", "s@abh.example", "case_worker"),
            ContactInfo(20, 2, "Koord.", "k@kom.example", "coordinator"),
        ],
    )
    for level, today in day_of.items():
        hold = {step.step: {"until": (today + timedelta(days=5)).isoformat(), "by": "Test"}}
        row = replace(_plain_row(model, 1, since), step_holds=hold)
        plan = plan_region([row], directory=directory, model_for=lambda _v: model, calendar=calendar, today=today)
        planned = {(item.step, item.level) for item in plan.items}
        if level == "escalated":
            assert (step.step, "escalated") in planned
        else:
            assert not any(item.step == step.step for item in plan.items)
            assert plan.refreshed[1]["next_remind"] <= today + timedelta(days=5)  # woken on the follow-up day
        refs = [str(ref) for ref in step.responsible]
        remindable = still_remindable(
            step_refs=refs, level=level, contact_id=10, holds=hold, step=step.step, directory=directory, today=today
        )
        assert remindable == (level == "escalated")
        after = today + timedelta(days=5)
        assert still_remindable(
            step_refs=refs, level=level, contact_id=10, holds=hold, step=step.step, directory=directory, today=after
        )

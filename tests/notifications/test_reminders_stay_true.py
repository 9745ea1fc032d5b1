"""Reminders are true when sent (issue 19), under random interleavings of sweeps, events,
Wiedervorlagen and sends over 30 days: no mailed entry names a step that is closed (or paused)
at the moment of sending, no milestone is mailed twice, no contact gets two digests on one day.
Runs on SQLite and, in the suite's second pass, on PostgreSQL.

Time is simulated where the revision reads it: after each phase of a day every stored moment
(a participant's last change, a digest's rendering) moves two hours into the past, so changes a
sweep has seen look old to the revision and changes after it look new, as on a real morning.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, select, update
from sqlmodel import Session

from notifications.jobs import run_send, run_sweep
from notifications.mailers import MemoryMailer
from notifications.tables import OutboxMessage, ReminderItem
from pipeline.database import table_of
from pipeline.repository import InvalidHold, get_participant, hold_step, record_event
from pipeline.steps_cache import hold_pauses
from pipeline.tables import Participant
from process_models import Event, InvalidPayload, ModelCatalog, ProcessModel, TransitionNotAllowed
from process_models.loader import load_model
from tests.factories import make_participant, make_region

START = date(2026, 5, 4)
DAYS = 30


def _age(engine: Engine, hours: int = 2) -> None:
    """Move every stored moment the revision compares into the past."""
    participants, outbox = table_of(Participant), table_of(OutboxMessage)
    with engine.begin() as connection:
        for table, column in ((participants, participants.c.updated_at), (outbox, outbox.c.rendered_at)):
            rows = connection.execute(select(table.c.id, column).where(column.is_not(None))).all()
            if rows:
                connection.execute(
                    update(table).where(table.c.id == bindparam("_id")).values({column.name: bindparam("_at")}),
                    [{"_id": row_id, "_at": moment - timedelta(hours=hours)} for row_id, moment in rows],
                )


def _payload(model: ProcessModel, event_id: str, day: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in model.events[event_id].payload:
        if not field.required or field.default is not None:
            continue
        if field.type == "provider":
            values[field.name] = "VHS-BA"
        elif field.type.startswith("enum:"):
            values[field.name] = next(iter(model.value_sets[field.type[5:]].values))
        elif field.type == "int":
            values[field.name] = field.minimum or 1
        elif field.type == "date":
            values[field.name] = day
        elif field.type == "bool":
            values[field.name] = False
        else:
            return {}  # a value this test cannot make up (an agency list, a course): skip the event
    return values


def _build(session: Session, model: ProcessModel, rng: random.Random) -> list[str]:
    region = make_region(session)
    refs = []
    for number in range(18):
        ref = f"PR-{number:02d}"
        since = START - timedelta(days=rng.randint(10, 60))
        kind = number % 4
        if kind == 0:
            facts: dict[str, Any] = {"obliged_on": since, "obliged_by": rng.choice(["JC", "ABH"])}
            stage = "obliged"
        elif kind == 1:
            facts = {"registered_on": since, "assigned_on": since, "provider": rng.choice(["VHS-BA", "BFZ-BA"])}
            stage = "registered"
        elif kind == 2:
            facts = {"entitled_on": since - timedelta(days=330), "entitled_by": "ABH"}
            stage = "entitled"
        else:
            facts = {"course_started_on": since, "provider": "VHS-BA", "course_end_planned": START + timedelta(days=40)}
            stage = "in_course"
        make_participant(session, region, model, ref=ref, stage=stage, since=since, birth_year=1990, **facts)
        refs.append(ref)
    return refs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_never_mail_a_closed_step_or_a_milestone_twice(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    model = load_model()
    catalog = ModelCatalog(None)
    with Session(engine, expire_on_commit=False) as session:
        refs = _build(session, model, rng)
    mailer = MemoryMailer()
    mailed: Counter[tuple[int, str, date, str, int]] = Counter()
    per_contact_day: Counter[tuple[int, date]] = Counter()
    done: set[int] = set()
    checked = 0

    def act(day: date) -> None:
        """A few random things users do: events, a Wiedervorlage."""
        with Session(engine, expire_on_commit=False) as session:
            for _ in range(rng.randint(0, 3)):
                participant = get_participant(session=session, ref=rng.choice(refs))
                if rng.random() < 0.25 and participant.open_steps:
                    step = rng.choice(participant.open_steps)["step"]
                    with contextlib.suppress(InvalidHold):
                        hold_step(
                            session=session,
                            participant=participant,
                            step=step,
                            until=day + timedelta(days=rng.randint(2, 9)),
                            by="Test",
                            note=None,
                            model=model,
                            today=day,
                        )
                    continue
                events = list(model.allowed_events(participant.stage))
                if not events:
                    continue
                event_id = rng.choice(events)
                spec = model.events[event_id]
                try:
                    record_event(
                        session=session,
                        participant=participant,
                        event=Event(
                            event_id, _payload(model, event_id, day), by=spec.actors[0] if spec.actors else None
                        ),
                        on=day,
                        model=model,
                        today=day,
                    )
                except (TransitionNotAllowed, InvalidPayload):
                    session.rollback()
                    continue
            session.commit()

    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        act(day)
        _age(engine)
        if rng.random() < 0.8:
            run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=day)
        _age(engine)
        act(day)
        _age(engine)
        if rng.random() < 0.6:
            before = len(mailer.outbox)
            report, quiet = run_send(
                engine=engine, catalog=catalog, mailer=mailer, mail_from="t@bamberg.example", today=day
            )
            assert report.failed == 0
            if quiet:
                assert len(mailer.outbox) == before
                continue
            checked += _check_sent(engine, day, mailed, per_contact_day, done)
        _age(engine)
    assert checked > 40, f"the run mailed too little to prove anything ({checked} entries)"
    assert all(count == 1 for count in mailed.values()), [key for key, count in mailed.items() if count > 1]
    assert all(count == 1 for count in per_contact_day.values())


def _check_sent(
    engine: Engine,
    day: date,
    mailed: Counter[tuple[int, str, date, str, int]],
    per_contact_day: Counter[tuple[int, date]],
    done: set[int],
) -> int:
    """Every reminder item of the digests sent just now is true now; returns how many there were."""
    items, outbox, participants = table_of(ReminderItem), table_of(OutboxMessage), table_of(Participant)
    seen = 0
    with engine.connect() as connection:
        sent = connection.execute(
            select(outbox.c.id, outbox.c.contact_id, outbox.c.item_count).where(
                outbox.c.kind == "reminder_digest", outbox.c.status == "sent", outbox.c.reason.is_(None)
            )
        ).all()
        for message_id, contact_id, item_count in sent:
            if message_id in done:
                continue
            done.add(message_id)
            per_contact_day[(contact_id, day)] += 1
            rows = connection.execute(
                select(
                    items.c.participant_id,
                    items.c.step,
                    items.c.due,
                    items.c.level,
                    participants.c.open_steps,
                    participants.c.step_holds,
                )
                .join(participants, participants.c.id == items.c.participant_id)
                .where(items.c.outbox_id == message_id)
            ).all()
            assert len(rows) == item_count
            for pid, step, due, level, steps, holds in rows:
                assert any(entry["step"] == step and entry["due"] == due.isoformat() for entry in steps), (
                    f"mailed a closed step {step} of participant {pid} on {day}"
                )
                assert not hold_pauses(holds, step, level, day), f"mailed a paused step {step} on {day}"
                mailed[(pid, step, due, level, contact_id)] += 1
                seen += 1
    return seen


def test_only_digests_naming_a_changed_participant_are_revised(engine: Engine) -> None:
    """The revision's cheap path: a change before the sweep is seen by it, so only the digests
    naming a participant changed after the sweep are rendered again."""
    from notifications.outbox import with_content
    from notifications.revision import stale_digests

    model = load_model()
    catalog = ModelCatalog(None)
    rng = random.Random(5)
    with Session(engine, expire_on_commit=False) as session:
        refs = _build(session, model, rng)
    day = START + timedelta(days=10)
    _age(engine)
    run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=day)
    _age(engine)
    outbox = table_of(OutboxMessage)
    with engine.connect() as connection:
        rows = [row._asdict() for row in connection.execute(with_content(select(outbox)))]
        assert rows and stale_digests(connection, rows) == set()
    items = table_of(ReminderItem)
    with engine.connect() as connection:
        (pid,) = connection.execute(select(items.c.participant_id).limit(1)).one()
        naming = set(connection.execute(select(items.c.outbox_id).where(items.c.participant_id == pid)).scalars())
    with Session(engine, expire_on_commit=False) as session:
        participant = session.get(Participant, pid)
        assert participant is not None and participant.ref in refs
        hold_step(
            session=session,
            participant=participant,
            step=participant.open_steps[0]["step"],
            until=day + timedelta(days=5),
            by="Test",
            note=None,
            model=model,
            today=day,
        )
        session.commit()
    with engine.connect() as connection:
        rows = [row._asdict() for row in connection.execute(with_content(select(outbox)))]
        assert stale_digests(connection, rows) == naming

"""Persistence functions for the case data. Keyword-only, each takes the session; callers commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, func
from sqlmodel import Session, col, select

from pipeline.database import table_of, utcnow
from pipeline.reads import NotFound, unknown_region_message
from pipeline.steps_cache import steps_columns
from pipeline.tables import Agency, AuditEntry, Contact, Course, Enrollment, Participant, Region, StageChange
from pipeline.validation import check_region_values, naming_region_values, region_values
from process_models import (
    Event,
    InvalidPayload,
    ParticipantState,
    ProcessModel,
    Transition,
    advance,
    enrolment_effect,
    open_steps,
)


@dataclass(frozen=True, slots=True)
class CourseInfo:
    """A course with its provider and how many are enrolled (the overall course list)."""

    code: str
    provider_code: str
    provider_name: str
    kind: str
    course_type: str
    format: str
    site: str
    planned_start: date | None
    actual_start: date | None
    end_date: date | None
    capacity: int
    min_size: int
    enrolled: int
    cancelled: bool = False

    @property
    def start(self) -> date | None:
        return self.actual_start or self.planned_start

    @property
    def free(self) -> int:
        return max(self.capacity - self.enrolled, 0)

    @property
    def below_minimum(self) -> bool:
        return self.enrolled < self.min_size


# --------------------------------------------------------------------------- regions, agencies


def get_region(*, session: Session, code: str) -> Region:
    region = session.exec(select(Region).where(Region.code == code)).first()
    if region is None:
        raise NotFound(unknown_region_message(code, session.exec(select(Region.code).order_by(Region.code)).all()))
    return region


def list_regions(*, session: Session) -> Sequence[Region]:
    return session.exec(select(Region).order_by(Region.code)).all()


def agencies_of(*, session: Session, region_id: int, type_: str | None = None) -> Sequence[Agency]:
    query = select(Agency).where(Agency.region_id == region_id)
    if type_:
        query = query.where(Agency.type == type_)
    return session.exec(query.order_by(Agency.type, Agency.code)).all()


def find_agency(*, session: Session, region: Region, code: str) -> Agency:
    """The region's agency with this code; NotFound lists the codes there are."""
    agency = session.exec(select(Agency).where(Agency.region_id == region.id, Agency.code == code)).first()
    if agency is None:
        known = ", ".join(
            session.exec(select(Agency.code).where(Agency.region_id == region.id).order_by(Agency.code)).all()
        )
        raise NotFound(f"Stelle '{code}' gibt es in Region {region.code} nicht (vorhanden: {known})")
    return agency


def contacts_of(*, session: Session, agency_id: int) -> Sequence[Contact]:
    return session.exec(select(Contact).where(Contact.agency_id == agency_id).order_by(Contact.name)).all()


# --------------------------------------------------------------------------- participants


def get_participant(*, session: Session, ref: str) -> Participant:
    participant = session.exec(select(Participant).where(Participant.ref == ref)).first()
    if participant is None:
        raise NotFound(f"Teilnehmende mit Referenz '{ref}' gibt es nicht")
    return participant


def state_of(participant: Participant, model: ProcessModel) -> ParticipantState:
    """The engine's view of a participant row."""
    return ParticipantState.from_json(
        participant.state,
        model_version=participant.model_version,
        stage=participant.stage,
        stage_since=participant.stage_since,
        model=model,
    )


def store_state(participant: Participant, state: ParticipantState, *, model: ProcessModel, today: date) -> None:
    """Write `state` into the row and recompute its open steps as of `today`."""
    participant.model_version = state.model_version
    participant.stage = state.stage
    participant.stage_since = state.stage_since
    participant.state = state.to_json()
    steps = open_steps(state, today=today, model=model)
    still_open = {step.step for step in steps}
    # a Wiedervorlage ends with its step
    holds = {step: hold for step, hold in (participant.step_holds or {}).items() if step in still_open}
    if holds != (participant.step_holds or {}):
        participant.step_holds = holds
    for key, value in steps_columns(steps, state=state, today=today, model=model, holds=holds).items():
        setattr(participant, key, value)
    participant.updated_at = utcnow()


def hold_step(
    *,
    session: Session,
    participant: Participant,
    step: str,
    until: date | None,
    by: str,
    note: str | None,
    model: ProcessModel,
    today: date,
) -> None:
    """Mark an open step "in Bearbeitung" until `until` (Wiedervorlage), or end that (`until`
    None): its reminders pause until then, its escalation does not. Raises InvalidHold."""
    steps = {entry["step"]: entry for entry in participant.open_steps or []}
    label = model.steps[step].label if step in model.steps else step
    if step not in steps:
        raise InvalidHold(f"„{label}“ ist für {participant.ref} kein offener Schritt")
    holds = dict(participant.step_holds or {})
    if until is None:
        if step not in holds:
            raise InvalidHold(f"„{label}“ ist für {participant.ref} nicht in Bearbeitung")
        del holds[step]
    else:
        if until <= today:
            raise InvalidHold(
                f"Die Wiedervorlage am {until:%d.%m.%Y} muss nach dem heutigen Tag ({today:%d.%m.%Y}) liegen"
            )
        if until > today + MAX_HOLD:
            raise InvalidHold(
                f"Die Wiedervorlage am {until:%d.%m.%Y} liegt mehr als {MAX_HOLD.days} Tage in der Zukunft"
            )
        holds[step] = {
            "until": until.isoformat(),
            "by": by,
            "note": (note or "").strip() or None,
            "since": today.isoformat(),
        }
    participant.step_holds = holds
    store_state(participant, state_of(participant, model), model=model, today=today)
    session.add(participant)
    session.flush()


#: the longest a step's reminders can be paused in one go
MAX_HOLD = timedelta(days=92)


class InvalidHold(ValueError):
    """A Wiedervorlage that cannot be set (German message)."""


def record_event(
    *,
    session: Session,
    participant: Participant,
    event: Event,
    on: date,
    model: ProcessModel,
    today: date,
    user: str | None = None,
) -> Transition:
    """Apply `event` through the engine, store the new state and append the history row.

    Raises TransitionNotAllowed without touching the row when the engine refuses.
    """
    assert participant.id is not None
    before = state_of(participant, model)
    transition = advance(before, event, at=on, model=model)
    changed = [name for name, value in transition.state.facts.items() if before.facts.get(name) != value]
    # the region's providers and courses are read only when the event names one
    named = naming_region_values(model, changed)
    problems = (
        check_region_values(
            model, transition.state.facts, region_values(session.connection(), participant.region_id), only=named
        )
        if named
        else []
    )
    if problems:
        spec = model.events[event.name]
        fields = [spec.field_for_fact(problem.fact) for problem in problems]
        details = "; ".join(
            f"„{field.label if field else model.facts[problem.fact].label}“ „{problem.value}“: {problem.message}"
            for problem, field in zip(problems, fields, strict=True)
        )
        raise InvalidPayload(
            f"Angaben zu „{spec.label}“ unvollständig oder falsch: {details}",
            f"invalid payload for '{spec.id}': {details}",
            stage=before.stage,
            event=spec.id,
            allowed=(),
        )
    store_state(participant, transition.state, model=model, today=today)
    session.add(participant)
    session.add(
        StageChange(
            participant_id=participant.id,
            occurred_on=on,
            event=event.name,
            from_stage=transition.source,
            to_stage=transition.target,
            by_agency=event.by,
            by_user=user,
            note=event.note,
            payload={
                key: (value.isoformat() if isinstance(value, date) else value)
                for key, value in transition.payload.items()
            },
            model_version=model.version,
        )
    )
    _update_enrollment(session=session, participant=participant, transition=transition, model=model)
    session.flush()
    return transition


def _update_enrollment(
    *, session: Session, participant: Participant, transition: Transition, model: ProcessModel
) -> None:
    """Keep course enrolments in step with course starts, ends and drop-outs: the event's
    `enrolment` flag in the model says which events start one and which end it."""
    assert participant.id is not None
    effect = enrolment_effect(model, transition.event, transition.payload)
    course_code = transition.payload.get("course_id")
    if effect == "start" and course_code:
        course = session.exec(
            select(Course).where(Course.region_id == participant.region_id, Course.code == course_code)
        ).first()
        if course is not None and course.id is not None:
            _close_enrollments(session=session, participant_id=participant.id, on=transition.on)
            session.add(Enrollment(course_id=course.id, participant_id=participant.id, enrolled_on=transition.on))
    elif effect == "end":
        _close_enrollments(session=session, participant_id=participant.id, on=transition.on)


def _close_enrollments(*, session: Session, participant_id: int, on: date) -> None:
    for enrollment in session.exec(
        select(Enrollment).where(Enrollment.participant_id == participant_id, col(Enrollment.left_on).is_(None))
    ).all():
        enrollment.left_on = on
        session.add(enrollment)


def course_overview(*, session: Session, region_id: int, on: date) -> list[CourseInfo]:
    """Every course of a region with its provider and its active enrolments on `on`."""
    agencies = {agency.id: agency for agency in session.exec(select(Agency).where(Agency.region_id == region_id)).all()}
    courses = session.exec(
        select(Course).where(Course.region_id == region_id).order_by(col(Course.planned_start), col(Course.code))
    ).all()
    ids = [course.id for course in courses]
    counts: dict[int, int] = {}
    if ids:
        query = (
            select(Enrollment.course_id, func.count())
            .where(
                col(Enrollment.course_id).in_(ids),
                Enrollment.enrolled_on <= on,
                (col(Enrollment.left_on).is_(None)) | (col(Enrollment.left_on) > on),
            )
            .group_by(col(Enrollment.course_id))
        )
        counts = dict(session.exec(query).all())
    result = []
    for course in courses:
        provider = agencies.get(course.provider_id)
        result.append(
            CourseInfo(
                course.code,
                provider.code if provider else "",
                provider.name if provider else "",
                course.kind,
                course.course_type,
                course.format,
                course.site,
                course.planned_start,
                course.actual_start,
                course.end_date,
                course.capacity,
                course.min_size,
                counts.get(course.id or 0, 0),
                course.cancelled,
            )
        )
    return result


def record_audit_row(
    conn: Connection,
    *,
    actor: str,
    action: str,
    role: str = "",
    region_id: int | None = None,
    participant_id: int | None = None,
    detail: str = "",
    source: str = "cli",
) -> None:
    """The same entry as `record_audit`, written on a connection (jobs that run in one transaction)."""
    conn.execute(
        table_of(AuditEntry)
        .insert()
        .values(
            at=utcnow(),
            actor=actor,
            role=role,
            action=action,
            region_id=region_id,
            participant_id=participant_id,
            detail=detail[:2000],
            source=source,
        )
    )


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    role: str = "",
    region_id: int | None = None,
    participant_id: int | None = None,
    detail: str = "",
    source: str = "",
) -> None:
    """Append one audit entry (reads of full records, every change, logins)."""
    session.add(
        AuditEntry(
            actor=actor,
            role=role,
            action=action,
            region_id=region_id,
            participant_id=participant_id,
            detail=detail[:2000],
            source=source,
        )
    )

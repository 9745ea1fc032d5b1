"""Persistence for meeting series, meetings, snapshots, minutes and action items, and loading the
data an agenda is built from. Keyword-only functions taking the session; callers commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from checklists import reads
from checklists.agenda import Agenda
from checklists.records import ActionInfo, AgendaData, Person
from checklists.series import Recurrence, SeriesError, weekday
from checklists.tables import ActionItem, AgendaSnapshot, Attendance, Decision, Meeting, MeetingSeries
from pipeline.database import utcnow
from pipeline.reads import NotFound, initials
from pipeline.repository import course_overview
from pipeline.tables import Agency, Contact, Participant, Region
from places.reachability import MAX_WAIT_MINUTES
from process_models import ProcessModel, calendar_for, facts_from_json


def recurrence(series: MeetingSeries) -> Recurrence:
    return Recurrence(series.rrule, series.starts, series.start_time, series.duration_minutes, series.timezone)


def get_series(*, session: Session, region: Region, name: str | None = None) -> MeetingSeries:
    """The region's series by name, or its (first) Jour-fixe series, to change it."""
    session.flush()
    found = reads.find_series(session.connection(), _region_row(region), name)
    series = session.get(MeetingSeries, found.id)
    assert series is not None
    return series


def _region_row(region: Region) -> reads.RegionRow:
    assert region.id is not None
    return reads.RegionRow(region.id, region.code, region.name, region.land, region.full_names_in_email)


def save_series(*, session: Session, series: MeetingSeries) -> MeetingSeries:
    try:
        recurrence(series).validate()
    except SeriesError as exc:
        raise ValueError(str(exc)) from None
    session.add(series)
    session.flush()
    return series


def _local(moment: datetime, series: MeetingSeries) -> datetime:
    return moment.astimezone(ZoneInfo(series.timezone))


def meeting_for_month(
    *, session: Session, series: MeetingSeries, year: int, month: int, model: ProcessModel
) -> Meeting:
    """The series' meeting in that month, created on first use (its UID never changes): the
    meeting `checklists.reads.find_meeting` shows before it exists."""
    session.flush()
    connection = session.connection()
    row = reads.find_series_by_id(connection, series.id)
    planned = reads.find_meeting(connection, row, year, month, calendar_for(model))
    if planned.id is not None:
        meeting = session.get(Meeting, planned.id)
        assert meeting is not None
        return meeting
    region = session.get(Region, series.region_id)
    assert region is not None and series.id is not None
    starts, ends = recurrence(series).window(planned.day)
    meeting = Meeting(
        series_id=series.id,
        occurrence=planned.occurrence,
        starts_at=starts,
        ends_at=ends,
        location=series.location,
        uid=f"{series.kind}-{region.code}-{series.id}-{planned.occurrence:%Y%m%d}@foerderkette",
        minute_keeper_id=planned.minute_keeper_id,
    )
    session.add(meeting)
    session.flush()
    return meeting


def reschedule(
    *,
    session: Session,
    meeting: Meeting,
    series: MeetingSeries,
    day: date,
    start_time: str | None,
    location: str | None,
) -> Meeting:
    """Move a meeting; its SEQUENCE grows so calendars update the existing entry."""
    rule = recurrence(series)
    if start_time:
        rule = Recurrence(series.rrule, series.starts, start_time, series.duration_minutes, series.timezone)
        rule.local_time()
    meeting.starts_at, meeting.ends_at = rule.window(day)
    if location is not None:
        meeting.location = location
    meeting.sequence += 1
    meeting.status = "planned"
    meeting.updated_at = utcnow()
    session.add(meeting)
    return meeting


def cancel(*, session: Session, meeting: Meeting) -> Meeting:
    meeting.status = "cancelled"
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.add(meeting)
    return meeting


def meeting_view(*, session: Session, series: MeetingSeries, meeting: Meeting) -> dict[str, Any]:
    """The meeting as agendas, emails and invitations show it."""
    start, end = _local(meeting.starts_at, series), _local(meeting.ends_at, series)
    contacts = _contacts(session, [meeting.minute_keeper_id, series.chair_contact_id])
    invited = session.exec(
        select(Agency).where(col(Agency.id).in_(series.invited_agencies)).order_by(Agency.type, Agency.code)
    ).all()
    return {
        "series": series.name,
        "kind": series.kind,
        "date": start.date(),
        "weekday": weekday(start.date()),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "timezone": series.timezone,
        "location": meeting.location,
        "video_link": series.video_link,
        "chair": contacts.get(series.chair_contact_id, ""),
        "minute_keeper": contacts.get(meeting.minute_keeper_id, ""),
        "invited": [agency.name for agency in invited],
        "uid": meeting.uid,
        "sequence": meeting.sequence,
        "status": meeting.status,
    }


def _contacts(session: Session, ids: Sequence[int | None]) -> dict[int | None, str]:
    wanted = [contact_id for contact_id in ids if contact_id]
    if not wanted:
        return {}
    return {
        contact.id: contact.name for contact in session.exec(select(Contact).where(col(Contact.id).in_(wanted))).all()
    }


def invitees(*, session: Session, series: MeetingSeries) -> list[Contact]:
    """Active contacts of the invited agencies plus individually invited contacts."""
    query = select(Contact).where(
        col(Contact.active).is_(True),
        col(Contact.agency_id).in_(series.invited_agencies) | col(Contact.id).in_(series.invited_contacts),
    )
    return list(session.exec(query.order_by(col(Contact.agency_id), col(Contact.name))).all())


# --------------------------------------------------------------------------- agenda data


def load_agenda_data(
    *, session: Session, region: Region, model: ProcessModel, series: MeetingSeries, meeting: Meeting, as_of: date
) -> AgendaData:
    """Read what the checklist queries need: set-based, a handful of queries for the region."""
    assert region.id is not None
    calendar = calendar_for(model)
    meeting_day = _local(meeting.starts_at, series).date()
    previous = session.exec(
        select(Meeting)
        .where(Meeting.series_id == series.id, Meeting.occurrence < meeting.occurrence, Meeting.status != "cancelled")
        .order_by(col(Meeting.occurrence).desc())
    ).first()
    following = recurrence(series).after(meeting.occurrence, calendar)
    next_meeting = None
    if following is not None:
        next_meeting = {
            "date": following[1],
            "weekday": weekday(following[1]),
            "time": series.start_time,
            "location": series.location,
        }
    agencies = session.exec(select(Agency).where(Agency.region_id == region.id)).all()
    names: dict[str, str] = {agency.code: agency.name for agency in agencies}
    by_type: dict[str, list[Agency]] = {}
    for agency in agencies:
        by_type.setdefault(agency.type, []).append(agency)
    names.update({kind: members[0].name for kind, members in by_type.items() if len(members) == 1})
    persons = _persons(session, region.id, model)
    courses = course_overview(session=session, region_id=region.id, on=as_of)
    actions = _actions(session, region.id, {agency.id: agency.name for agency in agencies})
    return AgendaData(
        region_code=region.code,
        region_name=region.name,
        model=model,
        calendar=calendar,
        as_of=as_of,
        meeting_date=meeting_day,
        previous_meeting=_local(previous.starts_at, series).date() if previous else None,
        next_meeting=next_meeting,
        persons=persons,
        courses=courses,
        actions=actions,
        agency_names=names,
        fill=lambda: _fill(session, region, model, as_of),
        testing=lambda: _planning(session, region, model, as_of, "testing", 2),
        proposals=lambda months: _planning(session, region, model, as_of, "proposals", months),
    )


def _planning(session: Session, region: Region, model: ProcessModel, as_of: date, what: str, months: int) -> Any:
    """The placement-test dates of the next `months`, or the stored course proposal with the
    agreement version in force, for an agenda item."""
    from pipeline.reads import RegionRow  # noqa: PLC0415
    from planning.coordination import current_agreement, stored_proposal, testing_for_region  # noqa: PLC0415

    assert region.id is not None
    row = RegionRow(region.id, region.code, region.name, region.land)
    if what == "testing":
        return testing_for_region(
            session.connection(), row, model, today=as_of, months=months, max_wait_minutes=MAX_WAIT_MINUTES
        )
    # the last stored proposal (a mixed-integer programme is no part of reading an agenda; it is
    # computed before each agenda is sent and on demand) with the agreement version now in force
    current = current_agreement(session.connection(), region.id)
    return stored_proposal(session.connection(), region.id), current[0] if current else None


def _fill(session: Session, region: Region, model: ProcessModel, as_of: date) -> Any:
    """The fill proposal for the region's courses below their minimum (the agenda's item)."""
    from pipeline.reads import RegionRow  # noqa: PLC0415
    from planning.reads import fill_for_region  # noqa: PLC0415

    assert region.id is not None
    return fill_for_region(
        session.connection(),
        RegionRow(region.id, region.code, region.name, region.land),
        model,
        today=as_of,
        max_wait_minutes=MAX_WAIT_MINUTES,
        only_below=True,
        time_limit=10.0,
    )


def _persons(session: Session, region_id: int, model: ProcessModel) -> list[Person]:
    participants = Participant.__table__  # type: ignore[attr-defined]
    columns = [
        participants.c[name]
        for name in (
            "id",
            "ref",
            "first_name",
            "last_name",
            "stage",
            "stage_since",
            "state",
            "open_steps",
            "location",
            "childcare",
            "part_time",
            "literacy",
            "youth",
            "transport_reach",
        )
    ]
    rows: Any = session.connection().execute(
        select(*columns).where(participants.c.region_id == region_id)
    )  # buffered, not streamed: every row becomes a Person held in memory anyway
    persons = []
    for (
        pid,
        ref,
        first,
        last,
        stage,
        since,
        state,
        steps,
        location,
        childcare,
        part_time,
        literacy,
        youth,
        transport,
    ) in rows:
        facts = facts_from_json(state, model)
        persons.append(
            Person(
                pid,
                ref,
                initials(first, last),
                stage,
                since,
                facts,
                tuple(steps or ()),
                location or "",
                childcare,
                part_time,
                literacy,
                youth,
                transport,
            )
        )
    return persons


def _actions(session: Session, region_id: int, agency_names: dict[int | None, str]) -> list[ActionInfo]:
    actions = session.exec(
        select(ActionItem).where(ActionItem.region_id == region_id).order_by(col(ActionItem.due), col(ActionItem.id))
    ).all()
    contacts = _contacts(session, [action.owner_contact_id for action in actions])
    meetings = {
        m.id: m.starts_at.date()
        for m in session.exec(
            select(Meeting).where(col(Meeting.id).in_([a.meeting_id for a in actions if a.meeting_id]))
        ).all()
    }
    result = []
    for action in actions:
        owner = (
            " / ".join(
                filter(None, [agency_names.get(action.owner_agency_id, ""), contacts.get(action.owner_contact_id, "")])
            )
            or "–"
        )
        result.append(
            ActionInfo(
                action.id or 0,
                action.title,
                owner,
                action.due,
                action.status,
                meetings.get(action.meeting_id),
                action.closed_at.date() if action.closed_at else None,
                action.closed_by,
                action.closed_note,
            )
        )
    return result


# --------------------------------------------------------------------------- snapshots, minutes


def store_snapshot(
    *, session: Session, meeting: Meeting, agenda: Agenda, html: str, reason: str = "invitation"
) -> AgendaSnapshot:
    assert meeting.id is not None
    snapshot = AgendaSnapshot(
        meeting_id=meeting.id, as_of=agenda.as_of, reason=reason, content=agenda.to_json(), html=html
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def find_contact(*, session: Session, region: Region, email: str) -> Contact:
    contact = session.exec(
        select(Contact).join(Agency).where(Agency.region_id == region.id, Contact.email == email)
    ).first()
    if contact is None:
        raise NotFound(f"Ansprechperson '{email}' gibt es in Region {region.code} nicht")
    return contact


def record_attendance(
    *, session: Session, meeting: Meeting, agency: Agency, present: bool, name: str | None = None
) -> Attendance:
    assert meeting.id is not None
    label = name or agency.name
    row = session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.agency_id == agency.id, Attendance.name == label
        )
    ).first()
    row = row or Attendance(meeting_id=meeting.id, agency_id=agency.id, name=label)
    row.present = present
    session.add(row)
    if present and meeting.status == "planned":
        meeting.status = "held"
        session.add(meeting)
    return row


def add_decision(*, session: Session, meeting: Meeting, item_key: str, text: str, recorded_by: str) -> Decision:
    assert meeting.id is not None
    decision = Decision(meeting_id=meeting.id, item_key=item_key, text=text, recorded_by=recorded_by)
    session.add(decision)
    session.flush()
    return decision


def add_action(
    *,
    session: Session,
    region: Region,
    meeting: Meeting | None,
    item_key: str,
    title: str,
    owner: Agency,
    contact: Contact | None,
    due: date,
) -> ActionItem:
    assert region.id is not None
    if not title.strip():
        raise ValueError("Die Aufgabe braucht einen Text")
    action = ActionItem(
        region_id=region.id,
        meeting_id=meeting.id if meeting else None,
        item_key=item_key,
        title=title.strip(),
        owner_agency_id=owner.id,
        owner_contact_id=contact.id if contact else None,
        due=due,
    )
    session.add(action)
    session.flush()
    return action


def close_action(
    *,
    session: Session,
    region: Region,
    action_id: int,
    closed_by: str,
    note: str | None = None,
    at: datetime | None = None,
) -> ActionItem:
    action = session.get(ActionItem, action_id)
    if action is None or action.region_id != region.id:
        raise NotFound(f"Aufgabe Nr. {action_id} gibt es in Region {region.code} nicht")
    if action.status == "closed":
        raise ValueError(f"Aufgabe Nr. {action_id} ist bereits erledigt (von {action.closed_by})")
    if not closed_by.strip():
        raise ValueError("Wer die Aufgabe erledigt hat, muss angegeben werden")
    action.status, action.closed_by, action.closed_note = "closed", closed_by.strip(), note
    action.closed_at = at or datetime.now(UTC)
    session.add(action)
    return action

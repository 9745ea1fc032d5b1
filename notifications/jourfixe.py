"""Jour-fixe mail: invitations with the agenda and an .ics (snapshot stored when sent),
cancellations, and reminders about open action items. Everything goes through the outbox."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from checklists.agenda import MAX_ROWS, Agenda, build_agenda, limited, named_refs, persons_named, restrict_agenda
from checklists.definition import Checklist, load_checklist
from checklists.labels import WIDE_SERIES_KINDS
from checklists.reads import MinutesDocument, contact_name, item_titles, minutes
from checklists.render import render_agenda, render_minutes
from checklists.repository import (
    invitees,
    load_agenda_data,
    meeting_for_month,
    meeting_view,
    recurrence,
    store_snapshot,
)
from checklists.tables import ActionItem, Meeting, MeetingSeries
from notifications.ics import build_invitation
from notifications.outbox import Recipient, enqueue
from notifications.planning import ContactInfo, Directory
from notifications.rendering import render_email
from notifications.sweep import load_directory
from notifications.tables import OutboxMessage
from pipeline.access import Viewer, visible_refs
from pipeline.database import table_of
from pipeline.tables import Agency, Region
from pipeline.validation import validate_email_address
from places.reachability import MAX_WAIT_MINUTES
from process_models import AgencyRef, OpenStep, ProcessModel, calendar_for
from process_models.reminders import LEVEL_LABELS, LEVELS, reminder_level, send_day

INVITATION = "jourfixe_invitation"
CANCELLATION = "jourfixe_cancellation"
MINUTES = "jourfixe_minutes"
ACTION_ITEMS = "action_items"


def checklist_for(series: MeetingSeries, region: Region, model: ProcessModel, overrides_dir: Path | None) -> Checklist:
    return load_checklist(series.checklist, region=region.code, overrides_dir=overrides_dir, agencies=model.agencies)


def meeting_audience(series: MeetingSeries, checklist: Checklist) -> str:
    """ "wide" when the checklist says so or the series is a Netzwerktreffen or an
    Integrationskonferenz (police, clubs, schools attend) – the stricter of the two wins."""
    return "wide" if checklist.audience == "wide" or series.kind in WIDE_SERIES_KINDS else "agencies"


WIDE_NOTE = "Fassung für eine weite Runde: nur Zahlen und Kennzahlen, keine Angaben zu einzelnen Personen."


def build_meeting_agenda(
    *,
    session: Session,
    region: Region,
    model: ProcessModel,
    series: MeetingSeries,
    meeting: Meeting,
    as_of: date,
    checklist: Checklist,
    limit: int | None = MAX_ROWS,
) -> Agenda:
    """The meeting's agenda as the coordination sees it – for a wide audience already without
    any person (that version is the only one there is). `limit=None` keeps every row, for
    `agenda_for_viewer` to narrow first."""
    data = load_agenda_data(session=session, region=region, model=model, series=series, meeting=meeting, as_of=as_of)
    agenda = build_agenda(
        checklist, data, meeting=meeting_view(session=session, series=series, meeting=meeting), limit=limit
    )
    if meeting_audience(series, checklist) == "wide":
        return restrict_agenda(agenda, version="wide", note=WIDE_NOTE, limit=limit)
    return agenda


def agenda_for_viewer(
    agenda: Agenda, *, connection: Connection, viewer: Viewer, model: ProcessModel, limit: int | None = MAX_ROWS
) -> Agenda:
    """The copy of `agenda` (built with all rows, or a stored snapshot) that `viewer` may read:
    the coordination all of it; an agency its own participants by reference and initials and
    only counts for everyone else (the visibility rule of every listing); a wide one as it is.
    `limit=None` lists every row (the full list of one item in the web UI)."""
    if agenda.version == "wide" or not viewer.is_agency:
        return limited(agenda, limit)
    refs = named_refs(agenda) or {
        ref
        for item in agenda.items
        for section in item.result.sections
        for row in section.rows
        for ref in persons_named(row, None)
    }
    return restrict_agenda(
        agenda,
        version="agency",
        visible=visible_refs(connection, viewer, model, refs),
        note=f"Fassung für {viewer.agency_name or viewer.display_name}: eigene Teilnehmende mit Referenz und "
        "Initialen, alle übrigen nur gezählt.",
        limit=limit,
    )


def invitation_day(*, series: MeetingSeries, meeting_day: date, model: ProcessModel) -> date:
    """When invitations go out: `invitation_lead_days` business days before the meeting."""
    return calendar_for(model).add_business_days(meeting_day, -series.invitation_lead_days).date


def agenda_ics(
    *,
    agenda: Agenda,
    region: Region,
    mail_from: str,
    attendees: Sequence[tuple[str, str]],
    stamp: datetime,
    method: str = "REQUEST",
) -> str:
    """The meeting as an iCalendar entry with the agenda (plain text) as its description."""
    organizer = (
        agenda.meeting.get("chair") or f"Koordination {region.name}",
        parseaddr(mail_from)[1] or "foerderkette@localhost",
    )
    return build_invitation(
        meeting=agenda.meeting,
        region_name=region.name,
        description=render_agenda(agenda, "txt"),
        organizer=organizer,
        attendees=attendees,
        stamp=stamp,
        method=method,
    )


@dataclass
class InvitationResult:
    meeting_date: date
    sequence: int
    send_on: date
    queued: int = 0
    already: bool = False
    invalid: list[str] = field(default_factory=list)
    snapshot_id: int | None = None

    def summary(self) -> str:
        if self.already:
            return f"Einladungen zum {self.meeting_date:%d.%m.%Y} (Stand {self.sequence}) sind bereits im Postausgang."
        text = f"{self.queued} Einladungen zum {self.meeting_date:%d.%m.%Y} im Postausgang, Versand am {self.send_on:%d.%m.%Y}"
        return text + (f"; ungültige Adressen: {', '.join(self.invalid)}" if self.invalid else "")


def _period(meeting: Meeting) -> str:
    return f"{meeting.uid}#{meeting.sequence}"


def _already_queued(session: Session, kind: str, meeting: Meeting) -> bool:
    outbox = table_of(OutboxMessage)
    found = (
        session.connection()
        .execute(
            sa_select(func.count())
            .select_from(outbox)
            .where(outbox.c.kind == kind, outbox.c.period == _period(meeting))
        )
        .scalar_one()
    )
    return bool(found)


def proposal_months(checklist: Checklist) -> int:
    """How many months of course proposal the checklist's items show (0: none)."""
    months = [
        int(item.params.get("proposals") or 0) if item.query == "course_planning" else int(item.params.get("months", 6))
        for item in checklist.items
        if item.query in ("course_planning", "course_proposals")
    ]
    return max(months, default=0)


def send_invitations(
    *,
    session: Session,
    region: Region,
    model: ProcessModel,
    series: MeetingSeries,
    meeting: Meeting,
    checklist: Checklist,
    today: date,
    mail_from: str,
    base_url: str = "",
) -> InvitationResult:
    """Build the agenda, store it as the snapshot the meeting will see, and queue one invitation
    (agenda + .ics) per invited contact. Exactly once per meeting version (SEQUENCE)."""
    meeting_day = meeting_view(session=session, series=series, meeting=meeting)["date"]
    calendar = calendar_for(model)
    send_on = calendar.next_business_day(
        max(today, invitation_day(series=series, meeting_day=meeting_day, model=model))
    )
    result = InvitationResult(meeting_day, meeting.sequence, send_on)
    if meeting.status == "cancelled":
        raise ValueError(f"Die Sitzung am {meeting_day:%d.%m.%Y} ist abgesagt")
    if _already_queued(session, INVITATION, meeting):
        result.already = True
        return result
    months = proposal_months(checklist)
    if months:
        # the agenda that goes out carries a proposal computed from today's data
        from pipeline.reads import RegionRow  # noqa: PLC0415
        from planning.repository import refresh_proposal  # noqa: PLC0415

        refresh_proposal(
            session.connection(),
            RegionRow(region.id or 0, region.code, region.name, region.land),
            model,
            today=today,
            months=months,
            max_wait_minutes=MAX_WAIT_MINUTES,
            actor="Tagesordnung (Einladung)",
        )
    complete = build_meeting_agenda(
        session=session,
        region=region,
        model=model,
        series=series,
        meeting=meeting,
        as_of=today,
        checklist=checklist,
        limit=None,
    )
    agenda = limited(complete)
    html = render_agenda(agenda, "html", link_base=base_url or None)
    snapshot = store_snapshot(session=session, meeting=meeting, agenda=agenda, html=html)
    result.snapshot_id = snapshot.id
    people = invitees(session=session, series=series)
    attendees = [(p.name, p.email) for p in people]
    stamp = datetime.now(UTC)
    agencies = {a.id: a for a in session.exec(select(Agency).where(Agency.region_id == region.id)).all()}
    copies: dict[int | None, tuple[Agenda, list[dict[str, str]]]] = {}

    def copy_for(agency: Agency | None) -> tuple[Agenda, list[dict[str, str]]]:
        """Each invited agency's own copy of the agenda, in the body and in both attachments."""
        key = agency.id if agency is not None else None
        if key not in copies:
            own = agenda
            if agency is not None:
                assert region.id is not None
                viewer = Viewer.of_agency(
                    username=f"Einladung {agency.code}",
                    display_name=agency.name,
                    region_id=region.id,
                    region_code=region.code,
                    agency_type=agency.type,
                    agency_code=agency.code,
                    agency_name=agency.name,
                )
                if viewer.is_agency:
                    own = agenda_for_viewer(complete, connection=session.connection(), viewer=viewer, model=model)
            ics = agenda_ics(agenda=own, region=region, mail_from=mail_from, attendees=attendees, stamp=stamp)
            copies[key] = (
                own,
                [
                    {"filename": "einladung.ics", "content_type": "text/calendar", "method": "REQUEST", "content": ics},
                    {
                        "filename": f"tagesordnung-{meeting_day:%Y-%m-%d}.html",
                        "content_type": "text/html",
                        "content": html if own is agenda else render_agenda(own, "html", link_base=base_url or None),
                    },
                ],
            )
        return copies[key]

    agenda_url = f"{base_url.rstrip('/')}/jourfixe/{region.code}/{meeting_day:%Y-%m}" if base_url else ""
    coordinator = next(iter(load_directory(session.connection(), region.id or 0).coordinators()), None)
    for person in people:
        assert person.id is not None
        own, attachments = copy_for(agencies.get(person.agency_id))
        context = {
            "region": {"code": region.code, "name": region.name},
            "meeting": own.meeting,
            "agenda": own,
            "agenda_url": agenda_url,
            "contact": {"name": person.name},
            "coordinator": {"name": coordinator.name, "email": coordinator.email} if coordinator else None,
        }
        rendered = render_email(INVITATION, context)
        created = enqueue(
            session.connection(),
            kind=INVITATION,
            period=_period(meeting),
            region_id=region.id,
            recipient=Recipient(person.id, person.name, person.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            send_on=send_on,
            items=[meeting.uid, meeting.sequence],
            attachments=attachments,
        )
        result.queued += created
        try:
            validate_email_address(person.email)
        except ValueError:
            result.invalid.append(person.email)
    return result


def send_cancellation(
    *,
    session: Session,
    region: Region,
    model: ProcessModel,
    series: MeetingSeries,
    meeting: Meeting,
    today: date,
    mail_from: str,
    reason: str = "",
) -> int:
    """Queue METHOD:CANCEL for every invitee (the meeting must already be marked cancelled)."""
    view = meeting_view(session=session, series=series, meeting=meeting)
    people = invitees(session=session, series=series)
    organizer = (
        view.get("chair") or f"Koordination {region.name}",
        parseaddr(mail_from)[1] or "foerderkette@localhost",
    )
    ics = build_invitation(
        meeting=view,
        region_name=region.name,
        description=reason or "Die Sitzung entfällt.",
        organizer=organizer,
        attendees=[(p.name, p.email) for p in people],
        stamp=datetime.now(UTC),
        method="CANCEL",
    )

    following = recurrence(series).after(meeting.occurrence, calendar_for(model))
    next_text = f"{following[1]:%d.%m.%Y}, {series.start_time} Uhr" if following else ""
    queued = 0
    for person in people:
        assert person.id is not None
        rendered = render_email(
            CANCELLATION,
            {
                "region": {"code": region.code, "name": region.name},
                "meeting": view,
                "contact": {"name": person.name},
                "reason": reason,
                "next_meeting": next_text,
                "coordinator": None,
            },
        )
        queued += enqueue(
            session.connection(),
            kind=CANCELLATION,
            period=_period(meeting),
            region_id=region.id,
            recipient=Recipient(person.id, person.name, person.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            send_on=calendar_for(model).next_business_day(today),
            items=[meeting.uid, meeting.sequence],
            attachments=[
                {"filename": "absage.ics", "content_type": "text/calendar", "method": "CANCEL", "content": ics}
            ],
        )
    return queued


@dataclass
class FollowupResult:
    reminded: int = 0
    digests: int = 0


def plan_action_reminders(*, session: Session, region: Region, model: ProcessModel, today: date) -> FollowupResult:
    """Remind owners of open action items like any due step: before, on and after the due date,
    escalating to the agency's lead and the coordinators. Each milestone is mailed once."""
    assert region.id is not None
    result = FollowupResult()
    calendar = calendar_for(model)
    day = send_day(today, calendar)
    directory: Directory = load_directory(session.connection(), region.id)
    agencies = {agency.id: agency for agency in session.exec(select(Agency).where(Agency.region_id == region.id)).all()}
    actions = session.exec(
        select(ActionItem).where(ActionItem.region_id == region.id, ActionItem.status == "open")
    ).all()
    meeting_ids = [action.meeting_id for action in actions if action.meeting_id]
    meetings = {
        m.id: m.starts_at.date() for m in session.exec(select(Meeting).where(col(Meeting.id).in_(meeting_ids))).all()
    }
    per_contact: dict[ContactInfo, list[tuple[ActionItem, str]]] = {}
    for action in actions:
        probe = OpenStep("action_item", action.title, (), action.due, action.due, "", False, 0, "", model.reminders)
        level = reminder_level(probe, today, calendar)
        if level is None or (action.reminded_level and LEVELS.index(level) <= LEVELS.index(action.reminded_level)):
            continue
        agency = agencies.get(action.owner_agency_id)
        owner = directory.contact(action.owner_contact_id) if action.owner_contact_id else None
        if owner is not None and level != "escalated":
            recipients = [owner]
        elif agency is not None:
            recipients = [contact for contact, _ in directory.recipients([AgencyRef(agency.type, agency.code)], level)]
            if owner is not None and owner not in recipients:
                recipients.insert(0, owner)
        else:
            recipients = directory.coordinators()
        for contact in recipients:
            per_contact.setdefault(contact, []).append((action, level))
    coordinator = next(iter(directory.coordinators()), None)
    reminded: set[int] = set()
    for contact, entries in per_contact.items():
        groups = []
        counts = dict.fromkeys(LEVELS, 0)
        for level in reversed(LEVELS):
            chosen = [action for action, item_level in entries if item_level == level]
            if not chosen:
                continue
            counts[level] = len(chosen)
            groups.append(
                {
                    "level": level,
                    "label": LEVEL_LABELS[level],
                    "entries": [
                        {
                            "title": a.title,
                            "due": a.due,
                            "days_overdue": max((day - a.due).days, 0),
                            "meeting": meetings.get(a.meeting_id),
                        }
                        for a in sorted(chosen, key=lambda a: (a.due, a.id))
                    ],
                }
            )
        agency_name = next(
            (agencies[a.owner_agency_id].name for a, _ in entries if a.owner_agency_id in agencies),
            f"die Koordination {region.name}",
        )
        rendered = render_email(
            ACTION_ITEMS,
            {
                "region": {"code": region.code, "name": region.name},
                "contact": {"name": contact.name},
                "agency_name": agency_name,
                "day": day,
                "groups": groups,
                "total": len(entries),
                "counts": counts,
                "coordinator": {"name": coordinator.name, "email": coordinator.email} if coordinator else None,
            },
        )
        created = enqueue(
            session.connection(),
            kind=ACTION_ITEMS,
            period=day.isoformat(),
            region_id=region.id,
            recipient=Recipient(contact.id, contact.name, contact.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            send_on=day,
            items=[f"{a.id}:{level}" for a, level in entries],
        )
        if created:
            result.digests += 1
            reminded.update(a.id for a, _ in entries if a.id is not None)
    for action in actions:
        if action.id in reminded:
            probe = OpenStep("action_item", action.title, (), action.due, action.due, "", False, 0, "", model.reminders)
            action.reminded_level = reminder_level(probe, today, calendar) or action.reminded_level
            session.add(action)
            result.reminded += 1
    return result


def agenda_for_month(
    *,
    session: Session,
    region: Region,
    model: ProcessModel,
    series: MeetingSeries,
    year: int,
    month: int,
    as_of: date,
    overrides_dir: Path | None,
    limit: int | None = MAX_ROWS,
) -> tuple[Meeting, Agenda]:
    meeting = meeting_for_month(session=session, series=series, year=year, month=month, model=model)
    checklist = checklist_for(series, region, model, overrides_dir)
    return meeting, build_meeting_agenda(
        session=session,
        region=region,
        model=model,
        series=series,
        meeting=meeting,
        as_of=as_of,
        checklist=checklist,
        limit=limit,
    )


def minutes_for(
    *, session: Session, region: Region, series: MeetingSeries, meeting: Meeting, overrides_dir: Path | None
) -> MinutesDocument:
    """The meeting's minutes as a document (web download, `minutes send`)."""
    connection = session.connection()
    return MinutesDocument(
        series=series.name,
        region=region.name,
        start=meeting.starts_at.astimezone(ZoneInfo(series.timezone)),
        status=meeting.status,
        minute_keeper=contact_name(connection, meeting.minute_keeper_id),
        minutes=minutes(connection, meeting.id),
        titles=item_titles(series.checklist, region=region.code, overrides_dir=overrides_dir),
    )


def send_minutes(
    *,
    session: Session,
    region: Region,
    series: MeetingSeries,
    meeting: Meeting,
    today: date,
    overrides_dir: Path | None,
) -> int:
    """Queue the minutes as PDF to every invitee. The same minutes go out once; minutes changed
    after sending go out again, as a new version (the period carries their fingerprint)."""
    from checklists.pdf import html_to_pdf  # noqa: PLC0415

    doc = minutes_for(session=session, region=region, series=series, meeting=meeting, overrides_dir=overrides_dir)
    if not (doc.minutes.attendance or doc.minutes.decisions or doc.minutes.actions):
        raise ValueError(
            f"Zur Sitzung am {doc.start:%d.%m.%Y} ist noch nichts protokolliert (Anwesenheit, Beschlüsse oder Aufgaben)"
        )
    html = render_minutes(doc)
    fingerprint = hashlib.sha256(html.encode("utf-8")).hexdigest()[:12]
    attachment = {
        "filename": f"protokoll-{doc.start:%Y-%m-%d}.pdf",
        "content_type": "application/pdf",
        "encoding": "base64",
        "content": base64.b64encode(html_to_pdf(html)).decode("ascii"),
    }
    view = meeting_view(session=session, series=series, meeting=meeting)
    connection = session.connection()
    coordinator = next(iter(load_directory(connection, region.id or 0).coordinators()), None)
    queued = 0
    for person in invitees(session=session, series=series):
        assert person.id is not None
        rendered = render_email(
            MINUTES,
            {
                "region": {"code": region.code, "name": region.name},
                "meeting": view,
                "contact": {"name": person.name},
                "doc": doc,
                "coordinator": {"name": coordinator.name, "email": coordinator.email} if coordinator else None,
            },
        )
        queued += enqueue(
            connection,
            kind=MINUTES,
            period=f"{meeting.uid}#{fingerprint}",
            region_id=region.id,
            recipient=Recipient(person.id, person.name, person.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            send_on=today,
            items=[meeting.uid, fingerprint],
            attachments=[attachment],
        )
    return queued

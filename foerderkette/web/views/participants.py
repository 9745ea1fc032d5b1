"""One participant: data, needs, open steps, timeline, reminders, and the next events as forms."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from foerderkette.web.access import PROVIDER_FACTS, Viewer, can_see
from foerderkette.web.deps import DB, audit, check_csrf, current_viewer, get_app, require_editor, today
from foerderkette.web.rendering import page
from notifications.tables import LEVEL_LABELS, STATUSES, OutboxMessage, ReminderItem
from pipeline.reads import NEED_LABELS
from pipeline.repository import NotFound, course_overview, get_participant, history_of, record_event, state_of
from pipeline.tables import TRANSPORT_REACH, Agency, Contact, Participant, Region, StageChange
from process_models import Event, InvalidPayload, ProcessModel, TransitionNotAllowed, VersionMigrationError, parse_date
from process_models.spec import FieldSpec

router = APIRouter()
Choices = dict[str, list[tuple[str, str]]]


def _load(session: Session, viewer: Viewer, ref: str) -> Participant:
    """The participant if the viewer may see it; 404 otherwise (existence is not revealed)."""
    try:
        participant = get_participant(session=session, ref=ref)
    except NotFound:
        raise HTTPException(
            status_code=404, detail=f"Teilnehmende mit Referenz „{ref}“ gibt es nicht oder Sie dürfen sie nicht sehen."
        ) from None
    assert participant.id is not None
    history = session.exec(select(StageChange.by_agency).where(StageChange.participant_id == participant.id)).all()
    facts = participant.state.get("facts", {})
    if not can_see(
        viewer, region_id=participant.region_id, facts=facts, steps=participant.open_steps, history_agencies=history
    ):
        raise HTTPException(
            status_code=404, detail=f"Teilnehmende mit Referenz „{ref}“ gibt es nicht oder Sie dürfen sie nicht sehen."
        )
    return participant


def _reminders(session: Session, participant_id: int) -> list[dict[str, Any]]:
    query = (
        select(ReminderItem, Contact, OutboxMessage)
        .join(Contact, col(Contact.id) == ReminderItem.contact_id)
        .join(OutboxMessage, col(OutboxMessage.id) == ReminderItem.outbox_id, isouter=True)
        .where(ReminderItem.participant_id == participant_id)
        .order_by(col(ReminderItem.planned_for).desc(), col(ReminderItem.id).desc())
        .limit(100)
    )
    return [
        {
            "planned_for": item.planned_for,
            "step": item.step,
            "due": item.due,
            "level": LEVEL_LABELS.get(item.level, item.level),
            "contact": contact.name,
            "status": STATUSES.get(message.status, message.status) if message else "geplant",
            "sent_at": message.sent_at if message else None,
        }
        for item, contact, message in session.exec(query).all()
    ]


def _local_choices(session: Session, participant: Participant, viewer: Viewer, day: date) -> Choices:
    """Choices that depend on the region: its course providers and its current courses."""
    providers = session.exec(
        select(Agency.code, Agency.name)
        .where(Agency.region_id == participant.region_id, Agency.type == "KT")
        .order_by(Agency.name)
    ).all()
    courses = [
        course
        for course in course_overview(session=session, region_id=participant.region_id, on=day)
        if not course.cancelled
        and course.start
        and day - timedelta(days=120) <= course.start <= day + timedelta(days=180)
    ]
    own = participant.state.get("facts", {}).get("provider")  # the participant's provider's courses first
    if viewer.is_agency and viewer.agency_type == "KT":
        providers = [(code, name) for code, name in providers if code == viewer.agency_code]
        courses = [course for course in courses if course.provider_code == viewer.agency_code]
    return {
        "provider": [(code, name) for code, name in providers],
        "course_id": [
            (course.code, f"{course.code} – {course.provider_name}, Beginn {course.start:%d.%m.%Y}, {course.free} frei")
            for course in sorted(courses, key=lambda course: (course.provider_code != own, course.start, course.code))
        ],
    }


def _options(model: ProcessModel, field: FieldSpec, local: Choices) -> list[tuple[str, str]]:
    """The values a field may take, where they are a closed list (shown as a select, checked on submit)."""
    if field.name in local:
        return local[field.name]
    if field.type == "agency":
        return [(code, model.agencies[code].label) for code in (field.choices or tuple(model.agencies))]
    if field.type == "course_type":
        return [(key, value.label) for key, value in model.course_types.items()]
    if field.type.startswith("enum:"):
        return list(model.value_sets[field.type[5:]].values.items())
    if field.type == "bool":
        return [("ja", "ja"), ("nein", "nein")]
    return []


def _event_forms(model: ProcessModel, stage: str, viewer: Viewer, local: Choices) -> list[dict[str, Any]]:
    forms = []
    for event_id in model.allowed_events(stage):
        spec = model.events[event_id]
        if not viewer.may_record(spec):
            continue
        fields = []
        for field in spec.payload:
            default = field.default if field.default not in (None, "$by") else ""
            if isinstance(default, bool):
                default = "ja" if default else "nein"
            options = _options(model, field, local)
            if field.name == "provider" and len(options) == 1:
                default = options[0][0]
            fields.append(
                {
                    "name": field.name,
                    "label": field.label,
                    "type": field.type,
                    "required": field.required and field.default is None,
                    "options": options,
                    "default": default,
                    "min": field.minimum,
                    "max": field.maximum,
                }
            )
        forms.append(
            {
                "id": event_id,
                "label": spec.label,
                "description": spec.description,
                "fields": fields,
                "actors": spec.actors,
            }
        )
    return forms


def _render(
    request: Request,
    session: Session,
    viewer: Viewer,
    participant: Participant,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    app = get_app(request)
    region = session.get(Region, participant.region_id)
    assert region is not None and participant.id is not None
    model = app.model(region, participant.model_version)
    facts = state_of(participant, model).facts
    history = [
        {
            "on": change.occurred_on,
            "event": "Import" if change.event == "import" else model.event_label(change.event),
            "from": model.stage_label(change.from_stage) if change.from_stage else "",
            "to": model.stage_label(change.to_stage),
            "by_agency": change.by_agency or "",
            "by_user": change.by_user or "",
            "note": change.note or "",
            "recorded_at": change.recorded_at,
        }
        for change in reversed(history_of(session=session, participant_id=participant.id))
    ]
    day = today(app)
    steps = [
        {**step, "overdue": step["due"] < day.isoformat(), "days": (day - date.fromisoformat(step["due"])).days}
        for step in participant.open_steps
    ]
    agency_names = dict(session.exec(select(Agency.code, Agency.name).where(Agency.region_id == region.id)).all())
    shown_facts = [
        (
            model.facts[name].label if name in model.facts else name,
            agency_names.get(value, str(value)) if name in PROVIDER_FACTS else _fact_text(model, name, value),
        )
        for name, value in facts.items()
        if name != "birth_year"
    ]
    audit(session, viewer, "view_participant", participant_id=participant.id, request=request)
    return page(
        request,
        "participant.html",
        {
            "title": f"{participant.ref}",
            "viewer": viewer,
            "participant": participant,
            "region": region,
            "model": model,
            "stage_label": model.stage_label(participant.stage),
            "steps": steps,
            "history": history,
            "facts": shown_facts,
            "reminders": _reminders(session, participant.id),
            "forms": _event_forms(model, participant.stage, viewer, _local_choices(session, participant, viewer, day))
            if viewer.can_edit
            else [],
            "agencies": list(model.agencies.items()),
            "transport": TRANSPORT_REACH.get(participant.transport_reach or "", "–"),
            "needs": [label for key, label in NEED_LABELS.items() if getattr(participant, key)],
            "today": day,
            "error": error,
        },
        status_code=status_code,
    )


def _fact_text(model: ProcessModel, name: str, value: Any) -> str:
    spec = model.facts.get(name)
    if spec is None or value is None:
        return str(value)
    if spec.type == "date" and hasattr(value, "strftime"):
        return str(value.strftime("%d.%m.%Y"))
    if spec.type == "bool":
        return "ja" if value else "nein"
    if spec.type == "course_type" and value in model.course_types:
        return model.course_types[value].label
    if spec.type == "agency" and value in model.agencies:
        return model.agencies[value].label
    if spec.type.startswith("enum:"):
        return model.value_sets[spec.type[5:]].values.get(value, str(value))
    return str(value)


@router.get("/teilnehmende/{ref}", response_class=HTMLResponse)
def participant_page(
    ref: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    return _render(request, session, viewer, _load(session, viewer, ref))


@router.post("/teilnehmende/{ref}/ereignis", response_class=HTMLResponse)
async def record(
    ref: str, request: Request, viewer: Viewer = Depends(require_editor), session: Session = DB
) -> Response:
    form = await check_csrf(request)
    participant = _load(session, viewer, ref)
    app = get_app(request)
    region = session.get(Region, participant.region_id)
    assert region is not None and participant.id is not None
    model = app.model(region, participant.model_version)
    event_id = str(form.get("event") or "")
    spec = model.events.get(event_id)
    if spec is None:
        return _render(
            request, session, viewer, participant, error=f"Unbekanntes Ereignis „{event_id}“.", status_code=422
        )
    if not viewer.may_record(spec):
        raise HTTPException(
            status_code=403, detail=f"„{spec.label}“ erfassen nur {', '.join(spec.actors)} – nicht Ihre Stelle."
        )
    day = today(app)
    try:
        on = parse_date(str(form.get("on"))) if form.get("on") else day
    except ValueError:
        return _render(
            request, session, viewer, participant, error=f"„{form.get('on')}“ ist kein Datum.", status_code=422
        )
    if on > day:
        return _render(
            request,
            session,
            viewer,
            participant,
            error=f"Das Datum {on:%d.%m.%Y} liegt in der Zukunft.",
            status_code=422,
        )
    payload = {
        key[2:]: str(value).strip() for key, value in form.items() if key.startswith("f_") and str(value).strip()
    }
    local = _local_choices(session, participant, viewer, day)
    for field in spec.payload:
        options = _options(model, field, local)
        if field.name in payload and options and payload[field.name] not in dict(options):
            return _render(
                request,
                session,
                viewer,
                participant,
                error=f"„{payload[field.name]}“ ist für „{field.label}“ nicht möglich.",
                status_code=422,
            )
    note = str(form.get("note") or "").strip() or None
    by = viewer.recording_agency(str(form.get("by") or "") or None)
    try:
        transition = record_event(
            session=session,
            participant=participant,
            event=Event(event_id, payload, by=by, note=note),
            on=on,
            model=model,
            today=day,
            user=viewer.username,
        )
    except (TransitionNotAllowed, InvalidPayload) as exc:
        session.rollback()
        fresh = _load(session, viewer, ref)
        return _render(request, session, viewer, fresh, error=exc.message_de, status_code=422)
    except VersionMigrationError as exc:
        session.rollback()
        return _render(request, session, viewer, _load(session, viewer, ref), error=str(exc), status_code=422)
    audit(
        session,
        viewer,
        "record_event",
        participant_id=participant.id,
        detail=f"{event_id}: {transition.source} → {transition.target} am {on.isoformat()}",
        request=request,
    )
    return RedirectResponse(f"/teilnehmende/{ref}?erfasst={event_id}", status_code=303)

"""One participant: data, needs, open steps, timeline, reminders, and the next events as forms."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from foerderkette.web.deps import DB, audit, check_csrf, current_viewer, get_app, today
from foerderkette.web.rendering import page
from notifications.tables import LEVEL_LABELS, STATUSES
from pipeline.access import Viewer, visible_participants
from pipeline.labels import AUDIT_ACTIONS, COURSE_FORMATS, COURSE_SLOTS, USER_ROLES
from pipeline.reads import NEEDS, ParticipantDetail, audit_about, find_region, participant_detail, reminders_about
from pipeline.repository import InvalidHold, course_overview, get_participant, hold_step, record_event
from pipeline.tables import TRANSPORT_REACH, Agency
from planning.suggestions import Seeker, acceptable_types
from process_models import (
    Event,
    InvalidPayload,
    ProcessModel,
    Transition,
    TransitionNotAllowed,
    VersionMigrationError,
    facts_from_json,
    parse_date,
)
from process_models.spec import FieldSpec

router = APIRouter()
Choices = dict[str, list[tuple[str, str]]]


def _detail(request: Request, session: Session, viewer: Viewer, ref: str) -> ParticipantDetail:
    """The participant's record if the viewer may see it; 404 otherwise (existence is not revealed)."""
    connection = session.connection()
    app = get_app(request)
    model = app.model(find_region(connection, viewer.region_code))
    detail = participant_detail(
        connection,
        ref=ref,
        as_of=today(app),
        scope=visible_participants(viewer, connection.dialect.name, model),
    )
    if detail is None:
        raise HTTPException(
            status_code=404, detail=f"Teilnehmende mit Referenz „{ref}“ gibt es nicht oder Sie dürfen sie nicht sehen."
        )
    return detail


def local_choices(
    session: Session, participant: ParticipantDetail, viewer: Viewer, day: date, model: ProcessModel
) -> Choices:
    """Choices that depend on the region: its course providers and its current courses – of the
    integration courses only those whose type fits the person (the placement's type, or before a
    placement the types their needs allow: planning.suggestions.acceptable_types)."""
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
    seeker = Seeker(
        participant.id,
        participant.ref,
        participant.facts.get(model.facts_of_type("course_type")[0]),
        frozenset(name for name in NEEDS if getattr(participant, name)),
        None,
        participant.stage_since,
    )
    types, _provisional = acceptable_types(seeker, model)
    courses = [course for course in courses if course.kind != "ik" or course.course_type in types]
    own = participant.facts.get(model.facts_of_type("provider")[0])  # the participant's provider's courses first
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


def event_forms(model: ProcessModel, stage: str, viewer: Viewer, local: Choices) -> list[dict[str, Any]]:
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
    participant: ParticipantDetail,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    app = get_app(request)
    connection = session.connection()
    region = find_region(connection, participant.region)
    model = app.model(region, participant.model_version)
    facts = facts_from_json({"facts": participant.facts}, model)
    history = [
        {
            "on": change.on,
            "event": "Import" if change.event == "import" else model.event_label(change.event),
            "from": model.stage_label(change.from_stage) if change.from_stage else "",
            "to": model.stage_label(change.to_stage),
            "by_agency": change.by_agency or "",
            "by_user": change.by_user or "",
            "note": change.note or "",
            "recorded_at": change.recorded_at,
        }
        for change in reversed(participant.timeline)
    ]
    day = today(app)
    agency_names = dict(session.exec(select(Agency.code, Agency.name).where(Agency.region_id == region.id)).all())
    shown_facts = [
        (
            model.facts[name].label if name in model.facts else name,
            agency_names.get(value, str(value))
            if name in model.facts and model.facts[name].type == "provider"
            else model.fact_text(name, value, agency_names=True),
        )
        for name, value in facts.items()
        if name != "birth_year"
    ]
    reminders = [
        {
            "planned_for": item.planned_for,
            "step": item.step,
            "due": item.due,
            "level": LEVEL_LABELS.get(item.level, item.level),
            "contact": item.contact,
            "status": STATUSES.get(item.status, item.status) if item.status else "geplant",
            "sent_at": item.sent_at,
        }
        for item in reminders_about(connection, participant.id)
    ]
    suggestions = None
    if viewer.sees_needs and participant.stage in model.stages_tagged("awaiting_course"):
        from planning.reads import suggestions_for  # noqa: PLC0415

        found = suggestions_for(
            connection,
            participant.ref,
            model,
            today=day,
            max_wait_minutes=app.settings.transit_max_wait_minutes,
            formats=COURSE_FORMATS,
        )
        suitable = [item for item in found.suggestions if item.suitable]
        suggestions = {"shown": suitable[:5], "more": max(len(suitable) - 5, 0), "home": found.municipality}
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
            "steps": participant.open_steps,
            "history": history,
            "facts": shown_facts,
            "reminders": reminders,
            "forms": event_forms(
                model, participant.stage, viewer, local_choices(session, participant, viewer, day, model)
            )
            if viewer.can_edit
            else [],
            "agencies": list(model.agencies.items()),
            "transport": TRANSPORT_REACH.get(participant.transport_reach or "", "–"),
            "needs": participant.needs,
            "today": day,
            "timedelta": timedelta,
            "error": error,
            "suggestions": suggestions,
            "course_labels": {key: spec.label for key, spec in model.course_types.items()},
            "formats": COURSE_FORMATS,
            "slots": COURSE_SLOTS,
        },
        status_code=status_code,
    )


@router.get("/teilnehmende/{ref}", response_class=HTMLResponse)
def participant_page(
    ref: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    return _render(request, session, viewer, _detail(request, session, viewer, ref))


@router.get("/teilnehmende/{ref}/zugriffe", response_class=HTMLResponse)
def access_log(ref: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    """Who read, changed or exported the participant's record (the policy: coordinators only)."""
    participant = _detail(request, session, viewer, ref)
    entries = audit_about(session.connection(), participant.id)
    audit(session, viewer, "view_access_log", participant_id=participant.id, request=request)
    return page(
        request,
        "access_log.html",
        {
            "title": f"Zugriffe – {participant.ref}",
            "viewer": viewer,
            "participant": participant,
            "entries": entries,
            "actions": AUDIT_ACTIONS,
            "roles": USER_ROLES,
            "tz": get_app(request).settings.tz,
        },
    )


@router.post("/teilnehmende/{ref}/ereignis", response_class=HTMLResponse)
async def record(
    ref: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    form = await check_csrf(request)
    participant = _detail(request, session, viewer, ref)
    app = get_app(request)
    model = app.model(find_region(session.connection(), participant.region), participant.model_version)
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
    result = record_from_form(session, app, viewer, participant, model, spec, form)
    if isinstance(result, str):
        session.rollback()
        return _render(request, session, viewer, _detail(request, session, viewer, ref), error=result, status_code=422)
    transition = result
    audit(
        session,
        viewer,
        "record_event",
        participant_id=participant.id,
        detail=f"{event_id}: {transition.source} → {transition.target} am {transition.on.isoformat()}",
        request=request,
    )
    return RedirectResponse(f"/teilnehmende/{ref}?erfasst={event_id}", status_code=303)


def record_from_form(
    session: Session,
    app: Any,
    viewer: Viewer,
    participant: ParticipantDetail,
    model: ProcessModel,
    spec: Any,
    form: dict[str, Any],
) -> Transition | str:
    """Record the event `spec` from a submitted form (fields `on`, `f_NAME`, `note`, `by`) as
    `viewer`: the transition, or the German reason it was refused (nothing written then). The one
    way the participant page and the one-click answer page record an event."""
    event_id = spec.id
    day = today(app)
    try:
        on = parse_date(str(form.get("on"))) if form.get("on") else day
    except ValueError:
        return f"„{form.get('on')}“ ist kein Datum."
    if on > day:
        return f"Das Datum {on:%d.%m.%Y} liegt in der Zukunft."
    payload = {
        key[2:]: str(value).strip() for key, value in form.items() if key.startswith("f_") and str(value).strip()
    }
    # what the viewer may choose (a Kursträger only itself and its own courses); whether a value
    # exists at all is checked for every way in by record_event (pipeline.validation)
    local = local_choices(session, participant, viewer, day, model)
    for field in spec.payload:
        options = local.get(field.name)
        if field.name in payload and options and payload[field.name] not in dict(options):
            return f"„{payload[field.name]}“ ist für „{field.label}“ nicht möglich."
    note = str(form.get("note") or "").strip() or None
    by = viewer.recording_agency(str(form.get("by") or "") or None)
    try:
        return record_event(
            session=session,
            participant=get_participant(session=session, ref=participant.ref),
            event=Event(event_id, payload, by=by, note=note),
            on=on,
            model=model,
            today=day,
            user=viewer.username,
        )
    except (TransitionNotAllowed, InvalidPayload) as exc:
        return exc.message_de
    except VersionMigrationError as exc:
        return str(exc)


@router.post("/teilnehmende/{ref}/wiedervorlage", response_class=HTMLResponse)
async def hold(ref: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    """Mark an open step "in Bearbeitung" until a follow-up date, or end that."""
    form = await check_csrf(request)
    participant = _detail(request, session, viewer, ref)
    app = get_app(request)
    model = app.model(find_region(session.connection(), participant.region), participant.model_version)
    step_id = str(form.get("step") or "")
    step = next((step for step in participant.open_steps if step.step == step_id), None)
    if step is None:
        return _render(request, session, viewer, participant, error="Dieser Schritt ist nicht offen.", status_code=422)
    if not viewer.may_hold(step.responsible):
        raise HTTPException(status_code=403, detail=f"„{step.label}“ bearbeitet nicht Ihre Stelle.")
    release = bool(form.get("release"))
    until = None
    if not release:
        try:
            until = parse_date(str(form.get("until") or ""))
        except ValueError:
            return _render(
                request,
                session,
                viewer,
                participant,
                error=f"„{form.get('until')}“ ist kein Datum für die Wiedervorlage.",
                status_code=422,
            )
    try:
        hold_step(
            session=session,
            participant=get_participant(session=session, ref=ref),
            step=step_id,
            until=until,
            by=viewer.label,
            note=str(form.get("note") or "") or None,
            model=model,
            today=today(app),
        )
    except InvalidHold as exc:
        session.rollback()
        return _render(
            request, session, viewer, _detail(request, session, viewer, ref), error=str(exc), status_code=422
        )
    audit(
        session,
        viewer,
        "hold_released" if release else "hold",
        participant_id=participant.id,
        detail=f"{step.label}: "
        + ("in Bearbeitung beendet" if until is None else f"Wiedervorlage am {until:%d.%m.%Y}"),
        request=request,
    )
    return RedirectResponse(f"/teilnehmende/{ref}?wiedervorlage={'ende' if release else 'gesetzt'}", status_code=303)

"""The one-click answer page behind a reminder e-mail's link (no login: the signed token is the
credential, bound to one contact, participant and step).

GET only shows what would be recorded (mail scanners that open links change nothing); a POST
confirms the step's answer event, checked like the participant page's form, or sets a
Wiedervorlage. Each token works once and until it expires; the audit log names the contact.
The token in the URL path is also what a forged cross-site POST would lack, so these forms need
no session CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from foerderkette.web.deps import DB, audit, get_app, today
from foerderkette.web.rendering import page
from foerderkette.web.views.participants import event_forms, local_choices, record_from_form
from notifications.answers import AnswerClaim, TokenError, read_token
from notifications.tables import AnswerTokenUse
from pipeline.access import Viewer, visible_participants
from pipeline.reads import OpenStepView, ParticipantDetail, participant_detail
from pipeline.repository import InvalidHold, get_participant, hold_step
from pipeline.tables import Agency, Contact, Participant, Region
from process_models import ProcessModel, parse_date

router = APIRouter()


@dataclass
class _Answer:
    """A valid, unused token with everything it names."""

    claim: AnswerClaim
    viewer: Viewer
    participant: ParticipantDetail
    step: OpenStepView
    model: ProcessModel
    #: the step's answer event, where the contact's agency may record it
    event: Any


class _Refused(Exception):
    def __init__(self, title: str, message: str, status_code: int) -> None:
        super().__init__(message)
        self.title, self.message, self.status_code = title, message, status_code


def _refusal(request: Request, refused: _Refused) -> Response:
    return page(
        request,
        "answer.html",
        {"title": refused.title, "refused": refused.message, "viewer": None},
        status_code=refused.status_code,
    )


def _link_viewer(contact: Contact, agency: Agency, region: Region) -> Viewer:
    """The contact as the web sees a user of their agency (the coordination as the coordinator)."""
    assert region.id is not None
    return Viewer.of_agency(
        username=f"{contact.email} (E-Mail-Link)",
        display_name=contact.name,
        region_id=region.id,
        region_code=region.code,
        agency_type=agency.type,
        agency_code=agency.code,
        agency_name=agency.name,
    )


def _local(moment: datetime, app: Any) -> datetime:
    """A stored UTC time on the installation's clock."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(app.settings.tz)


def _answer(request: Request, session: Session, token: str) -> _Answer:
    app = get_app(request)
    day = today(app)
    try:
        claim = read_token(app.settings.secret_key, token, today=day)
    except TokenError as exc:
        raise _Refused("Link ungültig", str(exc), 400 if "verändert" in str(exc) else 410) from None
    used = session.get(AnswerTokenUse, claim.token_id)
    if used is not None:
        raise _Refused(
            "Link bereits verwendet",
            f"Dieser Link wurde am {_local(used.used_at, app):%d.%m.%Y um %H:%M} Uhr verwendet ({used.outcome}) "
            "und gilt nur einmal.",
            410,
        )
    contact = session.get(Contact, claim.contact_id)
    participant_row = session.get(Participant, claim.participant_id)
    agency = session.get(Agency, contact.agency_id) if contact is not None else None
    if contact is None or not contact.active or agency is None or participant_row is None:
        raise _Refused("Link ungültig", "Die Person oder der Empfänger dieses Links ist nicht mehr erfasst.", 410)
    region = session.get(Region, agency.region_id)
    assert region is not None
    viewer = _link_viewer(contact, agency, region)
    connection = session.connection()
    model = app.model(region, participant_row.model_version)
    detail = participant_detail(
        connection,
        ref=participant_row.ref,
        as_of=day,
        scope=visible_participants(viewer, connection.dialect.name, model),
    )
    if detail is None:
        raise _Refused("Link ungültig", "Ihre Stelle ist für diese Person nicht mehr zuständig.", 410)
    step = next((s for s in detail.open_steps if s.step == claim.step and s.due == claim.due), None)
    if step is None:
        label = model.steps[claim.step].label if claim.step in model.steps else claim.step
        raise _Refused(
            "Schon erledigt",
            f"„{label}“ ist für {detail.ref} nicht mehr offen oder hat eine neue Frist – es ist nichts mehr zu tun.",
            409,
        )
    if not viewer.may_hold(step.responsible):
        raise _Refused("Link ungültig", "Ihre Stelle ist für diesen Schritt nicht mehr zuständig.", 410)
    spec = model.steps.get(claim.step)
    event = model.events.get(spec.answer) if spec is not None and spec.answer else None
    if event is not None and (not viewer.may_record(event) or event.id not in model.allowed_events(detail.stage)):
        event = None
    return _Answer(claim, viewer, detail, step, model, event)


def _show(
    request: Request, session: Session, answer: _Answer, *, error: str | None = None, status_code: int = 200
) -> Response:
    app = get_app(request)
    day = today(app)
    forms = []
    if answer.event is not None:
        local = local_choices(session, answer.participant, answer.viewer, day, answer.model)
        forms = [
            form
            for form in event_forms(answer.model, answer.participant.stage, answer.viewer, local)
            if form["id"] == answer.event.id
        ]
    participant = answer.participant
    return page(
        request,
        "answer.html",
        {
            "title": f"{participant.ref}: {answer.step.label}",
            "viewer": None,
            "answer": answer,
            "who": f"{participant.first_name[:1]}. {participant.last_name[:1]}.".upper(),
            "form": forms[0] if forms else None,
            "today": day,
            "default_hold": day + timedelta(days=7),
            "min_hold": day + timedelta(days=1),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/antwort/{token}", response_class=HTMLResponse)
def answer_page(token: str, request: Request, session: Session = DB) -> Response:
    try:
        answer = _answer(request, session, token)
    except _Refused as refused:
        return _refusal(request, refused)
    return _show(request, session, answer)


@router.post("/antwort/{token}", response_class=HTMLResponse)
async def answer_submit(token: str, request: Request, session: Session = DB) -> Response:
    form = dict(await request.form())
    try:
        answer = _answer(request, session, token)
    except _Refused as refused:
        return _refusal(request, refused)
    app = get_app(request)
    participant = answer.participant
    if form.get("action") == "hold":
        until_text = str(form.get("until") or "")
        try:
            until = parse_date(until_text)
            hold_step(
                session=session,
                participant=get_participant(session=session, ref=participant.ref),
                step=answer.step.step,
                until=until,
                by=f"{answer.viewer.display_name} ({answer.viewer.agency_name}, E-Mail-Link)",
                note=str(form.get("note") or "") or None,
                model=answer.model,
                today=today(app),
            )
        except ValueError as exc:
            session.rollback()
            message = str(exc) if isinstance(exc, InvalidHold) else f"„{until_text}“ ist kein Datum."
            return _show(request, session, answer, error=message, status_code=422)
        outcome = f"in Bearbeitung bis {until:%d.%m.%Y}"
        action, detail = "hold", f"{answer.step.label}: Wiedervorlage am {until:%d.%m.%Y} (E-Mail-Link)"
        stage_after = None
    elif form.get("action") == "confirm" and answer.event is not None:
        result = record_from_form(session, app, answer.viewer, participant, answer.model, answer.event, form)
        if isinstance(result, str):
            session.rollback()
            return _show(request, session, answer, error=result, status_code=422)
        outcome = f"„{answer.event.label}“ erfasst"
        action = "record_event"
        detail = f"{answer.event.id}: {result.source} → {result.target} am {result.on.isoformat()} (E-Mail-Link)"
        stage_after = answer.model.stage_label(result.target)
    else:
        return _show(request, session, answer, error="Bitte wählen Sie, was erfasst werden soll.", status_code=422)
    session.add(
        AnswerTokenUse(
            token_id=answer.claim.token_id,
            contact_id=answer.claim.contact_id,
            participant_id=answer.claim.participant_id,
            step=answer.claim.step,
            outcome=outcome,
        )
    )
    audit(session, answer.viewer, action, participant_id=participant.id, detail=detail, request=request)
    try:
        session.commit()
    except IntegrityError:  # the same link submitted twice at once: the first one counts
        session.rollback()
        return _refusal(request, _Refused("Link bereits verwendet", "Dieser Link wurde soeben schon verwendet.", 410))
    return page(
        request,
        "answer.html",
        {
            "title": "Erfasst",
            "viewer": None,
            "done": outcome,
            "answer": answer,
            "stage_after": stage_after,
        },
    )

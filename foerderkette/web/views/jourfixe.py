"""The Jour fixe: series, the next agenda, past agenda snapshots, minutes and action items."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from checklists import reads
from checklists.agenda import MAX_ROWS, Agenda
from checklists.pdf import PdfUnavailable, html_to_pdf
from checklists.render import render_agenda, render_minutes
from checklists.repository import (
    add_action,
    add_decision,
    close_action,
    get_series,
    meeting_for_month,
    meeting_view,
    record_attendance,
    recurrence,
)
from checklists.series import rule_in_words
from checklists.tables import ActionItem, AgendaSnapshot, Meeting, MeetingSeries
from foerderkette.app import App
from foerderkette.web.deps import (
    DB,
    audit,
    check_csrf,
    current_viewer,
    get_app,
    today,
)
from foerderkette.web.rendering import document, page
from notifications.jourfixe import agenda_for_viewer, build_meeting_agenda, checklist_for, minutes_for
from pipeline.access import Viewer
from pipeline.reads import NotFound
from pipeline.repository import find_agency, get_region
from pipeline.tables import Agency
from process_models import calendar_for, parse_date
from process_models.durations import add_months

router = APIRouter()


def _month(text: str) -> tuple[int, int]:
    match = re.match(r"^(\d{4})-(\d{2})$", text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise HTTPException(status_code=404, detail=f"„{text}“ ist kein Monat (JJJJ-MM)")
    return int(match[1]), int(match[2])


def _context(request: Request, session: Session, viewer: Viewer, monat: str, reihe: str | None):  # type: ignore[no-untyped-def]
    app = get_app(request)
    region = get_region(session=session, code=viewer.region_code)
    model = app.model(region)
    try:
        series = get_series(session=session, region=region, name=reihe or None)
        year, month = _month(monat)
        meeting = meeting_for_month(session=session, series=series, year=year, month=month, model=model)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return app, region, model, series, meeting


#: what the page confirms after a change (the redirect names the key, never free text)
SAVED = {
    "anwesenheit": "Die Anwesenheit ist gespeichert.",
    "beschluss": "Der Beschluss ist festgehalten.",
    "aufgabe": "Die Aufgabe ist vergeben.",
    "erledigt": "Die Aufgabe ist als erledigt vermerkt.",
}


def _back(monat: str, series: MeetingSeries, anchor: str, saved: str) -> Response:
    query = urlencode({"monat": monat, "reihe": series.name, "gespeichert": saved})
    return RedirectResponse(f"/jourfixe?{query}#{anchor}", status_code=303)


@router.get("/jourfixe", response_class=HTMLResponse)
def jourfixe_page(
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    monat: str = "",
    reihe: str = "",
    gespeichert: str = "",
) -> Response:
    app = get_app(request)
    region = get_region(session=session, code=viewer.region_code)
    model = app.model(region)
    day = today(app)
    calendar = calendar_for(model)
    all_series = session.exec(
        select(MeetingSeries).where(MeetingSeries.region_id == region.id).order_by(col(MeetingSeries.id))
    ).all()
    series_rows: list[dict[str, Any]] = [
        {
            "series": item,
            "rule": rule_in_words(item.rrule, item.start_time),
            "next": [moved for _, moved in recurrence(item).occurrences(day, add_months(day, 12), calendar)[:3]],
        }
        for item in all_series
    ]
    if not series_rows:
        return page(
            request, "jourfixe.html", {"title": "Jour fixe", "viewer": viewer, "series_rows": [], "meeting": None}
        )
    if not monat:
        wanted = [row for row in series_rows if row["series"].name == reihe] or [
            row for row in series_rows if row["series"].kind == "jourfixe"
        ]
        chosen = (wanted or series_rows)[0]
        upcoming = chosen["next"][0] if chosen["next"] else day
        query = urlencode({"monat": f"{upcoming:%Y-%m}", "reihe": chosen["series"].name})
        return RedirectResponse(f"/jourfixe?{query}", status_code=303)
    _, _, _, series, meeting = _context(request, session, viewer, monat, reihe)
    connection = session.connection()
    minutes = reads.minutes(connection, meeting.id)
    actions = reads.list_actions(connection, reads.find_region(connection, region.code), "all")
    past = session.exec(
        select(Meeting)
        .where(Meeting.series_id == series.id, Meeting.occurrence < meeting.occurrence)
        .order_by(col(Meeting.occurrence).desc())
        .limit(12)
    ).all()
    checklist = checklist_for(series, region, model, app.settings.overrides_dir)
    first = date(*_month(monat), 1)
    region_agencies = session.exec(select(Agency).where(Agency.region_id == region.id)).all()
    return page(
        request,
        "jourfixe.html",
        {
            "title": "Jour fixe",
            "viewer": viewer,
            "series_rows": series_rows,
            "series": series,
            "meeting": meeting_view(session=session, series=series, meeting=meeting),
            "monat": monat,
            "saved": SAVED.get(gespeichert, ""),
            "prev_month": f"{add_months(first, -1):%Y-%m}",
            "next_month": f"{add_months(first, 1):%Y-%m}",
            "snapshots": reads.list_snapshots(connection, meeting.id),
            "minutes": minutes,
            "invited": session.exec(
                select(Agency).where(col(Agency.id).in_(series.invited_agencies)).order_by(Agency.type, Agency.code)
            ).all(),
            "attendance": {row.agency_id: row.present for row in minutes.attendance},
            "open_actions": [item for item in actions if item.status == "open"],
            "closed_actions": [item for item in actions if item.status != "open"][-20:],
            "agencies": {agency.id: agency.name for agency in region_agencies},
            # an agency user may close its own agency's action items, nothing else of the minutes
            "own_agency_id": next(
                (agency.id for agency in region_agencies if viewer.is_agency and agency.code == viewer.agency_code),
                None,
            ),
            "agency_codes": session.exec(
                select(Agency.code, Agency.name).where(Agency.region_id == region.id).order_by(Agency.code)
            ).all(),
            "items": [(item.id, f"{number}. {item.title}") for number, item in enumerate(checklist.items, start=1)],
            "past": [(f"{m.occurrence:%Y-%m}", m.occurrence, m.status) for m in past],
            "today": day,
        },
    )


def _viewer_agenda(
    request: Request, session: Session, viewer: Viewer, monat: str, reihe: str, *, limit: int | None = MAX_ROWS
) -> tuple[Agenda, App, Meeting]:
    """The meeting's agenda from today's data as `viewer` may read it (`limit=None`: every row)."""
    app, region, model, series, meeting = _context(request, session, viewer, monat, reihe)
    agenda = build_meeting_agenda(
        session=session,
        region=region,
        model=model,
        series=series,
        meeting=meeting,
        as_of=today(app),
        checklist=checklist_for(series, region, model, app.settings.overrides_dir),
        limit=None,
    )
    own = agenda_for_viewer(agenda, connection=session.connection(), viewer=viewer, model=model, limit=limit)
    return own, app, meeting


@router.get("/jourfixe/{monat}/tagesordnung", response_class=HTMLResponse)
def agenda_document(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    """The agenda from today's data, print-ready (A4), the same content as the CLI."""
    own, _app, _meeting = _viewer_agenda(request, session, viewer, monat, reihe)
    return document(render_agenda(own, "html", link_base=""))


def _pdf(html: str, filename: str) -> Response:
    try:
        data = html_to_pdf(html)
    except PdfUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/jourfixe/{monat}/tagesordnung.pdf")
def agenda_pdf(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    """The agenda as PDF, the viewer's own copy (the same as the page)."""
    own, app, meeting = _viewer_agenda(request, session, viewer, monat, reihe)
    # a PDF leaves the browser: its "n weitere" links carry the full address
    html = render_agenda(own, "html", link_base=app.settings.base_url or str(request.base_url))
    return _pdf(html, f"tagesordnung-{meeting.occurrence:%Y-%m-%d}.pdf")


@router.get("/jourfixe/{monat}/protokoll.pdf")
def minutes_pdf(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    """The minutes as PDF: attendance, decisions and action items, as every invitee receives them."""
    app, region, _model, series, meeting = _context(request, session, viewer, monat, reihe)
    doc = minutes_for(
        session=session, region=region, series=series, meeting=meeting, overrides_dir=app.settings.overrides_dir
    )
    return _pdf(render_minutes(doc), f"protokoll-{meeting.occurrence:%Y-%m-%d}.pdf")


@router.get("/jourfixe/{monat}/punkt/{punkt}", response_class=HTMLResponse)
def agenda_item_document(
    monat: str,
    punkt: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    """One agenda item with every row (where the agenda says "… und n weitere"), from today's
    data and as the viewer may see it."""
    own, _app, _meeting = _viewer_agenda(request, session, viewer, monat, reihe, limit=None)
    chosen = [item for item in own.items if item.id == punkt]
    if not chosen:
        raise HTTPException(status_code=404, detail=f"Den Tagesordnungspunkt „{punkt}“ gibt es in dieser Sitzung nicht")
    return document(render_agenda(replace(own, items=chosen), "html", link_base=""))


@router.get("/jourfixe/stand/{snapshot_id}", response_class=HTMLResponse)
def snapshot_document(
    snapshot_id: int, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    """An agenda exactly as it was sent: the coordination's copy to the coordination, an agency's
    copy (its own participants, the rest counted) to an agency."""
    snapshot = session.get(AgendaSnapshot, snapshot_id)
    meeting = session.get(Meeting, snapshot.meeting_id) if snapshot else None
    series = session.get(MeetingSeries, meeting.series_id) if meeting else None
    if snapshot is None or series is None or series.region_id != viewer.region_id:
        raise HTTPException(status_code=404, detail=f"Stand Nr. {snapshot_id} gibt es nicht")
    if not viewer.is_agency:
        return document(snapshot.html)
    model = get_app(request).model(get_region(session=session, code=viewer.region_code))
    agenda = Agenda.from_json(snapshot.content)
    own = agenda_for_viewer(agenda, connection=session.connection(), viewer=viewer, model=model)
    return document(render_agenda(own, "html"))


@router.post("/jourfixe/{monat}/anwesenheit")
async def attendance(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    form = await check_csrf(request)
    _, _, _, series, meeting = _context(request, session, viewer, monat, reihe)
    for agency_id in series.invited_agencies:
        agency = session.get(Agency, agency_id)
        if agency is not None:
            record_attendance(
                session=session, meeting=meeting, agency=agency, present=form.get(f"present_{agency_id}") == "1"
            )
    audit(session, viewer, "minutes", detail=f"Anwesenheit {monat}", request=request)
    return _back(monat, series, "protokoll", "anwesenheit")


@router.post("/jourfixe/{monat}/beschluss")
async def decision(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    form = await check_csrf(request)
    _, _, _, series, meeting = _context(request, session, viewer, monat, reihe)
    text = str(form.get("text") or "").strip()
    if not text:
        raise HTTPException(status_code=422, detail="Der Beschluss braucht einen Text.")
    add_decision(
        session=session, meeting=meeting, item_key=str(form.get("item") or ""), text=text, recorded_by=viewer.username
    )
    audit(session, viewer, "minutes", detail=f"Beschluss {monat}: {text[:200]}", request=request)
    return _back(monat, series, "protokoll", "beschluss")


@router.post("/jourfixe/{monat}/aufgabe")
async def action(
    monat: str,
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    session: Session = DB,
    reihe: str = "",
) -> Response:
    form = await check_csrf(request)
    _, region, _, series, meeting = _context(request, session, viewer, monat, reihe)
    try:
        owner = find_agency(session=session, region=region, code=str(form.get("owner") or ""))
        due: date = parse_date(str(form.get("due") or ""))
        created = add_action(
            session=session,
            region=region,
            meeting=meeting,
            item_key=str(form.get("item") or ""),
            title=str(form.get("title") or ""),
            owner=owner,
            contact=None,
            due=due,
        )
    except (NotFound, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc) or "Frist ist kein Datum") from None
    audit(session, viewer, "minutes", detail=f"Aufgabe {created.id}: {created.title[:200]}", request=request)
    return _back(monat, series, "aufgaben", "aufgabe")


@router.post("/aufgaben/{action_id}/erledigt")
async def close(
    action_id: int, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    form = await check_csrf(request)
    region = get_region(session=session, code=viewer.region_code)
    item = session.get(ActionItem, action_id)
    if item is None or item.region_id != region.id:
        raise HTTPException(status_code=404, detail=f"Aufgabe Nr. {action_id} gibt es nicht")
    if viewer.role != "coordinator":
        own = find_agency(session=session, region=region, code=viewer.agency_code or "")
        if item.owner_agency_id != own.id:
            raise HTTPException(
                status_code=403,
                detail="Diese Aufgabe gehört einer anderen Stelle; erledigen kann sie nur diese oder die Koordination.",
            )
    try:
        close_action(
            session=session,
            region=region,
            action_id=action_id,
            closed_by=viewer.label,  # always who is logged in, never what the form says
            note=str(form.get("note") or "") or None,
        )
    except (NotFound, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    audit(session, viewer, "close_action", detail=f"Aufgabe {action_id}", request=request)
    back = str(form.get("back") or "/jourfixe")
    if not back.startswith("/") or back.startswith("//"):
        back = "/jourfixe"
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}gespeichert=erledigt#aufgaben", status_code=303)

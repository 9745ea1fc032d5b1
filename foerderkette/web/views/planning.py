"""Kursplanung: the cooperation agreement of the providers (shown to everyone of the region,
changed by the coordination as a new version), the next central placement-test dates with how
full they are, and the course proposal for the network meeting (counts, no persons)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from foerderkette.web.deps import DB, audit, check_csrf, current_viewer, get_app, reading, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.importing import ImportFailed
from pipeline.labels import COURSE_SLOTS
from pipeline.offers import list_offers, parse_offers, replace_offers
from pipeline.reads import RegionRow, find_region
from pipeline.repository import get_region
from pipeline.tabular import TableError
from planning.agreement import AgreementError, to_yaml
from planning.coordination import TestingView, agreement_view, invitations_for, stored_proposal, testing_for_region
from planning.render import invitations_html
from planning.repository import import_agreement, refresh_proposal
from planning.testing import slot_at
from process_models import format_date

router = APIRouter()

_SAVED = re.compile(r"^(Fassung \d{1,6}|unverändert|Vorschlag|Angebote \d{1,5})$")
_SLOTS = COURSE_SLOTS


def _page(
    request: Request,
    viewer: Viewer,
    *,
    text: str | None = None,
    problems: list[str] | None = None,
    saved: str = "",
    offer_problems: list[str] | None = None,
) -> Response:
    app = get_app(request)
    day = today(app)
    with reading(app) as connection:
        region = find_region(connection, viewer.region_code)
        model = app.model(region)
        view = agreement_view(connection, region, model)
        testing = testing_for_region(
            connection, region, model, today=day, months=3, max_wait_minutes=app.settings.transit_max_wait_minutes
        )
        proposals = stored_proposal(connection, region.id)
        offers = list_offers(connection, region.id)
    labels = {key: spec.label for key, spec in model.course_types.items()}
    if text is None:
        text = to_yaml(view.agreement, labels) if view.agreement is not None else ""
    return page(
        request,
        "planning.html",
        {
            "title": "Kursplanung",
            "viewer": viewer,
            "view": view,
            "testing": testing,
            "proposals": proposals,
            "labels": labels,
            "slots": _SLOTS,
            "text": text,
            "problems": problems or [],
            "offer_problems": offer_problems or [],
            "offers": offers,
            "saved": saved,
            "may_edit": viewer.role == "coordinator",
            "may_list": not viewer.is_agency,
        },
        status_code=422 if problems or offer_problems else 200,
    )


@router.get("/planung", response_class=HTMLResponse)
def planning_page(request: Request, viewer: Viewer = Depends(current_viewer), gespeichert: str = "") -> Response:
    # only what the redirect after saving says, never text from elsewhere
    return _page(request, viewer, saved=gespeichert if _SAVED.match(gespeichert) else "")


@router.post("/planung/vereinbarung")
async def save_agreement(request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    form = await check_csrf(request)
    if viewer.role != "coordinator":
        raise HTTPException(status_code=403, detail="Die Kooperationsvereinbarung ändert die Koordination.")
    text = str(form.get("document") or "")
    region = get_region(session=session, code=viewer.region_code)
    app = get_app(request)
    source = f"web {request.client.host}" if request.client else "web"
    try:
        version = import_agreement(
            session=session,
            region=region,
            text=text,
            name="Vereinbarung",
            model=app.model(region),
            actor=viewer.username,
            role=viewer.role,
            source=source,
        )
    except AgreementError as exc:
        session.rollback()
        return _page(request, viewer, text=text, problems=exc.problems)
    session.commit()
    done = f"Fassung {version.version}" if version is not None else "unverändert"
    return RedirectResponse(f"/planung?gespeichert={done}", status_code=303)


def _host_day(request: Request, viewer: Viewer, datum: str) -> tuple[TestingView, RegionRow, date]:
    """The stored bookings of one test date (the policy lets only the coordination in: the host
    gets the list and the letters from it, so no provider sees people not registered with it)."""
    try:
        day = date.fromisoformat(datum)
    except ValueError:
        raise HTTPException(status_code=404, detail=f"„{datum}“ ist kein Testtermin") from None
    app = get_app(request)
    with reading(app) as connection:
        region = find_region(connection, viewer.region_code)
        view = testing_for_region(
            connection,
            region,
            app.model(region),
            today=min(today(app), day),
            months=12,
            max_wait_minutes=app.settings.transit_max_wait_minutes,
        )
    slot = next((d for d in view.dates if d.day == day), None)
    if slot is None:
        raise HTTPException(status_code=404, detail=f"Am {format_date(day)} gibt es keinen zentralen Einstufungstest")

    kept = [b for b in view.bookings if b.day == day and not b.new]
    return replace(view, dates=[slot], bookings=kept, unbooked=[]), region, day


@router.get("/planung/einstufung/{datum}", response_class=HTMLResponse)
def test_day(datum: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    view, _region, day = _host_day(request, viewer, datum)
    audit(
        session,
        viewer,
        "placement_list",
        detail=f"Einstufungstest {format_date(day)}: {len(view.bookings)} Personen",
        request=request,
    )
    return page(
        request,
        "placement_day.html",
        {"title": f"Einstufungstest am {format_date(day)}", "viewer": viewer, "view": view, "slot": view.dates[0]},
    )


@router.get("/planung/einstufung/{datum}/einladungen.html", response_class=HTMLResponse)
def test_day_invitations(
    datum: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    view, region, day = _host_day(request, viewer, datum)
    app = get_app(request)
    with reading(app) as connection:
        letters = invitations_for(connection, region, view, slot=slot_at(view.dates[0].time))
    audit(
        session,
        viewer,
        "placement_list",
        detail=f"Einladungen Einstufungstest {format_date(day)}: {len(letters)}",
        request=request,
    )
    return HTMLResponse(invitations_html(region.code, letters))


@router.post("/planung/angebote")
async def import_offers(request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    """Replace the region's offer overview from an uploaded CSV or XLSX file, all or nothing;
    every problem named by line and column, as `foerderkette offers import` does."""
    form = await check_csrf(request)
    if viewer.role != "coordinator":
        raise HTTPException(status_code=403, detail="Die Angebotsübersicht ändert die Koordination.")
    upload = form.get("datei")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _page(request, viewer, offer_problems=["Bitte eine Datei (CSV oder XLSX) wählen."])
    app = get_app(request)
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return _page(request, viewer, offer_problems=[f"{name}: nur CSV- oder XLSX-Dateien"])
    region = get_region(session=session, code=viewer.region_code)
    assert region.id is not None
    with tempfile.TemporaryDirectory(prefix="angebote-") as folder:
        path = Path(folder) / f"angebote{suffix}"
        path.write_bytes(await upload.read())
        try:
            offers = parse_offers(path, app.model(region), max_bytes=app.settings.import_max_mb * 1_000_000)
        except TableError as exc:
            return _page(request, viewer, offer_problems=[f"{name}: {exc}"])
        except ImportFailed as exc:
            return _page(request, viewer, offer_problems=[f"{name}: {line}" for line in exc.report().splitlines()])
    count = replace_offers(session.connection(), region.id, offers)
    audit(session, viewer, "offers_import", detail=f"{count} Angebote aus {name}", request=request)
    session.commit()
    return RedirectResponse(f"/planung?gespeichert=Angebote {count}#angebote", status_code=303)


@router.post("/planung/vorschlag")
async def compute_proposal(
    request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    """Compute the course proposal from today's data and keep it as the region's last one."""
    await check_csrf(request)
    if viewer.role != "coordinator":
        raise HTTPException(status_code=403, detail="Den Vorschlag berechnet die Koordination neu.")
    app = get_app(request)
    connection = session.connection()
    region = find_region(connection, viewer.region_code)
    refresh_proposal(
        connection,
        region,
        app.model(region),
        today=today(app),
        months=6,
        max_wait_minutes=app.settings.transit_max_wait_minutes,
        actor=viewer.username,
    )
    session.commit()
    return RedirectResponse("/planung?gespeichert=Vorschlag#proposals", status_code=303)

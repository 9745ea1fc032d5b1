"""Kursplanung: the cooperation agreement of the providers (shown to everyone of the region,
changed by the coordination as a new version), the next central placement-test dates with how
full they are, and the course proposal for the network meeting (counts, no persons)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from foerderkette.web.deps import DB, check_csrf, current_viewer, get_app, reading, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.reads import find_region
from pipeline.repository import get_region
from planning.agreement import AgreementError, to_yaml
from planning.reads import agreement_view, proposals_for_region, testing_for_region
from planning.repository import import_agreement

router = APIRouter()

_SAVED = re.compile(r"^(Fassung \d{1,6}|unverändert)$")
_SLOTS = {"morning": "vormittags", "afternoon": "nachmittags", "evening": "abends"}


def _page(
    request: Request, viewer: Viewer, *, text: str | None = None, problems: list[str] | None = None, saved: str = ""
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
        proposals = proposals_for_region(
            connection, region, model, today=day, months=6, max_wait_minutes=app.settings.transit_max_wait_minutes
        )
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
            "saved": saved,
            "may_edit": viewer.role == "coordinator",
        },
        status_code=422 if problems else 200,
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

"""Betrieb: is the embedded scheduler alive, did every job run when it was due (the same
`flows.status` that `foerderkette status` prints for monitoring)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from flows.status import scheduler_status
from foerderkette.web.deps import current_viewer, get_app
from foerderkette.web.rendering import page
from pipeline.access import Viewer

router = APIRouter()


@router.get("/betrieb", response_class=HTMLResponse)
def operations_page(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    app = get_app(request)
    with app.engine.connect() as connection:
        status = scheduler_status(connection, now=datetime.now(UTC), timezone=app.settings.tz)
    return page(request, "operations.html", {"title": "Betrieb", "viewer": viewer, "status": status})

"""Auffüllen: the fill proposal for the region's courses below their minimum size – a
recommendation for BAMF and providers; where the region's workflow lets the viewer record the
BAMF's assignment, each proposed assignment can be recorded as that event."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from foerderkette.web.deps import current_viewer, get_app, reading, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.reads import find_region
from planning.reads import assignment_event, fill_for_region

router = APIRouter()


@router.get("/kurse/auffuellen", response_class=HTMLResponse)
def fill_page(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    if viewer.is_agency and viewer.agency_type != "BAMF":
        raise HTTPException(status_code=403, detail="Den Vorschlag zum Auffüllen sehen die Koordination und das BAMF.")
    app = get_app(request)
    day = today(app)
    with reading(app) as connection:
        region = find_region(connection, viewer.region_code)
        model = app.model(region)
        view = fill_for_region(
            connection,
            region,
            model,
            today=day,
            max_wait_minutes=app.settings.transit_max_wait_minutes,
        )
    event = assignment_event(model)
    spec = model.events.get(event) if event else None
    # the BAMF assigns: its own users, or the coordination where the region's model lets it record for the BAMF
    may_record = (
        spec is not None
        and viewer.can_edit
        and (spec.coordination_records("KOM") if not viewer.is_agency else spec.recordable_by(viewer.agency_type))
    )
    return page(
        request,
        "fill.html",
        {
            "title": "Kurse auffüllen",
            "viewer": viewer,
            "view": view,
            "labels": {key: spec.label for key, spec in model.course_types.items()},
            "event": event,
            "event_label": spec.label if spec else "",
            "may_record": may_record,
        },
    )

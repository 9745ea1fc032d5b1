"""Kennzahlen: the start page – the key figures with their definitions, a chart for each group
with its data table, filters for period, course type and provider, and the Land view."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from figures.charts import with_nonce
from figures.dashboard import PERIODS, Filters
from figures.reads import providers, read_dashboard
from foerderkette.web.deps import current_viewer, get_app, reading, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.reads import find_region, region_codes

router = APIRouter()

#: the page's policy: its own origin, and the charts' inline styles by their nonce
POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-{nonce}'; frame-ancestors 'self'; form-action 'self'"


@router.get("/kennzahlen", response_class=HTMLResponse)
def figures_page(
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    zeitraum: int = 12,
    kursart: str = "",
    traeger: str = "",
    ansicht: str = "",
) -> Response:
    app = get_app(request)
    day = today(app)
    problems = []
    if zeitraum not in PERIODS:
        problems.append(f"Zeitraum „{zeitraum}“ gibt es nicht; gezeigt werden 12 Monate.")
        zeitraum = 12
    with reading(app) as connection:
        region = find_region(connection, viewer.region_code)
        model = app.model(region)
        if kursart and kursart not in model.course_types:
            problems.append(f"Kursart „{kursart}“ gibt es nicht; gezeigt werden alle Kursarten.")
            kursart = ""
        offered = providers(connection, region.id)
        if traeger and traeger not in dict(offered):
            problems.append(f"Kursträger „{traeger}“ gibt es in dieser Region nicht; gezeigt werden alle.")
            traeger = ""
        land = ansicht == "land" and not viewer.is_agency
        # the region codes only: counting every region's participants would scan a whole Land
        several = not viewer.is_agency and len(region_codes(connection)) > 1
        dashboard = read_dashboard(
            connection,
            viewer,
            model,
            today=day,
            filters=Filters(months=zeitraum, course_type=kursart, provider=traeger),
            land=land,
        )
    nonce = secrets.token_urlsafe(16)
    response = page(
        request,
        "figures.html",
        {
            "title": "Kennzahlen",
            "viewer": viewer,
            "region": region,
            "dashboard": dashboard,
            "svgs": {chart.key: with_nonce(chart.svg, nonce) for chart in dashboard.charts},
            "periods": PERIODS,
            "course_types": {key: spec.label for key, spec in model.course_types.items()},
            "providers": offered,
            "problems": problems,
            "land": land,
            "several": several,
            "today": day,
        },
    )
    response.headers["Content-Security-Policy"] = POLICY.format(nonce=nonce)
    return response

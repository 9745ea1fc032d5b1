"""The overall course list: per provider, upcoming three months first; CSV/Excel export."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask

from foerderkette.web.deps import DB, current_viewer, get_app, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.exporting import export_courses
from pipeline.repository import CourseInfo, course_overview, get_region
from pipeline.tables import COURSE_FORMATS, COURSE_KINDS
from planning.reads import waiting_times
from process_models.durations import add_months

router = APIRouter()
#: waiting times are shown for groups of at least this many course starts
MIN_GROUP = 5


#: The sections of the course list, in display order.
SECTIONS = {
    "upcoming": "Beginn in den nächsten drei Monaten",
    "running": "Laufende Kurse",
    "later": "Beginn später",
    "open": "Ohne Termin",
    "past": "Beendete und abgesagte Kurse",
}


def section_of(course: CourseInfo, day: date, horizon: date) -> str:
    if course.cancelled or (course.end_date is not None and course.end_date < day):
        return "past"
    if course.start is None:
        return "open"
    if course.start < day:
        return "running"
    return "upcoming" if course.start <= horizon else "later"


@router.get("/kurse", response_class=HTMLResponse)
def courses_page(
    request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB, traeger: str = ""
) -> Response:
    app = get_app(request)
    region = get_region(session=session, code=viewer.region_code)
    model = app.model(region)
    day = today(app)
    horizon = add_months(day, 3)
    every = course_overview(session=session, region_id=viewer.region_id, on=day)
    # the waiting times name every provider of the region, a provider's own list only its courses
    names = {course.provider_code: course.provider_name for course in every}
    courses = every
    if viewer.is_agency and viewer.agency_type == "KT":
        courses = [course for course in courses if course.provider_code == viewer.agency_code]
    choices = sorted({(course.provider_code, course.provider_name) for course in courses}, key=lambda item: item[1])
    if traeger:
        courses = [course for course in courses if course.provider_code == traeger]
    providers: dict[str, dict[str, list[CourseInfo]]] = {}
    for course in sorted(courses, key=lambda c: (c.start or date.max, c.code)):
        sections = providers.setdefault(course.provider_name, {key: [] for key in SECTIONS})
        sections[section_of(course, day, horizon)].append(course)
    for sections in providers.values():
        sections["past"].reverse()  # most recent first
    upcoming = [course for course in courses if section_of(course, day, horizon) == "upcoming"]
    # aggregates only, and none of fewer than five starts (no one recognisable by their waiting time)
    waits = [
        w for w in waiting_times(session.connection(), viewer.region_id, model, today=day) if w.starts >= MIN_GROUP
    ]
    return page(
        request,
        "courses.html",
        {
            "title": "Kurse",
            "viewer": viewer,
            "providers": dict(sorted(providers.items())),
            "sections": SECTIONS,
            "provider_codes": choices,
            "selected": traeger,
            "labels": {
                **{key: spec.label for key, spec in model.course_types.items()},
                **dict(model.value_sets["bsk_level"].values),
            },
            "formats": COURSE_FORMATS,
            "kinds": COURSE_KINDS,
            "today": day,
            "horizon": horizon,
            "free_total": sum(course.free for course in upcoming),
            "waits": waits,
            "provider_names": names,
            "min_group": MIN_GROUP,
            "upcoming_count": len(upcoming),
        },
    )


@router.get("/kurse/export.{suffix}")
def export(suffix: str, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    if suffix not in ("csv", "xlsx"):
        raise HTTPException(status_code=404, detail="Export gibt es als .csv oder .xlsx")
    region = get_region(session=session, code=viewer.region_code)
    folder = Path(tempfile.mkdtemp(prefix="kursliste-"))
    path = folder / f"kursliste-{region.code}.{suffix}"
    # a Kursträger exports what the page shows it: its own courses
    own = viewer.agency_code if viewer.is_agency and viewer.agency_type == "KT" else None
    try:
        export_courses(session=session, region=region, model=get_app(request).model(region), path=path, provider=own)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = (
        "text/csv; charset=utf-8"
        if suffix == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(path, media_type=media, filename=path.name, background=BackgroundTask(cleanup))

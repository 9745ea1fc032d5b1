"""The public overall course list of a region (Gesamtkursliste): without login, as a page that
prints on A4 for the notice board, as CSV and as an iCalendar feed – course data only."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from icalendar import Calendar, Event

from foerderkette.web.deps import get_app, reading, today
from foerderkette.web.rendering import page
from notifications.ics import vtimezone
from pipeline.reads import NotFound, find_region
from pipeline.tabular import neutralise
from planning.course_list import CSV_HEADERS, PublicCourseList, csv_rows, public_courses

router = APIRouter()


def _listing(request: Request, region: str) -> PublicCourseList:
    app = get_app(request)
    with reading(app) as connection:
        try:
            row = find_region(connection, region)
        except NotFound:
            raise HTTPException(status_code=404, detail=f"Eine Region „{region}“ gibt es hier nicht.") from None
        return public_courses(connection, row.code, app.model(row), today=today(app))


@router.get("/kursliste/{region}", response_class=HTMLResponse)
def course_list(region: str, request: Request) -> Response:
    """`/kursliste/BY-BA` (page), `/kursliste/BY-BA.csv`, `/kursliste/BY-BA.ics`."""
    code, _dot, suffix = region.rpartition(".") if region.endswith((".csv", ".ics")) else (region, "", "")
    listing = _listing(request, code)
    if suffix == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(CSV_HEADERS)
        for row in csv_rows(listing):
            writer.writerow(["" if cell is None else neutralise(str(cell)) for cell in row])
        return Response(
            "\ufeff" + buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kursliste-{listing.region_code}.csv"'},
        )
    if suffix == "ics":
        return Response(
            _calendar(listing, get_app(request).settings.timezone), media_type="text/calendar; charset=utf-8"
        )
    return page(
        request,
        "public_courses.html",
        {"title": f"Kursliste {listing.region_name}", "viewer": None, "listing": listing},
    )


def _calendar(listing: PublicCourseList, tzid: str) -> bytes:
    """One event per course: its first day, in its lesson times (a subscription for the notice
    board's calendar and the counselling services)."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    calendar = Calendar()
    calendar.add("prodid", "-//Förderkette//Gesamtkursliste//DE")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Integrationskurse – {listing.region_name}")
    calendar.add_component(vtimezone(tzid, listing.as_of.year))
    zone = ZoneInfo(tzid)
    for course in listing.courses:
        start_text, _, end_text = course.times.partition("–")
        event = Event()
        event.add("uid", f"kurs-{listing.region_code}-{course.code}@foerderkette")
        event.add("dtstamp", datetime.combine(listing.as_of, time(0), tzinfo=zone))
        event.add("dtstart", datetime.combine(course.start, time.fromisoformat(start_text), tzinfo=zone))
        event.add("dtend", datetime.combine(course.start, time.fromisoformat(end_text), tzinfo=zone))
        event.add("summary", f"Kursbeginn: {course.course_type} ({course.format}) – {course.provider}")
        event.add(
            "location",
            ", ".join(
                part for part in (course.site, course.address, f"{course.postcode} {course.place}".strip()) if part
            ),
        )
        care = "mit Kinderbetreuung" if course.childcare else "ohne Kinderbetreuung"
        event.add(
            "description",
            f"Kurs {course.code}, {course.slot} {course.times}, {care}, {course.free} von {course.places} Plätzen frei. Anmeldung beim Kursträger.",
        )
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


@router.get("/angebote/{region}", response_class=HTMLResponse)
def offer_overview(region: str, request: Request) -> Response:
    """`/angebote/BY-BA` (the page, printable) and `/angebote/BY-BA.pdf` (the brochure): courses
    and the region's offers of counselling, guides, volunteers and childcare – no person."""
    from checklists.conference import brochure  # noqa: PLC0415
    from checklists.render import render_brochure  # noqa: PLC0415

    code, pdf = (region.removesuffix(".pdf"), True) if region.endswith(".pdf") else (region, False)
    app = get_app(request)
    with reading(app) as connection:
        try:
            row = find_region(connection, code)
        except NotFound:
            raise HTTPException(status_code=404, detail=f"Eine Region „{code}“ gibt es hier nicht.") from None
        report = brochure(connection, row.code, app.model(row), today=today(app))
    if pdf:
        from checklists.pdf import PdfUnavailable, html_to_pdf  # noqa: PLC0415

        try:
            data = html_to_pdf(render_brochure(report))
        except PdfUnavailable as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="angebote-{row.code}.pdf"'},
        )
    return page(
        request,
        "public_offers.html",
        {"title": f"Angebote {report.region}", "viewer": None, "report": report, "code": row.code},
    )

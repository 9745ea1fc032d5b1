"""Server-side rendering of the UI pages (Jinja2, autoescaped)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from checklists.render import plural
from pipeline.reads import responsible_text
from process_models import format_date
from process_models.business_days import MONTHS_DE

TEMPLATES = Path(__file__).parent / "templates"
BERLIN = ZoneInfo("Europe/Berlin")


def _datetime(value: datetime | None) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if value else "–"


def _date(value: date | str | None) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value)


def _month(value: str) -> str:
    """ "2026-11" as people read it: "November 2026"."""
    year, _, month = value.partition("-")
    return f"{MONTHS_DE[int(month) - 1]} {year}" if month.isdigit() and 1 <= int(month) <= 12 else value


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters["datum"] = _date
    engine.env.filters["monat"] = _month
    engine.env.filters["zeit"] = _datetime
    engine.env.filters["zustaendig"] = responsible_text
    engine.env.globals["plural"] = plural
    engine.env.trim_blocks = True
    engine.env.lstrip_blocks = True
    return engine


#: Documents shown as they are (agendas, emails) carry their own inline styles but nothing else.
DOCUMENT_CSP = (
    "sandbox allow-popups; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


def document(html: str) -> HTMLResponse:
    """A stored or generated HTML document (agenda, email) with a strict policy of its own."""
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCUMENT_CSP})


def page(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    from foerderkette.web.deps import csrf_token  # noqa: PLC0415

    viewer = context.get("viewer")
    return templates().TemplateResponse(
        request,
        name,
        {"viewer": viewer, "csrf": csrf_token(request), "failed_mail": _failed_mail(request, viewer), **context},
        status_code=status_code,
    )


def _failed_mail(request: Request, viewer: Any) -> int:
    """How many of the region's e-mails have failed for good: the coordination sees a banner on
    every page until they are resent or looked into (one indexed count)."""
    if viewer is None or viewer.is_agency:
        return 0
    from notifications.reads import count_failed  # noqa: PLC0415

    with request.app.state.app.engine.connect() as connection:
        return count_failed(connection, viewer.region_id)

"""Renders an agenda as HTML (print-ready, A4), Markdown, plain text or JSON, and builds the one
strict Jinja environment that agendas and emails (`notifications.rendering`) are rendered with."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checklists.agenda import Agenda
from checklists.conference import ConferenceReport
from checklists.labels import ACTION_STATUSES, MEETING_STATUSES
from checklists.reads import MinutesDocument
from process_models import format_date
from process_models.business_days import WEEKDAYS_DE

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "md", "txt", "json")


def long_date(value: date) -> str:
    return f"{WEEKDAYS_DE[value.weekday()]}, {format_date(value)}"


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count} {singular if count == 1 else plural_form}"


def markdown_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


@lru_cache(maxsize=4)
def strict_environment(folder: Path) -> Environment:
    """The templates of `folder`, built once: a missing value fails loudly instead of printing a
    blank, HTML is autoescaped, and the German date filters are the same everywhere."""
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = format_date
    env.filters["langdatum"] = long_date
    env.filters["md"] = markdown_cell
    env.globals["plural"] = plural
    return env


def environment() -> Environment:
    return strict_environment(TEMPLATES)


def render_agenda(agenda: Agenda, fmt: str, *, link_base: str | None = None) -> str:
    """`link_base`: where "n weitere" links to the full list of an item (the web UI's address;
    "" for a page the web UI serves itself; None: no link, e.g. without a configured address)."""
    if fmt == "json":
        return json.dumps(agenda.to_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"Unbekanntes Format '{fmt}' (erlaubt: {', '.join(FORMATS)}, ics)")
    month = agenda.meeting["date"].strftime("%Y-%m") if isinstance(agenda.meeting.get("date"), date) else ""
    links = f"{link_base.rstrip('/')}/jourfixe/{month}/punkt/" if link_base is not None and month else ""
    return environment().get_template(f"agenda.{fmt}").render(agenda=agenda, meeting=agenda.meeting, links=links)


def render_minutes(doc: MinutesDocument) -> str:
    """The minutes as a print-ready HTML document (and, through `checklists.pdf`, the PDF)."""
    status = "" if doc.status in ("planned", "held") else MEETING_STATUSES.get(doc.status, doc.status)
    return environment().get_template("minutes.html").render(doc=doc, status=status, statuses=ACTION_STATUSES)


def render_conference(report: ConferenceReport) -> str:
    """The Integrationskonferenz's situation analysis with the offer overview (HTML; PDF through `checklists.pdf`)."""
    return environment().get_template("conference.html").render(report=report)


def render_brochure(report: ConferenceReport) -> str:
    """The offer overview alone, as a printable brochure."""
    return environment().get_template("brochure.html").render(report=report)

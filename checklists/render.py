"""Renders an agenda as HTML (print-ready, A4), Markdown, plain text or JSON."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checklists.agenda import Agenda
from process_models import format_date

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "md", "txt", "json")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = format_date
    env.filters["md"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return env


def render_agenda(agenda: Agenda, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(agenda.to_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"Unbekanntes Format '{fmt}' (erlaubt: {', '.join(FORMATS)}, ics)")
    return environment().get_template(f"agenda.{fmt}").render(agenda=agenda, meeting=agenda.meeting)

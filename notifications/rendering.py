"""Renders emails from templates: `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html` per kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from process_models import format_date
from process_models.business_days import WEEKDAYS_DE

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def long_date(value: date) -> str:
    return f"{WEEKDAYS_DE[value.weekday()]}, {format_date(value)}"


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count} {singular if count == 1 else plural_form}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Strict: a missing value fails loudly instead of mailing a blank; HTML is autoescaped."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = format_date
    env.filters["langdatum"] = long_date
    env.globals["plural"] = plural
    return env


def render_email(kind: str, context: dict[str, Any]) -> RenderedEmail:
    env = environment()
    subject = " ".join(env.get_template(f"{kind}.subject.txt").render(**context).split())
    return RenderedEmail(
        subject=subject,
        text=env.get_template(f"{kind}.txt").render(**context),
        html=env.get_template(f"{kind}.html").render(**context),
    )

"""Rendering planning proposals as standalone HTML documents (German, printable, no scripts)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from planning.coordination import Invitation, TestingView
from planning.reads import FillView
from process_models import ProcessModel, format_date
from process_models.business_days import format_long_date


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datum"] = lambda value: format_date(value) if isinstance(value, date) else "–"
    env.filters["datum_lang"] = lambda value: format_long_date(value) if isinstance(value, date) else "–"
    return env


def fill_html(view: FillView, model: ProcessModel) -> str:
    labels = {key: spec.label for key, spec in model.course_types.items()}
    return _environment().get_template("fill.html").render(view=view, labels=labels)


def testing_html(view: TestingView) -> str:
    return _environment().get_template("testing.html").render(view=view)


def invitations_html(region: str, invitations: list[Invitation]) -> str:
    return _environment().get_template("invitations.html").render(region=region, invitations=invitations)


def demand_html(demand: Any, model: ProcessModel, *, region: str, as_of: date) -> str:
    """planning demand as a printable page (planning.demand.Demand)."""
    labels = {key: spec.label for key, spec in model.course_types.items()}

    def kind(course_type: str, part_time: bool) -> str:
        return labels.get(course_type, course_type) + (" (Teilzeit/Abend)" if part_time else "")

    return (
        _environment()
        .get_template("demand.html")
        .render(
            demand=demand,
            region=region,
            as_of=as_of,
            kind=kind,
            entries=sum(demand.rates.entries_per_month.values()),
        )
    )

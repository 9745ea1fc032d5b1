"""Renders emails from templates: `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html` per kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment

from checklists.render import strict_environment

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def environment() -> Environment:
    return strict_environment(TEMPLATES)


def render_email(kind: str, context: dict[str, Any]) -> RenderedEmail:
    env = environment()
    subject = " ".join(env.get_template(f"{kind}.subject.txt").render(**context).split())
    return RenderedEmail(
        subject=subject,
        text=env.get_template(f"{kind}.txt").render(**context),
        html=env.get_template(f"{kind}.html").render(**context),
    )

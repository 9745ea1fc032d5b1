"""The subject access report (Art. 15 DSGVO) as a readable, printable German HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checklists.render import strict_environment
from pipeline.labels import AUDIT_ACTIONS, USER_ROLES
from process_models import ModelCatalog

TEMPLATES = Path(__file__).parent / "templates"

FIELDS = {
    "ref": "Referenz",
    "first_name": "Vorname",
    "last_name": "Nachname",
    "birth_year": "Geburtsjahr",
    "email": "E-Mail",
    "phone": "Telefon",
    "postcode": "Postleitzahl",
    "location": "Wohnort",
    "childcare": "Kinderbetreuung nötig",
    "part_time": "Teilzeit gewünscht",
    "literacy": "Alphabetisierung",
    "youth": "Jugendkurs",
    "transport_reach": "ÖPNV-Erreichbarkeit",
    "model_version": "Prozessversion",
    "stage": "Stufe",
    "stage_since": "Stufe seit",
    "anonymised_on": "Anonymisiert am",
    "created_at": "Erfasst am",
    "updated_at": "Zuletzt geändert",
}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return str(value)


def render_report(data: dict[str, Any], catalog: ModelCatalog) -> str:
    person = data["participant"]
    try:
        model = catalog.get(person["model_version"])
    except Exception:  # an old version no longer shipped: the identifiers are shown as stored
        model = None
    stage = (model.stage_label(person["stage"]) if model else None) or person["stage"]
    facts = []
    state = person.get("state") or {}
    for key, value in sorted((state.get("facts", state) if isinstance(state, dict) else {}).items()):
        spec = model.facts.get(key) if model else None
        facts.append((spec.label if spec is not None else key, _value(value)))
    events = [
        {**entry, "event_label": (model.event_label(entry["event"]) if model else entry["event"])}
        for entry in data["history"]
    ]
    env = strict_environment(TEMPLATES)  # the strict, autoescaped environment of agendas and e-mails
    env.filters["wert"] = _value
    return env.get_template("privacy_report.html").render(
        data=data,
        person=person,
        rows=[(label, _value(person.get(key))) for key, label in FIELDS.items() if key != "stage"],
        stage=stage,
        facts=facts,
        events=events,
        actions=AUDIT_ACTIONS,
        roles=USER_ROLES,
    )

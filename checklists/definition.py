"""Checklist definitions (YAML): which items a meeting's agenda has, in which order, filled by
which query, reported by which agency. Validated like the process model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checklists.labels import AUDIENCES
from checklists.queries import REGISTRY
from checklists.reads import DEFINITIONS_DIR, checklist_path
from process_models.loader import ModelError, ModelValidationError, YamlDocument, line_of, read_yaml

_ITEM_KEYS = ("id", "title", "query", "reporting", "description", "params")


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    query: str
    reporting: tuple[str, ...]
    description: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checklist:
    name: str
    title: str
    items: tuple[ChecklistItem, ...]
    source: str
    #: "agencies" (each invited agency sees its own participants, counts for the rest) or "wide"
    #: (counts and figures only, for meetings with police, clubs, schools)
    audience: str = "agencies"


def _error(doc: YamlDocument, path: tuple[str | int, ...], de: str, en: str) -> ModelError:
    return ModelError(doc.name, line_of(doc, path), de, en)


def parse_checklist(text: str, name: str, *, agencies: Iterable[str]) -> Checklist:
    """Build a checklist from YAML text; raises ModelValidationError listing every problem."""
    doc = read_yaml(text, name)
    known_agencies = set(agencies)
    errors: list[ModelError] = []
    data = doc.data
    if not isinstance(data, dict):
        raise ModelValidationError([_error(doc, (), "Checkliste: Zuordnung erwartet", "checklist: mapping expected")])
    for key in data:
        if key not in ("checklist", "title", "audience", "items"):
            errors.append(
                _error(
                    doc,
                    (key,),
                    f"Unbekannter Schlüssel '{key}' (erlaubt: checklist, title, audience, items)",
                    f"unknown key '{key}'",
                )
            )
    audience = str(data.get("audience") or "agencies")
    if audience not in AUDIENCES:
        errors.append(
            _error(
                doc,
                ("audience",),
                f"audience: '{audience}' ist keine Zielgruppe (erlaubt: {', '.join(AUDIENCES)})",
                f"unknown audience '{audience}'",
            )
        )
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        errors.append(_error(doc, ("items",), "items: nicht leere Liste erwartet", "items: non-empty list expected"))
        raw_items = []
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        path: tuple[str | int, ...] = ("items", index)
        if not isinstance(raw, dict):
            errors.append(_error(doc, path, "Punkt: Zuordnung erwartet", "item: mapping expected"))
            continue
        for key in raw:
            if key not in _ITEM_KEYS:
                errors.append(
                    _error(
                        doc,
                        (*path, key),
                        f"Unbekannter Schlüssel '{key}' (erlaubt: {', '.join(_ITEM_KEYS)})",
                        f"unknown key '{key}'",
                    )
                )
        missing = [key for key in ("id", "title", "query") if not raw.get(key)]
        if missing:
            errors.append(
                _error(doc, path, f"Pflichtangabe fehlt: {', '.join(missing)}", f"missing: {', '.join(missing)}")
            )
            continue
        item_id = str(raw["id"])
        if item_id in seen:
            errors.append(
                _error(doc, (*path, "id"), f"Punkt '{item_id}' kommt doppelt vor", f"duplicate item '{item_id}'")
            )
        seen.add(item_id)
        query = REGISTRY.get(str(raw["query"]))
        if query is None:
            errors.append(
                _error(
                    doc,
                    (*path, "query"),
                    f"Unbekannte Abfrage '{raw['query']}' (verfügbar: {', '.join(sorted(REGISTRY))})",
                    f"unknown query '{raw['query']}'",
                )
            )
            continue
        reporting = raw.get("reporting") or []
        if isinstance(reporting, str):
            reporting = [reporting]
        for code in reporting:
            if code not in known_agencies:
                errors.append(
                    _error(doc, (*path, "reporting"), f"Unbekannte Stelle '{code}'", f"unknown agency '{code}'")
                )
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            errors.append(_error(doc, (*path, "params"), "params: Zuordnung erwartet", "params: mapping expected"))
            params = {}
        for key, value in params.items():
            if key not in query.params:
                allowed = ", ".join(query.params) or "keine"
                errors.append(
                    _error(
                        doc,
                        (*path, "params", key),
                        f"Abfrage '{query.name}' kennt den Parameter '{key}' nicht (erlaubt: {allowed})",
                        f"unknown parameter '{key}'",
                    )
                )
            elif key == "limit" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                errors.append(
                    _error(
                        doc,
                        (*path, "params", key),
                        "Parameter 'limit' erwartet eine ganze Zahl ab 1 (so viele Zeilen je Tabelle)",
                        "parameter 'limit' must be a positive integer",
                    )
                )
            elif not isinstance(value, type(query.params[key])):
                errors.append(
                    _error(
                        doc,
                        (*path, "params", key),
                        f"Parameter '{key}' erwartet {type(query.params[key]).__name__}",
                        f"parameter '{key}' has the wrong type",
                    )
                )
        items.append(
            ChecklistItem(
                id=item_id,
                title=str(raw["title"]),
                query=query.name,
                reporting=tuple(reporting),
                description=str(raw.get("description") or ""),
                params={**query.params, **params},
            )
        )
    if errors:
        raise ModelValidationError(errors)
    return Checklist(
        str(data.get("checklist") or Path(name).stem), str(data.get("title") or ""), tuple(items), name, audience
    )


def load_checklist(name: str, *, region: str | None, overrides_dir: Path | None, agencies: Iterable[str]) -> Checklist:
    """The region's own checklist (`<overrides>/<REGION>.<name>.yaml`) or the shipped default."""
    path = checklist_path(name, region=region, overrides_dir=overrides_dir)
    if path is not None:
        return parse_checklist(path.read_text(encoding="utf-8"), path.name, agencies=agencies)
    raise ModelValidationError(
        [ModelError(str(DEFINITIONS_DIR), None, f"Checkliste '{name}' gibt es nicht", f"checklist '{name}' not found")]
    )

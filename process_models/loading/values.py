"""The definition's named parameters and the values that may refer to them: durations, counts,
reminder rules, the calendar and who is responsible."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from process_models.business_days import LAENDER, CalendarConfig
from process_models.durations import Duration
from process_models.loading.yaml_source import _IDENTIFIER, Path_, YamlDocument, _Builder
from process_models.spec import (
    Agency,
    FactSpec,
    Parameter,
    ParamValue,
    ReminderRule,
    Responsible,
    parameter_kind,
)


def _parameters(b: _Builder, data: Any) -> dict[str, Parameter]:
    params: dict[str, Parameter] = {}
    for name, spec in b.mapping(data, ("parameters",), what="parameters").items():
        path: Path_ = ("parameters", name)
        if not _IDENTIFIER.match(name):
            b.error(path, f"Parametername '{name}' muss snake_case sein", f"parameter name '{name}' must be snake_case")
        spec = b.mapping(
            spec,
            path,
            what=f"Parameter '{name}'",
            allowed=("value", "label", "source", "target"),
            required=("value", "label"),
        )
        if "value" not in spec:
            continue
        value = _param_value(b, spec["value"], (*path, "value"), name)
        if value is None:
            continue
        params[name] = Parameter(
            name,
            value,
            b.text(spec.get("label"), (*path, "label"), what="label"),
            str(spec.get("source") or ""),
            target=b.boolean(spec.get("target"), (*path, "target"), what="target"),
        )
        if params[name].target and not isinstance(value, Duration):
            b.error((*path, "target"), "target nur für Fristen", "target only for periods")
    return params


def _param_value(b: _Builder, raw: Any, path: Path_, name: str, doc: YamlDocument | None = None) -> ParamValue | None:
    if isinstance(raw, bool | int):
        return raw
    if isinstance(raw, str):
        return Duration.parse(raw) if Duration.is_literal(raw) else raw
    b.error(
        path,
        f"Parameter '{name}': Zahl, ja/nein, Frist (z. B. 6w) oder Text erwartet",
        f"parameter '{name}': number, boolean, period (e.g. 6w) or text expected",
        doc,
    )
    return None


def _duration_ref(
    b: _Builder, raw: Any, path: Path_, params: Mapping[str, Parameter], doc: YamlDocument | None = None
) -> tuple[Duration, str] | None:
    """A literal period ("6w") or the name of a period parameter."""
    if isinstance(raw, str):
        if Duration.is_literal(raw):
            return Duration.parse(raw), ""
        param = params.get(raw)
        if param is None:
            b.error(path, f"Unbekannter Parameter '{raw}'", f"unknown parameter '{raw}'", doc)
            return None
        if not isinstance(param.value, Duration):
            b.error(path, f"Parameter '{raw}' ist keine Frist", f"parameter '{raw}' is not a period", doc)
            return None
        return param.value, raw
    b.error(path, "Frist (z. B. 6w) oder Parametername erwartet", "period (e.g. 6w) or parameter name expected", doc)
    return None


def _int_ref(b: _Builder, raw: Any, path: Path_, params: Mapping[str, Parameter]) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw in params and parameter_kind(params[raw].value) == "int":
        value = params[raw].value
        assert isinstance(value, int)
        return value
    b.error(
        path,
        f"Ganzzahl oder Zahl-Parameter erwartet, nicht '{raw}'",
        f"integer or integer parameter expected, not '{raw}'",
    )
    return 0


_REMINDER_KEYS = ("lead", "on_due", "repeat_after", "escalate_after")


def _reminders(
    b: _Builder,
    data: Any,
    path: Path_,
    params: Mapping[str, Parameter],
    base: ReminderRule | None,
    doc: YamlDocument | None = None,
) -> ReminderRule | None:
    spec = b.mapping(
        data, path, what="reminders", allowed=_REMINDER_KEYS, required=() if base else _REMINDER_KEYS, doc=doc
    )
    values: dict[str, Any] = {}
    for key in ("lead", "repeat_after", "escalate_after"):
        if key in spec:
            ref = _duration_ref(b, spec[key], (*path, key), params, doc)
            if ref is not None:
                values[key] = ref[0]
    if "on_due" in spec:
        if isinstance(spec["on_due"], bool):
            values["on_due"] = spec["on_due"]
        else:
            b.error((*path, "on_due"), "on_due: true/false erwartet", "on_due: true/false expected", doc)
    if base is None:
        if set(values) != set(_REMINDER_KEYS):
            return None
        return ReminderRule(**values)
    return replace(base, **values)


def _calendar(
    b: _Builder, data: Any, path: Path_, base: CalendarConfig, doc: YamlDocument | None = None
) -> CalendarConfig:
    spec = b.mapping(
        data,
        path,
        what="calendar",
        allowed=("land", "subdivision", "categories", "extra_holidays", "closing_days"),
        doc=doc,
    )
    config = base
    if "land" in spec:
        land = spec["land"]
        if land not in LAENDER:
            b.error(
                (*path, "land"),
                f"Unbekanntes Land '{land}' (erlaubt: {', '.join(LAENDER)})",
                f"unknown Land '{land}'",
                doc,
            )
        else:
            config = replace(config, land=land)
    if "subdivision" in spec:
        config = replace(config, subdivision=str(spec["subdivision"]))
    if "categories" in spec:
        categories = spec["categories"]
        if not isinstance(categories, list) or not set(categories) <= {"public", "catholic"}:
            b.error(
                (*path, "categories"),
                "categories: Liste aus public, catholic erwartet",
                "categories: list of public, catholic expected",
                doc,
            )
        else:
            config = replace(config, categories=tuple(categories))
    if "extra_holidays" in spec:
        extra: list[tuple[date, str]] = []
        for key, name in b.mapping(
            spec["extra_holidays"], (*path, "extra_holidays"), what="extra_holidays", doc=doc
        ).items():
            try:
                extra.append((date.fromisoformat(key), str(name)))
            except ValueError:
                b.error(
                    (*path, "extra_holidays", key),
                    f"'{key}' ist kein Datum (JJJJ-MM-TT)",
                    f"'{key}' is not a date (YYYY-MM-DD)",
                    doc,
                )
        config = replace(config, extra_holidays=tuple(extra))
    if "closing_days" in spec:
        closing: list[tuple[int, int, str]] = []
        for key, name in b.mapping(spec["closing_days"], (*path, "closing_days"), what="closing_days", doc=doc).items():
            match = re.match(r"^(\d{2})-(\d{2})$", str(key))
            if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
                b.error(
                    (*path, "closing_days", key), f"'{key}' ist kein Tag (MM-TT)", f"'{key}' is not a day (MM-DD)", doc
                )
                continue
            closing.append((int(match[1]), int(match[2]), str(name)))
        config = replace(config, closing_days=tuple(closing))
    return config


def _responsible(
    b: _Builder, raw: Any, path: Path_, agencies: Mapping[str, Agency], facts: Mapping[str, FactSpec]
) -> Responsible | None:
    if isinstance(raw, dict):
        return _switch(b, raw, path, agencies, facts)
    if not isinstance(raw, str):
        b.error(path, "Zuständigkeit: Text erwartet", "responsible: text expected")
        return None
    if raw == "counselling":
        return Responsible("counselling")
    if raw.startswith("fact:"):
        name = raw[5:]
        fact = facts.get(name)
        if fact is None or fact.type not in ("agency", "agencies"):
            b.error(
                path,
                f"'{name}' ist keine Angabe vom Typ agency oder agencies",
                f"'{name}' is not a fact of type agency or agencies",
            )
            return None
        return Responsible("fact", fact=name)
    code, _, via = raw.partition("@")
    if code not in agencies:
        b.error(path, f"Unbekannte Stelle '{code}' (erlaubt: {', '.join(agencies)})", f"unknown agency '{code}'")
        return None
    if via and via not in facts:
        b.error(path, f"Unbekannte Angabe '{via}'", f"unknown fact '{via}'")
        return None
    if via and facts[via].type != "provider":
        b.error(
            path,
            f"'{via}' ist keine Angabe vom Typ provider (Kürzel eines Kursträgers)",
            f"'{via}' is not a fact of type provider",
        )
        return None
    return Responsible("agency", agency=code, via=via)


def _switch(
    b: _Builder, raw: Mapping[str, Any], path: Path_, agencies: Mapping[str, Agency], facts: Mapping[str, FactSpec]
) -> Responsible | None:
    """`{by: FACT, cases: {VALUE: REF}, otherwise: REF}`: the agency follows an enum fact's value."""
    spec = b.mapping(raw, path, what="Zuständigkeit", allowed=("by", "cases", "otherwise"), required=("by", "cases"))
    name = spec.get("by")
    fact = facts.get(str(name))
    if fact is None or not fact.type.startswith("enum:"):
        b.error((*path, "by"), f"'{name}' ist keine Angabe mit Werteliste (enum)", f"'{name}' is not an enum fact")
        return None
    cases: list[tuple[str, Responsible]] = []
    for value, ref in b.mapping(spec.get("cases"), (*path, "cases"), what="cases").items():
        built = _responsible(b, ref, (*path, "cases", value), agencies, facts)
        if built is not None and built.kind != "switch":
            cases.append((str(value), built))
    otherwise: list[Responsible] = []
    for index, ref in enumerate(
        b.names(spec["otherwise"], (*path, "otherwise"), what="otherwise") if "otherwise" in spec else ()
    ):
        built = _responsible(b, ref, (*path, "otherwise", index), agencies, facts)
        if built is not None:
            otherwise.append(built)
    return Responsible("switch", fact=fact.name, cases=tuple(cases), otherwise=tuple(otherwise))

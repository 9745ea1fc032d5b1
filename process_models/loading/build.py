"""One definition (with a region's override) built section by section into a ProcessModel."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from process_models.business_days import CalendarConfig
from process_models.durations import Duration
from process_models.loading.events import _conditions, _events, _transitions, _valid_type
from process_models.loading.graph import _check_graph
from process_models.loading.steps import _steps
from process_models.loading.values import _calendar, _int_ref, _param_value, _parameters, _reminders
from process_models.loading.yaml_source import (
    _AGENCY_CODE,
    _IDENTIFIER,
    ModelValidationError,
    Path_,
    YamlDocument,
    _Builder,
)
from process_models.spec import (
    COURSE_NEEDS,
    STAGE_TAGS,
    Agency,
    CourseType,
    DerivedFact,
    FactSpec,
    Parameter,
    ProcessModel,
    ReminderRule,
    StageSpec,
    StepSpec,
    TransitionSpec,
    ValueSet,
    VersionMapping,
    parameter_kind,
)

_TOP_KEYS = (
    "model",
    "version",
    "title",
    "valid_from",
    "description",
    "agencies",
    "parameters",
    "reminders",
    "calendar",
    "value_sets",
    "course_types",
    "facts",
    "derived",
    "stages",
    "events",
    "transitions",
    "steps",
    "migrations",
    "valid_until",
)


_REQUIRED_TOP = (
    "model",
    "version",
    "title",
    "agencies",
    "parameters",
    "reminders",
    "facts",
    "stages",
    "events",
    "transitions",
    "steps",
)


_OVERRIDE_KEYS = ("region", "base", "parameters", "reminders", "steps", "calendar")


def _apply_parameter_overrides(b: _Builder, params: dict[str, Parameter], override: YamlDocument) -> None:
    data = override.data.get("parameters") if isinstance(override.data, dict) else None
    for name, raw in b.mapping(data, ("parameters",), what="parameters", doc=override).items():
        path: Path_ = ("parameters", name)
        base = params.get(name)
        if base is None:
            b.error(
                path,
                f"Parameter '{name}' gibt es im Prozessmodell nicht",
                f"override of unknown parameter '{name}'",
                override,
            )
            continue
        value = _param_value(b, raw, path, name, override)
        if value is None:
            continue
        if parameter_kind(value) != base.kind:
            b.error(
                path,
                f"Parameter '{name}' erwartet {base.kind}, nicht '{raw}'",
                f"parameter '{name}' expects {base.kind}, not '{raw}'",
                override,
            )
            continue
        params[name] = replace(base, value=value, overridden=True)


def _agencies(b: _Builder, top: Mapping[str, Any]) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for code, spec in b.mapping(top["agencies"], ("agencies",), what="agencies").items():
        path: Path_ = ("agencies", code)
        if not _AGENCY_CODE.match(code):
            b.error(
                path,
                f"Stellenkürzel '{code}' muss aus Großbuchstaben bestehen",
                f"agency code '{code}' must be upper case",
            )
        spec = b.mapping(spec, path, what=f"Stelle '{code}'", allowed=("label", "color"), required=("label",))
        agencies[code] = Agency(
            code, b.text(spec.get("label"), (*path, "label"), what="label"), str(spec.get("color") or "#999999")
        )
    return agencies


def _value_sets(b: _Builder, top: Mapping[str, Any]) -> dict[str, ValueSet]:
    value_sets: dict[str, ValueSet] = {}
    for name, values in b.mapping(top.get("value_sets"), ("value_sets",), what="value_sets").items():
        values = b.mapping(values, ("value_sets", name), what=f"Werteliste '{name}'")
        value_sets[name] = ValueSet(name, {str(key): str(label) for key, label in values.items()})
    return value_sets


def _course_types(b: _Builder, top: Mapping[str, Any], params: Mapping[str, Parameter]) -> dict[str, CourseType]:
    course_types: dict[str, CourseType] = {}
    for type_id, spec in b.mapping(top.get("course_types"), ("course_types",), what="course_types").items():
        path = ("course_types", type_id)
        keys = ("label", "language_hours", "orientation_hours", "max_group")
        spec = b.mapping(
            spec, path, what=f"Kursart '{type_id}'", allowed=(*keys, "needs", "exclusive", "min_group"), required=keys
        )
        needs = b.names(spec["needs"], (*path, "needs"), what="needs") if "needs" in spec else []
        for need in needs:
            if need not in COURSE_NEEDS:
                b.error(
                    (*path, "needs"),
                    f"Unbekannter Bedarf '{need}' (möglich: {', '.join(COURSE_NEEDS)})",
                    f"unknown need {need!r}",
                )
        if set(keys) <= set(spec):
            course_types[type_id] = CourseType(
                type_id,
                b.text(spec["label"], (*path, "label"), what="label"),
                _int_ref(b, spec["language_hours"], (*path, "language_hours"), params),
                _int_ref(b, spec["orientation_hours"], (*path, "orientation_hours"), params),
                _int_ref(b, spec["max_group"], (*path, "max_group"), params),
                frozenset(needs),
                b.boolean(spec.get("exclusive"), (*path, "exclusive"), what="exclusive"),
                _int_ref(b, spec["min_group"], (*path, "min_group"), params) if "min_group" in spec else None,
            )
    return course_types


def _facts(b: _Builder, top: Mapping[str, Any], value_sets: Mapping[str, ValueSet]) -> dict[str, FactSpec]:
    facts: dict[str, FactSpec] = {}
    for name, spec in b.mapping(top["facts"], ("facts",), what="facts").items():
        path = ("facts", name)
        spec = b.mapping(
            spec, path, what=f"Angabe '{name}'", allowed=("type", "label", "future"), required=("type", "label")
        )
        if "type" in spec and _valid_type(b, spec["type"], (*path, "type"), value_sets):
            future = b.boolean(spec.get("future"), (*path, "future"), what="future")
            if future and spec["type"] != "date":
                b.error((*path, "future"), "future nur für Datumsangaben", "future only for dates")
            facts[name] = FactSpec(
                name, spec["type"], b.text(spec.get("label"), (*path, "label"), what="label"), future=future
            )
    return facts


def _derived(b: _Builder, top: Mapping[str, Any], ctx: Mapping[str, Any]) -> dict[str, DerivedFact]:
    facts = ctx["facts"]
    derived: dict[str, DerivedFact] = {}
    for name, spec in b.mapping(top.get("derived"), ("derived",), what="derived").items():
        path = ("derived", name)
        if name in facts:
            b.error(path, f"'{name}' ist bereits eine gespeicherte Angabe", f"'{name}' is already a stored fact")
        spec = b.mapping(
            spec, path, what=f"Abgeleitete Angabe '{name}'", allowed=("label", "when"), required=("label", "when")
        )
        derived[name] = DerivedFact(
            name,
            b.text(spec.get("label"), (*path, "label"), what="label"),
            _conditions(
                b,
                spec.get("when"),
                (*path, "when"),
                facts=facts,
                params=ctx["params"],
                value_sets=ctx["value_sets"],
                payload=None,
            ),
        )
    return derived


def _stages(b: _Builder, top: Mapping[str, Any], facts: Mapping[str, FactSpec]) -> dict[str, StageSpec]:
    stages: dict[str, StageSpec] = {}
    for stage_id, spec in b.mapping(top["stages"], ("stages",), what="stages").items():
        path = ("stages", stage_id)
        if not _IDENTIFIER.match(stage_id):
            b.error(path, f"Stufe '{stage_id}' muss snake_case sein", f"stage '{stage_id}' must be snake_case")
        spec = b.mapping(
            spec,
            path,
            what=f"Stufe '{stage_id}'",
            allowed=("label", "group", "description", "start", "final", "requires", "tags"),
            required=("label",),
        )
        tags = frozenset(b.names(spec["tags"], (*path, "tags"), what="tags")) if "tags" in spec else frozenset()
        for tag in sorted(tags - STAGE_TAGS.keys()):
            b.error(
                (*path, "tags"),
                f"Unbekanntes Merkmal '{tag}' (erlaubt: {', '.join(STAGE_TAGS)})",
                f"unknown tag '{tag}' (allowed: {', '.join(STAGE_TAGS)})",
            )
        requires = tuple(b.names(spec["requires"], (*path, "requires"), what="requires")) if "requires" in spec else ()
        for name in requires:
            if name not in facts:
                b.error((*path, "requires"), f"Unbekannte Angabe '{name}'", f"unknown fact '{name}'")
        stages[stage_id] = StageSpec(
            id=stage_id,
            label=b.text(spec.get("label"), (*path, "label"), what="label"),
            group=str(spec.get("group") or ""),
            description=str(spec.get("description") or ""),
            start=b.boolean(spec.get("start"), (*path, "start"), what="start"),
            final=b.boolean(spec.get("final"), (*path, "final"), what="final"),
            requires=requires,
            tags=tags & STAGE_TAGS.keys(),
        )
    return stages


def _migrations(
    b: _Builder, top: Mapping[str, Any], stages: Mapping[str, StageSpec], facts: Mapping[str, FactSpec]
) -> list[VersionMapping]:
    migrations: list[VersionMapping] = []
    raw_migrations = top.get("migrations") or []
    if not isinstance(raw_migrations, list):
        b.error(("migrations",), "migrations: Liste erwartet", "migrations: list expected")
        raw_migrations = []
    for index, spec in enumerate(raw_migrations):
        path = ("migrations", index)
        spec = b.mapping(
            spec, path, what="Versionswechsel", allowed=("from_version", "stages", "facts"), required=("from_version",)
        )
        stage_map = {str(k): str(v) for k, v in b.mapping(spec.get("stages"), (*path, "stages"), what="stages").items()}
        for old, new in stage_map.items():
            if new not in stages:
                b.error(
                    (*path, "stages", old), f"Zielstufe '{new}' gibt es nicht", f"target stage '{new}' does not exist"
                )
        fact_map = {str(k): str(v) for k, v in b.mapping(spec.get("facts"), (*path, "facts"), what="facts").items()}
        for old, new in fact_map.items():
            if new not in facts:
                b.error(
                    (*path, "facts", old), f"Zielangabe '{new}' gibt es nicht", f"target fact '{new}' does not exist"
                )
        migrations.append(VersionMapping(str(spec.get("from_version")), stage_map, fact_map))
    return migrations


def _region_override(
    b: _Builder,
    top: Mapping[str, Any],
    override: YamlDocument,
    params: Mapping[str, Parameter],
    reminders: ReminderRule | None,
    calendar: CalendarConfig,
) -> tuple[str, ReminderRule | None, CalendarConfig]:
    """A region's override of the defaults: which model it is for, its reminder rules and calendar."""
    odata = override.data
    region = str(odata.get("region"))
    if "base" in odata:
        wanted = str(odata["base"])
        if wanted not in (top.get("model"), f"{top.get('model')}@{top.get('version')}"):
            b.error(
                ("base",),
                f"Die Anpassung gilt für '{wanted}', geladen ist {top.get('model')}@{top.get('version')}",
                f"override is for '{wanted}'",
                override,
            )
    if reminders is not None and "reminders" in odata:
        reminder_data = dict(odata["reminders"]) if isinstance(odata["reminders"], dict) else odata["reminders"]
        reminders = _reminders(b, reminder_data, ("reminders",), params, reminders, override) or reminders
    calendar = _calendar(b, odata.get("calendar"), ("calendar",), calendar, override)
    return region, reminders, calendar


def _step_overrides(
    b: _Builder, override: YamlDocument, params: Mapping[str, Parameter], steps: dict[str, StepSpec]
) -> None:
    """A region's reminder rules for single steps, applied to `steps` in place."""
    for step_id, spec in b.mapping(override.data.get("steps"), ("steps",), what="steps", doc=override).items():
        path = ("steps", step_id)
        if step_id not in steps:
            b.error(
                path,
                f"Schritt '{step_id}' gibt es im Prozessmodell nicht",
                f"override of unknown step '{step_id}'",
                override,
            )
            continue
        spec = b.mapping(spec, path, what=f"Schritt '{step_id}'", allowed=("reminders",), doc=override)
        rule = _reminders(b, spec.get("reminders"), (*path, "reminders"), params, steps[step_id].reminders, override)
        if rule is not None:
            steps[step_id] = replace(steps[step_id], reminders=rule)


def _build(doc: YamlDocument, override: YamlDocument | None, land: str | None = None) -> ProcessModel:
    b = _Builder(doc)
    top = b.mapping(doc.data, (), what="Prozessmodell", allowed=_TOP_KEYS, required=_REQUIRED_TOP)
    if override is not None:
        b.mapping(
            override.data, (), what="Regionale Anpassung", allowed=_OVERRIDE_KEYS, required=("region",), doc=override
        )
    if b.errors:
        raise ModelValidationError(b.errors)

    agencies = _agencies(b, top)

    params = _parameters(b, top["parameters"])
    if override is not None:
        _apply_parameter_overrides(b, params, override)

    value_sets = _value_sets(b, top)
    course_types = _course_types(b, top, params)
    facts = _facts(b, top, value_sets)

    ctx: dict[str, Any] = {
        "agencies": agencies,
        "params": params,
        "value_sets": value_sets,
        "course_types": course_types,
        "facts": facts,
        "derived": (),
    }
    derived = _derived(b, top, ctx)
    ctx["derived"] = tuple(derived)

    stages = _stages(b, top, facts)

    events = _events(b, top["events"], ctx)
    transitions = _transitions(b, top["transitions"], stages, events, ctx)
    _check_graph(b, stages, events, transitions)

    reminders = _reminders(b, top["reminders"], ("reminders",), params, None)
    calendar = _calendar(b, top.get("calendar"), ("calendar",), CalendarConfig())
    if land is not None:
        calendar = replace(calendar, land=land)
    region: str | None = None
    if override is not None:
        region, reminders, calendar = _region_override(b, top, override, params, reminders, calendar)
    ctx["transitions"] = transitions
    steps = _steps(
        b,
        top["steps"],
        stages,
        reminders or ReminderRule(Duration(0, "d"), True, Duration(0, "d"), Duration(0, "d")),
        ctx,
    )
    if override is not None:
        _step_overrides(b, override, params, steps)

    migrations = _migrations(b, top, stages, facts)

    version = top["version"]
    if not isinstance(version, str):
        b.error(
            ("version",),
            'version: Text in Anführungszeichen erwartet, z. B. "2017.1"',
            'version: quoted text expected, e.g. "2017.1"',
        )
    valid_from = top.get("valid_from")
    if valid_from is not None and not isinstance(valid_from, date):
        b.error(("valid_from",), "valid_from: Datum erwartet", "valid_from: date expected")
        valid_from = None
    valid_until = top.get("valid_until")
    if valid_until is not None and not isinstance(valid_until, date):
        b.error(("valid_until",), "valid_until: Datum erwartet", "valid_until: date expected")
        valid_until = None
    elif valid_until is not None and valid_from is not None and valid_until < valid_from:
        b.error(("valid_until",), "valid_until liegt vor valid_from", "valid_until is before valid_from")

    if b.errors:
        raise ModelValidationError(b.errors)
    assert reminders is not None

    digest = hashlib.sha256(doc.text.encode())
    if override is not None:
        digest.update(b"\0" + override.text.encode())
    transitions_from: dict[tuple[str, str], list[TransitionSpec]] = {}
    for transition in transitions:
        transitions_from.setdefault((transition.source, transition.event), []).append(transition)
    steps_in_stage: dict[str, list[StepSpec]] = {stage: [] for stage in stages}
    for step in steps.values():
        for stage in step.stages:
            steps_in_stage[stage].append(step)
    return ProcessModel(
        model_id=str(top["model"]),
        version=str(version),
        title=b.text(top["title"], ("title",), what="title"),
        valid_from=valid_from,
        valid_until=valid_until,
        description=str(top.get("description") or ""),
        source=doc.name,
        agencies=agencies,
        parameters=params,
        value_sets=value_sets,
        course_types=course_types,
        facts=facts,
        derived=derived,
        stages=stages,
        events=events,
        transitions=tuple(transitions),
        steps=steps,
        reminders=reminders,
        calendar=calendar,
        migrations=tuple(migrations),
        region=region,
        override_source=override.name if override else None,
        fingerprint=digest.hexdigest()[:16],
        transitions_from={key: tuple(value) for key, value in transitions_from.items()},
        steps_in_stage={key: tuple(value) for key, value in steps_in_stage.items()},
        tagged={tag: frozenset(s.id for s in stages.values() if tag in s.tags) for tag in STAGE_TAGS},
    )

"""The loaded process model: frozen objects built once from YAML, shared by every participant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from process_models.business_days import CalendarConfig
from process_models.durations import Duration

ParamValue = Duration | int | bool | str

#: What code may ask of a stage. Code names these tags, never a stage: the model says which of
#: its stages carry a tag (`tags: [...]`), and the loader refuses tags that are not listed here.
STAGE_TAGS: dict[str, str] = {
    "before_course": "noch kein Integrationskurs begonnen: „Kursbeginn“ ist der voraussichtliche",
    "awaiting_course": "Teilnahme geklärt, wartet auf einen Kurs (Kursplanung, Kinderbetreuung, ÖPNV)",
    "awaiting_registration": "berechtigt oder verpflichtet, noch nicht beim Kursträger angemeldet",
    "awaiting_start": "beim Kursträger angemeldet, Kurs noch nicht begonnen",
    "paused": "Kurs unterbrochen (die Unterbrechung läuft)",
    "attending": "nimmt am Integrationskurs teil",
    "awaiting_bsk_start": "für einen Berufssprachkurs angemeldet, noch nicht begonnen",
}

#: Operators a condition may use, with the kind of operand each takes.
CONDITION_OPS: dict[str, str] = {
    "eq": "value",
    "ne": "value",
    "in": "list",
    "not_in": "list",
    "set": "bool",
    "gte": "value",
    "lte": "value",
    "gte_param": "param",
    "lte_param": "param",
    "unset_or_before": "fact",
    "count_gte": "value",
}


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: ParamValue
    label: str
    source: str = ""
    overridden: bool = False
    #: a period the law sets as a target („soll“), not a limit whose end has a legal effect
    target: bool = False

    @property
    def kind(self) -> str:
        return parameter_kind(self.value)

    def display(self) -> str:
        value = self.value
        if isinstance(value, Duration):
            return value.label_de()
        if isinstance(value, bool):
            return "ja" if value else "nein"
        return str(value)


def parameter_kind(value: object) -> str:
    if isinstance(value, Duration):
        return "duration"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "str"


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    label: str
    color: str = "#999999"


@dataclass(frozen=True, slots=True)
class ValueSet:
    name: str
    values: Mapping[str, str]


#: The participant needs a course type may be for (`needs:`): the boolean needs of a participant.
COURSE_NEEDS: dict[str, str] = {
    "childcare": "Kinderbetreuung",
    "part_time": "Teilzeit/Abend",
    "literacy": "Alphabetisierung",
    "youth": "Jugendkurs",
}


@dataclass(frozen=True, slots=True)
class CourseType:
    id: str
    label: str
    language_hours: int
    orientation_hours: int
    max_group: int
    #: the needs this special course is for: someone not yet placed who has them may take it
    needs: frozenset[str] = frozenset()
    #: someone with these needs takes only this course type (literacy: not a general course)
    exclusive: bool = False
    #: the minimum size a course of this type usually needs to start (a course may say otherwise)
    min_group: int | None = None

    @property
    def total_hours(self) -> int:
        return self.language_hours + self.orientation_hours


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: str
    label: str
    #: a date that may lie in the future (a plan, an expiry), where other dates may not
    future: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    """`subject op operand`, where subject is `payload.X` or `fact.X`."""

    scope: Literal["payload", "fact"]
    name: str
    op: str
    operand: Any

    def describe(self) -> str:
        return f"{self.scope}.{self.name} {self.op} {self.operand!r}"


@dataclass(frozen=True, slots=True)
class DerivedFact:
    name: str
    label: str
    when: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    label: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    id: str
    label: str
    description: str = ""
    actors: tuple[str, ...] = ()
    payload: tuple[FieldSpec, ...] = ()
    sets: tuple[tuple[str, str], ...] = ()
    keeps: tuple[tuple[str, str], ...] = ()
    adds: tuple[tuple[str, str], ...] = ()
    #: agencies added to a list of agencies (e.g. every agency that imposed an obligation)
    appends: tuple[tuple[str, str], ...] = ()
    clears: tuple[str, ...] = ()
    interruption: Literal["start", "end"] | None = None
    #: only the listed actors may record it: the coordination (KOM) may not record it for them
    actors_only: bool = False
    #: the event starts a course enrolment (with the payload's course) or ends the running one
    enrolment: Literal["start", "end"] | None = None
    #: payload conditions under which `enrolment` applies (e.g. only the last course section)
    enrolment_when: tuple[Condition, ...] = ()

    def coordination_records(self, agency: str | None) -> bool:
        """True when `agency` is the coordination (KOM) recording for the actors, which it may
        unless the event is `actors_only` (one rule for the engine and the web's viewer)."""
        return agency == "KOM" and not self.actors_only

    def recordable_by(self, agency: str | None) -> bool:
        """Whether an agency of this type may record the event (its actors, or the coordination)."""
        return self.coordination_records(agency) or agency in self.actors

    def field(self, name: str) -> FieldSpec | None:
        for spec in self.payload:
            if spec.name == name:
                return spec
        return None

    def field_for_fact(self, fact: str) -> FieldSpec | None:
        """The payload field whose value the event writes into `fact` (sets, keeps or appends)."""
        for name, source in (*self.sets, *self.keeps, *self.appends):
            if name == fact and source.startswith("payload."):
                return self.field(source.removeprefix("payload."))
        return None


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    source: str
    event: str
    target: str
    guard: tuple[Condition, ...] = ()
    refusal: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StageSpec:
    id: str
    label: str
    group: str = ""
    description: str = ""
    start: bool = False
    final: bool = False
    requires: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Responsible:
    """Who acts on a step: a literal agency type, one read from a fact, the counselling service,
    or (`switch`) one of several chosen by the value of an enum fact, e.g. the Jobcenter for
    SGB II recipients and the Agentur für Arbeit for SGB III (`cases`, else `otherwise`)."""

    kind: Literal["agency", "fact", "counselling", "switch"]
    agency: str = ""
    fact: str = ""
    via: str = ""
    cases: tuple[tuple[str, Responsible], ...] = ()
    otherwise: tuple[Responsible, ...] = ()

    def describe(self) -> str:
        if self.kind == "counselling":
            return "counselling"
        if self.kind == "switch":
            cases = ", ".join(f"{value}: {ref.describe()}" for value, ref in self.cases)
            otherwise = "/".join(ref.describe() for ref in self.otherwise) or "–"
            return f"{self.fact} ({cases}; sonst {otherwise})"
        if self.kind == "fact":
            return f"fact:{self.fact}"
        return f"{self.agency}@{self.via}" if self.via else self.agency


@dataclass(frozen=True, slots=True)
class DueRule:
    anchor: str
    offset: Duration
    offset_ref: str = ""
    when: tuple[Condition, ...] = ()
    #: Interruptions extend the period: "" = never, "anchor" = those after the anchor date,
    #: a fact name = those after that date (e.g. the course start for a planned course end).
    pause_since: str = ""


@dataclass(frozen=True, slots=True)
class ReminderRule:
    """When to remind: `lead` before the due date, on it, `repeat_after` and `escalate_after` it."""

    lead: Duration
    on_due: bool
    repeat_after: Duration
    escalate_after: Duration


@dataclass(frozen=True, slots=True)
class StepSpec:
    id: str
    label: str
    stages: tuple[str, ...]
    responsible: tuple[Responsible, ...]
    due: tuple[DueRule, ...]
    reminders: ReminderRule
    when: tuple[Condition, ...] = ()
    legal_basis: str = ""
    description: str = ""
    #: the event a confirmation from the reminder e-mail records ("Anmeldung liegt vor"), if any
    answer: str | None = None
    #: the due date is the day a right lapses (§ 4 Abs. 1 S. 3 IntV): once it has passed, the step
    #: reads "verfallen" – what remains is recording the lapse – rather than counting days overdue
    lapses: bool = False


@dataclass(frozen=True, slots=True)
class VersionMapping:
    """How running cases of an older model version move onto this one."""

    from_version: str
    stages: Mapping[str, str]
    facts: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class ProcessModel:
    """One version of the reference process, possibly with a region's overrides applied."""

    model_id: str
    version: str
    title: str
    valid_from: date | None
    description: str
    source: str
    agencies: Mapping[str, Agency]
    parameters: Mapping[str, Parameter]
    value_sets: Mapping[str, ValueSet]
    course_types: Mapping[str, CourseType]
    facts: Mapping[str, FactSpec]
    derived: Mapping[str, DerivedFact]
    stages: Mapping[str, StageSpec]
    events: Mapping[str, EventSpec]
    transitions: tuple[TransitionSpec, ...]
    steps: Mapping[str, StepSpec]
    reminders: ReminderRule
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    migrations: tuple[VersionMapping, ...] = ()
    #: the last day whose law these rules describe (None: still in force)
    valid_until: date | None = None
    region: str | None = None
    override_source: str | None = None
    fingerprint: str = ""
    # Indexes, filled by the loader.
    transitions_from: Mapping[tuple[str, str], tuple[TransitionSpec, ...]] = field(default_factory=dict)
    steps_in_stage: Mapping[str, tuple[StepSpec, ...]] = field(default_factory=dict)
    tagged: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def stages_tagged(self, tag: str) -> frozenset[str]:
        """The stages that carry `tag` (one of STAGE_TAGS)."""
        if tag not in STAGE_TAGS:
            raise KeyError(f"unknown stage tag {tag!r}")
        return self.tagged.get(tag, frozenset())

    def facts_of_type(self, kind: str) -> tuple[str, ...]:
        """The facts of one type, in definition order (e.g. every fact naming an agency)."""
        return tuple(name for name, spec in self.facts.items() if spec.type == kind)

    @property
    def start_stage(self) -> str:
        return next(stage.id for stage in self.stages.values() if stage.start)

    @property
    def final_stages(self) -> tuple[str, ...]:
        return tuple(stage.id for stage in self.stages.values() if stage.final)

    def param(self, name: str) -> ParamValue:
        return self.parameters[name].value

    def int_param(self, name: str) -> int:
        value = self.parameters[name].value
        assert isinstance(value, int)
        return value

    def duration(self, name: str) -> Duration:
        value = self.parameters[name].value
        assert isinstance(value, Duration)
        return value

    def stage_label(self, stage: str) -> str:
        spec = self.stages.get(stage)
        return spec.label if spec else stage

    def event_label(self, event: str) -> str:
        spec = self.events.get(event)
        return spec.label if spec else event

    def value_text(self, kind: str, value: Any, *, agency_names: bool = False) -> str:
        """A typed value as a German reader sees it: labels for value sets and course types,
        ja/nein, TT.MM.JJJJ, agencies by code (or by name with `agency_names`); the import reads
        every one of these back, except agency names."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if isinstance(value, date):
            return value.strftime("%d.%m.%Y")
        if isinstance(value, str) and kind == "date" and len(value) == 10 and value[4] == "-":
            return f"{value[8:10]}.{value[5:7]}.{value[:4]}"
        if kind == "course_type" and value in self.course_types:
            return self.course_types[value].label
        if kind == "agency" and agency_names and value in self.agencies:
            return self.agencies[value].label
        if kind.startswith("enum:") and kind[5:] in self.value_sets:
            return self.value_sets[kind[5:]].values.get(value, str(value))
        if isinstance(value, list | tuple):
            item_kind = "agency" if kind == "agencies" else kind
            return ", ".join(self.value_text(item_kind, item, agency_names=agency_names) for item in value)
        return str(value)

    def fact_text(self, name: str, value: Any, *, agency_names: bool = False) -> str:
        """A fact's value in German (see value_text)."""
        spec = self.facts.get(name)
        return self.value_text(spec.type if spec else "str", value, agency_names=agency_names)

    def allowed_events(self, stage: str) -> tuple[str, ...]:
        """Events that have at least one transition out of `stage`, in definition order."""
        seen: dict[str, None] = {}
        for transition in self.transitions:
            if transition.source == stage:
                seen.setdefault(transition.event, None)
        return tuple(seen)

    def find_stage(self, text: str) -> str | None:
        """A stage by identifier or German label (case-insensitive)."""
        return _find(self.stages.values(), text)

    def find_event(self, text: str) -> str | None:
        """An event by identifier or German label (case-insensitive)."""
        return _find(self.events.values(), text)

    def find_step(self, text: str) -> str | None:
        """A step by identifier or German label (case-insensitive)."""
        return _find(self.steps.values(), text)

    @property
    def label(self) -> str:
        suffix = f" · Region {self.region}" if self.region else ""
        return f"{self.title} (Version {self.version}){suffix}"


def _find(specs: Iterable[StageSpec | EventSpec | StepSpec], text: str) -> str | None:
    wanted = text.strip().casefold()
    return next((spec.id for spec in specs if wanted in (spec.id.casefold(), spec.label.casefold())), None)

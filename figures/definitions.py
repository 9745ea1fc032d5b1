"""The key figures, each defined once: what it counts (the German definition shown beside it) and
how it is computed, pure over plain records.

A case is looked at once (`observe`): the dates that matter to any figure are taken from its
facts into a small `Observation`; a figure over a period, a month of a trend or the same figure at
the last meeting filters those observations by date, so a 12-month trend costs one pass over the
cases, not twelve.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from process_models import ProcessModel, format_date
from process_models.durations import add_months

MONTHS_DE = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")

#: The facts a figure reads, by what they mean here (the model's fact names).
START_FACTS = ("first_course_started_on", "course_started_on")
ENTRY_FACTS = ("entitled_on", "obliged_on")
#: transitions after the course: fact → the German label of the path
TRANSITION_FACTS: dict[str, str] = {
    "bsk_registered_on": "Berufssprachkurs",
    "measure_started_on": "Maßnahme",
    "training_started_on": "Ausbildung",
    "employment_started_on": "Arbeit",
}
#: every fact any figure reads (figures.reads loads only these)
FACTS_READ = (
    *START_FACTS,
    *ENTRY_FACTS,
    "registered_on",
    "test_date",
    "dtz_level",
    "lid_points",
    "dropped_out_on",
    "course_end_planned",
    "course_type",
    "provider",
    *TRANSITION_FACTS,
)
NOT_TAKEN = "nicht abgelegt"


@dataclass(frozen=True, slots=True)
class Case:
    """One participant as the figures see it: no name, no reference."""

    stage: str
    facts: Mapping[str, Any]
    birth_year: int | None = None
    needs: frozenset[str] = frozenset()
    next_due: date | None = None
    next_agencies: tuple[str, ...] = ()
    region: str = ""


@dataclass(frozen=True, slots=True)
class CourseRecord:
    provider: str
    course_type: str
    capacity: int
    enrolled: int
    start: date | None
    end: date | None
    cancelled: bool = False

    @property
    def free(self) -> int:
        return max(self.capacity - self.enrolled, 0)


@dataclass(frozen=True)
class Context:
    """What the definitions take from the process model and the region."""

    as_of: date
    target_days: int
    target_label: str
    pass_points: int
    agency_labels: Mapping[str, str] = field(default_factory=dict)
    course_type_labels: Mapping[str, str] = field(default_factory=dict)
    dtz_labels: Mapping[str, str] = field(default_factory=dict)
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    #: stages that end the course before the exam (shown at the end of the funnel, not in it)
    final_stages: frozenset[str] = frozenset()

    @classmethod
    def of(cls, model: ProcessModel, as_of: date, agency_names: Mapping[str, str] | None = None) -> Context:
        target = model.duration("waiting_time_target")
        labels = {code: spec.label for code, spec in model.agencies.items()}
        labels.update(agency_names or {})
        dtz = model.value_sets.get("dtz_level")
        return cls(
            as_of=as_of,
            target_days=target.approx_days(),
            target_label=target.label_de(),
            pass_points=model.int_param("lid_pass_points"),
            agency_labels=labels,
            course_type_labels={key: spec.label for key, spec in model.course_types.items()},
            dtz_labels=dict(dtz.values) if dtz else {},
            stage_labels={key: spec.label for key, spec in model.stages.items()},
            final_stages=frozenset(model.final_stages),
        )


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def months_back(cls, end: date, months: int) -> Period:
        return cls(add_months(end, -months) + timedelta(days=1), end)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, add_months(first, 1) - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def shifted(self, months: int) -> Period:
        return Period(add_months(self.start, months), add_months(self.end, months))

    @property
    def label(self) -> str:
        return f"{format_date(self.start)} bis {format_date(self.end)}"

    @property
    def month_label(self) -> str:
        return f"{MONTHS_DE[self.start.month - 1]} {self.start.year}"


@dataclass(frozen=True, slots=True)
class Observation:
    """The dates of one case that figures count, taken once."""

    start: date | None = None
    wait_days: int | None = None
    access_days: int | None = None
    test: date | None = None
    level: str | None = None
    lid_pass: bool | None = None
    dropped: date | None = None
    #: the planned end of a course that ended without an exam result (no drop-out)
    ended_untested: date | None = None
    transitions: tuple[tuple[str, date], ...] = ()
    overdue: tuple[str, ...] = ()
    stage: str = ""
    region: str = ""


def _first(facts: Mapping[str, Any], names: Sequence[str]) -> date | None:
    return next((facts[name] for name in names if isinstance(facts.get(name), date)), None)


def observe(case: Case, ctx: Context) -> Observation:
    facts = case.facts
    start = _first(facts, START_FACTS)
    registered = facts.get("registered_on")
    entries = [facts[name] for name in ENTRY_FACTS if isinstance(facts.get(name), date)]
    test = facts.get("test_date") if facts.get("dtz_level") else None
    points = facts.get("lid_points")
    dropped = facts.get("dropped_out_on")
    planned_end = facts.get("course_end_planned")
    untested = (
        planned_end
        if start and isinstance(planned_end, date) and planned_end <= ctx.as_of and not test and not dropped
        else None
    )
    return Observation(
        start=start,
        wait_days=(start - registered).days if start and isinstance(registered, date) and start >= registered else None,
        access_days=(start - min(entries)).days if start and entries and start >= min(entries) else None,
        test=test if isinstance(test, date) else None,
        level=str(facts["dtz_level"]) if test else None,
        lid_pass=(points >= ctx.pass_points) if test and isinstance(points, int) else None,
        dropped=dropped if isinstance(dropped, date) else None,
        ended_untested=untested,
        transitions=tuple(
            (label, facts[name]) for name, label in TRANSITION_FACTS.items() if isinstance(facts.get(name), date)
        ),
        overdue=case.next_agencies if case.next_due is not None and case.next_due < ctx.as_of else (),
        stage=case.stage,
        region=case.region,
    )


@dataclass(frozen=True)
class FigureValue:
    """One figure for one period: the headline in German, the number behind it, its breakdown."""

    key: str
    name: str
    definition: str
    text: str
    #: the headline number (median weeks, a share 0–1, a count); None when nothing was observed
    number: float | None
    unit: str
    basis: int
    basis_text: str
    parts: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class FigureSpec:
    key: str
    name: str
    #: "weeks", "months", "share" or "count": how the number and its change are written
    unit: str
    #: the German definition; {window}, {target}, {pass_points} and {cohort} are filled in
    definition: str
    #: a figure of the state on the day (overdue, course fill) rather than of events in a period
    state: bool = False


FIGURES: dict[str, FigureSpec] = {
    spec.key: spec
    for spec in (
        FigureSpec(
            "waiting_time",
            "Wartezeit Anmeldung → Kursbeginn",
            "weeks",
            "Tage von der Anmeldung beim Kursträger bis zum ersten Kursbeginn, Median in Wochen, für die Kursbeginne {window}; dazu der Anteil, der innerhalb von {target} begann (Zielwert, § 7 Abs. 3 IntV).",
        ),
        FigureSpec(
            "waiting_within_target",
            "Kursbeginn innerhalb von sechs Wochen",
            "share",
            "Anteil der Kursbeginne {window}, bei denen zwischen Anmeldung und erstem Kursbeginn höchstens {target} lagen (§ 7 Abs. 3 IntV).",
        ),
        FigureSpec(
            "access_time",
            "Zugangszeit Berechtigung → Kursbeginn",
            "months",
            "Tage von der Berechtigung oder Verpflichtung (das frühere Datum) bis zum ersten Kursbeginn, Median in Monaten (30,44 Tage), für die Kursbeginne {window}.",
        ),
        FigureSpec(
            "completion_rate",
            "Abschlussquote",
            "share",
            "Personen mit Prüfungsergebnis {window} geteilt durch Personen mit Prüfungsergebnis oder Kursabbruch {window}.",
        ),
        FigureSpec(
            "dropout_rate",
            "Abbruchquote",
            "share",
            "Kursabbrüche {window} geteilt durch Personen mit Prüfungsergebnis oder Kursabbruch {window}.",
        ),
        FigureSpec(
            "dtz_results",
            "Ergebnisse Deutsch-Test für Zuwanderer",
            "share",
            "Prüfungen {window} nach erreichtem Niveau (B1, A2, unter A2) und Kurse, deren geplantes Ende {window} lag, ohne Prüfungsergebnis und ohne Abbruch („nicht abgelegt“); die Kennzahl ist der Anteil B1 an allen Prüfungen.",
        ),
        FigureSpec(
            "lid_passes",
            "Test „Leben in Deutschland“ bestanden",
            "share",
            "Anteil der Prüfungen {window} mit mindestens {pass_points} Punkten im Test „Leben in Deutschland“ (§ 17 IntV), unter denen mit eingetragenen Punkten.",
        ),
        FigureSpec(
            "transitions_6m",
            "Übergang binnen 6 Monaten nach dem Kurs",
            "share",
            "Von den Personen, deren Integrationskurs {cohort} mit der Prüfung endete, der Anteil, der nach Kursbeginn und spätestens 6 Monate nach der Prüfung einen Berufssprachkurs, eine Maßnahme, eine Ausbildung oder Arbeit begonnen hat (Berufssprachkurs: angemeldet).",
        ),
        FigureSpec(
            "transitions_12m",
            "Übergang binnen 12 Monaten nach dem Kurs",
            "share",
            "Von den Personen, deren Integrationskurs {cohort} mit der Prüfung endete, der Anteil, der nach Kursbeginn und spätestens 12 Monate nach der Prüfung einen Berufssprachkurs, eine Maßnahme, eine Ausbildung oder Arbeit begonnen hat (Berufssprachkurs: angemeldet).",
        ),
        FigureSpec(
            "overdue",
            "Überfällige Schritte nach Stelle",
            "count",
            "Personen, deren nächster Schritt am {as_of} überfällig war, nach der Stelle, die ihn tun muss (eine Person mit zwei zuständigen Stellen zählt bei beiden).",
            state=True,
        ),
        FigureSpec(
            "course_fill",
            "Auslastung der Kurse",
            "share",
            "Angemeldete geteilt durch Plätze der Integrationskurse, die am {as_of} laufen oder in den nächsten drei Monaten beginnen (ohne abgesagte); dazu die freien Plätze, je Kursträger und Kursart.",
            state=True,
        ),
    )
}

#: the figures a trend (one value per month) is drawn for
TREND_KEYS = ("waiting_time", "waiting_within_target", "access_time", "completion_rate", "transitions_6m")


def _median(values: Iterable[float]) -> float | None:
    items = list(values)
    return float(statistics.median(items)) if items else None


def share_text(part: float, whole: float) -> str:
    return f"{part / whole:.0%}".replace("%", " %") if whole else "–"


def number_text(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def definition_text(spec: FigureSpec, period: Period, ctx: Context) -> str:
    months = 6 if spec.key == "transitions_6m" else 12
    return spec.definition.format(
        window=period.label,
        target=ctx.target_label,
        pass_points=ctx.pass_points,
        cohort=period.shifted(-months).label,
        as_of=format_date(ctx.as_of),
    )


def _value(spec: FigureSpec, period: Period, ctx: Context, **values: Any) -> FigureValue:
    return FigureValue(key=spec.key, name=spec.name, definition=definition_text(spec, period, ctx), **values)


def figure(key: str, observations: Sequence[Observation], period: Period, ctx: Context) -> FigureValue:
    """One period figure over the observations (not for the state figures, see `overdue` and `course_fill`)."""
    spec = FIGURES[key]
    if key in ("waiting_time", "waiting_within_target"):
        waits = [o.wait_days for o in observations if o.wait_days is not None and o.start in period]
        within = sum(1 for days in waits if days <= ctx.target_days)
        basis = dict(basis=len(waits), basis_text=_plural(len(waits), "Kursbeginn", "Kursbeginne"))
        if key == "waiting_within_target":
            return _value(
                spec,
                period,
                ctx,
                text=share_text(within, len(waits)),
                number=within / len(waits) if waits else None,
                unit=spec.unit,
                **basis,
            )
        median = _median(waits)
        text = (
            f"Median {number_text(median / 7)} Wochen; {share_text(within, len(waits))} innerhalb von {ctx.target_label}"
            if median is not None
            else "keine Kursbeginne"
        )
        return _value(
            spec, period, ctx, text=text, number=median / 7 if median is not None else None, unit=spec.unit, **basis
        )
    if key == "access_time":
        access = [o.access_days for o in observations if o.access_days is not None and o.start in period]
        median = _median(access)
        return _value(
            spec,
            period,
            ctx,
            text=f"Median {number_text(median / 30.44)} Monate" if median is not None else "keine Kursbeginne",
            number=median / 30.44 if median is not None else None,
            unit=spec.unit,
            basis=len(access),
            basis_text=_plural(len(access), "Kursbeginn", "Kursbeginne"),
        )
    if key in ("completion_rate", "dropout_rate"):
        tests = sum(1 for o in observations if o.test is not None and o.test in period)
        dropouts = sum(1 for o in observations if o.dropped is not None and o.dropped in period)
        whole = tests + dropouts
        part = tests if key == "completion_rate" else dropouts
        return _value(
            spec,
            period,
            ctx,
            text=share_text(part, whole),
            number=part / whole if whole else None,
            unit=spec.unit,
            basis=whole,
            basis_text=f"{_plural(tests, 'Prüfung', 'Prüfungen')}, {_plural(dropouts, 'Abbruch', 'Abbrüche')}",
        )
    if key == "dtz_results":
        levels = Counter(o.level for o in observations if o.test in period and o.level)
        untested = sum(1 for o in observations if o.ended_untested in period)
        tests = sum(levels.values())
        parts = [(ctx.dtz_labels.get(level, level), float(levels.get(level, 0))) for level in ctx.dtz_labels]
        parts += [(level, float(n)) for level, n in levels.items() if level not in ctx.dtz_labels]
        parts.append((NOT_TAKEN, float(untested)))
        b1 = levels.get("B1", 0)
        text = "; ".join(f"{label}: {int(n)}" for label, n in parts)
        return _value(
            spec,
            period,
            ctx,
            text=f"{share_text(b1, tests)} B1 ({text})" if tests else f"keine Prüfungen ({NOT_TAKEN}: {untested})",
            number=b1 / tests if tests else None,
            unit=spec.unit,
            basis=tests,
            basis_text=_plural(tests, "Prüfung", "Prüfungen"),
            parts=tuple(parts),
        )
    if key == "lid_passes":
        scored = [o.lid_pass for o in observations if o.lid_pass is not None and o.test in period]
        passed = sum(scored)
        return _value(
            spec,
            period,
            ctx,
            text=f"{share_text(passed, len(scored))} ({passed} von {len(scored)})" if scored else "keine Ergebnisse",
            number=passed / len(scored) if scored else None,
            unit=spec.unit,
            basis=len(scored),
            basis_text=_plural(len(scored), "Prüfung mit Punkten", "Prüfungen mit Punkten"),
        )
    if key in ("transitions_6m", "transitions_12m"):
        months = 6 if key == "transitions_6m" else 12
        cohort = period.shifted(-months)
        ended = [o for o in observations if o.test is not None and o.test in cohort]
        kinds: Counter[str] = Counter()
        moved = 0
        for o in ended:
            assert o.test is not None
            limit = add_months(o.test, months)
            found = {label for label, day in o.transitions if (o.start is None or day >= o.start) and day <= limit}
            kinds.update(found)
            moved += bool(found)
        moves = tuple((label, float(kinds.get(label, 0))) for label in TRANSITION_FACTS.values())
        detail = ", ".join(f"{label}: {int(n)}" for label, n in moves)
        return _value(
            spec,
            period,
            ctx,
            text=f"{share_text(moved, len(ended))} ({detail})" if ended else "keine Kursenden im Vergleichszeitraum",
            number=moved / len(ended) if ended else None,
            unit=spec.unit,
            basis=len(ended),
            basis_text=_plural(len(ended), "Kursende", "Kursenden"),
            parts=moves,
        )
    raise KeyError(f"no period figure {key!r}")


def overdue(observations: Sequence[Observation], ctx: Context, period: Period | None = None) -> FigureValue:
    """Persons whose next step is overdue on `ctx.as_of`, per responsible agency (largest first)."""
    spec = FIGURES["overdue"]
    counts: Counter[str] = Counter()
    persons = 0
    for o in observations:
        if o.overdue:
            persons += 1
            counts.update(responsible_labels(o.overdue, ctx))
    parts = tuple(sorted(((label, float(n)) for label, n in counts.items()), key=lambda item: (-item[1], item[0])))
    return _value(
        spec,
        period or Period(ctx.as_of, ctx.as_of),
        ctx,
        text=_plural(persons, "Person", "Personen")
        + (" – " + ", ".join(f"{k}: {int(n)}" for k, n in parts) if parts else ""),
        number=float(persons),
        unit=spec.unit,
        basis=persons,
        basis_text=_plural(persons, "Person", "Personen"),
        parts=parts,
    )


def responsible_labels(refs: Iterable[str], ctx: Context) -> set[str]:
    """The names of the agencies a step's references name, once each: "KT:VHS-BA" by the
    provider's name, and a plain type ("KT") only where no agency of that type is named."""
    refs = list(refs)
    specific = {ref.partition(":")[0] for ref in refs if ":" in ref}
    return {_agency_label(ref, ctx) for ref in refs if ":" in ref or ref not in specific}


def _agency_label(ref: str, ctx: Context) -> str:
    kind, _, specific = ref.partition(":")
    return ctx.agency_labels.get(specific or kind) or ctx.agency_labels.get(kind) or kind


@dataclass(frozen=True)
class FillRow:
    provider: str
    course_type: str
    courses: int
    places: int
    enrolled: int

    @property
    def free(self) -> int:
        return max(self.places - self.enrolled, 0)

    @property
    def rate(self) -> float | None:
        return self.enrolled / self.places if self.places else None


def fill_rows(courses: Iterable[CourseRecord], ctx: Context) -> list[FillRow]:
    """Courses running on `ctx.as_of` or starting within three months, per provider and course type."""
    horizon = add_months(ctx.as_of, 3)
    sums: dict[tuple[str, str], list[int]] = {}
    for course in courses:
        if course.cancelled or course.start is None or course.start > horizon:
            continue
        if course.end is not None and course.end < ctx.as_of:
            continue
        row = sums.setdefault(
            (course.provider, ctx.course_type_labels.get(course.course_type, course.course_type)), [0, 0, 0]
        )
        row[0] += 1
        row[1] += course.capacity
        row[2] += min(course.enrolled, course.capacity)
    return [FillRow(provider, kind, *values) for (provider, kind), values in sorted(sums.items())]


def course_fill(courses: Iterable[CourseRecord], ctx: Context, period: Period | None = None) -> FigureValue:
    spec = FIGURES["course_fill"]
    rows = fill_rows(courses, ctx)
    places = sum(row.places for row in rows)
    enrolled = sum(row.enrolled for row in rows)
    by_provider: dict[str, list[int]] = {}
    for row in rows:
        sums = by_provider.setdefault(row.provider, [0, 0])
        sums[0] += row.places
        sums[1] += row.enrolled
    parts = tuple((provider, p and e / p) for provider, (p, e) in by_provider.items())
    free = places - enrolled
    return _value(
        spec,
        period or Period(ctx.as_of, ctx.as_of),
        ctx,
        text=f"{share_text(enrolled, places)}; {_plural(free, 'freier Platz', 'freie Plätze')}"
        if places
        else "keine Kurse",
        number=enrolled / places if places else None,
        unit=spec.unit,
        basis=sum(row.courses for row in rows),
        basis_text=_plural(sum(row.courses for row in rows), "Kurs", "Kurse"),
        parts=parts,
    )


def period_figures(observations: Sequence[Observation], period: Period, ctx: Context) -> list[FigureValue]:
    """Every period figure, in the order of FIGURES."""
    return [figure(key, observations, period, ctx) for key, spec in FIGURES.items() if not spec.state]


def months_ending(end: date, months: int) -> list[Period]:
    """The last `months` calendar months up to and including the month of `end`, oldest first."""
    first = date(end.year, end.month, 1)
    return [
        Period.month(day.year, day.month) for day in (add_months(first, -back) for back in range(months - 1, -1, -1))
    ]


def trend(key: str, observations: Sequence[Observation], ctx: Context, months: int = 12) -> list[FigureValue]:
    """The figure for each of the last `months` calendar months (the current one up to today)."""
    result = []
    for period in months_ending(ctx.as_of, months):
        result.append(figure(key, observations, Period(period.start, min(period.end, ctx.as_of)), ctx))
    return result


def change_text(spec: FigureSpec, now: float | None, before: float | None) -> str:
    """The change of a figure's number since an earlier value, in German ("+0,4 Wochen", "−3 Prozentpunkte")."""
    if now is None or before is None:
        return "kein Vergleich"
    delta = now - before
    if spec.unit == "share":
        points = round(delta * 100)
        amount, unit = f"{abs(points)}", "Prozentpunkt" if abs(points) == 1 else "Prozentpunkte"
        zero = points == 0
    elif spec.unit == "count":
        amount, unit, zero = f"{abs(round(delta))}", "", round(delta) == 0
    else:
        amount = number_text(abs(delta))
        unit, zero = ("Wochen" if spec.unit == "weeks" else "Monate"), amount == "0,0"
    if zero:
        return "unverändert"
    sign = "+" if delta > 0 else "−"
    return f"{sign}{amount} {unit}".strip()


def stage_funnel(observations: Sequence[Observation], ctx: Context) -> list[tuple[str, int]]:
    """Persons per stage today, in the order of the model's stages (stages nobody is in left out)."""
    counts = Counter(o.stage for o in observations)
    return [(label, counts[stage]) for stage, label in ctx.stage_labels.items() if counts.get(stage)]

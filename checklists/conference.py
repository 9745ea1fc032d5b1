"""The half-yearly Integrationskonferenz (2007 seed: "fortlaufende Situationsanalyse" and
"Angebotsübersicht"): a report for a wide audience, aggregates only.

`build_report` is pure over cases without names or references (figures.definitions.Case),
the region's courses and its offers; `conference_report` reads them. Counts of one or two
persons are shown as "unter 3" so that no small group can be singled out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, Date

from figures.definitions import (
    FIGURES,
    Case,
    Context,
    FigureValue,
    Period,
    change_text,
    figure,
    observe,
    share_text,
    stage_funnel,
)
from figures.reads import load_cases
from pipeline.labels import COURSE_KINDS, OFFER_KINDS
from pipeline.offers import OfferRow, list_offers
from pipeline.reads import NEED_LABELS, fetch, find_region, typed
from process_models import ProcessModel, format_date

#: below this, a count is shown as "unter 3" (no small group singled out)
SMALLEST_SHOWN = 3
#: age groups by age at the end of the period: (label, lowest age, highest age)
AGE_GROUPS = (("unter 25", 0, 24), ("25–34", 25, 34), ("35–44", 35, 44), ("45–54", 45, 54), ("55 und älter", 55, 200))
REPORT_FIGURES = (
    "waiting_time",
    "waiting_within_target",
    "access_time",
    "completion_rate",
    "dtz_results",
    "lid_passes",
    "transitions_6m",
    "transitions_12m",
)
_PERIOD = re.compile(r"^(\d{4})-H([12])$")


def half_year(text: str) -> Period:
    """ "2026-H2" → 01.07.2026 to 31.12.2026; a German error for anything else."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"Zeitraum '{text}': Halbjahr als JJJJ-H1 oder JJJJ-H2 angeben, z. B. 2026-H2")
    year, half = int(match[1]), int(match[2])
    return Period(date(year, 1, 1), date(year, 6, 30)) if half == 1 else Period(date(year, 7, 1), date(year, 12, 31))


def counted(count: int) -> str:
    return "unter 3" if 0 < count < SMALLEST_SHOWN else str(count)


@dataclass(frozen=True)
class Breakdown:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class FigureRow:
    value: FigureValue
    previous: FigureValue
    change: str


@dataclass(frozen=True)
class CourseOffer:
    kind: str
    provider: str
    course_type: str
    site: str
    start: date | None
    free: int


@dataclass
class ConferenceReport:
    region: str
    period: Period
    previous: Period
    label: str
    as_of: date
    persons: int
    breakdowns: list[Breakdown]
    figures: list[FigureRow]
    courses: list[CourseOffer]
    offers: list[OfferRow]
    notes: list[str] = field(default_factory=list)

    @property
    def offers_by_kind(self) -> list[tuple[str, list[OfferRow]]]:
        groups: dict[str, list[OfferRow]] = {}
        for offer in self.offers:
            groups.setdefault(offer.kind, []).append(offer)
        return [(OFFER_KINDS.get(kind, kind), members) for kind, members in groups.items()]


def _age_group(birth_year: int | None, day: date) -> str | None:
    if birth_year is None:
        return None
    age = day.year - birth_year
    return next((label for label, low, high in AGE_GROUPS if low <= age <= high), None)


def _breakdown(title: str, first: str, counts: Counter[str], order: Sequence[str], note: str = "") -> Breakdown:
    whole = sum(counts.values())
    keys = [key for key in order if counts.get(key)] + sorted(key for key in counts if key not in order)
    rows = tuple(
        (key, counted(counts[key]), share_text(counts[key], whole) if counts[key] >= SMALLEST_SHOWN else "–")
        for key in keys
    )
    return Breakdown(title, (first, "Personen", "Anteil"), rows, note)


def build_report(
    region: str,
    label: str,
    period: Period,
    cases: Sequence[Case],
    model: ProcessModel,
    *,
    today: date,
    courses: Sequence[CourseOffer] = (),
    offers: Sequence[OfferRow] = (),
) -> ConferenceReport:
    as_of = min(today, period.end)
    previous = Period(
        date(period.start.year - (period.start.month == 1), 7 if period.start.month == 1 else 1, 1),
        period.start - timedelta(days=1),
    )
    ctx = Context.of(model, as_of)
    before = Context.of(model, previous.end)
    now_obs = [observe(case, ctx) for case in cases]
    before_obs = [observe(case, before) for case in cases]
    stages = Counter({label_: n for label_, n in stage_funnel(now_obs, ctx)})
    types = Counter(
        ctx.course_type_labels.get(str(case.facts["course_type"]), str(case.facts["course_type"]))
        for case in cases
        if case.facts.get("course_type")
    )
    ages = Counter(group for case in cases if (group := _age_group(case.birth_year, as_of)))
    waiting = model.stages_tagged("awaiting_course")
    needs_all: Counter[str] = Counter()
    needs_waiting: Counter[str] = Counter()
    for case in cases:
        for need in case.needs:
            needs_all[need] += 1
            if case.stage in waiting:
                needs_waiting[need] += 1
    need_rows = tuple(
        (label_, counted(needs_all[key]), counted(needs_waiting[key])) for key, label_ in NEED_LABELS.items()
    )
    breakdowns = [
        _breakdown("Teilnehmende nach Stufe", "Stufe", stages, list(ctx.stage_labels.values())),
        _breakdown(
            "Teilnehmende nach Altersgruppe",
            "Altersgruppe",
            ages,
            [group for group, _, _ in AGE_GROUPS],
            f"Alter am {format_date(as_of)} aus dem Geburtsjahr.",
        ),
        _breakdown(
            "Teilnehmende nach Kursart",
            "Kursart",
            types,
            list(ctx.course_type_labels.values()),
            "Kursart der Einstufung oder des Kurses.",
        ),
        Breakdown("Besondere Bedarfe", ("Bedarf", "alle Teilnehmenden", "davon warten auf einen Kurs"), need_rows),
    ]
    rows = []
    for key in REPORT_FIGURES:
        value = figure(key, now_obs, period, ctx)
        earlier = figure(key, before_obs, previous, before)
        rows.append(FigureRow(value, earlier, change_text(FIGURES[key], value.number, earlier.number)))
    notes = [
        "Die Herkunft (Staatsangehörigkeit, Herkunftsland) erfasst Förderkette nicht; sie fehlt daher in dieser Analyse.",
        f"Zahlen von einer oder zwei Personen stehen als „unter 3“; Anteile nur ab {SMALLEST_SHOWN} Personen.",
    ]
    return ConferenceReport(
        region, period, previous, label, as_of, len(cases), breakdowns, rows, list(courses), list(offers), notes
    )


def region_courses(conn: Connection, region_id: int, model: ProcessModel, *, today: date) -> list[CourseOffer]:
    """Integration courses and Berufssprachkurse running or starting from `today`, not cancelled,
    with free places: course data only, no participant."""
    rows = fetch(
        conn,
        typed(
            "SELECT c.kind, a.name, c.course_type, COALESCE(s.name, c.site), COALESCE(c.actual_start, c.planned_start) AS start, "
            "c.capacity - (SELECT COUNT(*) FROM enrollment e WHERE e.course_id = c.id AND e.left_on IS NULL) "
            "FROM course c JOIN agency a ON a.id = c.provider_id LEFT JOIN course_site s ON s.id = c.site_id "
            "WHERE c.region_id = :region AND NOT c.cancelled AND (c.end_date IS NULL OR c.end_date >= :today) "
            "ORDER BY c.kind DESC, start, a.name",
            dates=("today",),
            columns={"start": Date},
        ),
        {"region": region_id, "today": today},
    )
    labels = {key: spec.label for key, spec in model.course_types.items()}
    return [
        CourseOffer(
            COURSE_KINDS.get(kind, kind), provider, labels.get(kind_type, kind_type), site, start, max(int(free), 0)
        )
        for kind, provider, kind_type, site, start, free in rows
    ]


def conference_report(
    conn: Connection, region_code: str, model: ProcessModel, *, period_text: str, today: date
) -> ConferenceReport:
    period = half_year(period_text)
    region = find_region(conn, region_code)
    cases = load_cases(conn, ("p.region_id = :region", {"region": region.id}), model)
    return build_report(
        region.name,
        f"{1 if period.start.month == 1 else 2}. Halbjahr {period.start.year}",
        period,
        cases,
        model,
        today=today,
        courses=region_courses(conn, region.id, model, today=today),
        offers=list_offers(conn, region.id),
    )


def brochure(conn: Connection, region_code: str, model: ProcessModel, *, today: date) -> ConferenceReport:
    """The offer overview alone (the public page and the printable brochure): courses and
    offers, nothing about participants – no case is read."""
    region = find_region(conn, region_code)
    period = Period(today, today)
    return ConferenceReport(
        region.name,
        period,
        period,
        "",
        today,
        0,
        [],
        [],
        region_courses(conn, region.id, model, today=today),
        list_offers(conn, region.id),
    )

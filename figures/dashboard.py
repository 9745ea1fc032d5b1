"""The dashboard of key figures (pure): the figures of a period with their definitions, the charts
behind them and, for an installation with several regions, the same headline figures per region."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from figures import charts
from figures.charts import Chart
from figures.definitions import (
    FIGURES,
    TREND_KEYS,
    Case,
    Context,
    CourseRecord,
    FigureValue,
    Observation,
    Period,
    course_fill,
    figure,
    fill_rows,
    months_ending,
    observe,
    overdue,
    period_figures,
    share_text,
    stage_funnel,
)
from figures.land import LAND_KEYS, PERIODS, LandRow, live_row

__all__ = ["LAND_KEYS", "PERIODS", "Dashboard", "Filters", "LandRow", "build_dashboard", "trends"]


@dataclass(frozen=True)
class Filters:
    months: int = 12
    course_type: str = ""
    provider: str = ""

    def keep(self, case: Case) -> bool:
        return (not self.course_type or case.facts.get("course_type") == self.course_type) and (
            not self.provider or case.facts.get("provider") == self.provider
        )


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    persons: int
    figures: list[FigureValue]
    charts: list[Chart]
    land: list[LandRow] = field(default_factory=list)
    land_headers: tuple[str, ...] = ()


def trends(
    observations: Sequence[Observation], ctx: Context, months: int = 12
) -> tuple[list[str], dict[str, list[float | None]]]:
    """Month labels and, per trend figure, its number for each month (one pass per month over the observations)."""
    months_back = months_ending(ctx.as_of, months)
    periods = [Period(p.start, min(p.end, ctx.as_of)) for p in months_back]
    labels = [p.month_label for p in months_back]
    return labels, {key: [figure(key, observations, period, ctx).number for period in periods] for key in TREND_KEYS}


def build_dashboard(
    cases: Sequence[Case],
    courses: Sequence[CourseRecord],
    ctx: Context,
    filters: Filters,
    *,
    land: Sequence[LandRow] = (),
    region: str = "",
) -> Dashboard:
    """The dashboard of `cases` (the viewer's) and `courses`; with `land`, the regions' stored rows
    of the Land view, where the viewer's own `region` is replaced by its live figures."""
    period = Period.months_back(ctx.as_of, filters.months)
    kept = [case for case in cases if filters.keep(case)]
    observations = [observe(case, ctx) for case in kept]
    kept_courses = [
        course for course in courses if not filters.course_type or course.course_type == filters.course_type
    ]
    values = period_figures(observations, period, ctx)
    late = overdue(observations, ctx, period)
    fill = course_fill(kept_courses, ctx, period)
    values += [late, fill]
    by_key = {value.key: value for value in values}

    waits = [o.wait_days for o in observations if o.wait_days is not None and o.start in period]
    labels, series = trends(observations, ctx)
    fill_table = fill_rows(kept_courses, ctx)
    dtz = by_key["dtz_results"]
    chart_list = [
        charts.waiting_histogram(waits, ctx.target_days, ctx.target_label, by_key["waiting_time"].definition),
        charts.horizontal_bars(
            "funnel",
            "Personen nach Stufe (heute)",
            [(label, float(n)) for label, n in stage_funnel(observations, ctx)],
            unit="Personen",
            empty="Keine Personen.",
            definition="Personen je Stufe des Referenzprozesses am Stichtag, in der Reihenfolge des Prozessmodells.",
        ),
        charts.trend_chart(
            "trend_waiting",
            "Wartezeit und Zugangszeit je Monat",
            labels,
            [
                ("Wartezeit (Median, Wochen)", series["waiting_time"]),
                ("Zugangszeit (Median, Monate)", series["access_time"]),
            ],
            unit="Wochen / Monate",
            definition=f"{FIGURES['waiting_time'].name} und {FIGURES['access_time'].name} der Kursbeginne jedes Kalendermonats.",
        ),
        charts.trend_chart(
            "trend_shares",
            "Quoten je Monat",
            labels,
            [
                (f"Kursbeginn innerhalb von {ctx.target_label}", series["waiting_within_target"]),
                ("Abschlussquote", series["completion_rate"]),
                ("Übergang binnen 6 Monaten", series["transitions_6m"]),
            ],
            unit="%",
            definition="Je Kalendermonat nach den Definitionen der Kennzahlen oben; der Übergang für die Kursenden sechs Monate davor.",
        ),
        charts.horizontal_bars(
            "dtz",
            "Ergebnisse Deutsch-Test für Zuwanderer",
            [(label, n) for label, n in dtz.parts],
            unit="Personen",
            empty="Keine Prüfungen im Zeitraum.",
            definition=dtz.definition,
        ),
        charts.horizontal_bars(
            "fill",
            "Auslastung der Kurse je Kursträger",
            list(fill.parts),  # the fill per provider, as the figure computed it
            unit="Auslastung",
            empty="Keine laufenden oder geplanten Kurse.",
            definition=fill.definition,
            share=True,
            table=(
                ("Kursträger", "Kursart", "Kurse", "Plätze", "Angemeldet", "Frei", "Auslastung"),
                tuple(
                    (
                        row.provider,
                        row.course_type,
                        str(row.courses),
                        str(row.places),
                        str(row.enrolled),
                        str(row.free),
                        share_text(row.enrolled, row.places),
                    )
                    for row in fill_table
                ),
            ),
        ),
        charts.horizontal_bars(
            "overdue",
            "Überfällige Schritte nach Stelle",
            list(late.parts),
            unit="Personen",
            empty="Keine überfälligen Schritte.",
            definition=late.definition,
        ),
    ]
    # across regions only the course type filters: a provider is one region's
    compared = (
        observations
        if not filters.provider
        else [observe(case, ctx) for case in cases if Filters(course_type=filters.course_type).keep(case)]
    )
    land_rows = [live_row(row.region, row.name, compared, period, ctx) if row.region == region else row for row in land]
    return Dashboard(
        period=period,
        filters=filters,
        persons=len(kept),
        figures=values,
        charts=chart_list,
        land=land_rows,
        land_headers=tuple(FIGURES[key].name for key in LAND_KEYS),
    )

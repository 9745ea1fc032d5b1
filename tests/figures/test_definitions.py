"""Each key figure on a hand-built set of cases whose values are known by counting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from figures.definitions import (
    FIGURES,
    Case,
    Context,
    CourseRecord,
    Period,
    change_text,
    course_fill,
    figure,
    fill_rows,
    observe,
    overdue,
    stage_funnel,
    trend,
)
from process_models import load_model

MODEL = load_model()
AS_OF = date(2026, 11, 30)
CTX = Context.of(MODEL, AS_OF, {"JC": "Jobcenter Bamberg"})
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
D = date.fromisoformat


def case(stage: str = "in_course", **facts: object) -> Case:
    return Case(stage=stage, facts={k: D(v) if isinstance(v, str) and v[:2] == "20" else v for k, v in facts.items()})


CASES = [
    # waits 14, 35, 42, 70 and 100 days; entry 60, 35, 42, 120, 100 days before the start
    case(registered_on="2026-01-01", first_course_started_on="2026-01-15", entitled_on="2025-11-16"),
    case(registered_on="2026-02-01", first_course_started_on="2026-03-08", obliged_on="2026-02-01"),
    case(
        registered_on="2026-03-01",
        first_course_started_on="2026-04-12",
        entitled_on="2026-03-01",
        obliged_on="2026-03-05",
    ),
    case(registered_on="2026-03-01", first_course_started_on="2026-05-10", entitled_on="2026-01-10"),
    case(registered_on="2026-03-01", first_course_started_on="2026-06-09", entitled_on="2026-03-01"),
    # a start outside the period does not count
    case(registered_on="2026-06-01", first_course_started_on="2026-07-01", entitled_on="2026-06-01"),
    # only `course_started_on` (no first start recorded): 21 days
    case(registered_on="2026-05-01", course_started_on="2026-05-22"),
]


def test_waiting_time_is_the_median_in_weeks_and_the_share_within_six_weeks() -> None:
    observations = [observe(c, CTX) for c in CASES]
    value = figure("waiting_time", observations, PERIOD, CTX)
    # waits 14, 21, 35, 42, 70, 100 → median 38.5 days = 5.5 weeks; within 42 days: 4 of 6
    assert value.number == pytest.approx(38.5 / 7)
    assert value.basis == 6
    assert value.text == "Median 5,5 Wochen; 67 % innerhalb von 6 Wochen"
    share = figure("waiting_within_target", observations, PERIOD, CTX)
    assert share.number == pytest.approx(4 / 6)
    assert "§ 7 Abs. 3 IntV" in share.definition and "01.01.2026 bis 30.06.2026" in share.definition


def test_access_time_counts_from_the_earlier_of_entitlement_and_obligation() -> None:
    observations = [observe(c, CTX) for c in CASES]
    value = figure("access_time", observations, PERIOD, CTX)
    # 60, 35, 42 (entitled 01.03. before obliged 05.03.), 120, 100; the case without either is left out
    assert value.basis == 5
    assert value.number == pytest.approx(60 / 30.44)
    assert value.text == "Median 2,0 Monate"


EXAMS = [
    case("completed", first_course_started_on="2025-09-01", test_date="2026-02-10", dtz_level="B1", lid_points=20),
    case("completed", first_course_started_on="2025-09-01", test_date="2026-03-10", dtz_level="B1", lid_points=12),
    case("completed", first_course_started_on="2025-09-01", test_date="2026-04-10", dtz_level="A2", lid_points=15),
    case("completed", first_course_started_on="2025-09-01", test_date="2026-05-10", dtz_level="below_A2"),
    case("dropped_out", first_course_started_on="2025-09-01", dropped_out_on="2026-03-01"),
    # course ended in the period without a result and without a drop-out: "nicht abgelegt"
    case("in_exam", first_course_started_on="2025-09-01", course_end_planned="2026-06-01"),
    # a test outside the period
    case("completed", first_course_started_on="2025-09-01", test_date="2026-08-10", dtz_level="B1", lid_points=30),
]


def test_completion_dropout_dtz_and_lid() -> None:
    observations = [observe(c, CTX) for c in EXAMS]
    completion = figure("completion_rate", observations, PERIOD, CTX)
    assert (completion.number, completion.basis, completion.text) == (pytest.approx(4 / 5), 5, "80 %")
    assert figure("dropout_rate", observations, PERIOD, CTX).number == pytest.approx(1 / 5)
    dtz = figure("dtz_results", observations, PERIOD, CTX)
    assert dict(dtz.parts) == {"B1": 2, "A2": 1, "unter A2": 1, "nicht abgelegt": 1}
    assert dtz.number == pytest.approx(0.5)
    assert dtz.text == "50 % B1 (B1: 2; A2: 1; unter A2: 1; nicht abgelegt: 1)"
    lid = figure("lid_passes", observations, PERIOD, CTX)
    # 20 and 15 reach the 15 points of § 17 IntV, 12 does not; the exam without points is left out
    assert (lid.number, lid.basis) == (pytest.approx(2 / 3), 3)
    assert "15 Punkten" in lid.definition


def test_transitions_count_within_six_and_twelve_months_of_the_exam() -> None:
    cohort = [
        # exam 10.02.2025: BSK registered 4 months later (within 6 and 12)
        case(
            "bsk_registered",
            first_course_started_on="2024-08-01",
            test_date="2025-02-10",
            dtz_level="B1",
            bsk_registered_on="2025-06-10",
        ),
        # exam 10.03.2025: work 9 months later (within 12 only)
        case(
            "closed",
            first_course_started_on="2024-08-01",
            test_date="2025-03-10",
            dtz_level="A2",
            employment_started_on="2025-12-10",
        ),
        # exam 10.04.2025: no transition
        case("completed", first_course_started_on="2024-08-01", test_date="2025-04-10", dtz_level="A2"),
        # exam 10.05.2025: work before the course began does not count
        case(
            "completed",
            first_course_started_on="2024-08-01",
            test_date="2025-05-10",
            dtz_level="A2",
            employment_started_on="2024-01-01",
        ),
    ]
    observations = [observe(c, CTX) for c in cohort]
    # the period Jul–Dec 2025 looks at exams six months earlier: Jan–Jun 2025
    six = figure("transitions_6m", observations, Period(date(2025, 7, 1), date(2025, 12, 31)), CTX)
    assert (six.number, six.basis) == (pytest.approx(1 / 4), 4)
    assert dict(six.parts)["Berufssprachkurs"] == 1 and dict(six.parts)["Arbeit"] == 0
    assert "01.01.2025 bis 30.06.2025" in six.definition
    twelve = figure("transitions_12m", observations, Period(date(2026, 1, 1), date(2026, 6, 30)), CTX)
    assert (twelve.number, twelve.basis) == (pytest.approx(2 / 4), 4)
    assert dict(twelve.parts) == {"Berufssprachkurs": 1, "Maßnahme": 0, "Ausbildung": 0, "Arbeit": 1}


def test_overdue_counts_persons_per_responsible_agency() -> None:
    cases = [
        Case("registered", {}, next_due=AS_OF - timedelta(days=3), next_agencies=("KT:VHS-BA", "KT")),
        Case("entitled", {}, next_due=AS_OF - timedelta(days=1), next_agencies=("JC",)),
        Case("entitled", {}, next_due=AS_OF - timedelta(days=9), next_agencies=("JC", "ABH")),
        Case("entitled", {}, next_due=AS_OF, next_agencies=("ABH",)),  # due today: not overdue
    ]
    ctx = Context.of(MODEL, AS_OF, {"JC": "Jobcenter Bamberg", "VHS-BA": "VHS Bamberg"})
    value = overdue([observe(c, ctx) for c in cases], ctx)
    assert value.number == 3
    parts = dict(value.parts)
    assert parts["Jobcenter Bamberg"] == 2
    assert parts["VHS Bamberg"] == 1
    assert MODEL.agencies["KT"].label not in parts  # the provider by name, not again as "Kursträger"
    assert parts[MODEL.agencies["ABH"].label] == 1
    assert value.parts[0] == ("Jobcenter Bamberg", 2)


def test_course_fill_per_provider_and_type() -> None:
    courses = [
        CourseRecord("VHS", "general", 20, 15, D("2026-10-01"), D("2027-06-01")),
        CourseRecord("VHS", "general", 20, 5, D("2027-01-15"), None),
        CourseRecord("VHS", "literacy", 15, 15, D("2026-12-01"), None),
        CourseRecord("BFZ", "general", 25, 30, D("2026-11-01"), None),  # overbooked counts as full
        CourseRecord("BFZ", "general", 25, 0, D("2027-06-01"), None),  # beyond three months
        CourseRecord("BFZ", "general", 25, 0, D("2026-12-10"), None, cancelled=True),
        CourseRecord("BFZ", "general", 25, 20, D("2026-01-10"), D("2026-09-30")),  # ended
    ]
    rows = {(r.provider, r.course_type): r for r in fill_rows(courses, CTX)}
    general = MODEL.course_types["general"].label
    assert (rows[("VHS", general)].places, rows[("VHS", general)].enrolled, rows[("VHS", general)].free) == (40, 20, 20)
    assert rows[("BFZ", general)].rate == 1.0
    value = course_fill(courses, CTX)
    # places 40 + 15 + 25 = 80, enrolled 20 + 15 + 25 = 60
    assert value.number == pytest.approx(0.75)
    assert value.text == "75 %; 20 freie Plätze"
    assert dict(value.parts) == {"BFZ": 1.0, "VHS": pytest.approx(35 / 55)}


def test_trend_is_one_value_per_calendar_month_and_change_is_worded() -> None:
    observations = [observe(c, CTX) for c in CASES]
    ctx = Context.of(MODEL, date(2026, 6, 20))
    months = trend("waiting_time", observations, ctx, months=6)
    # Jan 14 days, Feb none, Mar 35, Apr 42, May 70 and 21 (median 45.5), Jun up to the 20th: 100
    assert [m.number for m in months] == [
        pytest.approx(2.0),
        None,
        pytest.approx(5.0),
        pytest.approx(6.0),
        pytest.approx(45.5 / 7),
        pytest.approx(100 / 7),
    ]
    spec = FIGURES["waiting_time"]
    assert change_text(spec, 6.2, 5.8) == "+0,4 Wochen"
    assert change_text(FIGURES["completion_rate"], 0.70, 0.73) == "−3 Prozentpunkte"
    assert change_text(FIGURES["overdue"], 40, 40) == "unverändert"
    assert change_text(spec, None, 5.0) == "kein Vergleich"


def test_funnel_follows_the_model_order() -> None:
    cases = [Case(stage, {}) for stage in ("registered", "entitled", "entitled", "in_course")]
    funnel = stage_funnel([observe(c, CTX) for c in cases], CTX)
    order = list(MODEL.stages)
    assert [label for label, _ in funnel] == [
        MODEL.stage_label(s) for s in sorted({c.stage for c in cases}, key=order.index)
    ]
    assert dict(funnel)[MODEL.stage_label("entitled")] == 2


def test_every_figure_has_a_definition_without_placeholders() -> None:
    observations = [observe(c, CTX) for c in CASES + EXAMS]
    for key, spec in FIGURES.items():
        if spec.state:
            continue
        value = figure(key, observations, PERIOD, CTX)
        assert "{" not in value.definition and value.definition.endswith(".")

"""The Land view's stored rows (figures.land): the same definitions as the live figures, read back
from JSON for every period and course type, and a row that says so where nothing is stored yet."""

from __future__ import annotations

import json

from figures.dashboard import Filters
from figures.definitions import Period, observe
from figures.land import LAND_KEYS, PERIODS, land_document, live_row, stored_row
from tests.figures.test_definitions import AS_OF, CASES, CTX, MODEL, case

WITH_TYPES = [
    *CASES[:3],
    *(case(**{**c.facts, "course_type": "literacy"}) if index % 2 else c for index, c in enumerate(CASES[3:])),
    case(registered_on="2026-10-01", first_course_started_on="2026-10-20", course_type="general"),
]


def test_a_stored_row_reads_back_what_the_live_figures_say() -> None:
    document = json.loads(json.dumps(land_document(WITH_TYPES, CTX, tuple(MODEL.course_types))))  # through JSON
    for months in PERIODS:
        period = Period.months_back(AS_OF, months)
        for course_type in ("", "literacy", "general", "youth"):
            kept = [observe(c, CTX) for c in WITH_TYPES if Filters(course_type=course_type).keep(c)]
            live = live_row("BY-BA", "Landkreis Bamberg", kept, period, CTX)
            stored = stored_row("BY-BA", "Landkreis Bamberg", document, months=months, course_type=course_type)
            assert stored.as_of == AS_OF and stored.persons == live.persons == len(kept)
            assert [(v.key, v.text, v.number, v.basis) for v in stored.values] == [
                (v.key, v.text, v.number, v.basis) for v in live.values
            ], (months, course_type)
    assert [v.key for v in stored.values] == list(LAND_KEYS)
    assert stored_row("X", "X", document, months=12, course_type="literacy").persons == 2


def test_a_region_without_a_computation_says_so() -> None:
    row = stored_row("BY-PA-S", "Stadt Passau", None, months=12, course_type="")
    assert row.as_of is None and row.persons == 0 and {v.text for v in row.values} == {"–"}
    document = land_document(CASES, CTX, tuple(MODEL.course_types))
    assert stored_row("BY-BA", "B", document, months=7, course_type="").as_of is None  # a period never stored

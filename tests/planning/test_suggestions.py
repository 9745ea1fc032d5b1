"""Course suggestions, one reason at a time (pure: planning.suggestions.suggest)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from pipeline.labels import COURSE_FORMATS
from planning.suggestions import Offer, Seeker, Trip, acceptable_types, suggest
from process_models import load_model

MODEL = load_model()
TODAY = date(2026, 12, 3)
BASE = Offer(
    1,
    "K1",
    "VHS",
    "VHS Bamberg",
    "general",
    "full_time",
    10,
    "Hirschaid",
    "morning",
    date(2027, 1, 11),
    25,
    10,
    15,
    False,
)
PERSON = Seeker(7, "BA-7", "general", frozenset(), 3, date(2026, 10, 1))
FAST = Trip(35, 40, 1, True, False)


def _judge(
    seeker: Seeker = PERSON, offer: Offer = BASE, trip: Trip | None = FAST
) -> tuple[bool, list[tuple[bool | None, str]]]:
    trips = {} if trip is None else {(3, 10, offer.slot): trip}
    [found] = suggest(seeker, [offer], trips, model=MODEL, today=TODAY, limit_minutes=60, formats=COURSE_FORMATS)
    return found.suitable, [(reason.ok, reason.text) for reason in found.reasons]


def test_a_fitting_course_with_every_reason() -> None:
    suitable, reasons = _judge()
    assert suitable
    assert reasons == [
        (True, "Allgemeiner Integrationskurs passt zur Einstufung"),
        (True, "mit ÖPNV in 35 Min., 1× umsteigen (Grenze 60)"),
        (True, "15 freie Plätze"),
    ]


def test_type_must_fit_the_placement() -> None:
    suitable, reasons = _judge(offer=replace(BASE, course_type="youth"))
    assert (
        not suitable
        and (False, "Jugendintegrationskurs passt nicht (eingestuft: Allgemeiner Integrationskurs)") in reasons
    )


@pytest.mark.parametrize(
    ("needs", "expected"),
    [
        (frozenset(), {"general"}),
        (frozenset({"youth"}), {"general", "youth"}),
        (frozenset({"childcare"}), {"general", "parents_women"}),
        # literacy is exclusive: not a general course, even if young
        (frozenset({"literacy", "youth"}), {"literacy"}),
    ],
)
def test_not_yet_placed_gets_the_types_of_their_needs(needs: frozenset[str], expected: set[str]) -> None:
    types, provisional = acceptable_types(replace(PERSON, course_type=None, needs=needs), MODEL)
    assert provisional and types == expected


def test_provisional_fit_is_said() -> None:
    suitable, reasons = _judge(seeker=replace(PERSON, course_type=None))
    assert suitable and reasons[0] == (True, "Allgemeiner Integrationskurs passt vorläufig (noch nicht eingestuft)")


def test_part_time_needs_part_time_evening_or_afternoon() -> None:
    seeker = replace(PERSON, needs=frozenset({"part_time"}))
    assert not _judge(seeker)[0]
    assert (False, "Vollzeit: nicht Teilzeit/Abend") in _judge(seeker)[1]
    assert _judge(seeker, replace(BASE, format="evening", slot="evening"))[0]
    assert _judge(seeker, replace(BASE, slot="afternoon"))[0]


def test_childcare_at_the_site_or_in_the_format() -> None:
    seeker = replace(PERSON, needs=frozenset({"childcare"}))
    suitable, reasons = _judge(seeker)
    assert not suitable and (False, "keine Kinderbetreuung am Kursort") in reasons
    assert _judge(seeker, replace(BASE, childcare=True))[0]
    assert _judge(seeker, replace(BASE, format="childcare"))[0]


def test_reachability_rules_out_too_long_and_no_connection_and_unknown_does_not() -> None:
    suitable, reasons = _judge(trip=Trip(75, 70, 2, False, False))
    assert not suitable and (False, "mit ÖPNV nicht zumutbar (75 Min. je Richtung)") in reasons
    suitable, reasons = _judge(trip=Trip(None, 40, None, False, False))
    assert not suitable and (False, "keine ÖPNV-Verbindung zur Unterrichtszeit") in reasons
    suitable, reasons = _judge(trip=Trip(30, 30, 0, False, False))
    assert not suitable and (False, "mit ÖPNV nicht zumutbar (zu lange Wartezeit vor oder nach dem Kurs)") in reasons
    suitable, reasons = _judge(seeker=replace(PERSON, municipality_id=None))
    assert suitable and (None, "Erreichbarkeit unbekannt (Wohngemeinde oder Kursort fehlt)") in reasons
    suitable, reasons = _judge(trip=Trip(20, 20, 0, True, True))
    assert suitable and (True, "mit ÖPNV in 20 Min. (geschätzt) (Grenze 60)") in reasons
    assert _judge(offer=replace(BASE, format="online"), trip=None)[1][1] == (True, "online/hybrid: keine Anfahrt")


def test_full_course_is_ruled_out() -> None:
    suitable, reasons = _judge(offer=replace(BASE, enrolled=25))
    assert not suitable and (False, "ausgebucht") in reasons


def test_ranked_by_earliest_start_suitable_first_and_started_courses_left_out() -> None:
    offers = [
        replace(BASE, id=1, code="LATE", start=date(2027, 3, 1)),
        replace(BASE, id=2, code="SOON", start=date(2026, 12, 14)),
        replace(BASE, id=3, code="FULL", start=date(2026, 12, 7), enrolled=25),
        replace(BASE, id=4, code="STARTED", start=date(2026, 11, 30)),
    ]
    found = suggest(
        PERSON, offers, {(3, 10, "morning"): FAST}, model=MODEL, today=TODAY, limit_minutes=60, formats=COURSE_FORMATS
    )
    assert [item.offer.code for item in found] == ["SOON", "LATE", "FULL"]
    assert [item.weeks_until_start for item in found] == [1, 12, 0]


def test_fits_agrees_with_the_suggestions_reasons() -> None:
    """The fill proposal's fast predicate and the suggestions' reasons never disagree."""
    import itertools

    from planning.suggestions import fits

    needs_options = [
        frozenset(),
        frozenset({"part_time"}),
        frozenset({"childcare"}),
        frozenset({"literacy"}),
        frozenset({"youth", "childcare"}),
    ]
    trips = [None, FAST, Trip(75, 70, 2, False, False), Trip(None, None, None, False, False)]
    offers = [
        replace(BASE, course_type=kind, format=form, slot=slot, childcare=care, enrolled=enrolled, start=start)
        for kind, form, slot, care, enrolled, start in itertools.product(
            ("general", "literacy", "youth", "parents_women"),
            ("full_time", "part_time", "evening", "childcare", "online"),
            ("morning", "evening"),
            (False, True),
            (10, 25),
            (date(2027, 1, 11), TODAY),
        )
    ]
    checked = 0
    for needs, placed, trip, home in itertools.product(needs_options, (None, "general", "literacy"), trips, (3, None)):
        seeker = replace(PERSON, needs=needs, course_type=placed, municipality_id=home)
        table = {} if trip is None else {(3, 10, slot): trip for slot in ("morning", "afternoon", "evening")}
        types = acceptable_types(seeker, MODEL)[0]
        judged = {
            s.offer: s.suitable
            for s in suggest(seeker, offers, table, model=MODEL, today=TODAY, limit_minutes=60, formats=COURSE_FORMATS)
        }
        for offer in offers:
            assert fits(seeker, offer, table, types, TODAY) == judged.get(offer, False), (seeker, offer, trip)
            checked += 1
    assert checked > 10_000

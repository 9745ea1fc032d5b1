"""ÖPNV reachability on a tiny feed whose journeys are computed by hand (tests/places/gtfs.py):
a transfer, no service on Sunday used on a weekday, a trip after midnight, a stop too far to
walk; broken feeds refused with file, line and field."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from pipeline.tables import Region
from places.importing import import_places
from places.reachability import WalkSettings, verdict
from places.service import import_feed, refresh_reach
from places.tables import Reach, ReachRun
from places.transit import FeedError, read_timetable
from process_models import load_model
from tests.factories import make_region
from tests.places.gtfs import hand_feed, write_feed

TODAY = date(2026, 12, 3)
WALK = WalkSettings()


def _places(session: Session, tmp_path: Path, region: Region) -> None:
    model = load_model()
    municipalities = tmp_path / "gemeinden.csv"
    municipalities.write_text(
        "ags;gemeinde;plz;breite;laenge\n;Dorf;96001;49,9;10,9\n;Weiler;96002;49,8;10,8\n", encoding="utf-8"
    )
    sites = tmp_path / "kursorte.csv"
    sites.write_text(
        "kursort;name;adresse;plz;ort;breite;laenge;kinderbetreuung\nA;Kursort A;Hauptstraße 1;96003;Stadt;50,0;11,0;ja\n",
        encoding="utf-8",
    )
    for path in (municipalities, sites):
        import_places(session=session, path=path, region=region, model=model, max_bytes=10**6)


def _reach(session: Session) -> dict[tuple[str, str], Reach]:
    from places.tables import Municipality

    names = {m.id: m.name for m in session.exec(select(Municipality)).all()}
    return {(names[r.municipality_id], r.slot): r for r in session.exec(select(Reach)).all()}


def test_journeys_as_computed_by_hand(session: Session, tmp_path: Path) -> None:
    region = make_region(session)
    _places(session, tmp_path, region)
    summary, refreshed = import_feed(
        session=session, region=region, path=write_feed(tmp_path / "feed.zip", hand_feed()), today=TODAY, walk=WALK
    )
    session.commit()
    # the first weekday of the feed from today: Monday 7 December (all weekdays equally busy)
    assert summary.service_date == date(2026, 12, 7)
    assert (summary.stops, summary.trips, summary.stop_times) == (4, 8, 14)
    assert refreshed.pairs == 2 * 1 * 3
    reach = _reach(session)
    morning = reach[("Dorf", "morning")]
    # H 07:30 → T 07:50, change, T 08:00 → S 08:15, then 200 m × 1.2 on foot (3 min 12 s): 08:18:12
    # (the Sunday-only bus at 07:40 would leave later: not on a weekday)
    assert (morning.out_depart, morning.out_arrive, morning.out_minutes, morning.out_transfers) == (
        7 * 60 + 30,
        8 * 60 + 19,
        49,
        1,
    )
    # course ends 12:45; leave the site 12:46:48 for S 12:50 → T 13:05, T 13:10 → H 13:30
    assert (morning.back_depart, morning.back_arrive, morning.back_minutes, morning.back_transfers) == (
        12 * 60 + 46,
        13 * 60 + 30,
        44,
        1,
    )
    assert verdict(morning, limit_minutes=60)
    assert not verdict(morning, limit_minutes=45)  # 49 minutes there
    evening = reach[("Dorf", "evening")]
    assert (evening.out_depart, evening.out_minutes, evening.out_transfers) == (17 * 60 + 20, 34, 0)
    # the only way back after 21:15 is after midnight: 24:10 from S (leave the site 24:06:48), home 24:40
    assert (evening.back_depart, evening.back_arrive, evening.back_minutes) == (24 * 60 + 6, 24 * 60 + 40, 34)
    assert not verdict(evening, limit_minutes=60)  # 171 minutes' wait after the course
    assert verdict(evening, limit_minutes=60, max_wait_minutes=180)
    afternoon = reach[("Dorf", "afternoon")]
    assert afternoon.out_minutes is None and afternoon.back_minutes is None
    # Weiler's only stop is 2.2 km away: nothing, though a bus serves that stop
    for slot in ("morning", "afternoon", "evening"):
        assert reach[("Weiler", slot)].out_minutes is None


def test_sunday_service_day_uses_only_sunday_trips(tmp_path: Path) -> None:
    timetable, summary = read_timetable(
        write_feed(tmp_path / "feed.zip", hand_feed()), today=TODAY, service_date=date(2026, 12, 13)
    )
    assert summary.service_date.weekday() == 6
    # Sunday: t3 only, plus Saturday's trips after midnight (none: the weekday service skips Saturday)
    assert timetable.size == 1 and timetable.dep == [7 * 3600 + 40 * 60]


def test_previous_days_trips_after_midnight_count_early_in_the_morning(tmp_path: Path) -> None:
    timetable, _ = read_timetable(
        write_feed(tmp_path / "feed.zip", hand_feed()), today=TODAY, service_date=date(2026, 12, 8)
    )
    # Monday's 24:10 trip runs at 00:10 on Tuesday, and Tuesday's own at 24:10
    assert 10 * 60 in timetable.dep and 24 * 3600 + 10 * 60 in timetable.dep


def test_results_refresh_when_a_site_moves_and_are_estimated_without_feed(session: Session, tmp_path: Path) -> None:
    region = make_region(session)
    _places(session, tmp_path, region)
    first = refresh_reach(session=session, region=region, today=TODAY, walk=WALK)
    assert first.computed and first.estimated
    again = refresh_reach(session=session, region=region, today=TODAY, walk=WALK)
    assert not again.computed
    estimated = _reach(session)[("Dorf", "morning")]
    assert estimated.estimated and estimated.out_minutes is not None
    # 13.6 km straight line × 1.2 at 25 km/h: 40 minutes
    assert 38 <= estimated.out_minutes <= 41
    import_feed(
        session=session, region=region, path=write_feed(tmp_path / "feed.zip", hand_feed()), today=TODAY, walk=WALK
    )
    run = session.exec(select(ReachRun)).one()
    assert not run.estimated
    basis = run.basis
    moved = tmp_path / "kursorte2.csv"
    moved.write_text("kursort;name;ort;breite;laenge\nA;Kursort A;Stadt;50,02;11,0\n", encoding="utf-8")
    import_places(session=session, path=moved, region=region, model=load_model(), max_bytes=10**6)
    refreshed = refresh_reach(session=session, region=region, today=TODAY, walk=WALK)
    assert refreshed.computed and not refreshed.estimated
    assert session.exec(select(ReachRun)).one().basis != basis
    # the site is now 2 km from S: no stop within walking distance of it
    assert _reach(session)[("Dorf", "morning")].out_minutes is None


def _broken(tmp_path: Path, change: str) -> Path:
    tables = copy.deepcopy(hand_feed())
    if change == "no_stops":
        del tables["stops.txt"]
    elif change == "bad_time":
        tables["stop_times.txt"][2]["departure_time"] = "7 Uhr"
    elif change == "unknown_stop":
        tables["stop_times.txt"][3]["stop_id"] = "X"
    elif change == "bad_lat":
        tables["stops.txt"][1]["stop_lat"] = "Nord"
    elif change == "backwards":
        tables["stop_times.txt"][1]["arrival_time"] = "07:10:00"
    elif change == "no_calendar":
        del tables["calendar.txt"]
    return write_feed(tmp_path / f"{change}.zip", tables)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_stops", "stops.txt fehlt im Feed"),
        ("bad_time", "stop_times.txt Zeile 4, Feld departure_time: '7 Uhr' ist keine Uhrzeit (HH:MM:SS)"),
        ("unknown_stop", "stop_times.txt Zeile 5, Feld stop_id: Haltestelle 'X' fehlt in stops.txt"),
        ("bad_lat", "stops.txt Zeile 3, Feld stop_lat: 'Nord' ist keine Zahl"),
        ("backwards", "stop_times.txt Zeile 3: Fahrt 't1' kommt früher an, als sie in Zeile 2 abfährt"),
        ("no_calendar", "calendar.txt oder calendar_dates.txt fehlt"),
    ],
)
def test_broken_feed_is_refused_naming_file_line_and_field(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        read_timetable(_broken(tmp_path, change), today=TODAY)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_text("kein zip")
    with pytest.raises(FeedError, match="keine lesbare ZIP-Datei"):
        read_timetable(path, today=TODAY)

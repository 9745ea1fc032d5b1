"""Writing the places' derived data: the imported feed and the stored reachability, refreshed
when the feed, the municipalities or the sites change (the basis fingerprint tells)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, select

from pipeline.bulk import bulk_insert
from pipeline.database import table_of, utcnow
from pipeline.tables import Region
from places.reachability import Point, ReachResult, WalkSettings, basis_fingerprint, compute_reach, estimate_reach
from places.tables import CourseSite, Municipality, Reach, ReachRun, TransitFeed
from places.transit import FeedSummary, read_timetable


@dataclass(frozen=True)
class RefreshResult:
    computed: bool
    estimated: bool
    pairs: int
    service_date: date | None


def _points(session: Session, region_id: int) -> tuple[list[Point], list[Point]]:
    municipalities = [
        Point(m.id or 0, m.name, m.lat, m.lon)
        for m in session.exec(
            select(Municipality).where(Municipality.region_id == region_id).order_by(Municipality.name)
        ).all()
    ]
    sites = [
        Point(s.id or 0, s.name, s.lat, s.lon)
        for s in session.exec(
            select(CourseSite).where(CourseSite.region_id == region_id).order_by(CourseSite.code)
        ).all()
    ]
    return municipalities, sites


def import_feed(
    *,
    session: Session,
    region: Region,
    path: Path,
    today: date,
    walk: WalkSettings,
    user: str = "",
    service_date: date | None = None,
) -> tuple[FeedSummary, RefreshResult]:
    """Reads and checks the feed (FeedError when broken: nothing is stored), keeps it as the
    region's timetable and recomputes the reachability."""
    assert region.id is not None
    timetable, summary = read_timetable(path, today=today, service_date=service_date)
    data = path.read_bytes()
    feed = session.exec(select(TransitFeed).where(TransitFeed.region_id == region.id)).first() or TransitFeed(
        region_id=region.id, file_name="", sha256="", data=b"", valid_from=today, valid_until=today, service_date=today
    )
    feed.file_name = path.name[:200]
    feed.sha256 = hashlib.sha256(data).hexdigest()
    feed.data = data
    feed.valid_from, feed.valid_until, feed.service_date = summary.valid_from, summary.valid_until, summary.service_date
    feed.stats = summary.stats()
    feed.imported_at, feed.imported_by = utcnow(), user
    session.add(feed)
    session.flush()
    municipalities, sites = _points(session, region.id)
    results = compute_reach(timetable, municipalities, sites, walk)
    _store(
        session,
        region.id,
        basis_fingerprint(feed.sha256, municipalities, sites, walk),
        results,
        False,
        summary.service_date,
    )
    return summary, RefreshResult(True, False, len(results), summary.service_date)


def refresh_reach(
    *, session: Session, region: Region, today: date, walk: WalkSettings, force: bool = False
) -> RefreshResult:
    """Recomputes the region's reachability when its basis changed (or `force`): from the stored
    feed, or estimated from distances without one."""
    assert region.id is not None
    feed = session.exec(select(TransitFeed).where(TransitFeed.region_id == region.id)).first()
    municipalities, sites = _points(session, region.id)
    basis = basis_fingerprint(feed.sha256 if feed else None, municipalities, sites, walk)
    run = session.exec(select(ReachRun).where(ReachRun.region_id == region.id)).first()
    if run is not None and run.basis == basis and not force:
        return RefreshResult(False, run.estimated, 0, run.service_date)
    if feed is None:
        results = estimate_reach(municipalities, sites, walk)
        _store(session, region.id, basis, results, True, None)
        return RefreshResult(True, True, len(results), None)
    import tempfile  # noqa: PLC0415

    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        handle.write(feed.data)
        handle.flush()
        timetable, _summary = read_timetable(Path(handle.name), today=today, service_date=feed.service_date)
    results = compute_reach(timetable, municipalities, sites, walk)
    _store(session, region.id, basis, results, False, feed.service_date)
    return RefreshResult(True, False, len(results), feed.service_date)


def _store(
    session: Session,
    region_id: int,
    basis: str,
    results: list[ReachResult],
    estimated: bool,
    service_date: date | None,
) -> None:
    connection = session.connection()
    reach = table_of(Reach)
    connection.execute(delete(reach).where(reach.c.region_id == region_id))
    bulk_insert(connection, reach, [{**result.to_row(), "region_id": region_id} for result in results])
    session.expire_all()  # rows loaded before are gone: never serve them from the identity map
    run = session.exec(select(ReachRun).where(ReachRun.region_id == region_id)).first() or ReachRun(
        region_id=region_id, basis=basis
    )
    run.basis, run.estimated, run.service_date, run.computed_at = basis, estimated, service_date, utcnow()
    session.add(run)
    session.flush()

"""Reading the places: one function per view returning public shapes for CLI and web.
Core `text()` statements only (no SQLModel), so read-only commands start fast."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, Date

from pipeline.labels import COURSE_SLOTS
from pipeline.reads import fetch, fetch_one, find_region, typed


@dataclass(frozen=True, slots=True)
class MunicipalityView:
    id: int
    ags: str | None
    name: str
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    participants: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["postcodes"] = list(self.postcodes)
        return data


@dataclass(frozen=True, slots=True)
class SiteView:
    id: int
    code: str
    name: str
    address: str
    postcode: str | None
    place: str
    municipality: str | None
    lat: float
    lon: float
    childcare: bool
    courses: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlacesView:
    region: str
    municipalities: list[MunicipalityView]
    sites: list[SiteView]
    #: participants whose postcode and place name no municipality of the region (data quality)
    unlinked: int
    without_address: int

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "municipalities": [m.to_json() for m in self.municipalities],
            "sites": [s.to_json() for s in self.sites],
            "participants_unlinked": self.unlinked,
            "participants_without_address": self.without_address,
        }


def list_places(conn: Connection, region_code: str) -> PlacesView:
    region = find_region(conn, region_code)
    rows = fetch(
        conn,
        typed(
            # one pass over the region's participants (a count per municipality scanned them all
            # once per municipality: 1.6 s at 100k)
            "SELECT m.id, m.ags, m.name, m.postcodes, m.lat, m.lon, COALESCE(n.people, 0) "
            "FROM municipality m LEFT JOIN (SELECT municipality_id, COUNT(*) AS people FROM participant "
            "WHERE region_id = :region GROUP BY municipality_id) n ON n.municipality_id = m.id "
            "WHERE m.region_id = :region ORDER BY m.name"
        ),
        {"region": region.id},
    )
    municipalities = [
        MunicipalityView(
            mid,
            ags,
            name,
            tuple(orjson.loads(codes) if isinstance(codes, (str, bytes)) else codes),
            lat,
            lon,
            int(count),
        )
        for mid, ags, name, codes, lat, lon, count in rows
    ]
    rows = fetch(
        conn,
        typed(
            "SELECT s.id, s.code, s.name, s.address, s.postcode, s.place, m.name, s.lat, s.lon, s.childcare, "
            "(SELECT COUNT(*) FROM course c WHERE c.site_id = s.id) "
            "FROM course_site s LEFT JOIN municipality m ON m.id = s.municipality_id "
            "WHERE s.region_id = :region ORDER BY s.code",
            columns={"childcare": Boolean},
        ),
        {"region": region.id},
    )
    sites = [
        SiteView(sid, code, name, address, postcode, place, municipality, lat, lon, bool(childcare), int(courses))
        for sid, code, name, address, postcode, place, municipality, lat, lon, childcare, courses in rows
    ]
    unlinked = without = 0
    if municipalities:
        counts = fetch_one(
            conn,
            typed(
                "SELECT SUM(CASE WHEN municipality_id IS NULL AND (postcode IS NOT NULL OR location IS NOT NULL) "
                "THEN 1 ELSE 0 END), SUM(CASE WHEN postcode IS NULL AND location IS NULL THEN 1 ELSE 0 END) "
                "FROM participant WHERE region_id = :region AND anonymised_on IS NULL"
            ),
            {"region": region.id},
        )
        unlinked, without = (int(counts[0] or 0), int(counts[1] or 0)) if counts else (0, 0)
    return PlacesView(region.code, municipalities, sites, unlinked, without)


@dataclass(frozen=True, slots=True)
class ReachView:
    municipality: str
    site_code: str
    site: str
    slot: str
    estimated: bool
    out_depart: int | None
    out_arrive: int | None
    out_minutes: int | None
    out_transfers: int | None
    back_depart: int | None
    back_arrive: int | None
    back_minutes: int | None
    back_transfers: int | None
    reachable: bool

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("out_depart", "out_arrive", "back_depart", "back_arrive"):
            data[key] = clock(data[key])
        return data


@dataclass(frozen=True, slots=True)
class ReachTable:
    region: str
    computed: bool
    estimated: bool
    service_date: date | None
    limit_minutes: int
    rows: list[ReachView]

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "estimated": self.estimated,
            "service_date": self.service_date.isoformat() if self.service_date else None,
            "limit_minutes": self.limit_minutes,
            "rows": [row.to_json() for row in self.rows],
        }


def clock(minutes: int | None) -> str | None:
    """Minutes after midnight of the service day as HH:MM (past midnight shown as 24:10, as GTFS does)."""
    if minutes is None:
        return None
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_REACH_COLUMNS = (
    "r.out_depart, r.out_arrive, r.out_minutes, r.out_transfers, "
    "r.back_depart, r.back_arrive, r.back_minutes, r.back_transfers"
)


def reach_state(conn: Connection, region_id: int) -> tuple[str | None, bool, date | None]:
    """The stored run's basis, whether estimated, its service date (None, False, None: none yet)."""
    row = fetch_one(
        conn,
        typed(
            "SELECT basis, estimated, service_date FROM reach_run WHERE region_id = :region",
            columns={"estimated": Boolean, "service_date": Date},
        ),
        {"region": region_id},
    )
    return (row[0], bool(row[1]), row[2]) if row else (None, False, None)


def reach_table(
    conn: Connection, region_code: str, *, limit_minutes: int, max_wait_minutes: int, computed: bool = False
) -> ReachTable:
    from places.reachability import verdict  # noqa: PLC0415 - pure, cheap

    region = find_region(conn, region_code)
    _basis, estimated, service_date = reach_state(conn, region.id)
    rows = fetch(
        conn,
        typed(
            f"SELECT m.name, s.code, s.name, r.slot, r.estimated, {_REACH_COLUMNS} FROM reach r "
            "JOIN municipality m ON m.id = r.municipality_id JOIN course_site s ON s.id = r.site_id "
            "WHERE r.region_id = :region ORDER BY m.name, s.code, r.slot",
            columns={"estimated": Boolean},
        ),
        {"region": region.id},
    )
    order = {key: index for index, key in enumerate(COURSE_SLOTS)}
    views = []
    for row in rows:
        values = dict(
            zip(
                (
                    "out_depart",
                    "out_arrive",
                    "out_minutes",
                    "out_transfers",
                    "back_depart",
                    "back_arrive",
                    "back_minutes",
                    "back_transfers",
                ),
                row[5:],
                strict=True,
            )
        )
        ok = verdict({**values, "slot": row[3]}, limit_minutes=limit_minutes, max_wait_minutes=max_wait_minutes)
        views.append(ReachView(row[0], row[1], row[2], row[3], bool(row[4]), **values, reachable=ok))
    views.sort(key=lambda view: (view.municipality, view.site_code, order.get(view.slot, 9)))
    return ReachTable(region.code, computed, estimated, service_date, limit_minutes, views)


def region_transit_limit(conn: Connection, region_id: int) -> int:
    row = fetch_one(conn, typed("SELECT transit_max_minutes FROM region WHERE id = :region"), {"region": region_id})
    return int(row[0]) if row and row[0] is not None else 60


def current_basis(conn: Connection, region_id: int, walk: Any) -> str:
    """The basis fingerprint the region's reachability would have now (see places.reachability)."""
    from places.reachability import Point, basis_fingerprint  # noqa: PLC0415

    feed = fetch_one(conn, typed("SELECT sha256 FROM transit_feed WHERE region_id = :region"), {"region": region_id})
    municipalities = [
        Point(*row)
        for row in fetch(
            conn, typed("SELECT id, name, lat, lon FROM municipality WHERE region_id = :region"), {"region": region_id}
        )
    ]
    sites = [
        Point(*row)
        for row in fetch(
            conn, typed("SELECT id, name, lat, lon FROM course_site WHERE region_id = :region"), {"region": region_id}
        )
    ]
    return basis_fingerprint(feed[0] if feed else None, municipalities, sites, walk)

"""The daily sweep against its I/O floor (a bare scan of the same rows plus writing its own output
without Python), the sweep of an ordinary next day against the bare scan, and its peak memory."""

from __future__ import annotations

import random
import statistics
import sys
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from benchmarks.common import (
    TODAY,
    DataSet,
    Figure,
    child_peak_rss,
    env_for,
    reset_outbox,
    timed,
    working_copy,
)
from notifications.jobs import run_sweep
from pipeline.database import create_db_engine
from pipeline.reads import region_codes
from pipeline.repository import record_event
from pipeline.tables import Participant, Region
from process_models import Event, InvalidPayload, ModelCatalog, TransitionNotAllowed, calendar_for

SWEEP_COLUMNS = "id, model_version, stage, stage_since, state, open_steps"


def bare_scan(url: str, final: list[str]) -> int:
    """What the sweep reads, read through the driver and thrown away: the physical limit."""
    engine = create_db_engine(url)
    rows = 0
    placeholders = ", ".join(f"'{stage}'" for stage in final)
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        region_ids = [row[0] for row in connection.execute(text("SELECT id FROM region ORDER BY code"))]
        for region_id in region_ids:
            cursor = raw.cursor() if engine.dialect.name == "sqlite" else raw.cursor(name="bench_scan")
            sql = f"SELECT {SWEEP_COLUMNS} FROM participant WHERE region_id = {int(region_id)} AND stage NOT IN ({placeholders})"
            cursor.execute(sql)
            while chunk := cursor.fetchmany(2000):
                rows += len(chunk)
            cursor.close()
    engine.dispose()
    return rows


def write_floor(url: str) -> tuple[float, int]:
    """The sweep's output (reminder items, digests and their bodies) written again by the
    database alone, from copies of the rows: what storing the plan costs without any Python.
    Leaves the same rows in place; returns (seconds, items)."""
    tables = ("outbox", "outbox_content", "reminder_item")  # in insert order (foreign keys)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            items: int = connection.execute(text("SELECT count(*) FROM reminder_item")).scalar_one()
            for table in tables:
                connection.execute(text(f"DROP TABLE IF EXISTS floor_{table}"))
                connection.execute(text(f"CREATE TABLE floor_{table} AS SELECT * FROM {table}"))
            if engine.dialect.name == "postgresql":  # as reset_outbox: no dead index entries
                connection.execute(text(f"TRUNCATE {', '.join(tables)}"))
            else:
                for table in reversed(tables):
                    connection.execute(text(f"DELETE FROM {table}"))

        def write() -> None:
            with engine.begin() as connection:
                for table in tables:
                    connection.execute(text(f"INSERT INTO {table} SELECT * FROM floor_{table}"))

        seconds, _ = timed(write)
        with engine.begin() as connection:
            for table in tables:
                connection.execute(text(f"DROP TABLE floor_{table}"))
    finally:
        engine.dispose()
    return seconds, items


def sweep_all(url: str, catalog: ModelCatalog, day: date = TODAY) -> tuple[int, int]:
    """Sweep every region; (open participants, participants whose steps were evaluated)."""
    engine = create_db_engine(url)
    participants = evaluated = 0
    for region in region_codes(engine):
        result = run_sweep(engine=engine, catalog=catalog, region=region, today=day)
        participants += result.participants
        evaluated += result.evaluated
    engine.dispose()
    return participants, evaluated


def sent_overnight(url: str) -> None:
    """The morning's dispatch, as far as the next sweep can tell: every pending email is out."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET status = 'sent', attempts = 1 WHERE status = 'pending'"))
    engine.dispose()


def a_days_work(url: str, catalog: ModelCatalog, day: date, share: float = 0.01) -> int:
    """What a day of real work changes: for `share` of the open participants (chosen by a fixed
    seed), the first event the model allows in their stage that needs no further details,
    recorded through the write path every user takes. Returns how many were recorded."""
    engine = create_db_engine(url)
    recorded = 0
    try:
        with Session(engine, expire_on_commit=False) as session:
            regions = {region.id: region for region in session.exec(select(Region)).all()}
            final = {
                stage
                for region in regions.values()
                for stage in catalog.current(region.code, land=region.land).final_stages
            }
            ids = sorted(
                pid
                for pid in session.exec(
                    select(Participant.id).where(col(Participant.stage).not_in(sorted(final)))
                ).all()
                if pid is not None
            )
            chosen = random.Random(7).sample(ids, max(1, int(len(ids) * share)))
            for number, pid in enumerate(sorted(chosen), 1):
                person = session.get(Participant, pid)
                assert person is not None
                region = regions[person.region_id]
                model = catalog.get(person.model_version, region.code, land=region.land)
                for event_id in model.allowed_events(person.stage):
                    spec = model.events[event_id]
                    if any(field.required and field.default is None for field in spec.payload):
                        continue
                    by = spec.actors[0] if spec.actors else None
                    try:
                        record_event(
                            session=session,
                            participant=person,
                            event=Event(event_id, {}, by=by),
                            on=day,
                            model=model,
                            today=day,
                            user="benchmark",
                        )
                    except (TransitionNotAllowed, InvalidPayload):
                        continue
                    recorded += 1
                    break
                if number % 500 == 0:
                    session.commit()
            session.commit()
    finally:
        engine.dispose()
    return recorded


def sweep_figures(data: DataSet, *, first_target: float | None, ordinary_target: float | None) -> list[Figure]:
    """The first sweep of the day against the I/O floor, and the sweep of an ordinary next day
    against the bare scan, both on a working copy of the data set (the events recorded for the
    ordinary day must not change the stored data set)."""
    catalog = ModelCatalog(None)
    final = list(catalog.current("BY-BA", land="BY").final_stages)
    with working_copy(data) as url:
        reset_outbox(url)
        scan_first, scanned = timed(lambda: bare_scan(url, final))
        seconds, (swept, evaluated) = timed(lambda: sweep_all(url, catalog))
        scan_second, _ = timed(lambda: bare_scan(url, final))
        assert swept == scanned, (swept, scanned)
        floors = [write_floor(url) for _ in range(3)]
        writing = statistics.median(floor for floor, _ in floors)
        items = floors[0][1]
        scan = min(scan_first, scan_second)
        day = calendar_for(catalog.current("BY-BA", land="BY")).next_business_day(TODAY + timedelta(days=1))
        sent_overnight(url)
        recorded = a_days_work(url, catalog, day)
        next_seconds, (_swept, next_evaluated) = timed(lambda: sweep_all(url, catalog, day))
        scan_third, rescanned = timed(lambda: bare_scan(url, final))
        next_scan = min(scan, scan_third)
    floor = scan + writing
    return [
        Figure(
            f"sweep.{data.label}",
            seconds,
            floor,
            first_target or 0.0,
            "s",
            "ratio_max" if first_target else "report",
            f"first sweep of the day over {swept:,} open participants in {data.regions} regions (plans reminders, "
            f"writes digests; {evaluated:,} participants evaluated, the others' cached steps are exact and "
            f"cannot produce a reminder today); baseline: the I/O floor, the bare scan of what a full evaluation "
            f"reads ({scan:.2f} s, driver only) plus writing the sweep's own output – {items:,} reminder items, "
            f"the digests and their bodies – by the database alone from copies of the rows ({writing:.2f} s, "
            f"median of 3: {', '.join(f'{seconds:.2f}' for seconds, _ in floors)} s)",
        ),
        Figure(
            f"sweep.ordinary_day.{data.label}",
            next_seconds,
            next_scan,
            ordinary_target or 0.0,
            "s",
            "ratio_max" if ordinary_target else "report",
            f"the sweep of the next business day ({day:%d.%m.%Y}) after {recorded:,} events were recorded "
            f"(1 % of the open participants, through record_event): {next_evaluated:,} of {rescanned:,} open "
            "participants evaluated; baseline: the bare scan of all open participants",
        ),
    ]


def sweep_memory(data: DataSet, baseline_data: DataSet) -> Figure:
    """Peak RSS of `foerderkette sweep` over every region, against the same at a tenth of the size."""
    values = []
    for item in (data, baseline_data):
        with working_copy(item) as url:  # the sweep refreshes cached steps: keep the data set as generated
            reset_outbox(url)
            values.append(
                child_peak_rss(
                    [sys.executable, "-m", "foerderkette", "sweep", "--as-of", TODAY.isoformat()],
                    env_for(url),
                )
            )
    return Figure(
        f"sweep.peak_rss.{data.label}",
        values[0],
        values[1],
        1024.0,
        "MiB",
        "max",
        f"peak RSS of the sweep process at {data.participants:,} participants; "
        f"baseline: the same at {baseline_data.participants:,} (streaming keeps the two close)",
    )

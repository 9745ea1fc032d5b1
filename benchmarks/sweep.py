"""The daily sweep against a bare scan of the same columns of the same rows, and its peak memory."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import text

from benchmarks.common import TODAY, DataSet, Figure, child_peak_rss, env_for, prepare, reset_outbox, timed
from notifications.jobs import run_sweep
from pipeline.database import create_db_engine
from pipeline.reads import region_codes
from process_models import ModelCatalog

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


def sweep_all(url: str, catalog: ModelCatalog) -> tuple[int, int]:
    """Sweep every region; (open participants, participants whose steps were evaluated)."""
    engine = create_db_engine(url)
    participants = evaluated = 0
    for region in region_codes(engine):
        result = run_sweep(engine=engine, catalog=catalog, region=region, today=TODAY)
        participants += result.participants
        evaluated += result.evaluated
    engine.dispose()
    return participants, evaluated


def sweep_vs_scan(data: DataSet) -> Figure:
    url = prepare(data)
    catalog = ModelCatalog(None)
    final = list(catalog.current("BY-BA", land="BY").final_stages)
    reset_outbox(url)
    scan_first, scanned = timed(lambda: bare_scan(url, final))
    seconds, (swept, evaluated) = timed(lambda: sweep_all(url, catalog))
    scan_second, _ = timed(lambda: bare_scan(url, final))
    assert swept == scanned, (swept, scanned)
    baseline = min(scan_first, scan_second)
    floor, items = write_floor(url)
    return Figure(
        f"sweep.{data.label}",
        seconds,
        baseline,
        3.0,
        "s",
        "ratio_max",
        f"first sweep of the day over {swept:,} open participants in {data.regions} regions (plans reminders, "
        f"writes digests; {evaluated:,} participants re-evaluated, the others' cached steps are exact and "
        "cannot produce a reminder today); baseline: the columns a full evaluation reads, of every open "
        "participant, read through the driver. Writing the sweep's output alone – "
        f"{items:,} reminder items and the digests – by the database from copies of the rows: {floor:.2f} s "
        f"({floor / baseline:.2f}× the baseline)",
    )


def sweep_memory(data: DataSet, baseline_data: DataSet) -> Figure:
    """Peak RSS of `foerderkette sweep` over every region, against the same at a tenth of the size."""
    values = []
    for item in (data, baseline_data):
        url = prepare(item)
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

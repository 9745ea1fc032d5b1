"""The daily sweep against a bare scan of the same columns of the same rows, and its peak memory."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import text

from benchmarks.common import TODAY, DataSet, Figure, child_peak_rss, env_for, prepare, reset_outbox, timed
from notifications.jobs import region_codes, run_sweep
from pipeline.database import create_db_engine
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
    return Figure(
        f"sweep.{data.label}",
        seconds,
        min(scan_first, scan_second),
        3.0,
        "s",
        "ratio_max",
        f"first sweep of the day over {swept:,} open participants in {data.regions} regions (plans reminders, "
        f"writes digests; {evaluated:,} participants re-evaluated, the others' cached steps are exact and "
        "cannot produce a reminder today); baseline: the columns a full evaluation reads, of every open "
        "participant, read through the driver",
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

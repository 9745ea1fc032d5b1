"""What every benchmark shares: figures with their baseline, data sets, timing, peak memory."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from pipeline.database import create_db_engine

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FOERDERKETTE_BENCH_DATA", ROOT / "benchmarks" / ".data"))
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
PG_ADMIN = os.environ.get("FOERDERKETTE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
#: A Monday without holidays in Bavaria; the demo data is generated "as of" the Friday before.
TODAY = date(2026, 11, 23)
DEMO_AS_OF = date(2026, 11, 20)


@dataclass
class Figure:
    name: str
    value: float
    baseline: float | None
    target: float
    unit: str
    #: "max": value must stay at or below target; "ratio_max": value/baseline at or below target;
    #: "report": measured and printed without a target
    kind: str
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def holds(self) -> bool:
        if self.kind == "report":
            return True
        measured = self.ratio if self.kind == "ratio_max" else self.value
        if self.kind == "ratio_min":
            measured = self.ratio
            return measured is not None and measured >= self.target
        return measured is not None and measured <= self.target

    def entry(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "value": round(self.value, 4),
            "baseline": None if self.baseline is None else round(self.baseline, 4),
            "ratio": None if ratio is None else round(ratio, 3),
            "target": self.target,
            "target_kind": {
                "max": "value ≤ target",
                "ratio_max": "ratio ≤ target",
                "ratio_min": "ratio ≥ target",
                "report": "no target",
            }[self.kind],
            "unit": self.unit,
            "holds": self.holds,
            "note": self.note,
        }


def print_table(figures: Sequence[Figure]) -> None:
    rows = [("figure", "value", "baseline", "ratio", "target", "holds")]
    for f in figures:
        entry = f.entry()
        rows.append(
            (
                f.name,
                f"{f.value:,.3f} {f.unit}",
                "–" if f.baseline is None else f"{f.baseline:,.3f} {f.unit}",
                "–" if entry["ratio"] is None else f"{entry['ratio']:.2f}",
                "–"
                if f.kind == "report"
                else ("ratio " if f.kind != "max" else "")
                + ("≥ " if f.kind == "ratio_min" else "≤ ")
                + f"{f.target:g}",
                "yes" if f.holds else "NO",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def write_results(figures: Sequence[Figure], *, size: str, seconds: float, only: str | None = None) -> None:
    """Merge into latest.json: a small run keeps the large figures of an earlier run and vice versa."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    try:
        data: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        data = {}
    data.setdefault("_runs", {})[size] = {
        "date": datetime.now(UTC).date().isoformat(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "seconds": round(seconds, 1),
        "only": only,  # the benchmarks run when not all were (--only)
    }
    for figure in figures:
        data[figure.name] = figure.entry()
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def best_of(function: Callable[[], Any], runs: int) -> float:
    return min(timed(function)[0] for _ in range(runs))


def median_of(function: Callable[[], Any], runs: int) -> float:
    return statistics.median(timed(function)[0] for _ in range(runs))


def alternating(value: Callable[[], Any], baseline: Callable[[], Any], runs: int = 3) -> tuple[float, float, str]:
    """Medians of `runs` alternating timings of value and baseline (figures that swing from run to
    run on 2 cores), with their spread for the note."""
    values, baselines = [], []
    for _ in range(runs):
        values.append(timed(value)[0])
        baselines.append(timed(baseline)[0])
    spread = (
        f"median of {runs} alternating runs; value {min(values):.3f}–{max(values):.3f}, "
        f"baseline {min(baselines):.3f}–{max(baselines):.3f}"
    )
    return statistics.median(values), statistics.median(baselines), spread


@contextmanager
def working_copy(data: DataSet) -> Iterator[str]:
    """A throw-away copy of the data set's database, for benchmarks that change participants:
    the stored data set stays as generated, so every run starts from the same day."""
    url = prepare(data)
    if data.backend == "sqlite":
        source = Path(url.split(":///", 1)[1])
        copy = source.with_name(source.stem + "_work.db")
        # a run that crashed leaves its write-ahead log behind, which SQLite would replay onto
        # the fresh copy
        for leftover in (copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
            leftover.unlink(missing_ok=True)
        with sqlite3.connect(source) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            copy.unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_work"'))
        connection.execute(text(f'CREATE DATABASE "{name}_work" TEMPLATE "{name}"'))
    try:
        yield f"{url}_work"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_work" WITH (FORCE)'))
        admin.dispose()


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "FOERDERKETTE_DATABASE_URL": url,
        "FOERDERKETTE_MAILER": "memory",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def cli(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "foerderkette", *args],
        env=env_for(url),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"foerderkette {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def child_peak_rss(command: Sequence[str], env: dict[str, str]) -> float:
    """Peak resident memory (MiB) of a command, measured by GNU time in a small process of its own.

    (A child forked from this process would report at least this process's peak: Linux carries
    the high-water mark across fork and exec.)
    """
    if not Path("/usr/bin/time").exists():
        raise RuntimeError("GNU time is needed for the memory figures: apt-get install time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
        return int(report.read().split()[-1]) / 1024


# ---------------------------------------------------------------------------- data sets


@dataclass(frozen=True)
class DataSet:
    participants: int
    regions: int
    backend: str  # "sqlite" or "postgresql"
    seed: int = 1

    @property
    def label(self) -> str:
        size = (
            f"{self.participants // 1000}k" if self.participants < 1_000_000 else f"{self.participants // 1_000_000}M"
        )
        return f"{size}-{self.regions}r-{self.backend}"

    @property
    def url(self) -> str:
        name = f"bench_{self.label.replace('-', '_')}"
        if self.backend == "sqlite":
            return f"sqlite:///{DATA_DIR / (name + '.db')}"
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def engine(self) -> Engine:
        return create_db_engine(self.url)


#: What the cached step columns mean; raise it when that changes without a migration (2: next_remind
#: is the next reminder milestone once the day's reminders are planned; 3: the demo's cooperation
#: agreements agree to the providers' own starts plus room).
CACHE_SEMANTICS = 3


def _marker(data: DataSet) -> str:
    """What a stored data set was made for: its size, the newest migration and the cache semantics
    (cached columns such as `next_remind` are filled by the generator, so either means new data)."""
    migrations = sorted(path.stem for path in (ROOT / "migrations" / "versions").glob("0*.py"))
    return json.dumps({**asdict(data), "schema": migrations[-1], "cache": CACHE_SEMANTICS}, sort_keys=True)


def prepare(data: DataSet) -> str:
    """The data set's database, generated with the demo generator once and reused while intact."""
    if data.backend == "sqlite":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = data.url.rsplit("/", 1)[1]
        with admin.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = data.engine()
    try:
        with engine.connect() as connection:
            count: int = connection.execute(text("SELECT count(*) FROM participant")).scalar_one()
            stored: str = connection.execute(text("SELECT value FROM bench_marker")).scalar_one()
        if count == data.participants and stored == _marker(data):
            return data.url
    except Exception:  # noqa: S110 - missing tables or marker: generate below
        pass
    finally:
        engine.dispose()
    print(f"  generating {data.label} with the demo generator …", flush=True)
    started = time.perf_counter()
    cli(data.url, "db", "upgrade")
    cli(
        data.url,
        "demo",
        "--participants",
        str(data.participants),
        "--regions",
        str(data.regions),
        "--seed",
        str(data.seed),
        "--as-of",
        DEMO_AS_OF.isoformat(),
        "--replace",
    )
    engine = data.engine()
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_marker (value TEXT)"))
        connection.execute(text("DELETE FROM bench_marker"))
        connection.execute(text("INSERT INTO bench_marker (value) VALUES (:v)"), {"v": _marker(data)})
    engine.dispose()
    print(f"  … {data.label} ready in {time.perf_counter() - started:.0f} s", flush=True)
    return data.url


def reset_outbox(url: str) -> None:
    """Forget planned reminders and emails, so a sweep starts the day afresh.

    On PostgreSQL by TRUNCATE: after a DELETE, the dead index entries of the very keys the next
    sweep inserts again made every unique check visit dead rows (the insert of 115,000 items
    took 8.4 s instead of 5.8 s) – an artefact of re-running the benchmark, not of a real day.
    """
    engine = create_db_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE reminder_item, outbox, outbox_content"))
        else:
            connection.execute(text("DELETE FROM reminder_item"))
            connection.execute(text("DELETE FROM outbox"))
    engine.dispose()

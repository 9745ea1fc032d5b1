"""Cold-process latency of read-only commands against a bare Python process reading the same rows."""

from __future__ import annotations

import sqlite3
import statistics
import subprocess
import sys
import time

from benchmarks.common import ROOT, TODAY, DataSet, Figure, env_for, prepare

BASELINE = """
import sqlite3, sys
c = sqlite3.connect("file:{path}?mode=ro", uri=True)
out = sys.stdout
for row in c.execute("SELECT p.ref, r.code, p.stage, p.stage_since, p.next_step, p.next_responsible, "
                     "p.next_agencies, p.next_due, p.model_version, p.first_name, p.last_name "
                     "FROM participant p JOIN region r ON r.id = p.region_id"):
    out.write(repr(row))
"""


def _cold(command: list[str], env: dict[str, str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_only_commands(path: str) -> list[list[str]]:
    """Every read-only listing of the CLI, on the data set's first region and participant."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        region, ref = connection.execute(
            "SELECT r.code, MIN(p.ref) FROM region r JOIN participant p ON p.region_id = r.id "
            "GROUP BY r.code ORDER BY r.code LIMIT 1"
        ).fetchone()
        # the planning commands on a region with municipalities (the demo's model regions)
        place_region, place_ref = connection.execute(
            "SELECT r.code, MIN(p.ref) FROM region r JOIN participant p ON p.region_id = r.id "
            "WHERE EXISTS (SELECT 1 FROM municipality m WHERE m.region_id = r.id) GROUP BY r.code ORDER BY r.code LIMIT 1"
        ).fetchone() or (region, ref)
    finally:
        connection.close()
    month = f"{TODAY.year + TODAY.month // 12}-{TODAY.month % 12 + 1:02d}"
    return [
        ["participants", "list", "--region", region, "--overdue"],
        ["participants", "show", ref],
        ["regions", "list"],
        ["users", "list"],
        ["reminders", "list"],
        ["schedules"],
        ["process", "show"],
        ["jourfixe", "series", "show", "--region", region],
        ["jourfixe", "actions", "list", "--region", region, "--status", "all"],
        ["jourfixe", "snapshots", "--region", region, "--month", month],
        ["jourfixe", "minutes", "show", "--region", region, "--month", month],
        ["places", "list", "--region", place_region],
        ["transit", "reach", "--region", place_region],
        ["courses", "suggest", place_ref],
        ["planning", "agreement", "show", "--region", place_region],
        ["planning", "testing", "--region", place_region],
    ]


def cli_latency(data: DataSet) -> list[Figure]:
    url = prepare(data)
    env = env_for(url)
    path = url.split(":///", 1)[1]
    listing = _cold(
        [
            sys.executable,
            "-m",
            "foerderkette",
            "participants",
            "list",
            "--format",
            "json",
            "--as-of",
            TODAY.isoformat(),
        ],
        env,
    )
    floor = _cold([sys.executable, "-c", BASELINE.format(path=path)], env)
    help_time = _cold([sys.executable, "-m", "foerderkette", "--help"], env)
    bare = _cold([sys.executable, "-c", "pass"], env)
    others = {
        " ".join(args[:2] if args[0] != "schedules" else args[:1]): _cold(
            [sys.executable, "-m", "foerderkette", *args], env, runs=5
        )
        for args in read_only_commands(path)
    }
    slowest = max(others, key=lambda name: others[name])
    return [
        Figure(
            f"cli.participants_list_json.{data.label}",
            listing,
            floor,
            1.0,
            "s",
            "max",
            f"median of 7 cold processes listing all {data.participants:,} participants as JSON; baseline: a bare "
            "Python process reading the same columns of the same rows with sqlite3",
        ),
        Figure(
            "cli.help",
            help_time,
            bare,
            1.0,
            "s",
            "max",
            "median of 7 cold `foerderkette --help`; baseline: `python -c pass`",
        ),
        Figure(
            f"cli.read_only_slowest.{data.label}",
            others[slowest],
            bare,
            1.0,
            "s",
            "max",
            f"the slowest of {len(others)} other read-only commands, median of 5 cold processes each: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in others.items())
            + "; baseline: `python -c pass`",
        ),
    ]

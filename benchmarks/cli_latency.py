"""Cold-process latency of read-only commands against a bare Python process reading the same rows."""

from __future__ import annotations

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
    return [
        Figure(
            f"cli.participants_list_json.{data.label}",
            listing,
            floor,
            0.5,
            "s",
            "max",
            f"median of 7 cold processes listing all {data.participants:,} participants as JSON; baseline: a bare "
            "Python process reading the same columns of the same rows with sqlite3",
        ),
        Figure(
            "cli.help",
            help_time,
            bare,
            0.5,
            "s",
            "max",
            "median of 7 cold `foerderkette --help`; baseline: `python -c pass`",
        ),
    ]

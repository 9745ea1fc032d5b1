"""Run the benchmarks: `python -m benchmarks.run` (small sizes, a few minutes) or `--large`.

Prints a table and merges the figures into benchmarks/results/latest.json, each as
{"value", "baseline", "ratio", "target", "unit", "holds"}. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from benchmarks import agenda, cli_latency, dispatch, flow_runs, planning, reach, sweep, web
from benchmarks.common import RESULTS, DataSet, Figure, print_table, write_results

SMALL_1K = DataSet(1_000, 2, "sqlite")
SMALL = DataSet(10_000, 10, "sqlite")
#: one region with more than 5,000 active participants
ONE_REGION = DataSet(6_000, 1, "sqlite")
LARGE_SQLITE = DataSet(100_000, 20, "sqlite")
PG_100K = DataSet(100_000, 96, "postgresql")
PG_1M = DataSet(1_000_000, 96, "postgresql")

Plan = list[tuple[str, Callable[[], Figure | list[Figure]]]]


def small_plan() -> Plan:
    return [
        ("flow runs per day", lambda: flow_runs.flow_runs_per_day()),
        ("CLI latency", lambda: cli_latency.cli_latency(SMALL)),
        # at 10k the fixed costs dominate: reported without a target
        ("sweep vs I/O floor", lambda: sweep.sweep_figures(SMALL, first_target=None, ordinary_target=None)),
        ("sweep memory", lambda: sweep.sweep_memory(SMALL, SMALL_1K)),
        ("agenda, one region", lambda: agenda.one_region(ONE_REGION)),
        ("agenda, all regions", lambda: agenda.all_regions(SMALL)),
        ("web pipeline page", lambda: web.pipeline_page(ONE_REGION)),
        ("web key figures page", lambda: web.figures_page(ONE_REGION)),
        ("Land view", lambda: web.land_view(SMALL)),
        ("dispatch", lambda: dispatch.dispatch(SMALL, messages=3000)),
        ("reachability 50 × 40 × 3", lambda: reach.reachability()),
        ("suggestions, one region", lambda: planning.suggestions(ONE_REGION)),
        ("fill proposal 200 × 800", lambda: planning.fill()),
        ("planning demand, one region", lambda: planning.demand(ONE_REGION)),
        ("course proposal, one region", lambda: planning.proposal(ONE_REGION)),
    ]


def large_plan() -> Plan:
    return [
        ("CLI latency (100k, SQLite)", lambda: cli_latency.cli_latency(LARGE_SQLITE)),
        (
            "sweep vs I/O floor (100k, SQLite)",
            lambda: sweep.sweep_figures(LARGE_SQLITE, first_target=4.0, ordinary_target=1.0),
        ),
        (
            "sweep vs I/O floor (100k, PostgreSQL)",
            lambda: sweep.sweep_figures(PG_100K, first_target=2.0, ordinary_target=1.0),
        ),
        (
            "sweep vs I/O floor (1M, PostgreSQL)",
            lambda: sweep.sweep_figures(PG_1M, first_target=2.0, ordinary_target=1.0),
        ),
        ("sweep memory (1M, PostgreSQL)", lambda: sweep.sweep_memory(PG_1M, PG_100K)),
        ("agenda, one region (PostgreSQL)", lambda: agenda.one_region(PG_1M)),
        ("agenda, all regions (1M, PostgreSQL)", lambda: agenda.all_regions(PG_1M)),
        ("web pipeline page (1M, PostgreSQL)", lambda: web.pipeline_page(PG_1M)),
        ("web key figures page (1M, PostgreSQL)", lambda: web.figures_page(PG_1M)),
        ("Land view (1M, PostgreSQL)", lambda: web.land_view(PG_1M)),
        ("dispatch (PostgreSQL)", lambda: dispatch.dispatch(PG_100K)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="the large sizes (100k SQLite, 100k and 1M PostgreSQL)")
    parser.add_argument("--only", help="run only the benchmarks whose title contains this text")
    args = parser.parse_args()
    plan = large_plan() if args.large else small_plan()
    if args.only:
        plan = [(title, job) for title, job in plan if args.only.lower() in title.lower()]
    started = time.perf_counter()
    figures: list[Figure] = []
    for title, job in plan:
        print(f"- {title}", flush=True)
        begun = time.perf_counter()
        result = job()
        figures.extend(result if isinstance(result, list) else [result])
        print(f"  ({time.perf_counter() - begun:.1f} s)", flush=True)
    seconds = time.perf_counter() - started
    print()
    print_table(figures)
    print(f"\n{len(figures)} figures in {seconds:.0f} s on {os.cpu_count()} cores; written to {RESULTS}")
    write_results(figures, size="large" if args.large else "small", seconds=seconds, only=args.only)
    return 0 if all(figure.holds for figure in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

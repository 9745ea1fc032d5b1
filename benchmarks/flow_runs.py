"""Flow runs the schedules create per business day: they must grow with regions, not participants."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from benchmarks.common import TODAY, Figure
from flows.scheduler import runs_on


def flow_runs_per_day(regions: int = 100, participants: int = 1_000_000) -> Figure:
    names = [f"R{number:03d}" for number in range(regions)]
    per_flow = runs_on(TODAY, names, ZoneInfo("Europe/Berlin"))
    total = sum(per_flow.values())
    detail = ", ".join(f"{flow} {count}" for flow, count in per_flow.items())
    return Figure(
        f"prefect.flow_runs_per_day.{regions}_regions",
        total,
        regions,
        5.0,
        "runs",
        "ratio_max",
        f"flow runs on a business day from flows/deployments.py ({detail}); baseline: the number of regions, so "
        f"the ratio is runs per region. Independent of participants: one run per participant would be "
        f"{participants:,}",
    )

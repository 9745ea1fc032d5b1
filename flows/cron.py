"""Crontab expressions as APScheduler triggers: the embedded scheduler fires them, `foerderkette
status` computes from them when each job was due last (no Prefect, no ORM here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    """Crontab weekdays (0 or 7 = Sunday) as names: APScheduler counts from Monday = 0."""

    def name(part: str) -> str:
        return _WEEKDAYS[int(part)] if part.isdigit() else part

    parts = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        base = "-".join(name(end) for end in base.split("-")) if base != "*" else base
        parts.append(f"{base}/{step}" if step else base)
    return ",".join(parts)


def cron_trigger(expression: str, timezone: Any) -> CronTrigger:
    """A standard five-field crontab expression (as Prefect reads it) as an APScheduler trigger."""
    minute, hour, day, month, weekday = expression.split()
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday), timezone=timezone
    )


def firings(expression: str, timezone: Any, start: datetime, end: datetime) -> list[datetime]:
    """Every time `expression` fires in [start, end)."""
    trigger = cron_trigger(expression, timezone)
    found: list[datetime] = []
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and moment < end:
        found.append(moment)
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return found

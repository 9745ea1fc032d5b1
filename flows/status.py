"""Is the embedded scheduler alive, and did every job run when it was due? Read by
`foerderkette status` (non-zero exit for monitoring) and the web's Betrieb page, one definition.

A job is **overdue** when its last scheduled firing is more than GRACE ago and no run has
completed that started at or after it; its **missed** firings are those since its last
completed run. Jobs skip non-business days themselves, so a holiday run still completes.
SQLAlchemy Core only (a read-only command): neither Prefect nor the ORM is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from flows.cron import firings
from flows.deployments import SCHEDULES

#: how long after its time a job may take before it counts as overdue (a sweep of many regions
#: takes minutes)
GRACE = timedelta(hours=1)
#: how far back missed firings are counted
LOOKBACK = timedelta(days=7)
#: a scheduler whose heartbeat is older than this is not running (it beats every 30 s)
STALE = timedelta(minutes=2)
#: a run without an end after this long was cut off (the process died)
CUT_OFF = timedelta(hours=3)


@dataclass(frozen=True)
class JobStatus:
    flow: str
    title: str
    description: str
    last_due: datetime | None
    next_due: datetime | None
    last_completed: datetime | None
    last_failed_regions: str | None
    missed: int
    cut_off: int

    @property
    def overdue(self) -> bool:
        return self.last_due is not None and (
            self.last_completed is None or self.last_completed + _SKEW < self.last_due
        )


@dataclass(frozen=True)
class SchedulerStatus:
    now: datetime
    timezone: Any
    holder: str | None
    heartbeat_at: datetime | None
    jobs: list[JobStatus] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.heartbeat_at is not None and self.heartbeat_at > self.now - STALE

    @property
    def problems(self) -> list[str]:
        """What monitoring must hear about, in German (empty: all well)."""
        found = []
        if not self.alive:
            found.append(
                "Kein Scheduler aktiv"
                + (
                    f" (letztes Lebenszeichen {self.local(self.heartbeat_at)})"
                    if self.heartbeat_at
                    else " (noch nie gestartet)"
                )
            )
        for job in self.jobs:
            if job.overdue:
                found.append(
                    f"{job.title} überfällig: fällig {self.local(job.last_due)}, zuletzt erfolgreich "
                    + (self.local(job.last_completed) if job.last_completed else "nie")
                    + (f", {job.missed} {'Lauf' if job.missed == 1 else 'Läufe'} verpasst" if job.missed else "")
                )
            if job.last_failed_regions:
                found.append(f"{job.title}: letzter Lauf fehlgeschlagen für {job.last_failed_regions}")
        return found

    def local(self, moment: datetime | None) -> str:
        """A moment as German local time ("02.12.2026 07:00")."""
        return moment.astimezone(self.timezone).strftime("%d.%m.%Y %H:%M") if moment else "–"

    def to_json(self) -> dict[str, Any]:
        return {
            "scheduler": {"alive": self.alive, "holder": self.holder, "heartbeat_at": self.heartbeat_at},
            "jobs": [
                {
                    "flow": job.flow,
                    "title": job.title,
                    "last_due": job.last_due,
                    "next_due": job.next_due,
                    "last_completed": job.last_completed,
                    "missed": job.missed,
                    "overdue": job.overdue,
                    "last_failed_regions": job.last_failed_regions,
                    "cut_off": job.cut_off,
                }
                for job in self.jobs
            ],
            "problems": self.problems,
        }


_SKEW = timedelta(minutes=1)


def _utc(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back text or naive values)."""
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def scheduler_status(connection: Connection, *, now: datetime, timezone: Any) -> SchedulerStatus:
    """The scheduler's heartbeat and each job's last due, last completed and missed runs."""
    lock = connection.execute(text("SELECT holder, heartbeat_at FROM scheduler_lock WHERE id = 1")).first()
    completed: dict[str, datetime] = {}
    last_failed: dict[str, str | None] = {}
    cut_off: dict[str, int] = {}
    # the job record is small (a few hundred rows a week) and read whole, in start order
    for row in connection.execute(
        text("SELECT flow, started_at, finished_at, failed FROM job_run ORDER BY started_at, id")
    ):
        flow, finished_at, failed = str(row.flow), row.finished_at, row.failed
        started = _utc(row.started_at)
        assert started is not None
        if finished_at is not None:
            completed[flow], last_failed[flow] = started, failed
        elif started < now - CUT_OFF:
            cut_off[flow] = cut_off.get(flow, 0) + 1
    jobs = []
    local_now = now.astimezone(timezone)
    for schedule in SCHEDULES:
        due = firings(schedule.cron, timezone, local_now - LOOKBACK, local_now - GRACE)
        upcoming = firings(schedule.cron, timezone, local_now, local_now + timedelta(days=8))
        last = completed.get(schedule.flow)
        # a run started a little before its time (clock skew, a catch-up) still counts for it
        missed = [moment for moment in due if last is None or moment > last + _SKEW]
        jobs.append(
            JobStatus(
                flow=schedule.flow,
                title=schedule.title or schedule.flow,
                description=schedule.description,
                last_due=due[-1] if due else None,
                next_due=upcoming[0] if upcoming else None,
                last_completed=last,
                last_failed_regions=last_failed.get(schedule.flow),
                missed=len(missed),
                cut_off=cut_off.get(schedule.flow, 0),
            )
        )
    return SchedulerStatus(
        now=now,
        timezone=timezone,
        holder=lock.holder if lock else None,
        heartbeat_at=_utc(lock.heartbeat_at) if lock else None,
        jobs=jobs,
    )

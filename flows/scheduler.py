"""The embedded scheduler of `foerderkette serve`: APScheduler running the schedules of
`flows/deployments.py` by calling the flows in this process.

- Jobs live in a persistent job store (our database), so a restart neither loses nor repeats a
  run: APScheduler moves a job's next run time before running it.
- Runs missed while the process was down are caught up once (coalesce, no misfire limit).
- One scheduler per database: a lock row with a heartbeat; a second `serve` is refused.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.cron import cron_trigger, firings
from flows.deployments import SCHEDULES, schedule_for
from flows.runtime import Runtime
from flows.tables import JobRun, SchedulerLock
from pipeline.database import table_of
from pipeline.reads import region_codes

log = logging.getLogger(__name__)

JOB_TABLE = "scheduler_jobs"
Dispatch = Callable[[str], None]


class SchedulerLocked(RuntimeError):
    """Another scheduler holds the lock on this database."""


_runner: Runner | None = None


def fire(flow: str) -> None:
    """The persisted job function (referenced by name in the job store)."""
    if _runner is None:
        raise RuntimeError("no scheduler running in this process")
    _runner.dispatch(flow)


def run_flow_for_all_regions(app: Runtime, flow: str) -> None:
    """One flow run per region (one region after another; one region's failure stops no other),
    or a single run for all regions where the schedule says so."""
    from flows.scheduled import FLOWS  # noqa: PLC0415 - imports Prefect

    run_id = _record_start(app, flow)
    failed: list[str] = []
    targets = schedule_for(flow).targets(region_codes(app.engine))
    for region in targets:
        try:
            FLOWS[flow](region=region)
        except Exception:
            log.exception("%s for %s failed", flow, region or "all regions")
            failed.append(region or "alle Regionen")
    _record_end(app, run_id, targets=len(targets), failed=failed)


#: how long the record of the embedded scheduler's runs is kept (`foerderkette status`)
RUNS_KEPT = timedelta(days=90)


def _record_start(app: Runtime, flow: str) -> int | None:
    """Note that a job started (`foerderkette status` and the web's Betrieb page read it); a
    failure to note it never stops the job."""
    runs = table_of(JobRun)
    now = datetime.now(UTC)
    try:
        with app.engine.begin() as connection:
            connection.execute(delete(runs).where(runs.c.started_at < now - RUNS_KEPT))
            return connection.execute(insert(runs).values(flow=flow, started_at=now).returning(runs.c.id)).scalar()
    except Exception:
        log.warning("could not record the start of %s", flow, exc_info=True)
        return None


def _record_end(app: Runtime, run_id: int | None, *, targets: int, failed: list[str]) -> None:
    if run_id is None:
        return
    runs = table_of(JobRun)
    try:
        with app.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    finished_at=datetime.now(UTC), regions=targets, failed=", ".join(failed)[:500] if failed else None
                )
            )
    except Exception:
        log.warning("could not record the end of run %s", run_id, exc_info=True)


def runs_on(day: date, regions: Sequence[str], timezone: Any) -> dict[str, int]:
    """How many flow runs the schedules create on `day` (local time) for `regions`, per flow."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(str(timezone)))
    end = start + timedelta(days=1)
    return {
        schedule.flow: len(firings(schedule.cron, timezone, start, end)) * len(schedule.targets(regions))
        for schedule in SCHEDULES
    }


class Runner:
    def __init__(
        self,
        app: Runtime,
        *,
        dispatch: Dispatch | None = None,
        heartbeat: timedelta = timedelta(seconds=30),
        stale_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self.app = app
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.dispatch: Dispatch = dispatch or (lambda flow: run_flow_for_all_regions(app, flow))
        self.fired: list[tuple[str, datetime]] = []
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=app.engine, tablename=JOB_TABLE),
                "memory": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=app.settings.tz,
        )

    # ------------------------------------------------------------------ lock

    def _acquire(self) -> None:
        lock = table_of(SchedulerLock)
        now = datetime.now(UTC)
        with self.app.engine.begin() as connection:
            query = select(lock).where(lock.c.id == 1)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            row = connection.execute(query).first()
            if row is None:
                try:
                    connection.execute(insert(lock).values(id=1, holder=self.holder, started_at=now, heartbeat_at=now))
                except IntegrityError:
                    raise SchedulerLocked("Ein anderer Scheduler startet gerade mit dieser Datenbank") from None
                return
            if row.heartbeat_at > now - self.stale_after:
                raise SchedulerLocked(
                    f"Für diese Datenbank läuft bereits ein Scheduler ({row.holder}, seit {row.started_at:%d.%m.%Y %H:%M} UTC, "
                    f"zuletzt aktiv {row.heartbeat_at:%H:%M:%S} UTC). Es darf nur einer laufen: den anderen beenden "
                    "oder diesen mit FOERDERKETTE_SCHEDULER=false nur als Web-Oberfläche starten."
                )
            log.warning("taking over the scheduler lock from %s (silent since %s)", row.holder, row.heartbeat_at)
            connection.execute(
                update(lock).where(lock.c.id == 1).values(holder=self.holder, started_at=now, heartbeat_at=now)
            )

    def beat(self) -> None:
        lock = table_of(SchedulerLock)
        with self.app.engine.begin() as connection:
            result = connection.execute(
                update(lock).where(lock.c.id == 1, lock.c.holder == self.holder).values(heartbeat_at=datetime.now(UTC))
            )
        if result.rowcount == 0:
            log.error("scheduler lock lost; stopping the scheduler")
            self.scheduler.pause()

    def _release(self) -> None:
        lock = table_of(SchedulerLock)
        with self.app.engine.begin() as connection:
            connection.execute(delete(lock).where(lock.c.id == 1, lock.c.holder == self.holder))

    # ------------------------------------------------------------------ jobs

    def triggers(self) -> dict[str, CronTrigger]:
        return {schedule.flow: cron_trigger(schedule.cron, self.app.settings.tz) for schedule in SCHEDULES}

    def start(self) -> None:
        """Take the lock, load the persisted jobs, add or update the schedules, catch up, run."""
        global _runner  # noqa: PLW0603 - the job function finds its runner here
        self._acquire()
        _runner = self
        try:
            self.scheduler.start(paused=True)
            for flow, trigger in self.triggers().items():
                job = self.scheduler.get_job(flow)
                if job is None or str(job.trigger) != str(trigger):
                    # a changed schedule starts afresh; an unchanged one keeps its next run time,
                    # so a run missed while we were down is still due and is caught up once
                    self.scheduler.add_job(
                        fire, trigger=trigger, args=[flow], id=flow, name=flow, replace_existing=True
                    )
            self.scheduler.add_job(
                self.beat, "interval", seconds=self.heartbeat.total_seconds(), id="heartbeat", jobstore="memory"
            )
            self.scheduler.resume()
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the jobs and release the lock (safe to call twice)."""
        global _runner  # noqa: PLW0603
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _runner is self:
            _runner = None
        self._release()

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs() if job.id != "heartbeat"}

    def wakeup(self) -> None:
        self.scheduler.wakeup()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"flow": flow, "next_run": when.isoformat() if when else None}
            for flow, when in sorted(self.next_runs().items())
        ]

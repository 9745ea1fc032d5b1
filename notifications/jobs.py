"""The reminder jobs over many regions, as entry points (CLI, flows) run them: one session and
commit per region, so one region's failure never undoes another's work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from checklists.repository import meeting_for_month, recurrence
from checklists.tables import MeetingSeries
from notifications.answers import DEFAULT_LIFETIME_DAYS
from notifications.failures import notify_failures
from notifications.jourfixe import (
    FollowupResult,
    InvitationResult,
    checklist_for,
    invitation_day,
    plan_action_reminders,
    send_invitations,
)
from notifications.mailers import Mailer
from notifications.outbox import RetryWindow, SendReport, send_due
from notifications.revision import DigestReviser
from notifications.sweep import SweepResult, sweep_region
from pipeline.database import session_scope, utcnow
from pipeline.repository import get_region
from pipeline.tables import Region
from process_models import ModelCatalog, calendar_for
from process_models.business_days import BusinessCalendar


class JobSettings(Protocol):
    """The settings the jobs read (foerderkette.settings.Settings has them)."""

    @property
    def mail_from(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def answer_link_days(self) -> int: ...
    @property
    def overrides_dir(self) -> Path: ...
    @property
    def send_batch_size(self) -> int: ...
    @property
    def send_retry_days(self) -> int: ...
    @property
    def tz(self) -> tzinfo: ...


class JobRuntime(Protocol):
    """What the jobs need of a composition root (foerderkette.app.App is one)."""

    @property
    def settings(self) -> JobSettings: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def catalog(self) -> ModelCatalog: ...
    @property
    def mailer(self) -> Mailer: ...


def send_outbox(
    runtime: JobRuntime, *, today: date, dry_run: bool = False, regions: Sequence[str] | None = None
) -> tuple[SendReport, list[str]]:
    """`run_send` wired from the runtime's settings, as the send flow and `reminders send|preview` run it."""
    settings = runtime.settings
    return run_send(
        engine=runtime.engine,
        catalog=runtime.catalog,
        mailer=runtime.mailer,
        mail_from=settings.mail_from,
        today=today,
        batch_size=settings.send_batch_size,
        retry_days=settings.send_retry_days,
        tz=settings.tz,
        dry_run=dry_run,
        regions=regions,
        base_url=settings.base_url,
        answer_secret=settings.secret_key,
        answer_days=settings.answer_link_days,
    )


def sweep_outbox(runtime: JobRuntime, *, region: str, today: date) -> SweepResult:
    """`run_sweep` wired from the runtime's settings (links, their secret and lifetime), as the
    sweep flow and `foerderkette sweep` run it."""
    settings = runtime.settings
    return run_sweep(
        engine=runtime.engine,
        catalog=runtime.catalog,
        region=region,
        today=today,
        base_url=settings.base_url,
        answer_secret=settings.secret_key,
        answer_days=settings.answer_link_days,
    )


def land_figures(runtime: JobRuntime, *, region: str, today: date) -> int:
    """The region's headline figures for the Land view (`figures.land`), stored for `today`: the
    daily sweep run's last task and the last step of `foerderkette sweep` – after the sweep, not in
    it, so that the reminders never wait for the figures. Returns the cases counted."""
    from figures.land import store_land_figures  # noqa: PLC0415

    with session_scope(runtime.engine) as session:
        found = get_region(session=session, code=region)
        assert found.id is not None
        model = runtime.catalog.current(found.code, land=found.land)
        return store_land_figures(session.connection(), found.id, model, today=today)


def run_sweep(
    *,
    engine: Engine,
    catalog: ModelCatalog,
    region: str,
    today: date,
    base_url: str = "",
    answer_secret: str = "",
    answer_days: int = DEFAULT_LIFETIME_DAYS,
) -> SweepResult:
    """The daily sweep of one region, committed on success. With `base_url` the digests link to
    each participant's page, with `answer_secret` as well to a one-click answer page."""
    with session_scope(engine) as session:
        found = get_region(session=session, code=region)
        current = catalog.current(found.code, land=found.land)
        result = sweep_region(
            session=session,
            region=found,
            model_for=lambda version: catalog.get(version, found.code, land=found.land),
            current=current,
            today=today,
            base_url=base_url,
            answer_secret=answer_secret,
            answer_days=answer_days,
        )
    return result


def region_calendars(
    engine: Engine, catalog: ModelCatalog, only: Sequence[str] | None = None
) -> dict[int, tuple[str, BusinessCalendar]]:
    """Each region's id → its code and business-day calendar (of its current model)."""
    with Session(engine) as session:
        query = select(Region).order_by(Region.code)
        if only is not None:
            query = query.where(col(Region.code).in_(list(only)))
        return {
            region.id: (region.code, calendar_for(catalog.current(region.code, land=region.land)))
            for region in session.exec(query).all()
            if region.id is not None
        }


def open_regions(
    engine: Engine, catalog: ModelCatalog, today: date, only: Sequence[str] | None = None
) -> tuple[set[int], list[str]]:
    """Region ids for which `today` is a business day, and the codes of the others (quiet today)."""
    opened: set[int] = set()
    quiet: list[str] = []
    for region_id, (code, calendar) in region_calendars(engine, catalog, only).items():
        if calendar.is_business_day(today):
            opened.add(region_id)
        else:
            quiet.append(code)
    return opened, quiet


def business_day_window(calendars: dict[int, BusinessCalendar], days: int, tz: tzinfo) -> RetryWindow:
    """Retry a region's temporarily failing message until the same time of day `days` business
    days (of its region) after its first failure; a message of no region counts weekdays."""
    weekdays = BusinessCalendar()

    def window(region_id: int | None, now: datetime) -> datetime:
        calendar = calendars.get(region_id or 0, weekdays)
        start = now.astimezone(tz).date()
        return now + (calendar.add_business_days(start, days).date - start)

    return window


def run_send(
    *,
    engine: Engine,
    catalog: ModelCatalog,
    mailer: Mailer,
    mail_from: str,
    today: date,
    batch_size: int = 200,
    retry_days: int = 3,
    tz: tzinfo = UTC,
    dry_run: bool = False,
    regions: Sequence[str] | None = None,
    base_url: str = "",
    answer_secret: str = "",
    answer_days: int = DEFAULT_LIFETIME_DAYS,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[SendReport, list[str]]:
    """Dispatch the outbox for every region that works today (or only `regions`); returns the
    report and the regions that are quiet today. Reminder digests are revised as they are
    claimed (`notifications.revision`): what goes out is true when it is sent. Temporary failures
    are retried for `retry_days` business days; messages that fail for good are reported to their
    region's coordinators in one e-mail per region, sent in the same run (`notify_failures`)."""
    calendars = region_calendars(engine, catalog, regions)
    opened = {region_id for region_id, (_code, calendar) in calendars.items() if calendar.is_business_day(today)}
    quiet = [code for region_id, (code, _calendar) in calendars.items() if region_id not in opened]
    window = business_day_window({key: calendar for key, (_code, calendar) in calendars.items()}, retry_days, tz)
    revise = DigestReviser(
        catalog, today=today, base_url=base_url, answer_secret=answer_secret, answer_days=answer_days
    )
    arguments = {
        "engine": engine,
        "mailer": mailer,
        "mail_from": mail_from,
        "today": today,
        "open_regions": opened,
        "batch_size": batch_size,
        "retry_window": window,
        "revise": revise,
        "clock": clock,
    }
    report = send_due(dry_run=dry_run, **arguments)  # type: ignore[arg-type]
    if not dry_run and (notified := notify_failures(engine, report.failed_ids, today=today, base_url=base_url)):
        report.merge(send_due(**arguments))  # type: ignore[arg-type]
        report.notified = notified
    return report, quiet


def run_jourfixe_followup(*, engine: Engine, catalog: ModelCatalog, region: str, today: date) -> FollowupResult:
    """Reminders about the region's open Jour-fixe action items, committed on success."""
    with session_scope(engine) as session:
        found = get_region(session=session, code=region)
        return plan_action_reminders(
            session=session, region=found, model=catalog.current(found.code, land=found.land), today=today
        )


def run_jourfixe_prepare(
    *,
    engine: Engine,
    catalog: ModelCatalog,
    overrides_dir: Path | None,
    region: str,
    today: date,
    mail_from: str,
    base_url: str = "",
) -> list[InvitationResult]:
    """For each active series of the region: on (or after) the invitation day of its next meeting,
    build and store the agenda and queue the invitations, once per meeting version."""
    results: list[InvitationResult] = []
    with session_scope(engine) as session:
        found = get_region(session=session, code=region)
        model = catalog.current(found.code, land=found.land)
        calendar = calendar_for(model)
        for series in session.exec(
            select(MeetingSeries).where(MeetingSeries.region_id == found.id, col(MeetingSeries.active).is_(True))
        ).all():
            upcoming = recurrence(series).occurrences(today, today + timedelta(days=200), calendar)
            if not upcoming:
                continue
            _occurrence, day = upcoming[0]
            if today < invitation_day(series=series, meeting_day=day, model=model):
                continue
            meeting = meeting_for_month(session=session, series=series, year=day.year, month=day.month, model=model)
            if meeting.status == "cancelled":
                continue
            results.append(
                send_invitations(
                    session=session,
                    region=found,
                    model=model,
                    series=series,
                    meeting=meeting,
                    checklist=checklist_for(series, found, model, overrides_dir),
                    today=today,
                    mail_from=mail_from,
                    base_url=base_url,
                )
            )
    return results

"""The reminder jobs over many regions, as entry points (CLI, flows) run them: one session and
commit per region, so one region's failure never undoes another's work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from checklists.repository import meeting_for_month, recurrence
from checklists.tables import MeetingSeries
from notifications.answers import DEFAULT_LIFETIME_DAYS
from notifications.jourfixe import (
    FollowupResult,
    InvitationResult,
    checklist_for,
    invitation_day,
    plan_action_reminders,
    send_invitations,
)
from notifications.mailers import Mailer
from notifications.outbox import SendReport, send_due
from notifications.revision import DigestReviser
from notifications.sweep import SweepResult, sweep_region
from pipeline.database import session_scope
from pipeline.repository import get_region
from pipeline.tables import Region
from process_models import ModelCatalog, calendar_for


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
    def send_max_attempts(self) -> int: ...


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
        max_attempts=settings.send_max_attempts,
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


def open_regions(
    engine: Engine, catalog: ModelCatalog, today: date, only: Sequence[str] | None = None
) -> tuple[set[int], list[str]]:
    """Region ids for which `today` is a business day, and the codes of the others (quiet today)."""
    opened: set[int] = set()
    quiet: list[str] = []
    with Session(engine) as session:
        query = select(Region).order_by(Region.code)
        if only is not None:
            query = query.where(col(Region.code).in_(list(only)))
        for region in session.exec(query).all():
            assert region.id is not None
            if calendar_for(catalog.current(region.code, land=region.land)).is_business_day(today):
                opened.add(region.id)
            else:
                quiet.append(region.code)
    return opened, quiet


def run_send(
    *,
    engine: Engine,
    catalog: ModelCatalog,
    mailer: Mailer,
    mail_from: str,
    today: date,
    batch_size: int = 200,
    max_attempts: int = 8,
    dry_run: bool = False,
    regions: Sequence[str] | None = None,
    base_url: str = "",
    answer_secret: str = "",
    answer_days: int = DEFAULT_LIFETIME_DAYS,
) -> tuple[SendReport, list[str]]:
    """Dispatch the outbox for every region that works today (or only `regions`); returns the
    report and the regions that are quiet today. Reminder digests are revised as they are
    claimed (`notifications.revision`): what goes out is true when it is sent."""
    opened, quiet = open_regions(engine, catalog, today, regions)
    report = send_due(
        engine=engine,
        mailer=mailer,
        mail_from=mail_from,
        today=today,
        open_regions=opened,
        batch_size=batch_size,
        max_attempts=max_attempts,
        dry_run=dry_run,
        revise=DigestReviser(
            catalog, today=today, base_url=base_url, answer_secret=answer_secret, answer_days=answer_days
        ),
    )
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

"""The reminder jobs over many regions, as entry points (CLI, flows) run them: one session and
commit per region, so one region's failure never undoes another's work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from notifications.jourfixe import plan_action_reminders
from notifications.mailers import Mailer
from notifications.outbox import SendReport, send_due
from notifications.sweep import SweepResult, sweep_region
from pipeline.database import session_scope
from pipeline.repository import get_region
from pipeline.tables import Region
from process_models import ModelCatalog, calendar_for


def region_codes(engine: Engine, only: Sequence[str] | None = None) -> list[str]:
    """Codes of all regions (or of `only`, checked to exist), sorted."""
    with Session(engine) as session:
        if only:
            return [get_region(session=session, code=code).code for code in only]
        return list(session.exec(select(Region.code).order_by(Region.code)).all())


def run_sweep(*, engine: Engine, catalog: ModelCatalog, region: str, today: date, base_url: str = "") -> SweepResult:
    """The daily sweep of one region (open steps and open action items), committed on success."""
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
        )
        followup = plan_action_reminders(session=session, region=found, model=current, today=today)
        result.action_items_reminded = followup.reminded
    return result


def open_regions(engine: Engine, catalog: ModelCatalog, today: date) -> tuple[set[int], list[str]]:
    """Region ids for which `today` is a business day, and the codes of the others (quiet today)."""
    opened: set[int] = set()
    quiet: list[str] = []
    with Session(engine) as session:
        for region in session.exec(select(Region).order_by(Region.code)).all():
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
) -> tuple[SendReport, list[str]]:
    """Dispatch the outbox for every region that works today; returns the report and the quiet regions."""
    opened, quiet = open_regions(engine, catalog, today)
    report = send_due(
        engine=engine,
        mailer=mailer,
        mail_from=mail_from,
        today=today,
        open_regions=opened,
        batch_size=batch_size,
        max_attempts=max_attempts,
        dry_run=dry_run,
    )
    return report, quiet

"""The Jour-fixe agenda from live data: one large region, and every region in one process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.common import TODAY, DataSet, Figure, alternating, median_of, prepare
from checklists.render import render_agenda
from checklists.repository import get_series, meeting_for_month
from notifications.jourfixe import build_meeting_agenda, checklist_for
from pipeline.database import create_db_engine
from pipeline.reads import region_codes
from pipeline.repository import get_region
from process_models import ModelCatalog

AGENDA_COLUMNS = (
    "id, ref, first_name, last_name, stage, stage_since, model_version, state, open_steps, location, "
    "childcare, part_time, literacy, youth, transport_reach"
)
MONTH = (2026, 12)


def agenda_html(session: Session, catalog: ModelCatalog, code: str) -> str:
    """What `foerderkette jourfixe agenda --format html` does for next month's meeting."""
    region = get_region(session=session, code=code)
    model = catalog.current(region.code, land=region.land)
    series = get_series(session=session, region=region)
    meeting = meeting_for_month(session=session, series=series, year=MONTH[0], month=MONTH[1], model=model)
    agenda = build_meeting_agenda(
        session=session,
        region=region,
        model=model,
        series=series,
        meeting=meeting,
        as_of=TODAY,
        checklist=checklist_for(series, region, model, None),
    )
    return render_agenda(agenda, "html")


def _scan(engine: Any, region_ids: list[int]) -> None:
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        for region_id in region_ids:
            cursor = raw.cursor()
            cursor.execute(f"SELECT {AGENDA_COLUMNS} FROM participant WHERE region_id = {int(region_id)}")
            while cursor.fetchmany(5000):
                pass
            cursor.close()


def one_region(data: DataSet) -> Figure:
    url = prepare(data)
    engine = create_db_engine(url)
    catalog = ModelCatalog(None)
    code = region_codes(engine)[0]
    final = tuple(catalog.current(code, land="BY").final_stages)
    with engine.connect() as connection:
        row: Any = connection.execute(
            text(
                "SELECT r.id, count(*) FROM participant p JOIN region r ON r.id = p.region_id WHERE r.code = :code "
                f"AND p.stage NOT IN ({', '.join(repr(s) for s in final)}) GROUP BY r.id"
            ),
            {"code": code},
        ).one()
        region_id, active = int(row[0]), int(row[1])
    with Session(engine) as session:
        agenda_html(session, catalog, code)  # creates the meeting row once; later runs only read
        session.commit()
        seconds = median_of(lambda: agenda_html(session, catalog, code), 3)
    baseline = median_of(lambda: _scan(engine, [region_id]), 3)
    engine.dispose()
    return Figure(
        f"agenda.one_region.{data.label}",
        seconds,
        baseline,
        1.0,
        "s",
        "max",
        f"build and render the HTML agenda for {code} with {active:,} active participants (median of 3); "
        "baseline: reading the region's participant columns the agenda needs",
    )


def all_regions(data: DataSet) -> Figure:
    url = prepare(data)
    engine = create_db_engine(url)
    catalog = ModelCatalog(None)
    codes = region_codes(engine)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT id FROM region"))]
    pages: list[str] = []

    def build() -> None:
        with Session(engine) as session:
            pages[:] = [agenda_html(session, catalog, code) for code in codes]
            session.rollback()

    seconds, baseline, spread = alternating(build, lambda: _scan(engine, ids))
    engine.dispose()
    assert len(pages) == len(codes)
    return Figure(
        f"agenda.all_regions.{data.label}",
        seconds,
        baseline,
        60.0,
        "s",
        "max",
        f"agendas of all {len(codes)} regions built and rendered one after another in one process, as one "
        "jourfixe run for all regions would (Prefect adds ~1 s per flow run); baseline: reading the columns; " + spread,
    )

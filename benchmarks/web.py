"""The pipeline page of a region with 5,000 participants, rendered through the whole web stack."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.common import DEMO_AS_OF, DataSet, Figure, median_of, prepare
from foerderkette.app import App
from foerderkette.settings import Settings
from foerderkette.users import User, create_user
from foerderkette.web.app import create_app
from pipeline.database import create_db_engine
from pipeline.reads import region_codes
from pipeline.repository import get_region

PASSWORD = "benchmark-passwort-1"  # noqa: S105 - a throw-away account in the benchmark database


def _client(data: DataSet, size: int | None = None) -> tuple[Any, App, str, int]:
    """A logged-in coordinator's client for a region of `data` – the first, or the one whose
    number of participants is nearest `size` – with its app, code and size."""
    from fastapi.testclient import TestClient
    from sqlmodel import select

    url = prepare(data)
    engine = create_db_engine(url)
    code = region_codes(engine)[0]
    if size is not None:
        with engine.connect() as connection:
            code = connection.execute(
                text(
                    "SELECT r.code FROM participant p JOIN region r ON r.id = p.region_id GROUP BY r.code "
                    "ORDER BY ABS(COUNT(*) - :size), r.code LIMIT 1"
                ),
                {"size": size},
            ).scalar_one()
    user = "bench" if size is None else f"bench-{code.lower()}"
    with Session(engine) as session:
        region = get_region(session=session, code=code)
        if session.exec(select(User).where(User.username == user)).first() is None:
            create_user(
                session=session,
                username=user,
                display_name="Bench",
                password=PASSWORD,
                role="coordinator",
                region=region,
            )
            session.commit()
        count: int = session.execute(
            text("SELECT count(*) FROM participant WHERE region_id = :r"), {"r": region.id}
        ).scalar_one()
    engine.dispose()
    settings = Settings(database_url=url, secret_key="b" * 48, cookie_secure=False, mailer="memory", scheduler=False)
    app = App(settings)
    client = TestClient(create_app(settings, app=app), follow_redirects=False)
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = client.post("/login", data={"csrf_token": token, "username": user, "password": PASSWORD, "next": "/"})
    assert login.status_code == 303, login.text
    return client, app, code, count


def pipeline_page(data: DataSet) -> Figure:
    client, app, code, count = _client(data)

    def page() -> None:
        response = client.get("/pipeline")
        assert response.status_code == 200 and code in response.text

    page()
    seconds = median_of(page, 15)
    baseline = median_of(lambda: client.get("/health"), 15)
    app.dispose()
    return Figure(
        f"web.pipeline_page.{data.label}",
        seconds * 1000,
        baseline * 1000,
        200.0,
        "ms",
        "max",
        f"GET /pipeline as the coordinator of {code} ({count:,} participants; stage board, filters, first page), "
        "median of 15 through FastAPI's TestClient; baseline: GET /health through the same stack",
    )


def figures_page(data: DataSet) -> Figure:
    """Issue 24: the Kennzahlen dashboard (every figure, seven SVG charts, 12-month trends) of a
    region with about 6,000 participants, as the issue sets it."""
    client, app, code, count = _client(data, size=6000)

    def page() -> None:
        response = client.get("/kennzahlen")
        assert response.status_code == 200 and "<svg" in response.text

    page()
    seconds = median_of(page, 15)
    baseline = median_of(lambda: client.get("/health"), 15)
    app.dispose()
    return Figure(
        f"web.figures_page.{data.label}",
        seconds * 1000,
        baseline * 1000,
        500.0,
        "ms",
        "max",
        f"GET /kennzahlen as the coordinator of {code} ({count:,} participants; eleven figures, seven charts with "
        "their tables, twelve monthly trends), median of 15 through FastAPI's TestClient; baseline: GET /health",
    )


def land_view(data: DataSet) -> list[Figure]:
    """The dashboard's Land view across every region: the daily computation of each region's row
    (`notifications.jobs.land_figures`, the daily sweep run's last task) against a bare driver scan
    of the rows it reads, and the page that reads the stored rows instead of every case (before:
    45 s and 2.5 GB at 1M)."""
    import time

    from notifications.jobs import land_figures
    from pipeline.reads import NEEDS

    client, app, code, count = _client(data, size=6000)
    codes = region_codes(app.engine)
    started = time.perf_counter()
    cases = sum(land_figures(app, region=region, today=DEMO_AS_OF) for region in codes)
    computing = time.perf_counter() - started
    started = time.perf_counter()
    scanned = 0
    with app.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        ids = [row[0] for row in connection.execute(text("SELECT id FROM region ORDER BY code"))]
        for region_id in ids:
            cursor = raw.cursor() if app.engine.dialect.name == "sqlite" else raw.cursor(name="bench_land_scan")
            cursor.execute(
                f"SELECT stage, birth_year, next_due, next_agencies, {', '.join(NEEDS)}, state FROM participant "
                f"WHERE region_id = {int(region_id)}"
            )
            while chunk := cursor.fetchmany(2000):
                scanned += len(chunk)
            cursor.close()
    scan = time.perf_counter() - started
    assert scanned == cases

    def page() -> None:
        response = client.get("/kennzahlen?ansicht=land")
        assert response.status_code == 200 and "Kennzahlen je Region" in response.text

    page()
    seconds = median_of(page, 5)
    baseline = median_of(lambda: client.get("/health"), 15)
    app.dispose()
    return [
        Figure(
            f"figures.land_daily.{data.label}",
            computing,
            scan,
            0.0,
            "s",
            "report",
            f"the Land view's rows of all {len(codes)} regions ({cases:,} cases), computed and stored one region "
            "at a time as the daily sweep runs do; baseline: a bare driver scan of the same rows and columns",
        ),
        Figure(
            f"web.land_view_page.{data.label}",
            seconds * 1000,
            baseline * 1000,
            500.0,
            "ms",
            "max",
            f"GET /kennzahlen?ansicht=land as the coordinator of {code} ({count:,} participants; the region's "
            f"dashboard plus one stored row per region, {len(codes)} rows), median of 5; baseline: GET /health",
        ),
    ]

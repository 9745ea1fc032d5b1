"""The pipeline page of a region with 5,000 participants, rendered through the whole web stack."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.common import DataSet, Figure, median_of, prepare
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

"""Shared fixtures: CLI runner, isolated environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

CliRunner = Callable[..., subprocess.CompletedProcess[str]]

#: Set by CI (.ci/run): a system program a test needs must be there, a missing one fails the test.
REQUIRE_PROGRAMS = os.environ.get("FOERDERKETTE_REQUIRE_PROGRAMS") == "1"


def require_program(*names: str, install: str) -> str:
    """The path of the first of `names` on PATH; otherwise the test skips, naming the package to
    install (`make test` installs it through apt when it runs as root) – or fails under CI."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"{names[0]} fehlt (apt-get install {install})"
    if REQUIRE_PROGRAMS:
        pytest.fail(message)
    pytest.skip(message)


#: Set by `make test-pg` / CI to run the database tests against PostgreSQL.
TEST_DATABASE_URL = os.environ.get("FOERDERKETTE_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database, migrated to head once per session (PostgreSQL: the schema is recreated)."""
    from foerderkette.db import upgrade
    from pipeline.database import create_db_engine

    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        engine = create_db_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def _clear(engine: Engine) -> None:
    from sqlmodel import SQLModel

    import migrations.metadata  # noqa: F401

    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the (emptied) test database."""
    from pipeline.database import create_db_engine

    engine = create_db_engine(db_url)
    _clear(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def cli_env(tmp_path: Path, engine: Engine, db_url: str) -> dict[str, str]:
    """Environment for CLI subprocesses: the emptied test database and a private overrides folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FOERDERKETTE_")}
    env.update(
        {
            "FOERDERKETTE_DATABASE_URL": db_url,
            "FOERDERKETTE_OVERRIDES_DIR": str(tmp_path / "regions"),
            "FOERDERKETTE_MAILER": "console",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str], tmp_path: Path) -> CliRunner:
    """Run `foerderkette ARGS…` in a subprocess and return the completed process."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, input_text: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "foerderkette", *args],
            capture_output=True,
            text=True,
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
            input=input_text,
            timeout=timeout,
            check=False,
        )

    return run

"""The schema: Alembic reaches head on an empty database and matches the SQLModel tables exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from foerderkette.db import current_revision, head_revision, upgrade
from migrations.metadata import FOREIGN_TABLES


def test_migrations_reach_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()
    assert {"region", "agency", "contact", "participant", "course", "enrollment", "stage_change"} <= set(
        inspect(engine).get_table_names()
    )


def test_tables_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: not (kind == "table" and name in FOREIGN_TABLES),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_fresh_database_from_nothing(tmp_path_factory: object, db_url: str) -> None:
    """A brand-new SQLite file goes to head in one call (PostgreSQL is covered by the session fixture)."""
    from pathlib import Path
    from tempfile import mkdtemp

    from pipeline.database import create_db_engine

    fresh = create_db_engine(f"sqlite:///{Path(mkdtemp()) / 'fresh.db'}")
    upgrade(fresh)
    assert current_revision(fresh) == head_revision()
    fresh.dispose()

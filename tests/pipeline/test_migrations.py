"""The schema: Alembic reaches head on an empty database and matches the SQLModel tables exactly."""

from __future__ import annotations

import json

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


def test_outbox_bodies_move_into_their_own_table_and_back() -> None:
    """0008 keeps every queued email's content; its downgrade (and 0007's) restores the old shape."""
    from pathlib import Path
    from tempfile import mkdtemp

    from alembic import command
    from sqlalchemy import text

    from foerderkette.db import alembic_config
    from pipeline.database import create_db_engine

    url = f"sqlite:///{Path(mkdtemp()) / 'outbox.db'}"
    engine = create_db_engine(url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (idempotency_key, kind, period, recipient, recipient_name, send_on, subject, "
                "body_text, body_html, attachments, item_count, status, attempts, next_attempt_at, created_at, "
                "updated_at) VALUES ('k1', 'reminder_digest', '2026-11-23', 'a@b.example', '', '2026-11-23', "
                "'Betreff', 'Text ä', '<p>HTML</p>', '[{\"filename\": \"x.ics\"}]', 1, 'pending', 0, "
                "'2026-11-23 06:00:00', '2026-11-23 06:00:00', '2026-11-23 06:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT body_text, body_html, attachments FROM outbox_content")).one()
    assert (row[0], row[1], json.loads(row[2])) == ("Text ä", "<p>HTML</p>", [{"filename": "x.ics"}])
    command.downgrade(alembic_config(url), "0006")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT body_text, body_html, attachments FROM outbox")).one()
        columns = {column["name"] for column in inspect(engine).get_columns("participant")}
    assert (row[0], row[1], json.loads(row[2])) == ("Text ä", "<p>HTML</p>", [{"filename": "x.ics"}])
    assert "next_remind" not in columns and "outbox_content" not in inspect(engine).get_table_names()
    engine.dispose()

"""Database engine, sessions and the column types shared by every table (UTC timestamps, JSON).

Only SQLAlchemy is imported at module level: read-only CLI commands open a connection through
here without paying for SQLModel and pydantic (~0.3 s cold), which `session_scope` imports when
a command actually writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import JSON, Connection, DateTime, Engine, NullPool, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlmodel import Session

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC; refuses naive datetimes so local time never slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def table_of(model: type[Any]) -> Table:
    """The Core table of a SQLModel class (for set-based statements and bulk inserts)."""
    return cast(Table, model.__table__)


def create_db_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3).

    JSON columns are decoded with orjson: decoding `state` and `open_steps` was 43 % of the
    Jour-fixe agendas of a whole Land (BENCHMARKS.md). Writing keeps the standard encoder.
    A `read_only` SQLite engine sorts in memory and reads through mmap (a 100,000-row listing
    0.30 s → 0.18 s) and leaves the journal mode as the writers set it.
    """
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        pragmas = (
            ("temp_store=MEMORY", "mmap_size=268435456")
            if read_only
            else ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL")
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    from sqlmodel import Session  # noqa: PLC0415 - see the module docstring

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def read_only_connection(url: str) -> Connection:
    """A connection for commands that only read: on SQLite the file opened read-only (a missing
    file is an error, not a new empty database)."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and not path.startswith(":memory:"):
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"Datenbank '{path}' gibt es nicht – zuerst 'foerderkette db upgrade' ausführen"
                )
            url = f"sqlite:///file:{path}?mode=ro&uri=true"
    return create_db_engine(url, read_only=True, poolclass=NullPool).connect()

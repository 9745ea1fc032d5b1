"""Bulk inserts straight through the driver: `executemany` on SQLite, `COPY` on PostgreSQL.

SQLAlchemy's per-row parameter processing costs ~30 µs a row on our machines; loading demo data
or a large import spends most of its time there. These helpers convert values once per column
and hand plain rows to the driver, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, Table

from pipeline.database import UTCDateTime


def _converter(column_type: Any, dialect: str) -> Callable[[Any], Any]:
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(column_type, UTCDateTime):
        return lambda value: None if value is None else value.astimezone(UTC).replace(tzinfo=None)
    if dialect == "sqlite":
        if isinstance(column_type, Date):
            return lambda value: value.isoformat() if isinstance(value, date) else value
        if isinstance(column_type, Boolean):
            return lambda value: None if value is None else int(value)
    return lambda value: value


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert `rows` (all with the same keys) into `table`; returns the number inserted."""
    if not rows:
        return 0
    names = list(rows[0].keys())
    dialect = connection.dialect.name
    converters = [_converter(table.c[name].type, dialect) for name in names]
    values: Iterable[tuple[Any, ...]] = (
        tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True)) for row in rows
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    column_list = ", ".join(f'"{name}"' for name in names)
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in names)
            cursor.executemany(f'INSERT INTO "{table.name}" ({column_list}) VALUES ({placeholders})', list(values))
    finally:
        cursor.close()
    return len(rows)

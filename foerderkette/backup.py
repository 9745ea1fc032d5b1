"""Backup and restore of the database: SQLite through its online backup API (a consistent copy
while the application runs), PostgreSQL through `pg_dump` / `pg_restore` (custom format)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Eine SQLite-Datenbank im Speicher lässt sich nicht sichern")
    return Path(database)


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq reads it (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} fehlt (Debian-Paket postgresql-client in der Version des Servers)")
    return found


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at `url` to `target` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target} gibt es schon – eine Sicherung überschreibt nichts")
    if url.startswith("sqlite"):
        source = _sqlite_file(url)
        if not source.is_file():
            raise BackupError(f"Datenbankdatei {source} gibt es nicht")
        partial = target.with_name(target.name + ".teil")
        with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
            live.backup(copy)
        partial.replace(target)  # a backup is complete or not there
        return
    partial = target.with_name(target.name + ".teil")
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump fehlgeschlagen: {done.stderr.strip()[:500]}")
    partial.replace(target)


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            probe.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} ist keine Sicherung einer Förderkette-Datenbank ({exc})") from None


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup `source` (the application must be stopped)."""
    if not source.is_file():
        raise BackupError(f"Sicherung {source} gibt es nicht")
    if url.startswith("sqlite"):
        _check_sqlite_backup(source)
        target = _sqlite_file(url)
        with sqlite3.connect(source) as backup_db, sqlite3.connect(target) as live:
            backup_db.backup(live)
        return
    done = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq(url)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore fehlgeschlagen (nichts geändert): {done.stderr.strip()[:500]}")

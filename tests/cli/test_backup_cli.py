"""`foerderkette db backup|restore` (issue 21): a backup restored finds every participant, outbox
row and audit entry again – on the suite's database (SQLite; PostgreSQL in CI's second pass)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

from tests.conftest import CliRunner

TABLES = ("participant", "stage_change", "outbox", "outbox_content", "audit_log", "agency", "course")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()) for table in TABLES}


def test_a_restored_backup_holds_everything(run_cli: CliRunner, engine: Engine, tmp_path: Path) -> None:
    assert (
        run_cli("demo", "--participants", "150", "--regions", "1", "--seed", "9", "--as-of", "2026-11-20").returncode
        == 0
    )
    assert run_cli("sweep", "--as-of", "2026-11-23").returncode == 0
    ref = json.loads(run_cli("participants", "list", "--format", "json").stdout)[0]["ref"]
    assert run_cli("privacy", "export", ref).returncode == 0  # an audit entry
    before = _counts(engine)
    assert all(before[table] > 0 for table in TABLES), before
    target = tmp_path / "sicherung.db"
    saved = run_cli("db", "backup", str(target))
    assert saved.returncode == 0, saved.stderr
    assert "Gesichert" in saved.stdout and target.stat().st_size > 0
    again = run_cli("db", "backup", str(target))
    assert again.returncode == 1 and "gibt es schon" in again.stderr

    assert run_cli("privacy", "erase", ref, "--reason", "Test der Wiederherstellung").returncode == 0
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
    assert _counts(engine) != before

    refused = run_cli("db", "restore", str(target))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    restored = run_cli("db", "restore", str(target), "--yes")
    assert restored.returncode == 0, restored.stderr
    engine.dispose()
    assert _counts(engine) == before
    assert run_cli("participants", "show", ref).returncode == 0

    junk = tmp_path / "kaputt.db"
    junk.write_bytes(b"keine Sicherung")
    bad = run_cli("db", "restore", str(junk), "--yes")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert _counts(engine) == before  # nothing changed

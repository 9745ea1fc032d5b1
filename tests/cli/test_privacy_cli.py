"""`foerderkette privacy purge|export|erase` as a coordinator runs them (issue 20, the DSGVO
lifecycle): closed cases anonymised after the retention period with the e-mails that named them,
the audit log's own retention, the subject access report, a justified erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from tests.conftest import CliRunner

AS_OF = "2026-12-01"


def _one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _prepare(run_cli: CliRunner, engine: Engine) -> tuple[str, str]:
    """Demo data and a sweep (reminder e-mails name people); then one person named in a mail is
    closed 4½ years ago, another one a year ago."""
    assert (
        run_cli("demo", "--participants", "200", "--regions", "1", "--seed", "5", "--as-of", "2026-11-20").returncode
        == 0
    )
    assert run_cli("sweep", "--as-of", "2026-11-23").returncode == 0
    with engine.begin() as conn:
        named = conn.execute(
            text(
                "SELECT p.ref FROM participant p JOIN reminder_item i ON i.participant_id = p.id "
                "WHERE i.outbox_id IS NOT NULL GROUP BY p.ref ORDER BY p.ref LIMIT 2"
            )
        ).all()
        old, recent = named[0][0], named[-1][0]
        assert old != recent
        conn.execute(
            text("UPDATE participant SET stage = 'closed', stage_since = '2022-06-01' WHERE ref = :r"), {"r": old}
        )
        conn.execute(
            text("UPDATE participant SET stage = 'closed', stage_since = '2025-12-01' WHERE ref = :r"), {"r": recent}
        )
        region = conn.execute(text("SELECT region_id FROM participant WHERE ref = :r"), {"r": old}).scalar()
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, role, action, region_id, detail, source) VALUES (:at, 'alt', '', 'login', :region, '', 'web')"
            ),
            {"at": datetime(2024, 1, 5, tzinfo=UTC), "region": region},
        )
    return old, recent


def _mail_text(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body_text, body_html FROM outbox_content")).all()
    return "\n".join(f"{a}\n{b}" for a, b in rows)


def test_purge_anonymises_closed_cases_after_the_retention_period(run_cli: CliRunner, engine: Engine) -> None:
    old, recent = _prepare(run_cli, engine)
    name = _one(engine, "SELECT first_name || ' ' || last_name FROM participant WHERE ref = :r", r=old)
    stages = _one(engine, "SELECT COUNT(*) FROM participant WHERE stage = 'closed'")
    assert old in _mail_text(engine)

    dry = run_cli("privacy", "purge", "--dry-run", "--as-of", AS_OF, "--format", "json")
    assert dry.returncode == 0, dry.stderr
    [report] = json.loads(dry.stdout)
    assert [label.split(" ")[0] for label in report["anonymised"]] == [old]
    assert report["dry_run"] and report["case_years"] == 3 and report["audit_deleted"] >= 1
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r", r=old) == 1  # nothing changed

    done = run_cli("privacy", "purge", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    assert "BY-BA" in done.stdout and "3 Jahre" in done.stdout
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r", r=old) == 0
    row_count = _one(engine, "SELECT COUNT(*) FROM participant WHERE first_name = 'anonymisiert' AND email IS NULL")
    assert row_count == 1
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE stage = 'closed'") == stages  # still counted
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r AND anonymised_on IS NULL", r=recent) == 1
    mails = _mail_text(engine)
    assert old not in mails and str(name) not in mails and "[anonymisiert]" in mails
    assert _one(engine, "SELECT COUNT(*) FROM audit_log WHERE actor = 'alt'") == 0  # beyond the log's two years
    assert _one(engine, "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy_anonymise'") == 1

    again = json.loads(run_cli("privacy", "purge", "--as-of", AS_OF, "--format", "json").stdout)
    assert again[0]["anonymised"] == [] and again[0]["audit_deleted"] == 0


def test_a_region_sets_its_own_retention_and_a_bad_file_is_named(
    run_cli: CliRunner, engine: Engine, cli_env: dict[str, str]
) -> None:
    old, _ = _prepare(run_cli, engine)
    regions = Path(cli_env["FOERDERKETTE_OVERRIDES_DIR"])
    regions.mkdir(parents=True, exist_ok=True)
    (regions / "BY-BA.privacy.yaml").write_text("case_years: 5\naudit_years: 4\n", encoding="utf-8")
    [report] = json.loads(run_cli("privacy", "purge", "--dry-run", "--as-of", AS_OF, "--format", "json").stdout)
    assert report["case_years"] == 5 and report["anonymised"] == [] and report["policy_source"] == "BY-BA.privacy.yaml"
    (regions / "BY-BA.privacy.yaml").write_text("case_years: 5\naufbewahrung: 2\n", encoding="utf-8")
    bad = run_cli("privacy", "purge", "--as-of", AS_OF)
    assert bad.returncode != 0
    assert "BY-BA.privacy.yaml:2:" in bad.stderr and "aufbewahrung" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r", r=old) == 1


def test_subject_access_report_holds_everything_about_the_person(
    run_cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    old, _ = _prepare(run_cli, engine)
    exported = run_cli("privacy", "export", old)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["ref"] == old and data["participant"]["first_name"]
    assert data["history"] and data["emails"] and all(mail["recipient"] for mail in data["emails"])
    assert "facts" in data["participant"]["state"]
    page = tmp_path / "auskunft.html"
    written = run_cli("privacy", "export", old, "--format", "html", "-o", str(page))
    assert written.returncode == 0, written.stderr
    document = page.read_text(encoding="utf-8")
    assert "Auskunft über die gespeicherten Daten (Art. 15 DSGVO)" in document and "Verlauf" in document
    assert "first_name" not in document and "None" not in document
    pid = _one(engine, "SELECT id FROM participant WHERE ref = :r", r=old)
    assert (
        _one(engine, "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy_export' AND participant_id = :p", p=pid)
        == 2
    )
    missing = run_cli("privacy", "export", "GIBT-ES-NICHT")
    assert missing.returncode == 1 and "Referenz 'GIBT-ES-NICHT' gibt es nicht" in missing.stderr


def test_erase_deletes_the_person_with_a_reason(run_cli: CliRunner, engine: Engine) -> None:
    old, _ = _prepare(run_cli, engine)
    short = run_cli("privacy", "erase", old, "--reason", "weg")
    assert short.returncode == 1 and "Grund" in short.stderr
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r", r=old) == 1
    erased = run_cli("privacy", "erase", old, "--reason", "Antrag vom 01.12.2026, Az. 12-345")
    assert erased.returncode == 0, erased.stderr
    assert _one(engine, "SELECT COUNT(*) FROM participant WHERE ref = :r", r=old) == 0
    assert old not in _mail_text(engine)
    detail = _one(engine, "SELECT detail FROM audit_log WHERE action = 'privacy_erase'")
    assert "Az. 12-345" in str(detail)


def test_placement_bookings_are_reported_and_go_with_the_case(
    run_cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    _prepare(run_cli, engine)  # the demo books waiting people into its placement-test dates
    booked = str(
        _one(
            engine,
            "SELECT p.ref FROM participant p JOIN placement_booking b ON b.participant_id = p.id ORDER BY p.ref LIMIT 1",
        )
    )
    data = json.loads(run_cli("privacy", "export", booked).stdout)
    assert len(data["placement_tests"]) == 1 and data["placement_tests"][0]["host"]
    page = tmp_path / "auskunft.html"
    assert run_cli("privacy", "export", booked, "--format", "html", "-o", str(page)).returncode == 0
    assert "Eingeplante Einstufungstests" in page.read_text(encoding="utf-8")

    with engine.begin() as conn:  # the case closed long ago: anonymised, its booking deleted
        conn.execute(
            text("UPDATE participant SET stage = 'closed', stage_since = '2022-06-01' WHERE ref = :r"), {"r": booked}
        )
        pid = conn.execute(text("SELECT id FROM participant WHERE ref = :r"), {"r": booked}).scalar()
    assert run_cli("privacy", "purge", "--as-of", AS_OF).returncode == 0
    assert _one(engine, "SELECT COUNT(*) FROM placement_booking WHERE participant_id = :p", p=pid) == 0
    other = str(
        _one(
            engine,
            "SELECT p.ref FROM participant p JOIN placement_booking b ON b.participant_id = p.id ORDER BY p.ref LIMIT 1",
        )
    )
    other_id = _one(engine, "SELECT id FROM participant WHERE ref = :r", r=other)
    assert run_cli("privacy", "erase", other, "--reason", "Antrag vom 01.12.2026, Az. 12-346").returncode == 0
    assert _one(engine, "SELECT COUNT(*) FROM placement_booking WHERE participant_id = :p", p=other_id) == 0

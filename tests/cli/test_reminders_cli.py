"""`foerderkette sweep` and `foerderkette reminders …` as a user runs them, with a real SMTP server."""

from __future__ import annotations

import json

from tests.conftest import CliRunner
from tests.smtp import Sink, smtp_server

MONDAY = "2026-11-23"
SATURDAY = "2026-11-21"


def test_sweep_preview_send_resend(run_cli: CliRunner) -> None:
    assert (
        run_cli("demo", "--participants", "300", "--regions", "2", "--seed", "11", "--as-of", "2026-11-20").returncode
        == 0
    )
    swept = run_cli("sweep", "--as-of", MONDAY)
    assert swept.returncode == 0, swept.stderr
    assert "BY-BA:" in swept.stdout and "Versand am 23.11.2026" in swept.stdout
    again = json.loads(run_cli("sweep", "--as-of", MONDAY, "--format", "json").stdout)
    assert all(region["items_planned"] == 0 and region["digests_created"] == 0 for region in again)

    listed = json.loads(run_cli("reminders", "list", "--format", "json").stdout)
    assert listed and {row["status"] for row in listed} == {"pending"}
    preview = run_cli("reminders", "preview", "--as-of", MONDAY)
    assert preview.returncode == 0 and "Betreff: [Förderkette BY-" in preview.stdout and "Guten Tag" in preview.stdout
    assert f"{len(listed)} E-Mail(s) würden gesendet" in preview.stderr

    bad = listed[0]["recipient"]
    bad_count = sum(row["recipient"] == bad for row in listed)
    with smtp_server(sink=Sink(reject={bad})) as (sink, port):
        env = {
            "FOERDERKETTE_MAILER": "smtp",
            "FOERDERKETTE_SMTP_HOST": "127.0.0.1",
            "FOERDERKETTE_SMTP_PORT": str(port),
        }
        quiet = run_cli("reminders", "send", "--as-of", SATURDAY, env=env)
        assert "Kein Versand heute (21.11.2026, Wochenende oder Feiertag)" in quiet.stdout and not sink.messages
        dry = run_cli("reminders", "send", "--dry-run", "--as-of", MONDAY, env=env)
        assert f"{len(listed)} E-Mail(s) würden gesendet (Probelauf" in dry.stdout and not sink.messages
        sent = run_cli("reminders", "send", "--as-of", MONDAY, env=env)
        assert sent.returncode == 0, sent.stderr
        assert f"{len(listed) - bad_count} gesendet, 0 zum erneuten Versuch, {bad_count} fehlgeschlagen" in sent.stdout
        assert "550" in sent.stderr
        assert run_cli("reminders", "send", "--as-of", MONDAY, env=env).stdout.strip().startswith("0 gesendet")
        assert len(sink.messages) == len(listed) - bad_count
        failed = json.loads(run_cli("reminders", "list", "--status", "failed", "--format", "json").stdout)
        assert [row["recipient"] for row in failed] == [bad] * bad_count
        sink.reject.clear()
        for row in failed:
            assert run_cli("reminders", "resend", str(row["id"])).returncode == 0
        assert run_cli("reminders", "send", "--as-of", MONDAY, env=env).stdout.startswith(f"{bad_count} gesendet")
        assert len(sink.messages) == len(listed)
    assert run_cli("reminders", "resend", "99999").returncode == 1


def test_sweep_of_an_unknown_region(run_cli: CliRunner) -> None:
    run_cli("db", "upgrade")
    result = run_cli("sweep", "--region", "BY-XX")
    assert result.returncode == 1 and "Region 'BY-XX' gibt es nicht" in result.stderr

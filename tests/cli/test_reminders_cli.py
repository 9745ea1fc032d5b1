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
        # the good ones, and the notice to the region's coordinator that one could not be delivered
        assert (
            f"{len(listed) - bad_count + 1} gesendet, 0 zum erneuten Versuch, {bad_count} fehlgeschlagen" in sent.stdout
        )
        assert "die Koordination erhält 1 Hinweis(e) auf nicht zugestellte E-Mails" in sent.stdout
        assert "550" in sent.stderr
        assert run_cli("reminders", "send", "--as-of", MONDAY, env=env).stdout.strip().startswith("0 gesendet")
        assert len(sink.messages) == len(listed) - bad_count + 1
        assert sum("nicht zugestellt" in str(m["Subject"]) for m in sink.messages) == 1
        listing = run_cli("reminders", "list", "--status", "failed", "--format", "json")
        assert listing.returncode == 3 and "fehlgeschlagene E-Mail(s) – bitte prüfen" in listing.stderr  # monitoring
        failed = json.loads(listing.stdout)
        assert [row["recipient"] for row in failed] == [bad] * bad_count
        sink.reject.clear()
        for row in failed:
            assert run_cli("reminders", "resend", str(row["id"])).returncode == 0
        assert run_cli("reminders", "send", "--as-of", MONDAY, env=env).stdout.startswith(f"{bad_count} gesendet")
        assert len(sink.messages) == len(listed) + 1  # every digest, and the one notice
    assert run_cli("reminders", "list", "--status", "failed").returncode == 0  # nothing failed any more
    assert run_cli("reminders", "resend", "99999").returncode == 1


def test_sweep_of_an_unknown_region(run_cli: CliRunner) -> None:
    run_cli("db", "upgrade")
    result = run_cli("sweep", "--region", "BY-XX")
    assert result.returncode == 1 and "Region 'BY-XX' gibt es nicht" in result.stderr


TUESDAY = "2026-11-24"


def _smtp_env(port: int) -> dict[str, str]:
    return {"FOERDERKETTE_MAILER": "smtp", "FOERDERKETTE_SMTP_HOST": "127.0.0.1", "FOERDERKETTE_SMTP_PORT": str(port)}


def _demo(run_cli: CliRunner) -> None:
    made = run_cli("demo", "--participants", "300", "--regions", "2", "--seed", "11", "--as-of", "2026-11-20")
    assert made.returncode == 0, made.stderr


def test_a_participant_advanced_after_the_sweep_is_in_no_email(run_cli: CliRunner) -> None:
    """Issue 19: the course has started, so nobody is told to make sure it starts."""
    _demo(run_cli)
    assert run_cli("sweep", "--as-of", MONDAY).returncode == 0
    registered = json.loads(run_cli("participants", "list", "--stage", "registered", "--format", "json").stdout)
    preview = run_cli("reminders", "preview", "--as-of", MONDAY).stdout
    ref = next(row["ref"] for row in registered if row["next_step"] == "course_start" and f"* {row['ref']} " in preview)
    assert preview.count(f"* {ref} ") >= 2  # the provider and the BAMF, at least
    advanced = run_cli("advance", ref, "course_started", "--on", "2026-11-22", "--by", "KT", "--as-of", MONDAY)
    assert advanced.returncode == 0, advanced.stderr
    assert f"* {ref} " not in run_cli("reminders", "preview", "--as-of", MONDAY).stdout
    with smtp_server() as (sink, port):
        sent = run_cli("reminders", "send", "--as-of", MONDAY, env=_smtp_env(port))
        assert sent.returncode == 0, sent.stderr
        assert sink.messages
        for message in sink.messages:
            for part in ("plain", "html"):
                body = message.get_body((part,))
                assert body is not None and ref not in body.get_content()
    listed = json.loads(run_cli("reminders", "list", "--format", "json").stdout)
    assert {row["status"] for row in listed} <= {"sent", "cancelled"}
    for row in listed:
        assert (row["status"] == "cancelled") == (row["reason"] is not None)
    table = run_cli("reminders", "list").stdout
    assert "Erinnerung (Sammelmail)" in table and "gesendet" in table and "reminder_digest" not in table


def test_two_swept_days_without_sending_give_one_current_digest_per_contact(run_cli: CliRunner) -> None:
    """Issue 19: yesterday's unsent digest is superseded by today's, which carries its still-open items."""
    _demo(run_cli)
    assert run_cli("sweep", "--as-of", MONDAY).returncode == 0
    monday = json.loads(run_cli("reminders", "list", "--format", "json").stdout)
    refs_monday: dict[str, set[str]] = {}
    for block in run_cli("reminders", "preview", "--as-of", MONDAY).stdout.split("=== Nr. ")[1:]:
        recipient = block.split("An: ", 1)[1].split(" · ", 1)[0]
        refs_monday[recipient] = {line.split()[1] for line in block.splitlines() if line.startswith("  * ")}
    assert run_cli("sweep", "--as-of", TUESDAY).returncode == 0
    listed = json.loads(run_cli("reminders", "list", "--format", "json").stdout)
    superseded = [row for row in listed if row["send_on"] == MONDAY]
    assert len(superseded) == len(monday)
    assert {row["status"] for row in superseded} == {"cancelled"}
    assert all(row["reason"] == "Ersetzt durch die Sammelmail vom 24.11.2026" for row in superseded)
    dry = run_cli("reminders", "send", "--dry-run", "--as-of", TUESDAY)
    pending = [row for row in listed if row["status"] == "pending"]
    assert f"{len(pending)} E-Mail(s) würden gesendet" in dry.stdout
    assert len({row["recipient"] for row in pending}) == len(pending)
    # nothing happened to anyone between the two days: every Monday item is still open on Tuesday
    with smtp_server() as (sink, port):
        sent = run_cli("reminders", "send", "--as-of", TUESDAY, env=_smtp_env(port))
        assert sent.returncode == 0, sent.stderr
        recipients = sink.recipients()
        assert len(recipients) == len(set(recipients)) == len(pending)
        for recipient, refs in refs_monday.items():
            (message,) = sink.to(recipient)
            body = message.get_body(("plain",))
            assert body is not None
            text = body.get_content()
            assert all(f"* {ref} " in text for ref in refs), recipient


def test_a_wiedervorlage_pauses_reminders_but_not_the_escalation(run_cli: CliRunner) -> None:
    """Issue 19: `participants hold` – reminders of the step wait, escalated ones still go out."""
    _demo(run_cli)
    assert run_cli("sweep", "--as-of", MONDAY).returncode == 0
    preview = run_cli("reminders", "preview", "--as-of", MONDAY).stdout
    blocks = preview.split("=== Nr. ")[1:]

    def entries(level: str) -> list[str]:
        found = []
        for block in blocks:
            for group in block.split("\n\n"):
                if group.startswith(level):
                    found += [line.split()[1] for line in group.splitlines() if line.startswith("  * ")]
        return found

    registered = json.loads(run_cli("participants", "list", "--stage", "registered", "--format", "json").stdout)
    upcoming = set(entries("DEMNÄCHST FÄLLIG")) | set(entries("FÄLLIG"))
    ref = next(row["ref"] for row in registered if row["next_step"] == "course_start" and row["ref"] in upcoming)
    held = run_cli(
        "participants",
        "hold",
        ref,
        "Kursbeginn binnen sechs Wochen (Sollfrist) – sonst informiert der Kursträger Teilnehmende und BAMF",
        "--until",
        "2026-12-04",
        "--note",
        "Start am 03.12.",
        "--as-of",
        MONDAY,
    )
    assert held.returncode == 0, held.stderr
    assert "in Bearbeitung bis 04.12.2026" in held.stdout and "Eskalation bleibt" in held.stdout
    after = run_cli("reminders", "preview", "--as-of", MONDAY).stdout
    assert not any(line.startswith(f"  * {ref} ") and "Kursbeginn" in line for line in after.splitlines()), (
        "a paused step was still in the mail"
    )
    shown = run_cli("participants", "show", ref, "--as-of", MONDAY).stdout
    assert "in Bearbeitung bis 04.12.2026" in shown
    too_late = run_cli("participants", "hold", ref, "course_start", "--until", "2026-11-20", "--as-of", MONDAY)
    assert too_late.returncode == 1 and "muss nach dem heutigen Tag (23.11.2026) liegen" in too_late.stderr
    unknown = run_cli("participants", "hold", ref, "gibt-es-nicht", "--until", "2026-12-01", "--as-of", MONDAY)
    assert unknown.returncode == 1 and "Unbekannter Schritt 'gibt-es-nicht'" in unknown.stderr
    released = run_cli("participants", "hold", ref, "course_start", "--release", "--as-of", MONDAY)
    assert released.returncode == 0 and "nicht mehr in Bearbeitung" in released.stdout

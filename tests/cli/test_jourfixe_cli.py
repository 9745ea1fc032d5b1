"""`foerderkette jourfixe …` as a subprocess: series, agenda, send, minutes, action items."""

from __future__ import annotations

import json

import icalendar
from sqlalchemy import Engine, text

from tests.conftest import CliRunner

AS_OF = "2026-11-20"


def test_jourfixe_workflow(run_cli: CliRunner) -> None:
    assert run_cli("demo", "--participants", "300", "--regions", "1", "--seed", "4", "--as-of", AS_OF).returncode == 0
    shown = json.loads(run_cli("jourfixe", "series", "show", "--region", "BY-BA", "--format", "json").stdout)
    assert {series["kind"] for series in shown} == {"jourfixe", "network", "konferenz"}

    changed = run_cli(
        "jourfixe",
        "series",
        "set",
        "--region",
        "BY-BA",
        "--time",
        "10:00",
        "--lead-days",
        "3",
        "--invite",
        "JC-BA,ABH-BA,BAMF-BA,KOM-BA",
    )
    assert changed.returncode == 0, changed.stderr
    bad = run_cli("jourfixe", "series", "set", "--region", "BY-BA", "--rrule", "FREQ=SOMETIMES")
    assert bad.returncode == 1 and "Ungültige Wiederholung" in bad.stderr
    unknown = run_cli("jourfixe", "series", "set", "--region", "BY-BA", "--invite", "XYZ")
    assert unknown.returncode == 1 and "Stelle 'XYZ' gibt es in Region BY-BA nicht" in unknown.stderr

    text = run_cli("jourfixe", "agenda", "--region", "BY-BA", "--month", "2026-12", "--as-of", AS_OF)
    assert text.returncode == 0, text.stderr
    assert (
        "Dienstag, 01.12.2026, 10:00–12:00 Uhr" in text.stdout
        and "14. Verschiedenes; Termin der nächsten Sitzung" in text.stdout
    )
    for fmt in ("html", "md", "json"):
        assert (
            run_cli(
                "jourfixe", "agenda", "--region", "BY-BA", "--month", "2026-12", "--as-of", AS_OF, "--format", fmt
            ).returncode
            == 0
        )
    ics = run_cli("jourfixe", "agenda", "--region", "BY-BA", "--month", "2026-12", "--as-of", AS_OF, "--format", "ics")
    event = icalendar.Calendar.from_ical(ics.stdout).walk("VEVENT")[0]
    assert len(event.get("attendee")) >= 4
    no_meeting = run_cli(
        "jourfixe", "agenda", "--region", "BY-BA", "--month", "2026-12", "--series", "Netzwerktreffen Integration"
    )
    assert no_meeting.returncode == 1 and "keinen Termin" in no_meeting.stderr

    sent = run_cli("jourfixe", "send", "--region", "BY-BA", "--month", "2026-12", "--as-of", AS_OF)
    assert sent.returncode == 0 and "Versand am 26.11.2026" in sent.stdout
    assert (
        "bereits im Postausgang"
        in run_cli("jourfixe", "send", "--region", "BY-BA", "--month", "2026-12", "--as-of", AS_OF).stdout
    )
    outbox = json.loads(run_cli("reminders", "list", "--format", "json").stdout)
    invitations = [row for row in outbox if row["kind"] == "jourfixe_invitation"]
    assert invitations and all(row["send_on"] == "2026-11-26" for row in invitations)
    snapshot_list = run_cli("jourfixe", "snapshots", "--region", "BY-BA", "--month", "2026-12")
    assert "Einladung" in snapshot_list.stdout and "invitation" not in snapshot_list.stdout

    for args in (
        ("attendance", "--present", "JC-BA,ABH-BA", "--absent", "SOZ-BA"),
        ("decision", "--item", "waiting", "--text", "BAMF weist die acht längsten Wartenden neu zu."),
        (
            "action",
            "--item",
            "waiting",
            "--title",
            "Neuzuweisungen melden",
            "--owner",
            "BAMF-BA",
            "--due",
            "2026-12-15",
        ),
    ):
        result = run_cli("jourfixe", "minutes", args[0], "--region", "BY-BA", "--month", "2026-12", *args[1:])
        assert result.returncode == 0, result.stderr
    minutes = json.loads(
        run_cli("jourfixe", "minutes", "show", "--region", "BY-BA", "--month", "2026-12", "--format", "json").stdout
    )
    assert minutes["meeting"]["status"] == "held"
    assert {(a["name"], a["present"]) for a in minutes["attendance"]} >= {("Sozialamt – Landkreis Bamberg", False)}
    assert minutes["decisions"][0]["text"].startswith("BAMF weist")
    action_id = minutes["actions"][0]["id"]
    text = run_cli("jourfixe", "minutes", "show", "--region", "BY-BA", "--month", "2026-12").stdout
    assert "am 01.12.2026 um 10:00 Uhr (stattgefunden)" in text
    assert "Beschluss zu TOP 4. Angemeldet ohne Kursbeginn seit mehr als sechs Wochen" in text
    assert "waiting" not in text
    assert f"Aufgabe Nr. {action_id}: Neuzuweisungen melden – fällig 15.12.2026 – offen" in text
    listed = run_cli("jourfixe", "actions", "list", "--region", "BY-BA").stdout
    assert "15.12.2026" in listed and "offen" in listed and "2026-12-15" not in listed and " open" not in listed

    january = run_cli("jourfixe", "agenda", "--region", "BY-BA", "--month", "2027-01", "--as-of", "2026-12-20")
    assert january.stdout.count("Neuzuweisungen melden") == 1  # carried over, once
    closed = run_cli(
        "jourfixe",
        "actions",
        "close",
        str(action_id),
        "--region",
        "BY-BA",
        "--by",
        "Anna Huber (BAMF)",
        "--note",
        "erledigt",
    )
    assert closed.returncode == 0
    twice = run_cli("jourfixe", "actions", "close", str(action_id), "--region", "BY-BA", "--by", "Anna Huber")
    assert twice.returncode == 1 and "bereits erledigt" in twice.stderr
    archived = json.loads(
        run_cli("jourfixe", "actions", "list", "--region", "BY-BA", "--status", "closed", "--format", "json").stdout
    )
    assert any(row["id"] == action_id and row["closed_by"] == "Anna Huber (BAMF)" for row in archived)

    cancelled = run_cli(
        "jourfixe",
        "cancel",
        "--region",
        "BY-BA",
        "--month",
        "2026-12",
        "--reason",
        "Krankheit",
        "--as-of",
        "2026-11-27",
    )
    assert cancelled.returncode == 0 and "Absagen im Postausgang" in cancelled.stdout


def test_read_only_commands_leave_the_meetings_alone(run_cli: CliRunner, engine: Engine) -> None:
    """`minutes show` and `snapshots` of a month whose meeting does not exist yet show it as it
    will be created – the minute keeper next in turn – without creating it."""
    assert run_cli("demo", "--participants", "60", "--regions", "1", "--seed", "4", "--as-of", AS_OF).returncode == 0

    def meetings() -> list[tuple[str, int | None]]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT occurrence, minute_keeper_id FROM meeting ORDER BY occurrence"))
            return [(str(occurrence)[:10], keeper) for occurrence, keeper in rows]

    before = meetings()
    predicted = {}
    for month in ("2027-03", "2027-02"):
        shown = run_cli("jourfixe", "minutes", "show", "--region", "BY-BA", "--month", month, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        predicted[month] = json.loads(shown.stdout)["meeting"]
        assert predicted[month]["status"] == "planned" and predicted[month]["minute_keeper"]
        listed = run_cli("jourfixe", "snapshots", "--region", "BY-BA", "--month", month)
        assert listed.returncode == 0 and listed.stdout.count("\n") == 2  # header and rule only
        missing = run_cli("jourfixe", "snapshots", "--region", "BY-BA", "--month", month, "--show", "1")
        assert missing.returncode == 1 and "Stand Nr. 1 gibt es für diese Sitzung nicht" in missing.stderr
    assert meetings() == before

    recorded = run_cli(
        "jourfixe", "minutes", "attendance", "--region", "BY-BA", "--month", "2027-02", "--present", "JC-BA"
    )
    assert recorded.returncode == 0, recorded.stderr
    assert len(meetings()) == len(before) + 1
    created = json.loads(
        run_cli("jourfixe", "minutes", "show", "--region", "BY-BA", "--month", "2027-02", "--format", "json").stdout
    )
    assert created["meeting"] == {**predicted["2027-02"], "status": "held"}
    assert created["attendance"] == [{"name": "Jobcenter Bamberg", "present": True}]

    unknown = run_cli("jourfixe", "minutes", "show", "--region", "XX", "--month", "2027-02")
    assert unknown.returncode == 1 and "Region 'XX' gibt es nicht (vorhanden: BY-BA)" in unknown.stderr
    no_series = run_cli("jourfixe", "actions", "list", "--region", "XX")
    assert no_series.returncode == 1 and "Region 'XX' gibt es nicht" in no_series.stderr

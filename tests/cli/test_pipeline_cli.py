"""The coordinator CLI for the pipeline, driven as a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRunner

AS_OF = "2026-11-20"


@pytest.fixture
def demo(run_cli: CliRunner) -> CliRunner:
    result = run_cli("demo", "--participants", "400", "--regions", "2", "--seed", "3", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert "400 Teilnehmende" in result.stdout
    # the figures that show the demo looks like a real Landkreis, read back from the database
    assert "Kennzahlen der Demo" in result.stdout and "Teilnehmende je begonnenem Kurs" in result.stdout
    return run_cli


def test_db_upgrade_is_idempotent(run_cli: CliRunner) -> None:
    for _ in range(2):
        result = run_cli("db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert "Datenbank ist auf Revision" in result.stdout
    assert run_cli("db", "current").returncode == 0


def test_list_json_has_the_documented_fields(demo: CliRunner) -> None:
    result = demo("participants", "list", "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert len(items) == 400
    for item in items:
        assert {"ref", "region", "stage", "next_step", "responsible_agency", "due", "overdue"} <= set(item)
        assert item["responsible_agency"] in (None, "ABH", "JC", "AA", "SOZ", "BAMF", "KT", "MBE", "JMD", "KOM")
    assert {item["region"] for item in items} == {"BY-BA", "BY-PA-S"}
    assert any(item["overdue"] for item in items) and not all(item["overdue"] for item in items)
    dues = [item["due"] for item in items if item["region"] == "BY-BA" and item["due"]]
    assert dues == sorted(dues)


def test_list_filters(demo: CliRunner) -> None:
    overdue = json.loads(
        demo("participants", "list", "--overdue", "--region", "BY-BA", "--format", "json", "--as-of", AS_OF).stdout
    )
    assert overdue and all(item["overdue"] and item["region"] == "BY-BA" and item["due"] < AS_OF for item in overdue)
    registered = json.loads(
        demo("participants", "list", "--stage", "Angemeldet", "--format", "json", "--as-of", AS_OF).stdout
    )
    assert registered and {item["stage"] for item in registered} == {"registered"}
    kt = json.loads(demo("participants", "list", "--responsible", "KT", "--format", "json", "--as-of", AS_OF).stdout)
    assert kt and all("KT" in item["responsible_agencies"] for item in kt)
    later = json.loads(demo("participants", "list", "--overdue", "--format", "json", "--as-of", "2027-06-01").stdout)
    assert len(later) > len(
        json.loads(demo("participants", "list", "--overdue", "--format", "json", "--as-of", AS_OF).stdout)
    )
    table = demo("participants", "list", "--region", "BY-BA", "--as-of", AS_OF)
    assert "Referenz" in table.stdout and "überfällig (Stichtag 20.11.2026)" in table.stdout
    csv_out = demo("participants", "list", "--format", "csv", "--as-of", AS_OF)
    assert csv_out.stdout.splitlines()[0] == "ref,region,initials,stage,next_step,responsible,due,days_overdue"


def test_bad_filters_say_what_is_wrong(demo: CliRunner) -> None:
    for args, message in (
        (("--stage", "Wartend"), "Unbekannte Stufe 'Wartend'"),
        (("--region", "BY-XX"), "Region 'BY-XX' gibt es nicht"),
        (("--as-of", "gestern"), "'gestern' ist kein Datum"),
    ):
        result = demo("participants", "list", *args)
        assert result.returncode != 0 and message in result.stderr and result.stderr.count("\n") == 1


def test_show_and_advance(demo: CliRunner) -> None:
    items = json.loads(
        demo("participants", "list", "--stage", "registered", "--format", "json", "--as-of", AS_OF).stdout
    )
    ref = items[0]["ref"]
    shown = demo("participants", "show", ref, "--as-of", AS_OF)
    assert shown.returncode == 0, shown.stderr
    assert "Stufe: Angemeldet" in shown.stdout and "Offene Schritte" in shown.stdout and "Verlauf:" in shown.stdout
    one_per_stage = {
        item["stage"]: item["ref"] for item in json.loads(demo("participants", "list", "--format", "json").stdout)
    }
    for other in sorted(one_per_stage.values())[:10]:
        text = demo("participants", "show", other, "--as-of", AS_OF).stdout
        # German for users: labels, ja/nein and dates, never identifiers or Python values
        for leak in ("True", "False", "None", ": good", ": general", "aufenthg_", "KT:", "_on:", "-20"):
            assert leak not in text, (other, leak, text)
    refused = demo("advance", ref, "test_result", "--set", "dtz_level=B1", "--on", AS_OF, "--as-of", AS_OF)
    assert refused.returncode == 1
    assert "„Prüfungsergebnis“ ist in der Stufe „Angemeldet“ nicht erlaubt. Erlaubt: „" in refused.stderr
    done = demo(
        "advance",
        ref,
        "course_started",
        "--on",
        AS_OF,
        "--as-of",
        AS_OF,
        "--by",
        "KT",
        "--set",
        "planned_end=2027-06-25",
        "--note",
        "Kurs beginnt",
    )
    assert done.returncode == 0, done.stderr
    assert "Angemeldet → Im Kurs" in done.stdout and "Absolventenmanagement" in done.stdout
    detail = json.loads(demo("participants", "show", ref, "--format", "json", "--as-of", AS_OF).stdout)
    assert detail["stage"] == "in_course"
    assert detail["timeline"][-1]["event"] == "course_started" and detail["timeline"][-1]["note"] == "Kurs beginnt"
    assert detail["timeline"][-1]["by_user"].startswith("cli:")
    bad_payload = demo("advance", ref, "module_completed", "--set", "module=zwei", "--as-of", AS_OF)
    assert bad_payload.returncode == 1 and "„Kursabschnitt“: 'zwei' ist keine ganze Zahl" in bad_payload.stderr
    future = demo("advance", ref, "module_completed", "--set", "module=2", "--on", "2027-01-01", "--as-of", AS_OF)
    assert future.returncode == 1 and "liegt in der Zukunft" in future.stderr
    missing = demo("participants", "show", "NOPE-1")
    assert missing.returncode == 1 and "Referenz 'NOPE-1' gibt es nicht" in missing.stderr


def test_advance_checks_facts_like_the_import_and_takes_its_column_names(demo: CliRunner) -> None:
    """A provider the region does not have is refused as the import refuses it (one check for every
    way in); `--set` takes the import's column names and the event its German label."""
    entitled = json.loads(
        demo(
            "participants", "list", "--stage", "Berechtigt", "--region", "BY-BA", "--format", "json", "--as-of", AS_OF
        ).stdout
    )
    ref = entitled[0]["ref"]
    before = demo("participants", "show", ref, "--format", "json", "--as-of", AS_OF).stdout
    refused = demo("advance", ref, "registered", "--by", "KT", "--set", "provider=XYZ", "--as-of", AS_OF)
    assert refused.returncode == 1
    assert "„Kursträger (Kürzel)“ „XYZ“: Kursträger ist in dieser Region nicht angelegt (bekannt: " in (refused.stderr)
    assert demo("participants", "show", ref, "--format", "json", "--as-of", AS_OF).stdout == before
    export = demo("export", "participants", "--region", "BY-BA", "--output", "ba.csv")
    assert export.returncode == 0, export.stderr
    registered = json.loads(
        demo(
            "participants", "list", "--stage", "Angemeldet", "--region", "BY-BA", "--format", "json", "--as-of", AS_OF
        ).stdout
    )
    provider = json.loads(
        demo("participants", "show", registered[0]["ref"], "--format", "json", "--as-of", AS_OF).stdout
    )["facts"]["provider"]
    done = demo(
        "advance", ref, "Beim Kursträger angemeldet", "--by", "KT", "--set", f"kurstraeger={provider}", "--as-of", AS_OF
    )
    assert done.returncode == 0, done.stderr
    assert "Berechtigt → Angemeldet" in done.stdout
    detail = json.loads(demo("participants", "show", ref, "--format", "json", "--as-of", AS_OF).stdout)
    assert detail["stage"] == "registered" and detail["facts"]["provider"] == provider
    unknown = demo("advance", ref, "Kurs fertig", "--as-of", AS_OF)
    assert unknown.returncode == 1 and "Kurs begonnen (course_started)" in unknown.stderr


def test_import_export_round_trip_and_error_report(demo: CliRunner, tmp_path: Path) -> None:
    exported = demo("export", "participants", "--region", "BY-BA", "--output", str(tmp_path / "ba.csv"))
    assert exported.returncode == 0, exported.stderr
    again = demo("import", "participants", str(tmp_path / "ba.csv"), "--region", "BY-BA", "--as-of", AS_OF)
    assert again.returncode == 0 and "0 neu, 0 aktualisiert" in again.stdout
    with (tmp_path / "ba.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    stage = rows[0].index("stufe")
    rows[2][stage] = "Wartend"
    with (tmp_path / "bad.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows[:4])
    failed = demo(
        "import",
        "participants",
        str(tmp_path / "bad.csv"),
        "--region",
        "BY-BA",
        "--report",
        str(tmp_path / "errors.csv"),
    )
    assert failed.returncode == 1
    assert "Import abgebrochen, nichts gespeichert – 1 Fehler" in failed.stderr
    assert "Zeile 3, Spalte 'stufe', Wert 'Wartend': unbekannte Stufe" in failed.stderr
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8-sig").startswith("zeile;spalte;wert;fehler")
    courses = demo("export", "courses", "--region", "BY-BA", "--output", str(tmp_path / "kurse.xlsx"))
    assert courses.returncode == 0 and (tmp_path / "kurse.xlsx").stat().st_size > 0
    unknown = demo("import", "participants", str(tmp_path / "ba.csv"), "--region", "BY-NOPE")
    assert unknown.returncode == 1 and "Region 'BY-NOPE' gibt es nicht" in unknown.stderr


def test_demo_refuses_to_overwrite_without_replace(demo: CliRunner) -> None:
    again = demo("demo", "--participants", "10", "--regions", "1")
    assert again.returncode == 1 and "--replace" in again.stderr
    replaced = demo("demo", "--participants", "10", "--regions", "1", "--replace", "--as-of", AS_OF)
    assert replaced.returncode == 0, replaced.stderr


def test_read_only_commands_import_neither_prefect_nor_the_orm(demo: CliRunner, cli_env: dict[str, str]) -> None:
    for args in (
        ["--help"],
        ["participants", "list", "--format", "json"],
        ["participants", "list"],
        ["participants", "show", "BY-BA-00001"],
        ["regions", "list"],
        ["users", "list"],
        ["reminders", "list"],
        ["jourfixe", "series", "show", "--region", "BY-BA"],
        ["jourfixe", "actions", "list", "--region", "BY-BA", "--status", "all"],
        ["jourfixe", "snapshots", "--region", "BY-BA", "--month", "2026-12"],
        ["jourfixe", "minutes", "show", "--region", "BY-BA", "--month", "2026-12"],
    ):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "foerderkette", *args],
            capture_output=True,
            text=True,
            env=cli_env,
            cwd=ROOT,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-500:]
        imported = {
            line.split("|")[-1].strip().split(".")[0]
            for line in result.stderr.splitlines()
            if line.startswith("import time:")
        }
        # SQLAlchemy Core is the one read path; the ORM layer (SQLModel, pydantic) and the rest stay out
        assert not imported & {"prefect", "sqlmodel", "pydantic", "fastapi", "jinja2", "openpyxl"}, args
        if args == ["--help"]:
            assert "sqlalchemy" not in imported

"""`foerderkette process …` driven as a subprocess."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CliRunner, require_program


def test_help_in_german(run_cli: CliRunner) -> None:
    result = run_cli("process", "--help")
    assert result.returncode == 0
    assert "Aufruf: foerderkette process" in result.stdout
    for action in ("show", "validate", "diagram"):
        assert action in result.stdout
        assert run_cli("process", action, "--help").returncode == 0


def test_show_lists_stages_events_and_parameters(run_cli: CliRunner) -> None:
    result = run_cli("process", "show")
    assert result.returncode == 0, result.stderr
    for text in (
        "Erfasst",
        "Verpflichtet",
        "Im Kurs",
        "Unterbrochen",
        "Prüfung",
        "Verfallen",
        "In Ausbildung",
        "course_started",
        "course_start_max_wait",
        "6 Wochen",
        "§ 7 Abs. 3–5 IntV",
    ):
        assert text in result.stdout


def test_show_json_carries_the_required_event_names(run_cli: CliRunner) -> None:
    data = json.loads(run_cli("process", "show", "--format", "json").stdout)
    required = {
        "entitlement_confirmed", "obligation_imposed", "admission_granted", "placement_tested", "registered", "course_started",
        "module_completed", "absence_reported", "interrupted", "resumed", "provider_changed", "test_result", "dropped_out", "lapsed",
        "followup_planned", "bsk_registered", "bsk_started", "bsk_completed", "measure_started", "measure_completed",
        "training_started", "employment_started", "case_closed",
    }  # fmt: skip
    assert required <= {event["id"] for event in data["events"]}
    labels = {stage["id"]: stage["label"] for stage in data["stages"]}
    assert labels["registered"] == "Angemeldet" and labels["in_exam"] == "Prüfung"
    assert data["parameters"]["course_start_max_wait"]["value"] == "6w"


def test_validate_ok_and_broken(run_cli: CliRunner, tmp_path: Path) -> None:
    ok = run_cli("process", "validate")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: Referenzprozess Integrationskurs")
    override = tmp_path / "BY-BA.yaml"
    override.write_text(
        "region: BY-BA\nparameters:\n  course_start_max_wait: 8w\n  no_such_parameter: 3\n", encoding="utf-8"
    )
    broken = run_cli("process", "validate", "--override", str(override))
    assert broken.returncode == 1
    assert "BY-BA.yaml:4: Parameter 'no_such_parameter' gibt es im Prozessmodell nicht" in broken.stderr
    override.write_text("region: BY-BA\nparameters:\n  course_start_max_wait: 8w\n", encoding="utf-8")
    fixed = run_cli("process", "validate", "--override", str(override))
    assert fixed.returncode == 0 and "mit Anpassung BY-BA.yaml" in fixed.stdout


def test_region_overrides_are_found_in_the_overrides_dir(run_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "BY-PA.yaml").write_text(
        "region: BY-PA\nparameters:\n  course_start_max_wait: 10w\n", encoding="utf-8"
    )
    data = json.loads(run_cli("process", "show", "--region", "BY-PA", "--format", "json").stdout)
    assert data["region"] == "BY-PA"
    assert data["parameters"]["course_start_max_wait"] == {
        "value": "10w",
        "label": data["parameters"]["course_start_max_wait"]["label"],
        "source": "§ 7 Abs. 3–5 IntV",
        "overridden": True,
    }


def test_diagram_formats(run_cli: CliRunner, tmp_path: Path) -> None:
    mermaid = run_cli("process", "diagram")
    assert mermaid.returncode == 0 and mermaid.stdout.startswith("flowchart LR")
    dot = run_cli("process", "diagram", "--format", "dot", "--output", str(tmp_path / "p.dot"))
    assert dot.returncode == 0 and (tmp_path / "p.dot").read_text(encoding="utf-8").startswith("digraph")
    missing_graphviz = shutil.which("dot") is None
    if not missing_graphviz:
        svg = run_cli("process", "diagram", "--format", "svg")
        assert svg.returncode == 0 and "<svg" in svg.stdout
    missing = run_cli("process", "diagram", "--format", "svg", env={"PATH": str(tmp_path)})
    assert missing.returncode == 1
    assert (
        missing.stderr.count("\n") == 1
        and "Graphviz" in missing.stderr
        and "apt-get install graphviz" in missing.stderr
    )
    if missing_graphviz:
        require_program("dot", install="graphviz")  # the SVG half was not checked: say so


def test_bad_input_gives_one_line_german_reason(run_cli: CliRunner) -> None:
    result = run_cli("process", "diagram", "--format", "png")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ungültiger Wert 'png'" in result.stderr

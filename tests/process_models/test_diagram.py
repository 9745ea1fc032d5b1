from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from process_models import ProcessModel, load_model
from process_models.diagram import ANY_STAGE, GraphvizMissing, stage_agencies, to_dot, to_mermaid, to_svg
from tests.conftest import require_program


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


def test_mermaid_draws_every_stage_and_colours_by_agency(model: ProcessModel) -> None:
    text = to_mermaid(model)
    assert text.startswith("flowchart LR\n")
    for stage in model.stages.values():
        assert f"{stage.id}" in text and stage.label in text
    assert 'registered -->|"Kurs begonnen"| in_course' in text
    assert f'{ANY_STAGE} -.->|"Fall geschlossen"| closed' in text
    assert "classDef kt fill:#9467bd" in text
    assert "class registered kt" in text


def test_stage_colours_follow_the_responsible_agencies(model: ProcessModel) -> None:
    assert stage_agencies(model, "registered") == ("KT", "BAMF")
    assert stage_agencies(model, "obliged") == ("ABH", "JC", "SOZ")  # whoever obliged, from the event's choices
    assert stage_agencies(model, "employed") == ()


def test_dot_is_valid_graphviz(model: ProcessModel) -> None:
    text = to_dot(model)
    assert text.startswith("digraph referenzprozess {")
    assert 'in_course [label="Im Kurs"' in text  # German only: no identifier on the page
    # several events on one edge: one line each (a real Graphviz break, never a literal "\\n")
    assert "\\\\n" not in text and any("\\n" in line and "->" in line for line in text.splitlines())
    require_program("dot", install="graphviz")
    result = subprocess.run(["dot", "-Tplain"], input=text, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    nodes = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("node ")}
    assert set(model.stages) <= nodes


def test_svg_through_graphviz(model: ProcessModel) -> None:
    require_program("dot", install="graphviz")
    svg = to_svg(model)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Berufssprachkurs angemeldet" in svg
    assert "\\n" not in svg  # no literal line-break escape in any label
    assert model.agencies["BAMF"].color in svg


def test_svg_without_graphviz_says_what_to_install(
    model: ProcessModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        to_svg(model)

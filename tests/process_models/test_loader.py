"""Validation of process definitions and regional overrides: every error names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from process_models import ModelValidationError, load_model, load_model_text
from process_models.loader import definition_paths

MINI = (Path(__file__).parent / "fixtures" / "mini.yaml").read_text(encoding="utf-8")


def errors_of(text: str, override: str | None = None) -> list[str]:
    with pytest.raises(ModelValidationError) as info:
        load_model_text(text, name="mini.yaml", override_text=override, override_name="BY-XX.yaml")
    return [str(error) for error in info.value.errors]


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_fixture_and_every_shipped_definition_are_valid() -> None:
    assert load_model_text(MINI, name="mini.yaml").version == "1.0"
    assert definition_paths()
    for path in definition_paths():
        model = load_model(path)
        assert model.source == path.name


@pytest.mark.parametrize(
    ("old", "new", "needle", "german", "english"),
    [
        (
            "    label: Angemeldet\n  done:",
            "    lable: Angemeldet\n    label: Angemeldet\n  done:",
            "lable:",
            "Unbekannter Schlüssel 'lable'",
            "unknown key 'lable'",
        ),
        ("actors: [KT]", "actors: [KT, XYZ]", "actors: [KT, XYZ]", "Unbekannte Stelle 'XYZ'", "unknown agency 'XYZ'"),
        (
            "responsible: [KT@provider]",
            "responsible: [JC]",
            "responsible: [JC]",
            "Unbekannte Stelle 'JC'",
            "unknown agency 'JC'",
        ),
        (
            "after: wait}",
            "after: waiting_time}",
            "after: waiting_time",
            "Unbekannter Parameter 'waiting_time'",
            "unknown parameter 'waiting_time'",
        ),
        ("after: wait}", "after: group}", "after: group", "Parameter 'group' ist keine Frist", "is not a period"),
        ("{value: 6w, label: Wartezeit}", "{value: 6 Wochen, label: Wartezeit}", "value: 6 Wochen", "", ""),
        ("to: done}", "to: finished}", "to: finished", "Unbekannte Stufe 'finished'", "unknown stage 'finished'"),
        (
            "event: finished,",
            "event: finish,",
            "event: finish,",
            "Unbekanntes Ereignis 'finish'",
            "unknown event 'finish'",
        ),
        (
            "sets: {registered_on: date,",
            "sets: {registered_on: payload.provider,",
            "sets: {registered_on: payload.provider",
            "Typ passt nicht",
            "type mismatch",
        ),
        (
            "{type: provider, required: true, label: Kursträger}",
            "{type: text, required: true, label: Kursträger}",
            "type: text",
            "Unbekannter Typ 'text'",
            "unknown type 'text'",
        ),
        (
            'version: "1.0"',
            "version: 1.0",
            "version: 1.0",
            "version: Text in Anführungszeichen",
            "quoted text expected",
        ),
    ],
)
def test_broken_definitions_name_file_line_and_reason(
    old: str, new: str, needle: str, german: str, english: str
) -> None:
    assert old in MINI
    broken = MINI.replace(old, new, 1)
    found = errors_of(broken)
    if not german:  # a value that is no period is taken as text; the reference then fails elsewhere
        assert found
        return
    expected_line = line_of(broken, needle)
    assert any(
        error.startswith(f"mini.yaml:{expected_line}: ") and german in error and english in error for error in found
    ), found


def test_unreachable_stage() -> None:
    broken = MINI.replace(
        "  done:\n    label: Fertig\n    final: true",
        "  done:\n    label: Fertig\n    final: true\n  orphan:\n    label: Verwaist\n    final: true",
    )
    assert any(
        "Stufe 'orphan' ist von der Startstufe aus nicht erreichbar" in error
        and f"mini.yaml:{line_of(broken, 'orphan:')}" in error
        for error in errors_of(broken)
    )


def test_dead_end_that_is_not_final() -> None:
    broken = MINI.replace("    label: Fertig\n    final: true", "    label: Fertig")
    found = errors_of(broken)
    assert any("Sackgasse: Stufe 'done'" in error and "dead end" in error for error in found), found


def test_final_stage_with_way_out() -> None:
    broken = MINI.replace(
        "  - {from: registered, event: finished, to: done}",
        "  - {from: registered, event: finished, to: done}\n  - {from: done, event: registered, to: registered}",
    )
    assert any("Endzustand 'done' hat ausgehende Übergänge" in error for error in errors_of(broken))


def test_missing_required_sections_and_parameters() -> None:
    found = errors_of(MINI.replace("parameters:\n  wait: {value: 6w, label: Wartezeit}\n", "parameters:\n"))
    assert any("Unbekannter Parameter 'wait'" in error for error in found)
    found = errors_of(
        MINI.replace("reminders: {lead: 5bd, on_due: true, repeat_after: 5bd, escalate_after: 10bd}\n", "")
    )
    assert any("Pflichtangabe 'reminders' fehlt" in error and error.startswith("mini.yaml:1:") for error in found)


def test_unused_event_and_shadowed_transition() -> None:
    unused = MINI.replace(
        "  finished:\n    label: Fertig\n", "  finished:\n    label: Fertig\n  forgotten:\n    label: Vergessen\n"
    )
    assert any("Ereignis 'forgotten' kommt in keinem Übergang vor" in error for error in errors_of(unused))
    shadowed = MINI.replace(
        "  - {from: registered, event: finished, to: done}",
        "  - {from: registered, event: finished, to: done}\n  - {from: registered, event: finished, to: start}",
    )
    found = errors_of(shadowed)
    assert any(
        "wird nie erreicht" in error and f"mini.yaml:{line_of(shadowed, 'to: start}')}" in error for error in found
    ), found


def test_duplicate_keys_are_errors_not_silently_overwritten() -> None:
    broken = MINI.replace(
        "  group: {value: 25, label: Gruppengröße}",
        "  group: {value: 25, label: Gruppengröße}\n  wait: {value: 8w, label: Wartezeit}",
    )
    found = errors_of(broken)
    assert found == [f"mini.yaml:{line_of(broken, 'value: 8w')}: Schlüssel 'wait' ist doppelt (duplicate key 'wait')"]


def test_invalid_yaml_and_empty_files() -> None:
    found = errors_of(MINI.replace("title: Mini-Prozess", "title: [Mini-Prozess"))
    assert len(found) == 1 and found[0].startswith("mini.yaml:") and "Kein gültiges YAML" in found[0]
    assert errors_of("") == ["mini.yaml: Die Datei ist leer (the file is empty)"]
    assert any("Prozessmodell: Zuordnung" in error for error in errors_of("- a\n- b\n"))


def test_all_errors_are_reported_at_once() -> None:
    broken = MINI.replace("actors: [KT]", "actors: [XX]").replace("after: wait}", "after: nope}")
    assert len(errors_of(broken)) >= 2


@pytest.mark.parametrize(
    ("override", "needle", "german"),
    [
        ("region: BY-XX\nparameters:\n  wiat: 8w\n", "wiat", "Parameter 'wiat' gibt es im Prozessmodell nicht"),
        ("region: BY-XX\nparameters:\n  wait: 30\n", "wait: 30", "Parameter 'wait' erwartet duration"),
        (
            "region: BY-XX\nsteps:\n  start_kurs:\n    reminders: {lead: 3bd}\n",
            "start_kurs",
            "Schritt 'start_kurs' gibt es im Prozessmodell nicht",
        ),
        ("region: BY-XX\ncalendar:\n  land: XY\n", "land: XY", "Unbekanntes Land 'XY'"),
        ("region: BY-XX\ncalendar:\n  closing_days: {'24.12.': Heiligabend}\n", "24.12.", "ist kein Tag (MM-TT)"),
        ("region: BY-XX\ncolour: red\n", "colour", "Unbekannter Schlüssel 'colour'"),
        ("parameters:\n  wait: 8w\n", "parameters", "Pflichtangabe 'region' fehlt"),
    ],
)
def test_broken_overrides_name_the_override_file(override: str, needle: str, german: str) -> None:
    found = errors_of(MINI, override)
    expected = f"BY-XX.yaml:{line_of(override, needle)}: "
    assert any(error.startswith(expected) and german in error for error in found), found


def test_valid_override_applies() -> None:
    model = load_model_text(MINI, override_text="region: BY-XX\nparameters:\n  wait: 8w\nreminders:\n  lead: 3bd\n")
    assert str(model.parameters["wait"].value) == "8w"
    assert model.parameters["wait"].overridden and not model.parameters["group"].overridden
    assert model.steps["start_course"].due[0].offset.label_de() == "8 Wochen"
    assert model.steps["start_course"].reminders.lead.label_de() == "3 Arbeitstage"
    assert model.fingerprint != load_model_text(MINI).fingerprint


def test_catalog_parses_once_per_override_file_and_land(tmp_path: Path) -> None:
    from process_models import ModelCatalog

    (tmp_path / "BY-XX.yaml").write_text(
        "region: BY-XX\nparameters:\n  registration_after_obligation: 3w\n", encoding="utf-8"
    )
    catalog = ModelCatalog(tmp_path)
    plain = catalog.current("BY-BA", land="BY")
    assert catalog.current("BY-AB", land="BY") is plain  # no override file: the same parsed model
    assert catalog.current("BE-01", land="BE") is not plain  # another Land: its own holidays
    assert catalog.current("BY-XX", land="BY").fingerprint != plain.fingerprint
    assert len(catalog._parsed) == 3


def test_stage_tags_enrolment_flags_and_fact_types_are_validated() -> None:
    """What code may ask of the model is checked on load: unknown tags, an enrolment flag other than
    start/end, `future` on a non-date fact, a `KT@FACT` whose fact is not a provider."""
    from process_models import ModelValidationError, load_model_text
    from process_models.loader import current_definition_path

    text = current_definition_path().read_text(encoding="utf-8")
    broken = (
        text.replace("tags: [paused]", "tags: [paused, on_holiday]")
        .replace("    enrolment: start\n", "    enrolment: sometimes\n")
        .replace(
            "  birth_year: {type: int, label: Geburtsjahr}",
            "  birth_year: {type: int, label: Geburtsjahr, future: true}",
        )
        .replace("  bsk_provider: {type: provider,", "  bsk_provider: {type: str,")
    )
    with pytest.raises(ModelValidationError) as info:
        load_model_text(broken, name="broken.yaml")
    message = str(info.value)
    assert "Unbekanntes Merkmal 'on_holiday'" in message
    assert "enrolment: start oder end" in message
    assert "future nur für Datumsangaben" in message
    assert "'bsk_provider' ist keine Angabe vom Typ provider" in message
    assert message.count("broken.yaml:") >= 4

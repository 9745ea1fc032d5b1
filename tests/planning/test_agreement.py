"""The cooperation agreement file: read with every problem named by line and field, stored as a
canonical document, written back in the file's own format."""

from __future__ import annotations

from datetime import date

import pytest

from planning.agreement import (
    AgreementError,
    Catalogue,
    changes,
    from_document,
    parse_agreement,
    to_document,
    to_yaml,
)

CATALOGUE = Catalogue(
    providers={"VHS-BA": "Volkshochschule Bamberg", "CAR-BA": "Caritas Bamberg"},
    sites={"BA-1": "Bamberg, Luitpoldstraße 12", "BA-2": "Hallstadt, Marktplatz 2"},
    course_types={"general": "Allgemeiner Integrationskurs", "literacy": "Alphabetisierungskurs"},
)

GOOD = """\
gueltig_ab: 01.01.2027
traeger:
  - kuerzel: VHS-BA
    kursarten: [Allgemeiner Integrationskurs, alphabetisierungskurs]
    kursorte: [BA-1, BA-2]
    kurse_je_monat: 2
  - kuerzel: CAR-BA
    kursarten: Allgemeiner Integrationskurs
    kursorte: BA-2
startplan:
  - {monat: 2027-02, traeger: VHS-BA, kursart: Alphabetisierungskurs, kursort: BA-1, zeit: abends}
  - {monat: 2027-02, traeger: CAR-BA, kursart: Allgemeiner Integrationskurs, kursort: BA-2}
einstufungstests:
  rhythmus: 14-täglich
  erster_termin: 2027-01-05
  uhrzeit: 09:00
  plaetze: 20
  gastgeber:
    - {traeger: VHS-BA, kursort: BA-1}
    - {traeger: CAR-BA, kursort: BA-2}
"""


def test_a_valid_agreement_is_read_with_labels_or_keys() -> None:
    agreement = parse_agreement(GOOD, "vereinbarung.yaml", CATALOGUE)
    assert agreement.valid_from == date(2027, 1, 1)
    assert [(t.provider, t.course_types, t.sites, t.starts_per_month) for t in agreement.providers] == [
        ("VHS-BA", ("general", "literacy"), ("BA-1", "BA-2"), 2),
        ("CAR-BA", ("general",), ("BA-2",), 1),  # one start a month unless agreed otherwise
    ]
    assert agreement.starts[0].slot == "evening" and agreement.starts[1].slot == "morning"
    rotation = agreement.testing
    assert rotation is not None
    # YAML reads an unquoted 09:00 as 540 (base 60): still nine o'clock
    assert (rotation.cadence, rotation.first, rotation.time, rotation.capacity) == (
        "14-täglich",
        date(2027, 1, 5),
        "09:00",
        20,
    )


def test_the_stored_document_and_the_written_file_round_trip() -> None:
    agreement = parse_agreement(GOOD, "vereinbarung.yaml", CATALOGUE)
    assert from_document(to_document(agreement)) == agreement
    again = parse_agreement(to_yaml(agreement, CATALOGUE.course_types), "export.yaml", CATALOGUE)
    assert again == agreement
    assert "Alphabetisierungskurs" in to_yaml(agreement, CATALOGUE.course_types)  # labels, not keys


def test_every_problem_names_file_line_and_field() -> None:
    bad = (
        GOOD.replace("kursorte: [BA-1, BA-2]", "kursorte: [BA-1, BA-9]")
        .replace("kursart: Alphabetisierungskurs, kursort: BA-1", "kursart: Jugendkurs, kursort: BA-1")
        .replace("rhythmus: 14-täglich", "rhythmus: ab und zu")
        .replace("plaetze: 20", "plaetze: viele")
    )
    with pytest.raises(AgreementError) as caught:
        parse_agreement(bad, "vereinbarung.yaml", CATALOGUE)
    problems = caught.value.problems
    assert problems == [
        "vereinbarung.yaml, Zeile 5, Feld „kursorte“: Kursort „BA-9“ gibt es in der Region nicht (bekannt: BA-1, BA-2)",
        "vereinbarung.yaml, Zeile 11, Feld „kursart“: Kursart „Jugendkurs“ ist unbekannt "
        "(bekannt: Allgemeiner Integrationskurs, Alphabetisierungskurs)",
        "vereinbarung.yaml, Zeile 11, Feld „kursart“: VHS-BA bietet laut Vereinbarung diese Kursart nicht an",
        "vereinbarung.yaml, Zeile 14, Feld „rhythmus“: wöchentlich, 14-täglich oder monatlich erwartet",
        "vereinbarung.yaml, Zeile 17, Feld „plaetze“: eine ganze Zahl von 1 bis 500 erwartet, nicht „viele“",
    ]


def test_more_planned_starts_than_agreed_and_unknown_providers_are_refused() -> None:
    text = GOOD.replace("kurse_je_monat: 2", "kurse_je_monat: 0").replace("kuerzel: CAR-BA", "kuerzel: XYZ")
    with pytest.raises(AgreementError) as caught:
        parse_agreement(text, "v.yaml", CATALOGUE)
    joined = "\n".join(caught.value.problems)
    assert "mehr Kursbeginne geplant als die 0 vereinbarten" in joined
    assert "Kursträger „XYZ“ gibt es in der Region nicht (bekannt: CAR-BA, VHS-BA)" in joined
    assert "None" not in joined


def test_broken_yaml_and_missing_fields() -> None:
    with pytest.raises(AgreementError) as caught:
        parse_agreement("traeger: [", "v.yaml", CATALOGUE)
    assert caught.value.problems[0].startswith("v.yaml, Zeile ")
    with pytest.raises(AgreementError) as caught:
        parse_agreement("traeger:\n  - kuerzel: VHS-BA\n", "v.yaml", CATALOGUE)
    assert caught.value.problems == [
        "v.yaml, Zeile 2, Feld „kursarten“: Pflichtangabe fehlt",
        "v.yaml, Zeile 2, Feld „kursorte“: Pflichtangabe fehlt",
    ]


def test_changes_say_what_a_new_version_changes() -> None:
    old = parse_agreement(GOOD, "v.yaml", CATALOGUE)
    new = parse_agreement(
        GOOD.replace("plaetze: 20", "plaetze: 25").replace(
            "  - {monat: 2027-02, traeger: CAR-BA, kursart: Allgemeiner Integrationskurs, kursort: BA-2}\n", ""
        ),
        "v.yaml",
        CATALOGUE,
    )
    assert changes(None, old) == ["erste Fassung"]
    assert changes(old, new) == ["1 Kursbeginne aus dem Startplan gestrichen", "Einstufungstests geändert"]
    assert changes(old, old) == ["keine inhaltliche Änderung"]

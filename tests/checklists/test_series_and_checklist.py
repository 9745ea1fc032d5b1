"""Recurrence, checklist definitions and agenda building, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from checklists.agenda import build_agenda
from checklists.definition import DEFINITIONS_DIR, load_checklist, parse_checklist
from checklists.queries import REGISTRY, Query
from checklists.records import ActionInfo, AgendaData, ItemResult, Person
from checklists.render import render_agenda
from checklists.series import Recurrence, SeriesError
from process_models import BusinessCalendar, CalendarConfig, ModelValidationError, load_model

BY = BusinessCalendar(CalendarConfig(land="BY"))
MODEL = load_model()
FIRST_TUESDAY = Recurrence("FREQ=MONTHLY;BYDAY=1TU", date(2025, 11, 1), "09:30", 120)


def test_first_tuesday_moves_off_holidays() -> None:
    assert FIRST_TUESDAY.in_month(2026, 12, BY) == (date(2026, 12, 1), date(2026, 12, 1))
    assert FIRST_TUESDAY.in_month(2026, 1, BY) == (date(2026, 1, 6), date(2026, 1, 7))  # Heilige Drei Könige
    assert FIRST_TUESDAY.after(date(2026, 12, 1), BY) == (date(2027, 1, 5), date(2027, 1, 5))


def test_other_cadences_are_series_too() -> None:
    network = Recurrence("FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE", date(2026, 1, 1), "14:00", 150)
    assert [day for _, day in network.occurrences(date(2026, 1, 1), date(2026, 12, 31), BY)] == [
        date(2026, 1, 14),
        date(2026, 4, 8),
        date(2026, 7, 8),
        date(2026, 10, 14),
    ]
    konferenz = Recurrence("FREQ=MONTHLY;INTERVAL=6;BYDAY=3TH", date(2026, 1, 1), "10:00", 240)
    assert len(konferenz.occurrences(date(2026, 1, 1), date(2026, 12, 31), BY)) == 2
    assert network.in_month(2026, 2, BY) is None


def test_meeting_times_across_daylight_saving() -> None:
    october = FIRST_TUESDAY.window(date(2026, 10, 6))
    november = FIRST_TUESDAY.window(date(2026, 11, 3))
    assert october[0] == datetime(2026, 10, 6, 7, 30, tzinfo=UTC)  # CEST
    assert november[0] == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)  # CET
    assert november[1] == datetime(2026, 11, 3, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "BYDAY=1TU;FREQ", ""])
def test_bad_rrules_are_refused(rule: str) -> None:
    with pytest.raises(SeriesError, match="Ungültige Wiederholung"):
        Recurrence(rule, date(2026, 1, 1), "09:30", 90).validate()


def test_default_checklist_has_the_fourteen_items_of_domain_md() -> None:
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    assert len(checklist.items) == 14
    assert [item.query for item in checklist.items] == [
        "open_action_items", "new_entitlements", "lapsing_entitlements", "waiting_for_course", "course_planning", "placement_tests",
        "improper_participation", "interruptions", "courses_ending", "test_results", "berufssprachkurse", "childcare_transport", "figures", "next_meeting",
    ]  # fmt: skip
    assert all(item.reporting for item in checklist.items)


def test_a_region_edits_reorders_drops_and_adds(tmp_path: Path) -> None:
    default = (DEFINITIONS_DIR / "jourfixe.yaml").read_text(encoding="utf-8")
    own = "checklist: jourfixe\ntitle: Unser Jour fixe\nitems:\n  - {id: figures, title: Zahlen zuerst, query: figures, reporting: [KOM], params: {months: 6}}\n  - {id: waiting, title: Wartende, query: waiting_for_course, reporting: [BAMF]}\n  - {id: childcare, title: Kinderbetreuung, query: childcare_transport, reporting: [KOM]}\n"
    (tmp_path / "BY-BA.jourfixe.yaml").write_text(own, encoding="utf-8")
    checklist = load_checklist("jourfixe", region="BY-BA", overrides_dir=tmp_path, agencies=MODEL.agencies)
    assert [item.id for item in checklist.items] == ["figures", "waiting", "childcare"]
    assert checklist.items[0].params == {"months": 6, "limit": 10}  # every item lists 10 rows unless it says
    assert len(load_checklist("jourfixe", region="BY-PA", overrides_dir=tmp_path, agencies=MODEL.agencies).items) == 14
    assert default


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{id: a, title: A, query: nonsense, reporting: [KOM]}", "Unbekannte Abfrage 'nonsense'"),
        ("{id: a, title: A, query: figures, reporting: [XYZ]}", "Unbekannte Stelle 'XYZ'"),
        (
            "{id: a, title: A, query: figures, reporting: [KOM], params: {years: 2}}",
            "kennt den Parameter 'years' nicht",
        ),
        (
            "{id: a, title: A, query: figures, reporting: [KOM], params: {months: zwölf}}",
            "Parameter 'months' erwartet int",
        ),
        ("{id: a, title: A, query: figures, reporting: [KOM], colour: red}", "Unbekannter Schlüssel 'colour'"),
        ("{id: a, query: figures}", "Pflichtangabe fehlt: title"),
    ],
)
def test_broken_checklists_name_file_and_line(item: str, message: str) -> None:
    text = f"checklist: x\ntitle: X\nitems:\n  - {{id: ok, title: Ok, query: figures, reporting: [KOM]}}\n  - {item}\n"
    with pytest.raises(ModelValidationError) as info:
        parse_checklist(text, "BY-BA.jourfixe.yaml", agencies=MODEL.agencies)
    assert any(
        str(error).startswith("BY-BA.jourfixe.yaml:5: ") and message in str(error) for error in info.value.errors
    ), info.value.errors


def _data(actions: list[ActionInfo], persons: list[Person] | None = None) -> AgendaData:
    return AgendaData(
        region_code="BY-BA",
        region_name="Landkreis Bamberg",
        model=MODEL,
        calendar=BY,
        as_of=date(2026, 11, 20),
        meeting_date=date(2026, 12, 1),
        previous_meeting=date(2026, 11, 3),
        next_meeting={"date": date(2027, 1, 5), "weekday": "Dienstag", "time": "09:30", "location": "Landratsamt"},
        persons=persons or [],
        courses=[],
        actions=actions,
    )


MEETING = {
    "series": "Jour fixe",
    "date": date(2026, 12, 1),
    "weekday": "Dienstag",
    "start": "09:30",
    "end": "11:30",
    "location": "LRA",
    "video_link": "",
    "chair": "A",
    "minute_keeper": "B",
    "invited": [],
    "status": "planned",
    "uid": "x",
    "sequence": 0,
    "timezone": "Europe/Berlin",
    "kind": "jourfixe",
}


def test_carried_over_action_items_appear_once() -> None:
    actions = [
        ActionInfo(
            1, "Aus der Oktober-Sitzung, noch offen", "Jobcenter", date(2026, 10, 20), "open", date(2026, 10, 6)
        ),
        ActionInfo(2, "Aus der November-Sitzung", "Kursträger", date(2026, 12, 15), "open", date(2026, 11, 3)),
        ActionInfo(
            3, "Erledigt", "KOM", date(2026, 11, 10), "closed", date(2026, 11, 3), date(2026, 11, 9), "Anna Huber", "ok"
        ),
    ]
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    agenda = build_agenda(checklist, _data(actions), meeting=MEETING)
    first = agenda.items[0].result
    open_rows = first.sections[0].rows
    assert [row[0] for row in open_rows] == ["Aus der Oktober-Sitzung, noch offen", "Aus der November-Sitzung"]
    assert open_rows[0][3] == "überfällig seit 31 Tagen"
    assert first.sections[1].rows == [["Erledigt", "KOM", "09.11.2026", "Anna Huber", "ok"]]
    text = render_agenda(agenda, "txt")
    assert text.count("Aus der Oktober-Sitzung, noch offen") == 1


def test_a_failing_query_shows_an_error_line_and_the_rest_still_builds() -> None:
    def broken(data: AgendaData, params: object) -> ItemResult:
        raise RuntimeError("Spalte fehlt")

    queries = {**REGISTRY, "waiting_for_course": Query("waiting_for_course", broken, {})}
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    agenda = build_agenda(checklist, _data([]), meeting=MEETING, queries=queries)
    errors = [item for item in agenda.items if item.result.error]
    assert [item.id for item in errors] == ["waiting"]
    assert "RuntimeError: Spalte fehlt" in (errors[0].result.error or "")
    assert all(item.result.summary for item in agenda.items if not item.result.error)
    for fmt in ("html", "md", "txt", "json"):
        assert "Spalte fehlt" in render_agenda(agenda, fmt)


def test_empty_items_say_so() -> None:
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    agenda = build_agenda(checklist, _data([]), meeting=MEETING)
    text = render_agenda(agenda, "txt")
    assert "Keine offenen Aufgaben." in text and "Niemand wartet länger als die Höchstfrist." in text
    assert len(agenda.items) == 14


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MONTHLY;BYDAY=1TU", "jeden 1. Dienstag im Monat, 09:30"),
        ("FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE", "alle 3 Monate am 2. Mittwoch, 09:30"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "jeden letzten Freitag im Monat, 09:30"),
        ("FREQ=WEEKLY;BYDAY=MO", "jeden Montag, 09:30"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "alle 2 Wochen am Freitag, 09:30"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "jeden 15. des Monats, 09:30"),
        ("FREQ=YEARLY;BYMONTH=3", "nach einer eigenen Wiederholungsregel, 09:30"),
    ],
)
def test_a_rule_in_words(rule: str, words: str) -> None:
    from checklists.series import rule_in_words

    assert rule_in_words(rule, "09:30") == words


# --------------------------------------------------------------------------- issue 24: a focused agenda


def _person(number: int, stage_tag: str, *, location: str = "Bamberg", facts=None, steps=(), **flags) -> Person:  # type: ignore[no-untyped-def]
    stage = sorted(MODEL.stages_tagged(stage_tag))[0]
    return Person(
        number,
        f"BY-BA-{number:05d}",
        "A. B.",
        stage,
        date(2026, 1, 1),
        dict(facts or {}),
        tuple(steps),
        location,
        **flags,
    )


def _item(agenda, item_id: str):  # type: ignore[no-untyped-def]
    return next(item for item in agenda.items if item.id == item_id).result


def test_the_meetings_own_tasks_are_listed_in_full_whatever_the_items_limit() -> None:
    """The default checklist lists five rows of item 1 (escalated deadlines): the open tasks of the
    last meeting are its own business and are never cut to "the most urgent few"."""
    actions = [
        ActionInfo(n, f"Aufgabe {n}", "Jobcenter", date(2026, 12, n), "open", date(2026, 11, 3)) for n in range(1, 13)
    ]
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    assert next(item for item in checklist.items if item.id == "action_items").params["limit"] == 5
    result = _item(build_agenda(checklist, _data(actions), meeting=MEETING), "action_items")
    assert [row[0] for row in result.sections[0].rows] == [f"Aufgabe {n}" for n in range(1, 13)]
    assert result.sections[0].more == 0


def test_new_entitlements_are_counted_by_the_issuing_agency() -> None:
    since = date(2026, 11, 3)
    persons = [
        _person(1, "awaiting_registration", facts={"entitled_on": since, "entitled_by": "ABH"}),
        _person(2, "awaiting_registration", facts={"entitled_on": since, "entitled_by": "JC", "obliged_on": since, "obliged_by": "JC"}),
        _person(3, "awaiting_registration", facts={"obliged_on": date(2026, 11, 10), "obliged_by": "JC"}),
        _person(4, "awaiting_registration", facts={"entitled_on": date(2026, 11, 2), "entitled_by": "ABH"}),  # before
    ]  # fmt: skip
    data = _data([], persons)
    data.agency_names = {"ABH": "Ausländerbehörde – Landkreis Bamberg", "JC": "Jobcenter Bamberg"}
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    result = _item(build_agenda(checklist, data, meeting=MEETING), "new_entitlements")
    counted = result.sections[0]
    assert counted.columns == ["Stelle", "Neue Berechtigungen", "Neue Verpflichtungen"]
    assert counted.rows == [["Jobcenter Bamberg", "1", "2"], ["Ausländerbehörde – Landkreis Bamberg", "1", "0"]]
    assert result.count == 3  # persons, not entitlements plus obligations
    assert result.summary.startswith("2 neue Berechtigungen und 2 neue Verpflichtungen seit 03.11.2026")


def test_a_lapse_still_to_prevent_comes_before_one_that_already_happened() -> None:
    """§ 44 Abs. 2 AufenthG: an entitlement lapsing in ten days can still be saved by a registration;
    one that lapsed in April can only be recorded: it is listed after, and said to be lapsed."""

    def lapse(number: int, due: date) -> Person:
        return _person(
            number,
            "awaiting_registration",
            steps=[{"step": "entitlement_lapse", "label": "Verfall", "due": due.isoformat(), "responsible": []}],
        )

    persons = [lapse(1, date(2026, 4, 16)), lapse(2, date(2026, 11, 30)), lapse(3, date(2026, 10, 13))]
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    result = _item(build_agenda(checklist, _data([], persons), meeting=MEETING), "lapsing_entitlements")
    rows = result.sections[0].rows
    assert [row[0].split()[0] for row in rows] == ["BY-BA-00002", "BY-BA-00001", "BY-BA-00003"]
    assert [row[3] for row in rows] == ["in 10 Tagen", "verfallen – erfassen", "verfallen – erfassen"]
    assert result.summary.endswith(", davon 2 schon verfallen, aber nicht erfasst")


def test_places_are_listed_by_need_so_the_few_shown_are_those_that_need_most() -> None:
    persons = [
        *(_person(n, "awaiting_course", location="Zapfendorf", childcare=True) for n in range(1, 4)),
        _person(10, "awaiting_course", location="Baunach", childcare=True),
        *(_person(n, "awaiting_course", location="Hirschaid", childcare=True) for n in range(20, 22)),
    ]
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    agenda = build_agenda(checklist, _data([], persons), meeting=MEETING)
    assert [row[0] for row in _item(agenda, "childcare_transport").sections[0].rows] == [
        "Zapfendorf",
        "Hirschaid",
        "Baunach",
    ]
    demand = next(s for s in _item(agenda, "course_planning").sections if s.title.startswith("Bedarf nach Ort"))
    assert [row[:2] for row in demand.rows] == [["Zapfendorf", "3"], ["Hirschaid", "2"], ["Baunach", "1"]]


def test_the_next_meeting_is_one_sentence_with_its_place() -> None:
    checklist = load_checklist("jourfixe", region=None, overrides_dir=None, agencies=MODEL.agencies)
    result = _item(build_agenda(checklist, _data([]), meeting=MEETING), "aob")
    assert result.summary == "Nächste Sitzung: Dienstag, 05.01.2027, 09:30 Uhr, Landratsamt"
    assert result.sections == []

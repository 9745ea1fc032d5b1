"""The checklist queries: pure functions from AgendaData to what an agenda item shows.

Each query is registered with its parameters and their defaults; a checklist item names one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from checklists.records import AgendaData, Figure, ItemResult, Person, Section
from figures.charts import sparkline
from figures.definitions import (
    FIGURES,
    Case,
    Context,
    CourseRecord,
    Period,
    change_text,
    course_fill,
    figure,
    observe,
    overdue,
    trend,
)
from pipeline.labels import COURSE_SLOTS
from pipeline.repository import CourseInfo
from process_models import AgencyRef, OpenStep, format_date
from process_models.durations import add_months
from process_models.reminders import reminder_level
from process_models.spec import ReminderRule

QueryFunction = Callable[[AgendaData, Mapping[str, Any]], ItemResult]


@dataclass(frozen=True)
class Query:
    name: str
    function: QueryFunction
    params: Mapping[str, Any]


REGISTRY: dict[str, Query] = {}

#: every item's `limit`: the rows its tables list, most urgent first (the rest are counted)
LISTED = 10


def query(name: str, **defaults: Any) -> Callable[[QueryFunction], QueryFunction]:
    def register(function: QueryFunction) -> QueryFunction:
        REGISTRY[name] = Query(name, function, {"limit": LISTED, **defaults})
        return function

    return register


def _d(value: date | None) -> str:
    return format_date(value) if value else "–"


def _days(start: date, end: date) -> int:
    return (end - start).days


def _agency(data: AgendaData, code: str | None) -> str:
    """The name of an agency ref: "KT:VHS-BA" names that provider, "JC" the region's Jobcenter."""
    if not code:
        return "–"
    kind, _, specific = code.partition(":")
    if specific:
        return data.agency_names.get(specific, specific)
    spec = data.model.agencies.get(kind)
    return data.agency_names.get(kind) or (spec.label if spec else kind)


def _responsible(data: AgendaData, step: Mapping[str, Any] | None) -> str:
    if not step:
        return "–"
    return ", ".join(_agency(data, ref) for ref in step.get("responsible", []))


def _due(step: Mapping[str, Any] | None) -> date | None:
    return date.fromisoformat(step["due"]) if step and step.get("due") else None


def _label(data: AgendaData, value_set: str, key: Any) -> str:
    if key is None:
        return "–"
    values = data.model.value_sets.get(value_set)
    return values.values.get(str(key), str(key)) if values else str(key)


def _course_type(data: AgendaData, key: Any) -> str:
    spec = data.model.course_types.get(str(key)) if key else None
    return spec.label if spec else (str(key) if key else "–")


def _most_first(counts: Mapping[str, Counter[str]], key: str | None = None) -> list[tuple[str, Counter[str]]]:
    """Places by their count (`key`, else all counts together), the largest first, then by name:
    an agenda lists the few places that need most."""
    return sorted(counts.items(), key=lambda item: (-(item[1][key] if key else item[1].total()), item[0]))


def _by_date_then_person(rows: Iterable[tuple[date, list[str]]]) -> list[list[str]]:
    """Table rows keyed by a date, earliest first, ties by the first cell (the person)."""
    return [row for _, row in sorted(rows, key=lambda item: (item[0], item[1][0]))]


def one_table(rows: list[list[str]], *, summary: str, title: str, headers: list[str], empty: str) -> ItemResult:
    """The common agenda item: one table, counted by its rows."""
    return ItemResult(count=len(rows), summary=summary, sections=[Section(title, headers, rows, empty)])


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# --------------------------------------------------------------------------- 1 action items


@query("open_action_items")
def open_action_items(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    open_items = sorted((a for a in data.actions if a.status == "open"), key=lambda a: (a.due, a.id))
    rows = []
    for action in open_items:
        late = _days(action.due, data.as_of)
        state = f"überfällig seit {_plural(late, 'Tag', 'Tagen')}" if late > 0 else "offen"
        rows.append([action.title, action.owner, _d(action.due), state, _d(action.meeting_date)])
    done = [a for a in data.actions if a.status == "closed" and a.closed_on and a.closed_on >= data.since]
    closed_rows = [[a.title, a.owner, _d(a.closed_on), a.closed_by or "–", a.closed_note or ""] for a in done]
    escalated = _escalations(data)
    summary = f"{_plural(len(open_items), 'offene Aufgabe', 'offene Aufgaben')}, {len(done)} seit der letzten Sitzung erledigt, {_plural(len(escalated), 'eskalierte Frist', 'eskalierte Fristen')}"
    return ItemResult(
        count=len(open_items),
        summary=summary,
        sections=[
            Section(
                "Offene Aufgaben",
                ["Aufgabe", "Zuständig", "Frist", "Stand", "Aus Sitzung vom"],
                rows,
                "Keine offenen Aufgaben.",
                complete=True,
            ),
            Section(
                "Seit der letzten Sitzung erledigt",
                ["Aufgabe", "Zuständig", "Erledigt am", "Von", "Vermerk"],
                closed_rows,
                "Nichts erledigt.",
                complete=True,
            ),
            Section(
                "Eskalierte Fristen",
                ["Person", "Schritt", "Fällig seit", "Zuständig"],
                escalated,
                "Keine eskalierten Fristen.",
            ),
        ],
    )


def _escalations(data: AgendaData) -> list[list[str]]:
    rules: dict[str, ReminderRule] = {step.id: step.reminders for step in data.model.steps.values()}
    rows: list[tuple[date, list[str]]] = []
    #: the level depends only on the step and its due date, which thousands of persons share
    escalated: dict[tuple[str, date], bool] = {}
    for person in data.persons:
        for step in person.steps:
            due = _due(step)
            rule = rules.get(step["step"])
            if due is None or rule is None or due >= data.as_of:
                continue
            key = (step["step"], due)
            if key not in escalated:
                probe = OpenStep(step["step"], step["label"], (AgencyRef("KOM"),), due, due, "", True, 0, "", rule)
                escalated[key] = reminder_level(probe, data.as_of, data.calendar) == "escalated"
            if escalated[key]:
                rows.append((due, [person.label, step["label"], _d(due), _responsible(data, step)]))
    return _by_date_then_person(rows)


# --------------------------------------------------------------------------- 2 new entitlements


@query("new_entitlements")
def new_entitlements(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    """New entitlements and obligations since the last meeting, counted by the agency that issued
    them (what each agency reports at the table); the obliged without registration by person,
    the longest obliged first (§ 7 Abs. 2 IntV)."""
    since = data.since
    issued: dict[str, Counter[str]] = defaultdict(Counter)
    for person in data.persons:
        facts = person.facts
        if facts.get("entitled_on") and facts["entitled_on"] >= since:
            issued[_agency(data, facts.get("entitled_by"))]["entitlements"] += 1
        if facts.get("obliged_on") and facts["obliged_on"] >= since:
            issued[_agency(data, facts.get("obliged_by"))]["obligations"] += 1
    entitled = sum(c["entitlements"] for c in issued.values())
    obliged = sum(c["obligations"] for c in issued.values())
    persons = sum(
        1
        for p in data.persons
        if any(p.facts.get(fact) and p.facts[fact] >= since for fact in ("entitled_on", "obliged_on"))
    )
    new_rows = [[agency, str(c["entitlements"]), str(c["obligations"])] for agency, c in _most_first(issued)]
    waiting = []
    for person in data.persons:
        if person.stage in data.model.stages_tagged("awaiting_registration") and person.facts.get("obliged_on"):
            step = person.step("registration_proof")
            waiting.append(
                (
                    person.facts["obliged_on"],
                    [
                        person.label,
                        _agency(data, person.facts.get("obliged_by")),
                        _d(person.facts["obliged_on"]),
                        str(_days(person.facts["obliged_on"], data.as_of)),
                        _d(_due(step)),
                    ],
                )
            )
    waiting_rows = [row for _, row in sorted(waiting, key=lambda item: (item[0], item[1][0]))]
    return ItemResult(
        count=persons,
        summary=f"{entitled} neue Berechtigungen und {obliged} neue Verpflichtungen seit {_d(since)}; {len(waiting_rows)} Verpflichtete ohne Anmeldung",
        sections=[
            Section(
                f"Neu seit {_d(since)} nach ausstellender Stelle",
                ["Stelle", "Neue Berechtigungen", "Neue Verpflichtungen"],
                new_rows,
                "Keine neuen Berechtigungen oder Verpflichtungen.",
                complete=True,
            ),
            Section(
                "Verpflichtet, aber nicht angemeldet",
                ["Person", "Verpflichtet durch", "Am", "Tage", "Anmeldenachweis fällig"],
                waiting_rows,
                "Alle Verpflichteten sind angemeldet.",
            ),
        ],
    )


# --------------------------------------------------------------------------- 3 lapsing


@query("lapsing_entitlements", weeks=8)
def lapsing_entitlements(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    horizon = data.as_of + timedelta(weeks=int(params["weeks"]))
    rows = []
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("awaiting_registration"):
            continue
        step = person.step("entitlement_lapse")
        due = _due(step)
        if due is None or due > horizon:
            continue
        lapsed = due < data.as_of
        state = "verfallen – erfassen" if lapsed else f"in {_plural(_days(data.as_of, due), 'Tag', 'Tagen')}"
        rows.append(
            (
                (lapsed, due),
                [person.label, data.model.stage_label(person.stage), _d(due), state, _responsible(data, step)],
            )
        )
    # a lapse still to be prevented before one that happened and is only to be recorded
    ordered = [row for _, row in sorted(rows, key=lambda item: (item[0], item[1][0]))]
    gone = sum(1 for (lapsed, _due_on), _row in rows if lapsed)
    return one_table(
        ordered,
        summary=f"{_plural(len(ordered), 'Berechtigung verfällt', 'Berechtigungen verfallen')} bis {_d(horizon)} ohne Anmeldung"
        + (f", davon {gone} schon verfallen, aber nicht erfasst" if gone else ""),
        title="Verfall droht",
        headers=["Person", "Stufe", "Verfällt am", "Stand", "Zuständig"],
        empty="Keine Berechtigung verfällt in diesem Zeitraum.",
    )


# --------------------------------------------------------------------------- 4 waiting


@query("waiting_for_course")
def waiting_for_course(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    rows = []
    priority = 0
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("awaiting_start"):
            continue
        step = person.step("course_start")
        due = _due(step)
        if due is None or due >= data.as_of:
            continue
        since = person.facts.get("assigned_on") or person.facts.get("registered_on") or person.stage_since
        weeks = _days(since, data.as_of) // 7
        jc = person.facts.get("obliged_by") == "JC"
        priority += jc
        rows.append(
            (
                since,
                [
                    person.label,
                    _agency(data, f"KT:{person.facts.get('provider')}"),
                    _d(since),
                    f"{weeks} Wochen",
                    "Jobcenter (Vorrang)"
                    if jc
                    else _agency(data, person.facts.get("obliged_by"))
                    if person.facts.get("obliged_by")
                    else "–",
                ],
            )
        )
    ordered = _by_date_then_person(rows)
    return one_table(
        ordered,
        summary=f"{_plural(len(ordered), 'Person wartet', 'Personen warten')} länger als {data.model.duration('course_start_max_wait').label_de()} auf den Kursbeginn, davon {priority} vom Jobcenter verpflichtet",
        title="Neuzuweisung prüfen",
        headers=["Person", "Kursträger", "Angemeldet am", "Wartezeit", "Verpflichtet durch"],
        empty="Niemand wartet länger als die Höchstfrist.",
    )


# --------------------------------------------------------------------------- 5 course planning


@query("course_planning", months=3, proposals=0)
def course_planning(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    """The overall course list of the coming months, courses below their minimum with the fill
    proposal, demand by place; with `proposals: N` also the gaps and the proposal of new courses
    for the next N months (the Jour fixe's item 5 of DOMAIN.md)."""
    horizon = add_months(data.as_of, int(params["months"]))
    formats = {
        "full_time": "Vollzeit",
        "part_time": "Teilzeit",
        "evening": "Abendkurs",
        "childcare": "mit Kinderbetreuung",
        "online": "Online/hybrid",
    }
    upcoming = sorted(
        (
            c
            for c in data.courses
            if c.kind == "ik" and not c.cancelled and c.start and data.as_of <= c.start <= horizon
        ),
        key=lambda c: (c.start or data.as_of, c.provider_name, c.code),
    )  # the soonest first: an agenda lists the next few to start
    rows = []
    below = []
    for course in upcoming:
        free = max(course.capacity - course.enrolled, 0)
        small = course.enrolled < course.min_size
        rows.append(
            [
                course.provider_name,
                course.code,
                _course_type(data, course.course_type),
                formats.get(course.format, course.format),
                course.site,
                _d(course.start),
                str(course.capacity),
                str(course.enrolled),
                str(free),
            ]
        )
        if small:
            below.append(
                [
                    course.provider_name,
                    course.code,
                    _course_type(data, course.course_type),
                    _d(course.start),
                    f"{course.enrolled} von mindestens {course.min_size}",
                ]
            )
    demand: dict[str, Counter[str]] = defaultdict(Counter)
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("awaiting_course"):
            continue
        place = person.location or "unbekannt"
        course_type = person.facts.get("course_type")
        demand[place]["literacy"] += person.literacy or course_type == "literacy"
        demand[place]["youth"] += person.youth or course_type == "youth"
        demand[place]["parents"] += person.childcare or course_type == "parents_women"
        demand[place]["part_time"] += person.part_time
        demand[place]["waiting"] += 1
    demand_rows = [
        [place, str(c["waiting"]), str(c["literacy"]), str(c["youth"]), str(c["parents"]), str(c["part_time"])]
        for place, c in _most_first(demand, "waiting")
    ]
    free_total = sum(max(c.capacity - c.enrolled, 0) for c in upcoming)
    summary = f"{_plural(len(upcoming), 'Kurs beginnt', 'Kurse beginnen')} bis {_d(horizon)} mit {free_total} freien Plätzen; {len(below)} unter der Mindestgröße"
    below_sections = [
        Section(
            "Kurse unter der Mindestgröße",
            ["Träger", "Kurs", "Kursart", "Beginn", "Anmeldungen"],
            below,
            "Alle Kurse erreichen die Mindestgröße.",
        )
    ]
    fill = _fill_sections(data, [c for c in upcoming if c.enrolled < c.min_size]) if below else None
    if fill is not None:
        summary = f"{summary}, {fill[0]}"
        below_sections = fill[1]
    proposal = _proposals(data, int(params["proposals"])) if params["proposals"] else None
    if proposal is not None:
        summary = f"{summary}. {proposal.summary}"
    return ItemResult(
        count=len(upcoming),
        summary=summary,
        sections=[
            Section(
                "Kursbeginne (Gesamtkursliste)",
                [
                    "Träger",
                    "Kurs",
                    "Kursart",
                    "Format",
                    "Ort",
                    "Beginn",
                    "Plätze",
                    "Angemeldet",
                    "Frei",
                ],
                rows,
                "Keine Kursbeginne geplant.",
            ),
            *below_sections,
            Section(
                "Bedarf nach Ort (Wartende)",
                ["Ort", "Wartende", "Alphabetisierung", "Jugendkurs", "Eltern/Kinderbetreuung", "Teilzeit/Abend"],
                demand_rows,
                "Niemand wartet auf einen Kurs.",
            ),
            *(proposal.sections if proposal is not None else ()),
        ],
    )


def _fill_sections(data: AgendaData, below: list[CourseInfo]) -> tuple[str, list[Section]] | None:
    """The fill proposal for the courses below their minimum (the web's "Kurse auffüllen"
    computes the same, with the running courses as well): summary and two tables."""
    if data.fill is None:
        return None
    view = data.fill()
    labels = {person.ref: person.label for person in data.persons}
    proposed = {row.code: row for row in view.courses}
    courses = []
    for course in below:
        row = proposed.get(course.code)
        result = (
            "beginnt heute: kein Auffüllen mehr"
            if row is None
            else "erreicht"
            if row.reaches
            else row.note or "bleibt darunter"
        )
        courses.append(
            [
                course.provider_name,
                course.code,
                _course_type(data, course.course_type),
                course.site,
                _d(course.start),
                f"{course.enrolled} + {row.joining if row else 0} von mindestens {course.min_size}",
                result,
            ]
        )
    picks = [
        [labels.get(pick.ref, pick.ref), pick.course, _d(pick.start), _d(pick.waiting_since)] for pick in view.picks
    ]
    summary = (
        f"{view.reached} {'erreicht' if view.reached == 1 else 'erreichen'} sie mit "
        f"{_plural(len(picks), 'vorgeschlagenen Zuweisung', 'vorgeschlagenen Zuweisungen')} aus den Wartenden"
    )
    return summary, [
        Section(
            "Kurse unter der Mindestgröße – Vorschlag zum Auffüllen (Empfehlung an BAMF und Kursträger)",
            ["Träger", "Kurs", "Kursart", "Ort", "Beginn", "Anmeldungen + Vorschlag", "Ergebnis"],
            courses,
            "Alle kommenden Kurse erreichen die Mindestgröße.",
        ),
        Section(
            "Vorgeschlagene Zuweisungen (das BAMF weist zu)",
            ["Person", "Kurs", "Beginn", "wartet seit"],
            picks,
            "Keine Zuweisung vorgeschlagen.",
        ),
    ]


# --------------------------------------------------------------------------- 6 placement tests


@query("placement_tests")
def placement_tests(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    waiting: dict[str, list[Person]] = defaultdict(list)
    recent: Counter[str] = Counter()
    for person in data.persons:
        facts = person.facts
        if person.stage in data.model.stages_tagged("awaiting_registration") and not facts.get("placement_tested_on"):
            waiting[person.location or "unbekannt"].append(person)
        tested = facts.get("placement_tested_on")
        if tested and tested >= data.since:
            recent[_course_type(data, facts.get("course_type"))] += 1
    rows = []
    for place, people in sorted(waiting.items(), key=lambda item: (-len(item[1]), item[0])):
        oldest = max(
            _days(p.facts.get("entitled_on") or p.facts.get("obliged_on") or p.stage_since, data.as_of) for p in people
        )
        rows.append(
            [place, str(len(people)), str(sum(1 for p in people if p.facts.get("obliged_on"))), f"{oldest} Tage"]
        )
    recent_rows = [[name, str(count)] for name, count in sorted(recent.items())]
    total = sum(len(people) for people in waiting.values())
    summary = f"{_plural(total, 'Person wartet', 'Personen warten')} auf die Einstufung; {sum(recent.values())} seit der letzten Sitzung eingestuft"
    sections = [
        Section(
            "Wartend auf Einstufung",
            ["Ort", "Wartende", "davon verpflichtet", "Längste Wartezeit"],
            rows,
            "Niemand wartet auf einen Einstufungstest.",
        ),
        Section(f"Eingestuft seit {_d(data.since)}", ["Kursart", "Anzahl"], recent_rows, "Keine Einstufungen."),
    ]
    if data.testing is not None:
        view = data.testing()
        if view.missing:
            summary += f". {view.missing}"
        else:
            booked = sum(d.booked for d in view.dates)
            proposed = sum(d.proposed for d in view.dates)
            seats = sum(d.capacity for d in view.dates)
            summary += (
                f"; {_plural(len(view.dates), 'zentraler Testtermin', 'zentrale Testtermine')} bis {_d(view.dates[-1].day) if view.dates else '–'}, "
                f"{booked} von {seats} Plätzen vergeben, {proposed} weitere Einplanungen vorgeschlagen"
            )
            sections.append(
                Section(
                    "Nächste zentrale Einstufungstests (Rotation laut Kooperationsvereinbarung)",
                    ["Datum", "Gastgeber", "Ort", "Eingeplant", "Vorgeschlagen", "Hinweis"],
                    [
                        [
                            f"{_d(d.day)}, {d.time} Uhr",
                            d.host_name,
                            d.site_name,
                            f"{d.booked} von {d.capacity}",
                            str(d.proposed),
                            f"verschoben vom {_d(d.nominal)} ({', '.join(d.moved_because)})" if d.moved_because else "",
                        ]
                        for d in view.dates
                    ],
                    "Keine Termine im Zeitraum.",
                )
            )
    return ItemResult(count=total, summary=summary, sections=sections)


# --------------------------------------------------------------------------- course proposals


@query("course_proposals", months=6)
def course_proposals(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    """Where the demand is not covered and where new courses should start (a proposal of the
    planning programme for the network's decision): counts and courses, no person."""
    return _proposals(data, int(params["months"])) or ItemResult(
        summary="Kein Vorschlag: die Kursplanung ist hier nicht verfügbar."
    )


def _proposals(data: AgendaData, months: int) -> ItemResult | None:
    """The region's last stored course proposal, said with its date and whether the agreement
    changed since; `months` is what a fresh one covers (the stored one says its own)."""
    if data.proposals is None:
        return None
    view, version = data.proposals(months)
    if view is None:
        return ItemResult(
            summary="Noch kein Vorschlag neuer Kursbeginne berechnet (Seite „Planung“ oder "
            f"„foerderkette planning proposals --region {data.region_code}“)."
        )
    if view.missing:
        return ItemResult(summary=view.missing)
    when = f"Vorschlag aus den Daten vom {_d(view.as_of)} für {view.months} Monate"
    if view.version != version:
        when += f" – veraltet: die Kooperationsvereinbarung ist seitdem geändert (jetzt Fassung {version})"
    slots = COURSE_SLOTS
    rows = [
        [
            _d(r.start),
            r.provider_name,
            _course_type(data, r.course_type),
            r.site,
            slots.get(r.slot, r.slot),
            str(r.participants),
            str(r.within_target),
        ]
        for r in view.rows
    ]
    gaps = [
        [m, _course_type(data, t) + (" (Teilzeit/Abend)" if pt else ""), str(n), why]
        for m, t, pt, n, why in view.unserved[:15]
    ]
    if len(view.unserved) > 15:  # the largest gaps by name, the rest as one sum
        rest = view.unserved[15:]
        gaps.append([f"{len(rest)} weitere kleinere Lücken", "", str(sum(row[3] for row in rest)), ""])
    return ItemResult(
        count=len(view.rows),
        summary=(
            f"{when}: {view.waiting} warten, mit den im Zeitraum Erwarteten {view.demand}; bestehende Kurse und "
            f"Startplan nehmen {view.served_existing} auf. {view.message}"
        ),
        sections=[
            Section(
                "Vorgeschlagene neue Kursbeginne (zur Entscheidung im Netzwerk)",
                ["Beginn", "Kursträger", "Kursart", "Kursort", "Zeit", "Teilnehmende", "davon binnen 6 Wochen"],
                rows,
                "Kein neuer Kurs nötig oder möglich.",
            ),
            Section(
                "Bedarfslücken: ohne Platz im Zeitraum, auch mit den Vorschlägen",
                ["Gemeinde", "Kursart", "Personen", "Grund"],
                gaps,
                "Keine Lücke.",
            ),
        ],
    )


# --------------------------------------------------------------------------- 7 improper participation


@query("improper_participation")
def improper_participation(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    pending = []
    handled = []
    for person in data.persons:
        facts = person.facts
        reported = facts.get("absence_reported_on")
        if not reported or not facts.get("obliged_by"):
            continue
        followed = facts.get("absence_followed_up_on")
        if followed is None or followed < reported:
            step = person.step("absence_followup")
            pending.append(
                (
                    reported,
                    [
                        person.label,
                        _agency(data, facts["obliged_by"]),
                        _d(reported),
                        str(facts.get("absence_days_total") or "–"),
                        _d(_due(step)),
                    ],
                )
            )
        elif followed >= data.since:
            handled.append(
                [
                    person.label,
                    _agency(data, facts["obliged_by"]),
                    _label(data, "absence_measure", facts.get("absence_measure")),
                    _d(followed),
                ]
            )
    rows = [row for _, row in sorted(pending, key=lambda item: (item[0], item[1][0]))]
    return ItemResult(
        count=len(rows),
        summary=f"{_plural(len(rows), 'Meldung wartet', 'Meldungen warten')} auf die verpflichtende Stelle; {len(handled)} seit der letzten Sitzung bearbeitet",
        sections=[
            Section(
                "Offene Meldungen",
                ["Person", "Verpflichtet durch", "Gemeldet am", "Fehltage gesamt", "Bearbeitung fällig"],
                rows,
                "Keine offenen Meldungen.",
            ),
            Section(
                "Vereinbarte Schritte seit der letzten Sitzung",
                ["Person", "Stelle", "Maßnahme", "Am"],
                sorted(handled),
                "Keine.",
            ),
        ],
    )


# --------------------------------------------------------------------------- 8 interruptions


@query("interruptions", warn_weeks=8)
def interruptions(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    warn = data.as_of + timedelta(weeks=int(params["warn_weeks"]))
    rows = []
    near = 0
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("paused"):
            continue
        due = _due(person.step("interruption_lapse"))
        close = due is not None and due <= warn
        near += close
        rows.append(
            (
                due or data.as_of,
                [
                    person.label,
                    _d(person.facts.get("interrupted_on")),
                    _label(data, "interruption_reason", person.facts.get("interruption_reason")),
                    _d(due),
                    "ja" if close else "",
                ],
            )
        )
    ordered = _by_date_then_person(rows)
    return ItemResult(
        count=near,
        summary=f"{_plural(len(ordered), 'Unterbrechung', 'Unterbrechungen')}, davon {near} mit Verfall bis {_d(warn)}",
        sections=[
            Section(
                "Unterbrochene Kurse",
                ["Person", "Unterbrochen seit", "Grund", "Verfall am", "Verfall naht"],
                ordered,
                "Keine Unterbrechungen.",
            )
        ],
    )


# --------------------------------------------------------------------------- 9 courses ending


@query("courses_ending", months=3)
def courses_ending(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    horizon = add_months(data.as_of, int(params["months"]))
    rows = []
    unplanned = 0
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("attending"):
            continue
        end = person.facts.get("course_end_planned") or _due(person.step("graduate_management"))
        if end is None or end > horizon:
            continue
        path = person.facts.get("followup_path")
        unplanned += path is None
        rows.append(
            (
                end,
                [
                    person.label,
                    _agency(data, f"KT:{person.facts.get('provider')}") if person.facts.get("provider") else "–",
                    _d(end),
                    _label(data, "followup_path", path) if path else "offen",
                ],
            )
        )
    ordered = _by_date_then_person(rows)
    return one_table(
        ordered,
        summary=f"{_plural(len(ordered), 'Person beendet', 'Personen beenden')} den Kurs bis {_d(horizon)}, {unplanned} davon ohne Anschlussplanung",
        title="Absolventenmanagement",
        headers=["Person", "Kursträger", "Kursende", "Anschluss"],
        empty="Kein Kurs endet in diesem Zeitraum.",
    )


# --------------------------------------------------------------------------- 10 test results


@query("test_results")
def test_results(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    pass_points = data.model.int_param("lid_pass_points")
    rows = []
    levels: Counter[str] = Counter()
    for person in data.persons:
        facts = person.facts
        tested = facts.get("test_date")
        if not tested or tested < data.since:
            continue
        level = facts.get("dtz_level")
        levels[str(level)] += 1
        points = facts.get("lid_points")
        certificate = level == "B1" and points is not None and points >= pass_points
        if level == "B1":
            next_step = "Anschluss (Berufssprachkurs B2, Arbeit, Ausbildung)"
        elif facts.get("repetition_used"):
            next_step = "Spezial-Berufssprachkurs (Wiederholung genutzt)"
        else:
            next_step = "Wiederholung (bis 300 UE) oder Spezial-Berufssprachkurs"
        rows.append(
            (
                tested,
                [
                    person.label,
                    _label(data, "dtz_level", level),
                    str(points) if points is not None else "–",
                    "ja" if certificate else "nein",
                    next_step,
                ],
            )
        )
    ordered = _by_date_then_person(rows)
    return one_table(
        ordered,
        summary=f"{_plural(len(ordered), 'Prüfungsergebnis', 'Prüfungsergebnisse')} seit {_d(data.since)}: {levels['B1']} × B1, {levels['A2']} × A2, {levels['below_A2']} × unter A2",
        title="Ergebnisse",
        headers=["Person", "DTZ", "LiD-Punkte", "Zertifikat", "Nächster Schritt"],
        empty="Keine neuen Prüfungsergebnisse.",
    )


# --------------------------------------------------------------------------- 11 Berufssprachkurse


@query("berufssprachkurse")
def berufssprachkurse(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    waiting = []
    late = 0
    started: Counter[str] = Counter()  # by module: the starts since the last meeting are counted
    for person in data.persons:
        facts = person.facts
        if person.stage in data.model.stages_tagged("awaiting_bsk_start"):
            registered = facts.get("bsk_registered_on") or person.stage_since
            due = _due(person.step("bsk_start"))
            overdue = due is not None and due < data.as_of
            late += overdue
            waiting.append(
                (
                    registered,
                    [
                        person.label,
                        _label(data, "bsk_level", facts.get("bsk_level")),
                        _agency(data, facts.get("bsk_issuer")),
                        _agency(data, f"KT:{facts.get('bsk_provider')}") if facts.get("bsk_provider") else "–",
                        _d(registered),
                        "ja" if overdue else "",
                    ],
                )
            )
        if facts.get("bsk_started_on") and facts["bsk_started_on"] >= data.since:
            started[_label(data, "bsk_level", facts.get("bsk_level"))] += 1
    ordered = [row for _, row in sorted(waiting, key=lambda item: (item[0], item[1][0]))]
    return ItemResult(
        count=len(ordered),
        summary=f"{_plural(len(ordered), 'Anmeldung', 'Anmeldungen')} zu Berufssprachkursen, davon {late} nach vier Wochen nicht begonnen; {started.total()} Beginne seit der letzten Sitzung",
        sections=[
            Section(
                "Angemeldet, noch nicht begonnen",
                ["Person", "Modul", "Berechtigung durch", "Träger", "Angemeldet am", "Länger als 4 Wochen"],
                ordered,
                "Keine offenen Anmeldungen.",
            ),
            Section(
                f"Begonnen seit {_d(data.since)} nach Modul",
                ["Modul", "Beginne"],
                [[module, str(count)] for module, count in sorted(started.items())],
                "Keine neuen Beginne.",
                complete=True,
            ),
        ],
    )


# --------------------------------------------------------------------------- 12 childcare, transport


@query("childcare_transport")
def childcare_transport(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    places: dict[str, Counter[str]] = defaultdict(Counter)
    for person in data.persons:
        if person.stage not in data.model.stages_tagged("awaiting_course"):
            continue
        counts = places[person.location or "unbekannt"]
        counts["childcare"] += person.childcare
        counts["limited"] += person.transport_reach == "limited"
        counts["none"] += person.transport_reach == "none"
    rows = [
        [place, str(c["childcare"]), str(c["limited"]), str(c["none"])]
        for place, c in _most_first(places)
        if sum(c.values())
    ]
    childcare = sum(c["childcare"] for c in places.values())
    transport = sum(c["limited"] + c["none"] for c in places.values())
    return ItemResult(
        count=childcare + transport,
        summary=f"{childcare} Wartende brauchen Kinderbetreuung, {transport} erreichen Kursorte schlecht mit dem ÖPNV",
        sections=[
            Section(
                "Wartende nach Ort",
                ["Ort", "Kinderbetreuung", "ÖPNV eingeschränkt", "ÖPNV keine"],
                rows,
                "Keine Probleme gemeldet.",
            )
        ],
    )


# --------------------------------------------------------------------------- 13 figures


#: the key figures an agenda shows (figures.definitions), in this order
AGENDA_FIGURES = (
    "waiting_time",
    "access_time",
    "completion_rate",
    "dtz_results",
    "lid_passes",
    "transitions_6m",
    "transitions_12m",
)


def figure_cases(data: AgendaData) -> list[Case]:
    """The agenda's persons as the key figures see them (no reference, no name): their facts and
    the earliest open step with who must act on it."""
    cases = []
    for person in data.persons:
        due_steps = [step for step in person.steps if step.get("due")]
        first = min(due_steps, key=lambda step: step["due"]) if due_steps else None
        cases.append(
            Case(
                stage=person.stage,
                facts=person.facts,
                next_due=date.fromisoformat(first["due"]) if first else None,
                next_agencies=tuple(first.get("responsible", ())) if first else (),
            )
        )
    return cases


@query("figures", months=12)
def figures(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    """The key figures with their definitions, the change since the last meeting and a line of
    the last twelve months each – the same definitions as the dashboard (figures/)."""
    months = int(params["months"])
    cases = figure_cases(data)
    ctx = Context.of(data.model, data.as_of, data.agency_names)
    before = Context.of(data.model, data.since, data.agency_names)
    now_obs = [observe(case, ctx) for case in cases]
    before_obs = [observe(case, before) for case in cases]
    period = Period.months_back(data.as_of, months)
    earlier = Period.months_back(data.since, months)
    courses = [
        CourseRecord(c.provider_name, c.course_type, c.capacity, c.enrolled, c.start, c.end_date, c.cancelled)
        for c in data.courses
        if c.kind == "ik"
    ]
    result = []
    for key in AGENDA_FIGURES:
        value = figure(key, now_obs, period, ctx)
        previous = figure(key, before_obs, earlier, before)
        line = [month.number for month in trend(key, now_obs, ctx, 12)]
        result.append(
            Figure(
                value.name,
                value.text,
                value.definition,
                value.basis_text,
                change=change_text(FIGURES[key], value.number, previous.number),
                chart=sparkline(f"{key}-trend", f"{value.name}: Verlauf der letzten 12 Monate", line),
            )
        )
    # figures of the state on the day: today's open steps and enrolments say nothing about the
    # state at the last meeting, so they stand without a change
    for state in (overdue(now_obs, ctx), course_fill(courses, ctx)):
        result.append(Figure(state.name, state.text, state.definition, state.basis_text))
    since = "der letzten Sitzung" if data.previous_meeting else "vier Wochen"
    return ItemResult(
        count=len(result),
        summary=f"Kennzahlen für {period.label}; Änderung gegenüber dem Stand {since} ({_d(data.since)})",
        figures=result,
    )


# --------------------------------------------------------------------------- 14 next meeting


@query("next_meeting")
def next_meeting(data: AgendaData, params: Mapping[str, Any]) -> ItemResult:
    upcoming = data.next_meeting
    if upcoming is None:
        return ItemResult(summary="Kein weiterer Termin geplant.")
    when = f"{upcoming['weekday']}, {_d(upcoming['date'])}, {upcoming['time']} Uhr"
    where = f", {upcoming['location']}" if upcoming["location"] else ""
    return ItemResult(count=1, summary=f"Nächste Sitzung: {when}{where}")

"""Realistic synthetic data: Bavarian regions with their agencies and contacts, course providers and
courses of every type, and participants whose histories are played through the process engine,
so every stage, history row and due date is one the real process produces.

Deterministic for a seed and an as-of date.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col
from sqlmodel import select as model_select

from checklists.repository import (
    add_action,
    add_decision,
    close_action,
    meeting_for_month,
    record_attendance,
    save_series,
)
from checklists.tables import MeetingSeries
from foerderkette.demo_data import CONTACT_FIRST, CONTACT_LAST, FIRST_NAMES, LAST_NAMES, PROVIDERS, REGIONS
from foerderkette.users import MIN_PASSWORD
from pipeline.bulk import bulk_insert
from pipeline.database import table_of, utcnow
from pipeline.steps_cache import steps_columns
from pipeline.tables import Agency, Contact, Course, Enrollment, Participant, Region, StageChange
from process_models import Event, ModelCatalog, ParticipantState, ProcessModel, advance, new_state, open_steps
from process_models.durations import add_months

Progress = Callable[[int, int], None]

#: How demo participants spread over the stages (weights).
TARGET_STAGES: tuple[tuple[str, int], ...] = (
    ("recorded", 4),
    ("entitled", 7),
    ("obliged", 7),
    ("placement_tested", 5),
    ("registered", 12),
    ("in_course", 24),
    ("interrupted", 3),
    ("in_exam", 4),
    ("completed", 7),
    ("dropped_out", 3),
    ("lapsed", 2),
    ("followup_planned", 4),
    ("bsk_registered", 3),
    ("in_bsk", 5),
    ("bsk_completed", 2),
    ("in_measure", 3),
    ("measure_completed", 1),
    ("in_training", 1),
    ("employed", 2),
    ("closed", 1),
)

#: Days already spent in the final stage, as (min, max), per target stage.
ELAPSED: dict[str, tuple[int, int]] = {
    "recorded": (0, 50),
    "entitled": (0, 370),
    "obliged": (0, 40),
    "placement_tested": (0, 35),
    "registered": (0, 70),
    "interrupted": (5, 330),
    "in_exam": (0, 50),
    "completed": (0, 50),
    "dropped_out": (10, 300),
    "lapsed": (10, 300),
    "followup_planned": (0, 100),
    "bsk_registered": (0, 40),
    "in_bsk": (0, 170),
    "bsk_completed": (0, 45),
    "in_measure": (0, 110),
    "measure_completed": (0, 40),
    "in_training": (10, 300),
    "employed": (10, 300),
    "closed": (10, 300),
}

COURSE_WEEKS = {
    "general": 28,
    "youth": 40,
    "parents_women": 40,
    "literacy": 42,
    "remedial": 40,
    "second_script": 38,
    "intensive": 18,
}
COURSE_TYPE_WEIGHTS = (
    ("general", 55),
    ("literacy", 13),
    ("parents_women", 10),
    ("youth", 8),
    ("intensive", 6),
    ("remedial", 4),
    ("second_script", 4),
)


_CHUNK = 2000


class DemoError(RuntimeError):
    pass


@dataclass
class DemoSummary:
    regions: int = 0
    agencies: int = 0
    contacts: int = 0
    courses: int = 0
    participants: int = 0
    stage_changes: int = 0
    meetings: int = 0
    seconds: float = 0.0
    users: list[str] = field(default_factory=list)
    by_stage: dict[str, int] = field(default_factory=dict)


@dataclass
class _RegionContext:
    region_id: int
    code: str
    seat: str
    postcode_prefix: str
    providers: list[str]
    bsk_providers: list[str]


@dataclass
class _Case:
    """One simulated participant: events in order, and what they chose along the way."""

    events: list[tuple[date, Event]] = field(default_factory=list)
    provider: str = ""
    course_type: str = "general"


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in options], weights=[weight for _, weight in options])[0]


def _monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _course_start(day: date, course_type: str) -> date:
    """The provider's next course start on or after `day`: first Monday of the month (general and
    literacy courses) or of the quarter (the less frequent special formats)."""
    every = 1 if course_type in ("general", "literacy") else 3
    year, month = day.year, day.month
    while True:
        if (month - 1) % every == 0:
            start = _monday(date(year, month, 1))
            if start >= day:
                return start
        month += 1
        if month == 13:
            year, month = year + 1, 1


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-", ".": "", "(": "", ")": "", "/": "-"})
    return text.lower().translate(table).replace("--", "-")


class _Simulator:
    """Plays one participant's history forward through the engine."""

    def __init__(self, rng: random.Random, model: ProcessModel, ctx: _RegionContext, as_of: date) -> None:
        self.rng = rng
        self.model = model
        self.ctx = ctx
        self.as_of = as_of

    def plan(self, target: str) -> tuple[list[tuple[str, dict[str, Any], str | None, int]], _Case]:
        """Events as (name, payload, actor, days after the previous event)."""
        rng = self.rng
        case = _Case(provider=rng.choice(self.ctx.providers), course_type=_weighted(rng, COURSE_TYPE_WEIGHTS))
        steps: list[tuple[str, dict[str, Any], str | None, int]] = []
        entry = rng.random()
        if target in ("entitled", "lapsed"):
            # entitled without obligation: an obligation does not lapse (§ 44a Abs. 1a AufenthG)
            entry = 0.5 + entry * 0.5
        elif target == "obliged":
            entry = entry * 0.5  # obliged by the Jobcenter or the ABH
        if entry < 0.35:
            steps += [
                ("entitlement_confirmed", {"issued_by": "JC"}, "JC", 0),
                ("obligation_imposed", {"obliged_by": "JC", "basis": "aufenthg_44a_1_2"}, "JC", rng.randint(0, 3)),
            ]
        elif entry < 0.5:
            steps += [
                ("obligation_imposed", {"obliged_by": "ABH", "basis": "aufenthg_44a_1_1"}, "ABH", 0),
                ("entitlement_confirmed", {"issued_by": "ABH"}, "ABH", rng.randint(0, 2)),
            ]
        elif entry < 0.85:
            steps.append(("entitlement_confirmed", {"issued_by": "ABH"}, "ABH", 0))
        else:
            steps.append(("admission_granted", {"asylum": rng.random() < 0.3}, "BAMF", 0))
        if target in ("recorded",):
            return [], case
        if target in ("entitled", "obliged"):
            return steps, case
        if target == "lapsed":
            return [*steps, ("lapsed", {"reason": "entitlement_expired"}, "ABH", rng.randint(330, 380))], case
        steps.append(
            (
                "placement_tested",
                {"course_type": case.course_type, "start_module": 1 if rng.random() < 0.8 else rng.randint(2, 4)},
                "KT",
                rng.randint(5, 35),
            )
        )
        if target == "placement_tested":
            return steps, case
        steps.append(("registered", {"provider": case.provider}, "KT", rng.randint(0, 21)))
        if target == "registered":
            return steps, case
        if target == "dropped_out" and rng.random() < 0.3:
            return [
                *steps,
                ("dropped_out", {"reason": rng.choice(["moved", "no_contact", "work"])}, "KT", rng.randint(10, 60)),
            ], case
        weeks = COURSE_WEEKS[case.course_type]
        steps.append(("course_started", {}, "KT", rng.randint(10, 75)))
        if target == "in_course":
            return steps, case
        if target == "interrupted":
            return [
                *steps,
                (
                    "interrupted",
                    {"reason": rng.choice(["pregnancy", "illness", "work", "care"])},
                    "KT",
                    rng.randint(20, weeks * 5),
                ),
            ], case
        if target == "dropped_out":
            return [
                *steps,
                (
                    "dropped_out",
                    {"reason": rng.choice(["moved", "no_contact", "work", "illness"])},
                    "KT",
                    rng.randint(20, weeks * 5),
                ),
            ], case
        third = weeks * 7 // 3
        steps += [
            ("module_completed", {"module": 2, "hours": 200}, "KT", third),
            ("module_completed", {"module": 4, "hours": 200}, "KT", third),
            ("module_completed", {"module": 6, "hours": 200, "final": True}, "KT", weeks * 7 - 2 * third),
        ]
        if target == "in_exam":
            return steps, case
        level = _weighted(rng, (("B1", 60), ("A2", 40)))
        steps.append(
            (
                "test_result",
                {"dtz_level": level, "lid_points": rng.randint(15, 33) if level == "B1" else rng.randint(6, 30)},
                "KT",
                rng.randint(7, 30),
            )
        )
        if target == "completed":
            return steps, case
        path = {
            "employed": "work",
            "in_training": "training",
            "in_measure": "measure",
            "measure_completed": "measure",
            "closed": "other",
        }.get(target, "bsk")
        steps.append(("followup_planned", {"path": path}, "JC", rng.randint(7, 50)))
        if target in ("followup_planned", "closed"):
            if target == "closed":
                steps.append(
                    (
                        "case_closed",
                        {"reason": rng.choice(["moved_away", "no_contact", "no_need"])},
                        "KOM",
                        rng.randint(30, 200),
                    )
                )
            return steps, case
        if target in ("bsk_registered", "in_bsk", "bsk_completed"):
            issuer = rng.choice(["JC", "AA"])
            bsk_level = "B2" if level == "B1" else "special_A2_B1"
            steps.append(
                (
                    "bsk_registered",
                    {"level": bsk_level, "issued_by": issuer, "provider": rng.choice(self.ctx.bsk_providers)},
                    issuer,
                    rng.randint(5, 40),
                )
            )
            if target == "bsk_registered":
                return steps, case
            steps.append(("bsk_started", {}, "KT", rng.randint(10, 45)))
            if target == "in_bsk":
                return steps, case
            return [
                *steps,
                (
                    "bsk_completed",
                    {"result": _weighted(rng, (("passed", 70), ("failed", 20), ("no_test", 10)))},
                    "KT",
                    rng.randint(150, 200),
                ),
            ], case
        if target in ("in_measure", "measure_completed"):
            agency = rng.choice(["JC", "AA"])
            kind = _weighted(rng, (("activation", 70), ("eq", 30)))
            steps.append(("measure_started", {"type": kind, "agency": agency}, agency, rng.randint(10, 60)))
            if target == "in_measure":
                return steps, case
            return [
                *steps,
                ("measure_completed", {"result": "completed"}, agency, rng.randint(42, 300 if kind == "eq" else 90)),
            ], case
        event = "training_started" if target == "in_training" else "employment_started"
        return [
            *steps,
            (
                event,
                {
                    "employer": rng.choice(
                        [
                            "Brose Fahrzeugteile",
                            "Bosch",
                            "Klinikum",
                            "Schaeffler",
                            "Pflegedienst Sonnenhof",
                            "Bäckerei Seidl",
                        ]
                    )
                },
                "JC",
                rng.randint(14, 90),
            ),
        ], case

    def run(self, target: str, birth_year: int) -> tuple[ParticipantState, list[tuple[date, Event, str]], _Case]:
        steps, case = self.plan(target)
        low, high = ELAPSED.get(target, (0, 30))
        if target == "in_course":
            low, high = 0, COURSE_WEEKS[case.course_type] * 7 - 5
        elapsed = self.rng.randint(low, high)
        total = (
            sum(gap for *_, gap in steps) + elapsed + (7 if any(name == "course_started" for name, *_ in steps) else 0)
        )
        day = self.as_of - timedelta(days=total)
        state = new_state(self.model, on=day, facts={"birth_year": birth_year})
        history: list[tuple[date, Event, str]] = []
        for name, payload, actor, gap in steps:
            day = day + timedelta(days=gap)
            payload = dict(payload)
            if name == "course_started":
                day = _course_start(day, case.course_type)
                end = day + timedelta(weeks=COURSE_WEEKS[case.course_type])
                payload.update(
                    course_id=f"{case.provider}-{case.course_type[:3].upper()}-{day:%y%m%d}", planned_end=end
                )
            elif name == "bsk_started":
                day = _monday(day)
                payload["planned_end"] = day + timedelta(weeks=26)
            elif name == "registered":
                payload["expected_start"] = _course_start(
                    day + timedelta(days=self.rng.randint(7, 40)), case.course_type
                )
            elif name == "entitlement_confirmed" and "title_issued_on" not in payload and self.rng.random() < 0.5:
                payload["title_issued_on"] = day - timedelta(days=self.rng.randint(0, 60))
            elif name == "measure_started":
                months = 9 if payload["type"] == "eq" else 3
                payload["planned_end"] = day + timedelta(days=30 * months)
            day = min(day, self.as_of)
            event = Event(name, payload, by=actor)
            state = advance(state, event, at=day, model=self.model).state
            history.append((day, event, state.stage))
        return state, history, case


def _region_contexts(rng: random.Random, regions: list[Region], seats: dict[str, str]) -> list[_RegionContext]:
    contexts = []
    for region in regions:
        assert region.id is not None
        providers = [
            f"{prefix}-{region.code.removeprefix('BY-')}" for prefix, _ in rng.sample(PROVIDERS, rng.randint(2, 4))
        ]
        contexts.append(
            _RegionContext(
                region_id=region.id,
                code=region.code,
                seat=seats[region.code],
                postcode_prefix=str(rng.randint(83, 97)),
                providers=providers,
                bsk_providers=providers[:2],
            )
        )
    return contexts


def _agencies(rng: random.Random, region: Region, ctx: _RegionContext) -> list[tuple[Agency, list[Contact]]]:
    short = region.code.removeprefix("BY-")
    domain = f"{_slug(ctx.seat)}.example"
    specs = [
        ("ABH", f"ABH-{short}", f"Ausländerbehörde – {region.name}"),
        ("JC", f"JC-{short}", f"Jobcenter {ctx.seat}"),
        ("AA", f"AA-{short}", f"Agentur für Arbeit {ctx.seat}"),
        ("SOZ", f"SOZ-{short}", f"Sozialamt – {region.name}"),
        ("BAMF", f"BAMF-{short}", f"BAMF Regionalkoordination ({ctx.seat})"),
        ("MBE", f"MBE-{short}", f"Migrationsberatung für Erwachsene {ctx.seat}"),
        ("JMD", f"JMD-{short}", f"Jugendmigrationsdienst {ctx.seat}"),
        ("KOM", f"KOM-{short}", f"{region.name} – Integration und Bildungskoordination"),
    ]
    provider_names = dict(PROVIDERS)
    for code in ctx.providers:
        prefix = code.split("-", 1)[0]
        specs.append(("KT", code, provider_names[prefix].format(seat=ctx.seat)))
    result = []
    for type_, code, name in specs:
        agency = Agency(region_id=ctx.region_id, code=code, type=type_, name=name)
        contacts = []
        roles = (
            ["coordinator", "lead"] if type_ == "KOM" else ["case_worker", "case_worker", "lead"][: rng.randint(2, 3)]
        )
        names = rng.sample([(first, last) for first in CONTACT_FIRST for last in CONTACT_LAST], len(roles))
        for role, (first, last) in zip(roles, names, strict=True):
            email = f"{_slug(first)}.{_slug(last)}@{_slug(code)}.{domain}"
            contacts.append(Contact(agency_id=0, name=f"{first} {last}", email=email, role=role))
        result.append((agency, contacts))
    return result


def generate_demo(
    *,
    engine: Engine,
    catalog: ModelCatalog,
    participants: int,
    regions: int,
    seed: int,
    as_of: date,
    replace: bool = False,
    progress: Progress | None = None,
    login_password: str | None = None,
) -> DemoSummary:
    """Write a complete demo data set in one transaction (nothing on failure)."""
    if not 1 <= regions <= len(REGIONS):
        raise DemoError(
            f"--regions muss zwischen 1 und {len(REGIONS)} liegen (so viele bayerische Regionen kennt die Demo)"
        )
    if participants < 0:
        raise DemoError("--participants darf nicht negativ sein")
    if login_password is not None and len(login_password) < MIN_PASSWORD:
        raise DemoError(f"--login-password muss mindestens {MIN_PASSWORD} Zeichen haben")
    started = time.perf_counter()
    rng = random.Random(seed)
    summary = DemoSummary()
    chosen = REGIONS[:regions]
    seats = {code: seat for code, _, seat in chosen}
    with Session(engine) as session, session.begin():
        regions_t, participants_t, agencies_t, courses_t = (table_of(t) for t in (Region, Participant, Agency, Course))
        existing = session.execute(
            select(regions_t.c.id, regions_t.c.code).where(regions_t.c.code.in_([code for code, *_ in chosen]))
        ).all()
        if existing and not replace:
            raise DemoError(
                f"Die Datenbank enthält bereits Demo-Regionen ({', '.join(str(code) for _, code in existing[:5])} …). "
                "Mit --replace werden sie samt aller Daten ersetzt."
            )
        if existing:
            session.execute(delete(regions_t).where(regions_t.c.id.in_([rid for rid, _ in existing])))
        region_rows = [Region(code=code, name=name, land="BY") for code, name, _ in chosen]
        session.add_all(region_rows)
        session.flush()
        contexts = _region_contexts(rng, region_rows, seats)
        for region, ctx in zip(region_rows, contexts, strict=True):
            for agency, contacts in _agencies(rng, region, ctx):
                session.add(agency)
                session.flush()
                for contact in contacts:
                    contact.agency_id = agency.id  # type: ignore[assignment]
                session.add_all(contacts)
                summary.agencies += 1
                summary.contacts += len(contacts)
        session.flush()
        weights = [rng.uniform(0.6, 1.6) for _ in contexts]
        counts = [int(participants * weight / sum(weights)) for weight in weights]
        counts[0] += participants - sum(counts)
        model_of = {ctx.code: catalog.current(ctx.code, land="BY") for ctx in contexts}
        cohorts: dict[str, dict[str, Any]] = {}
        enrollments: list[tuple[int, int, str, date]] = []
        now = utcnow()
        done = 0
        stage_names = [name for name, _ in TARGET_STAGES]
        stage_weights = [weight for _, weight in TARGET_STAGES]
        connection = session.connection()
        history_t = table_of(StageChange)
        for ctx, count in zip(contexts, counts, strict=True):
            model = model_of[ctx.code]
            simulator = _Simulator(rng, model, ctx, as_of)
            for chunk_start in range(1, count + 1, _CHUNK):
                rows: list[dict[str, Any]] = []
                histories: list[tuple[str, list[tuple[date, Event, str]]]] = []
                pending: list[tuple[str, str, date]] = []
                for number in range(chunk_start, min(count, chunk_start + _CHUNK - 1) + 1):
                    ref = f"{ctx.code}-{number:05d}"
                    target = rng.choices(stage_names, weights=stage_weights)[0]
                    birth_year = as_of.year - rng.randint(18, 62)
                    state, history, case = simulator.run(target, birth_year)
                    rows.append(_participant_row(rng, ref, ctx, state, model, as_of, birth_year, now))
                    histories.append((ref, history))
                    _collect_courses(ctx, case, state, cohorts, pending, ref, as_of)
                    summary.by_stage[state.stage] = summary.by_stage.get(state.stage, 0) + 1
                bulk_insert(connection, participants_t, rows)
                refs = [row["ref"] for row in rows]
                ids: dict[str, int] = dict(
                    connection.execute(
                        select(participants_t.c.ref, participants_t.c.id).where(participants_t.c.ref.in_(refs))
                    ).all()
                )
                history_rows = _history_rows(histories, ids, model.version, now)
                bulk_insert(connection, history_t, history_rows)
                enrollments.extend((ctx.region_id, ids[ref], code, day) for ref, code, day in pending)
                summary.participants += len(rows)
                summary.stage_changes += len(history_rows)
                done += len(rows)
                if progress:
                    progress(done, participants)
        _add_planned_courses(rng, contexts, cohorts, as_of)
        region_ids = [c.region_id for c in contexts]
        provider_ids: dict[str, int] = dict(
            session.execute(
                select(agencies_t.c.code, agencies_t.c.id).where(agencies_t.c.region_id.in_(region_ids))
            ).all()
        )
        course_rows = [
            {**{k: v for k, v in cohort.items() if k != "provider"}, "provider_id": provider_ids[cohort["provider"]]}
            for cohort in cohorts.values()
        ]
        if course_rows:
            bulk_insert(connection, courses_t, course_rows)
        course_ids = {
            (rid, code): cid
            for cid, rid, code in session.execute(
                select(courses_t.c.id, courses_t.c.region_id, courses_t.c.code).where(
                    courses_t.c.region_id.in_(region_ids)
                )
            )
        }
        enrollment_rows = [
            {
                "course_id": course_ids[(region_id, code)],
                "participant_id": participant_id,
                "enrolled_on": day,
                "left_on": None,
            }
            for region_id, participant_id, code, day in enrollments
            if (region_id, code) in course_ids
        ]
        if enrollment_rows:
            bulk_insert(connection, table_of(Enrollment), enrollment_rows)
        summary.courses = len(course_rows)
        summary.regions = len(region_rows)
        for region, ctx in zip(region_rows, contexts, strict=True):
            summary.meetings += _meetings(session, rng, region, ctx, model_of[ctx.code], as_of)
        if login_password:
            summary.users = _demo_users(session, region_rows[0], login_password)
    summary.seconds = time.perf_counter() - started
    return summary


#: Web UI accounts of the demo: username, display name, role, agency type (first of that type in the region).
DEMO_USERS = (
    ("koordination", "Koordination (Demo)", "coordinator", None),
    ("jobcenter", "Jobcenter (Demo)", "agency", "JC"),
    ("kurstraeger", "Kursträger (Demo)", "agency", "KT"),
    ("lesen", "Nur lesen (Demo)", "readonly", None),
)


def _demo_users(session: Session, region: Region, password: str) -> list[str]:
    from foerderkette.users import UserError, create_user  # noqa: PLC0415 - argon2 only when asked for

    agencies = session.exec(model_select(Agency).where(Agency.region_id == region.id).order_by(col(Agency.code))).all()
    created = []
    for username, name, role, agency_type in DEMO_USERS:
        agency = next((item for item in agencies if item.type == agency_type), None) if agency_type else None
        try:
            create_user(
                session=session,
                username=username,
                display_name=name,
                password=password,
                role=role,
                region=region,
                agency=agency,
            )
        except UserError as exc:
            raise DemoError(f"Demo-Benutzer {username}: {exc}") from None
        created.append(username)
    return created


def _history_rows(
    histories: list[tuple[str, list[tuple[date, Event, str]]]], ids: dict[str, int], version: str, now: Any
) -> list[dict[str, Any]]:
    rows = []
    for ref, history in histories:
        previous = "recorded"
        for day, event, stage in history:
            rows.append(
                {
                    "participant_id": ids[ref],
                    "occurred_on": day,
                    "recorded_at": now,
                    "event": event.name,
                    "from_stage": previous,
                    "to_stage": stage,
                    "by_agency": event.by,
                    "by_user": "demo",
                    "note": None,
                    "payload": {
                        key: (value.isoformat() if isinstance(value, date) else value)
                        for key, value in event.payload.items()
                    },
                    "model_version": version,
                }
            )
            previous = stage
    return rows


def _participant_row(
    rng: random.Random,
    ref: str,
    ctx: _RegionContext,
    state: ParticipantState,
    model: ProcessModel,
    as_of: date,
    birth_year: int,
    now: Any,
) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    age = as_of.year - birth_year
    row = {
        "region_id": ctx.region_id,
        "ref": ref,
        "last_name": last,
        "first_name": first,
        "birth_year": birth_year,
        "email": f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@mail.example" if rng.random() < 0.7 else None,
        "phone": f"0151 {rng.randint(1000000, 9999999)}" if rng.random() < 0.8 else None,
        "postcode": f"{ctx.postcode_prefix}{rng.randint(100, 999)}",
        "location": ctx.seat,
        "childcare": state.facts.get("course_type") == "parents_women" or rng.random() < 0.2,
        "part_time": rng.random() < 0.2,
        "literacy": state.facts.get("course_type") == "literacy" or rng.random() < 0.05,
        # Jugendintegrationskurs: under 27 (§ 13 Abs. 1 Nr. 1 IntV)
        "youth": age < 27 and rng.random() < 0.5,
        "transport_reach": _weighted(rng, (("good", 60), ("limited", 30), ("none", 10))),
        "model_version": state.model_version,
        "stage": state.stage,
        "stage_since": state.stage_since,
        "state": state.to_json(),
        "created_at": now,
        "updated_at": now,
    }
    row.update(steps_columns(open_steps(state, today=as_of, model=model), state=state, today=as_of, model=model))
    return row


def _collect_courses(
    ctx: _RegionContext,
    case: _Case,
    state: ParticipantState,
    cohorts: dict[str, dict[str, Any]],
    enrollments: list[tuple[str, str, date]],
    ref: str,
    as_of: date,
) -> None:
    """Courses come from the participants' own course starts (cohorts); registered people join upcoming ones."""
    facts = state.facts
    course_id = facts.get("course_id")
    if course_id and facts.get("course_started_on"):
        start = facts["course_started_on"]
        cohort = cohorts.setdefault(
            course_id, _course(ctx, course_id, case.provider, "ik", case.course_type, start, start)
        )
        cohort["end_date"] = facts.get("course_end_planned") or cohort["end_date"]
        if state.stage in ("in_course",):
            enrollments.append((ref, course_id, start))
    elif state.stage == "registered" and facts.get("expected_start") and facts["expected_start"] >= as_of:
        start = facts["expected_start"]
        code = f"{case.provider}-{case.course_type[:3].upper()}-{start:%y%m%d}"
        cohorts.setdefault(code, _course(ctx, code, case.provider, "ik", case.course_type, start, None))
        enrollments.append((ref, code, facts["registered_on"]))
    if facts.get("bsk_started_on") and facts.get("bsk_provider"):
        start = facts["bsk_started_on"]
        code = f"{facts['bsk_provider']}-BSK-{facts.get('bsk_level', 'B2')}-{start:%y%m%d}"
        cohorts.setdefault(
            code, _course(ctx, code, facts["bsk_provider"], "bsk", facts.get("bsk_level", "B2"), start, start)
        )


def _course(
    ctx: _RegionContext, code: str, provider: str, kind: str, course_type: str, planned: date, actual: date | None
) -> dict[str, Any]:
    weeks = COURSE_WEEKS.get(course_type, 26)
    capacity = 16 if course_type == "literacy" else 25
    return {
        "region_id": ctx.region_id,
        "code": code,
        "provider": provider,
        "kind": kind,
        "course_type": course_type,
        "format": "childcare" if course_type == "parents_women" else "full_time",
        "site": ctx.seat,
        "postcode": f"{ctx.postcode_prefix}001",
        "planned_start": planned,
        "actual_start": actual,
        "end_date": planned + timedelta(weeks=weeks),
        "capacity": capacity,
        "min_size": 10 if course_type == "literacy" else 15,
        "cancelled": False,
    }


def _meetings(
    session: Session, rng: random.Random, region: Region, ctx: _RegionContext, model: ProcessModel, as_of: date
) -> int:
    """The region's meeting series, last month's Jour fixe with minutes, and its action items."""
    assert region.id is not None
    agencies = list(
        session.exec(model_select(Agency).where(Agency.region_id == region.id).order_by(col(Agency.id))).all()
    )
    agency_ids = [agency.id for agency in agencies]
    contacts = list(
        session.exec(
            model_select(Contact).where(col(Contact.agency_id).in_(agency_ids)).order_by(col(Contact.id))
        ).all()
    )
    by_type = {agency.type: agency for agency in agencies}

    def contact_of(kind: str, role: str) -> Contact:
        agency = by_type[kind]
        return next(c for c in contacts if c.agency_id == agency.id and c.role == role)

    coordinator = contact_of("KOM", "coordinator")
    invited = [agency_id for agency_id in agency_ids if agency_id is not None]
    start = date(as_of.year - 1, as_of.month, 1)
    slug = _slug(ctx.seat)
    series = [
        MeetingSeries(
            region_id=region.id,
            name="Jour fixe Integrationskurs",
            kind="jourfixe",
            rrule="FREQ=MONTHLY;BYDAY=1TU",
            starts=start,
            start_time="09:30",
            duration_minutes=120,
            location=f"Landratsamt {ctx.seat}, Sitzungssaal 2",
            video_link=f"https://konferenz.{slug}.example/jourfixe" if rng.random() < 0.5 else "",
            invited_agencies=invited,
            chair_contact_id=coordinator.id,
            minute_keepers=[
                c.id
                for c in (coordinator, contact_of("JC", "case_worker"), contact_of("ABH", "case_worker"))
                if c.id is not None
            ],
        ),
        MeetingSeries(
            region_id=region.id,
            name="Netzwerktreffen Integration",
            kind="network",
            rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE",
            starts=start,
            start_time="14:00",
            duration_minutes=150,
            location=f"Bürgerhaus {ctx.seat}",
            invited_agencies=invited,
            chair_contact_id=coordinator.id,
        ),
        MeetingSeries(
            region_id=region.id,
            name="Integrationskonferenz",
            kind="konferenz",
            rrule="FREQ=MONTHLY;INTERVAL=6;BYDAY=3TH",
            starts=start,
            start_time="10:00",
            duration_minutes=240,
            location=f"Landratsamt {ctx.seat}, Großer Saal",
            invited_agencies=invited,
            chair_contact_id=coordinator.id,
        ),
    ]
    for item in series:
        save_series(session=session, series=item)
    last_month = add_months(as_of.replace(day=1), -1)
    meeting = meeting_for_month(
        session=session, series=series[0], year=last_month.year, month=last_month.month, model=model
    )
    for agency in agencies:
        if agency.type != "SOZ":
            record_attendance(session=session, meeting=meeting, agency=agency, present=rng.random() < 0.85)
    add_decision(
        session=session,
        meeting=meeting,
        item_key="waiting",
        text="Das BAMF prüft die Neuzuweisung aller seit mehr als acht Wochen Wartenden.",
        recorded_by=coordinator.name,
    )
    add_decision(
        session=session,
        meeting=meeting,
        item_key="course_planning",
        text="Ein zusätzlicher Alphabetisierungskurs mit Kinderbetreuung wird für das nächste Quartal geplant.",
        recorded_by=coordinator.name,
    )
    meeting_day = meeting.starts_at.date()
    provider = next(a for a in agencies if a.type == "KT")
    actions = [
        (
            "Liste der Verpflichteten ohne Anmeldung abgleichen und Anmeldenachweise anfordern",
            by_type["JC"],
            meeting_day + timedelta(days=14),
        ),
        (
            f"Termin für einen Alphabetisierungskurs mit Kinderbetreuung melden ({provider.name})",
            provider,
            as_of + timedelta(days=10),
        ),
        (
            "Fahrtkostenübernahme für Teilnehmende ohne ÖPNV-Anbindung klären",
            by_type["KOM"],
            as_of + timedelta(days=30),
        ),
        (
            "Zentrale Einstufungstermine für das nächste Quartal veröffentlichen",
            by_type["KOM"],
            meeting_day + timedelta(days=7),
        ),
    ]
    for index, (title, owner, due) in enumerate(actions):
        action = add_action(
            session=session,
            region=region,
            meeting=meeting,
            item_key="action_items",
            title=title,
            owner=owner,
            contact=None,
            due=due,
        )
        if index == 3:
            close_action(
                session=session,
                region=region,
                action_id=action.id or 0,
                closed_by=coordinator.name,
                note="Termine stehen auf der Website.",
                at=datetime.combine(meeting_day + timedelta(days=5), clock(10), tzinfo=UTC),
            )
    return 1


def _add_planned_courses(
    rng: random.Random, contexts: list[_RegionContext], cohorts: dict[str, dict[str, Any]], as_of: date
) -> None:
    """Upcoming courses without registrations yet: the overall course list has free places."""
    for ctx in contexts:
        for provider in ctx.providers:
            for _ in range(rng.randint(1, 3)):
                course_type = _weighted(rng, COURSE_TYPE_WEIGHTS)
                start = _course_start(as_of + timedelta(days=rng.randint(7, 100)), course_type)
                code = f"{provider}-{course_type[:3].upper()}-{start:%y%m%d}"
                course = cohorts.setdefault(code, _course(ctx, code, provider, "ik", course_type, start, None))
                course["format"] = _weighted(
                    rng, (("full_time", 55), ("part_time", 25), ("evening", 10), ("childcare", 10))
                )

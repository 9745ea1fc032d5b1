"""Realistic synthetic data: Bavarian regions with their agencies and contacts, course providers and
courses of every type, and participants whose histories are played through the process engine,
so every stage, history row and due date is one the real process produces.

Deterministic for a seed and an as-of date.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
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
from foerderkette.demo_data import (
    CONTACT_FIRST,
    CONTACT_LAST,
    COURSE_SITES,
    FIRST_NAMES,
    LAST_NAMES,
    MUNICIPALITIES,
    PROVIDERS,
    REGIONS,
)
from foerderkette.passwords import WeakPassword, check_password
from pipeline.bulk import bulk_insert
from pipeline.database import table_of, utcnow
from pipeline.steps_cache import steps_columns
from pipeline.tables import Agency, Contact, Course, Enrollment, Participant, Region, StageChange
from process_models import (
    Event,
    ModelCatalog,
    ParticipantState,
    ProcessModel,
    advance,
    enrolment_effect,
    new_state,
    open_steps,
)
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
    #: municipalities and course sites of the model regions (foerderkette/demo_places/)
    places: int = 0
    #: people booked into central placement tests of the demo agreements
    placement_bookings: int = 0
    seconds: float = 0.0
    users: list[str] = field(default_factory=list)
    by_stage: dict[str, int] = field(default_factory=dict)
    #: the figures that show the data looks like a real Landkreis: (label, value, what is expected)
    figures: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _RegionContext:
    region_id: int
    code: str
    seat: str
    providers: list[str]
    bsk_providers: list[str]
    #: where people live: (municipality, postcode or None, weight)
    places: list[tuple[str, str | None, int]] = field(default_factory=list)
    #: each provider's course sites (municipality, postcode or None) and the course types it offers
    sites: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    offers: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class _Case:
    """One simulated participant: what they chose along the way, and their course."""

    provider: str = ""
    course_type: str = "general"
    #: the provider registered with first, when the course is with another (change, assignment)
    first_provider: str = ""
    obliged: str | None = None
    level: str | None = None
    benefit: str | None = None
    absence: bool = False
    repeat: bool = False
    #: the course of the participant's cohort: start, code, and how many days earlier the whole
    #: history runs so that it meets that start
    start: date | None = None
    course_code: str = ""
    shift: int = 0
    #: the type of the course attended when the placement's special format did not come about
    attends: str = ""

    @property
    def kind(self) -> str:
        return self.attends or self.course_type


@dataclass
class _Played:
    """A participant's plan and the history played from it."""

    ref: str
    target: str
    birth_year: int
    steps: list[Step]
    state: ParticipantState
    history: list[tuple[date, Event, str]]
    case: _Case
    days: int


#: Event plan rows: (event, payload, recording agency, days after the previous event).
Step = tuple[str, dict[str, Any], str | None, int]
#: Placeholders in a plan's payload: the provider of the participant's course, and the one first
#: registered with.
COURSE, FIRST = "$course", "$first"
#: Obliged share (BAMF statistics: about two thirds of new participants are obliged).
OBLIGED_SHARE = 0.67
#: DTZ results of those who take the test (BAMF Integrationskursgeschäftsstatistik: about 49 % B1,
#: 41 % A2, 10 % below A2), and the share who leave without taking it.
DTZ_RESULTS = (("B1", 49), ("A2", 41), ("below_A2", 10))
NOT_TESTED = 0.15
EMPLOYERS = ("Brose Fahrzeugteile", "Bosch", "Klinikum", "Schaeffler", "Pflegedienst Sonnenhof", "Bäckerei Seidl")


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

    def _entry(self, target: str) -> list[Step]:
        """Entitlement and obligation: about two thirds are obliged (Jobcenter, Ausländerbehörde,
        Sozialamt), the Jobcenter also records the benefit status."""
        rng = self.rng
        entry = rng.random()
        if target in ("entitled", "lapsed"):
            # entitled without obligation: an obligation does not lapse (§ 44a Abs. 1a AufenthG)
            entry = OBLIGED_SHARE + entry * (1 - OBLIGED_SHARE)
        elif target == "obliged":
            entry = entry * OBLIGED_SHARE
        steps: list[Step] = []
        if entry < 0.40:
            steps += [
                ("entitlement_confirmed", {"issued_by": "JC", "valid_until": "+1y"}, "JC", 0),
                ("obligation_imposed", {"obliged_by": "JC", "basis": "aufenthg_44a_1_2"}, "JC", rng.randint(0, 3)),
                ("benefit_status_recorded", {"status": "sgb2"}, "JC", rng.randint(0, 5)),
            ]
            if rng.random() < 0.12:  # the Ausländerbehörde obliges as well; both lists are reconciled
                steps.append(
                    (
                        "obligation_imposed",
                        {"obliged_by": "ABH", "basis": "aufenthg_44a_1_1"},
                        "ABH",
                        rng.randint(3, 20),
                    )
                )
                if rng.random() < 0.6:
                    steps.append(("obligations_reconciled", {}, "JC", rng.randint(2, 12)))
        elif entry < 0.60:
            steps += [
                ("obligation_imposed", {"obliged_by": "ABH", "basis": "aufenthg_44a_1_1"}, "ABH", 0),
                ("entitlement_confirmed", {"issued_by": "ABH"}, "ABH", rng.randint(0, 2)),
            ]
            status = _weighted(rng, (("sgb2", 45), ("sgb3", 10), ("none", 45)))
            steps.append(
                (
                    "benefit_status_recorded",
                    {"status": status},
                    "JC" if status == "sgb2" else "AA" if status == "sgb3" else "MBE",
                    rng.randint(3, 30),
                )
            )
        elif entry < OBLIGED_SHARE:
            steps += [
                ("entitlement_confirmed", {"issued_by": "SOZ", "valid_until": "+1y"}, "SOZ", 0),
                ("obligation_imposed", {"obliged_by": "SOZ", "basis": "aufenthg_44a_1_4"}, "SOZ", rng.randint(0, 5)),
                ("benefit_status_recorded", {"status": "asylblg"}, "SOZ", rng.randint(0, 5)),
            ]
        elif entry < 0.90:
            steps.append(("entitlement_confirmed", {"issued_by": "ABH"}, "ABH", 0))
            if rng.random() < 0.6:
                status = _weighted(rng, (("sgb2", 40), ("sgb3", 15), ("none", 45)))
                steps.append(("benefit_status_recorded", {"status": status}, "MBE", rng.randint(5, 40)))
        else:
            steps.append(("admission_granted", {"asylum": rng.random() < 0.3}, "BAMF", 0))
            if rng.random() < 0.5:
                steps.append(("benefit_status_recorded", {"status": "asylblg"}, "SOZ", rng.randint(5, 40)))
        if target in ("entitled", "recorded") and rng.random() < 0.08:
            # an obligation taken back (§ 44a Abs. 1a AufenthG): the person stays entitled
            steps = [
                ("entitlement_confirmed", {"issued_by": "ABH"}, "ABH", 0),
                ("obligation_imposed", {"obliged_by": "ABH", "basis": "aufenthg_44a_1_1"}, "ABH", rng.randint(0, 5)),
                ("obligation_revoked", {}, "ABH", rng.randint(14, 60)),
            ]
        return steps

    def _course(self, case: _Case, target: str) -> list[Step]:
        """Placement test, registration (sometimes a provider change or a BAMF assignment before the
        start), the course with its sections, absence reports and the test."""
        rng = self.rng
        steps: list[Step] = [
            (
                "placement_tested",
                {"course_type": case.course_type, "start_module": 1 if rng.random() < 0.8 else rng.randint(2, 4)},
                "KT",
                rng.randint(5, 35),
            )
        ]
        if target == "placement_tested":
            return steps
        switch = rng.random() if len(self.ctx.providers) > 1 and target != "registered" else 1.0
        if switch < 0.06:
            # waited past the six weeks: the BAMF assigns another provider (§ 7 Abs. 4-5 IntV)
            steps += [
                ("registered", {"provider": FIRST}, "KT", rng.randint(0, 21)),
                ("assigned", {"provider": COURSE}, "BAMF", rng.randint(43, 60)),
            ]
        elif switch < 0.11:
            reason = _weighted(rng, (("moved", 40), ("schedule", 25), ("childcare", 20), ("work", 15)))
            steps += [
                ("registered", {"provider": FIRST}, "KT", rng.randint(0, 21)),
                ("provider_changed", {"provider": COURSE, "reason": reason}, "KT", rng.randint(5, 25)),
            ]
        else:
            steps.append(("registered", {"provider": COURSE}, "KT", rng.randint(0, 21)))
        if target == "registered":
            return steps
        if target == "dropped_out" and rng.random() < 0.3:
            return [
                *steps,
                ("dropped_out", {"reason": rng.choice(["moved", "no_contact", "work"])}, "KT", rng.randint(10, 60)),
            ]
        weeks = COURSE_WEEKS[case.course_type]
        steps.append(("course_started", {}, "KT", rng.randint(10, 40)))
        if target == "in_course":
            return steps
        if target == "interrupted":
            reason = rng.choice(["pregnancy", "illness", "work", "care"])
            return [*steps, ("interrupted", {"reason": reason}, "KT", rng.randint(20, weeks * 5))]
        if target == "dropped_out":
            reason = rng.choice(["moved", "no_contact", "work", "illness"])
            return [*steps, ("dropped_out", {"reason": reason}, "KT", rng.randint(20, weeks * 5))]
        third = weeks * 7 // 3
        second = third
        steps.append(("module_completed", {"module": 2, "hours": 200}, "KT", third))
        if case.obliged and rng.random() < 0.25:
            # unexcused absence reported to the obliging agency, which follows it up (§ 8 Abs. 3 IntV)
            reported = rng.randint(5, third // 2)
            handled = rng.randint(3, 14)
            measure = _weighted(rng, (("conversation", 50), ("warning", 35), ("fee_notice", 10), ("none", 5)))
            steps += [
                ("absence_reported", {"days": rng.randint(3, 15)}, "KT", reported),
                ("absence_followed_up", {"measure": measure}, case.obliged, handled),
            ]
            second = max(1, third - reported - handled)
        proper = target == "repeat" or rng.random() < 0.9
        steps += [
            ("module_completed", {"module": 4, "hours": 200}, "KT", second),
            (
                "module_completed",
                {"module": 6, "hours": 200, "final": True, "proper": proper},
                "KT",
                weeks * 7 - 2 * third,
            ),
        ]
        if target == "in_exam":
            return steps
        if target == "repeat":
            case.level = _weighted(rng, (("A2", 70), ("below_A2", 30)))
            lid = rng.randint(6, 30)
            return [*steps, ("test_result", {"dtz_level": case.level, "lid_points": lid}, "KT", rng.randint(7, 30))]
        if target != "completed" and rng.random() < NOT_TESTED:
            case.level = None  # left the course without taking the test
            return steps
        case.level = _weighted(rng, DTZ_RESULTS)
        if target == "completed" and case.level == "below_A2":
            case.level = "A2"
        lid = rng.randint(15, 33) if case.level == "B1" else rng.randint(6, 30)
        steps.append(("test_result", {"dtz_level": case.level, "lid_points": lid}, "KT", rng.randint(7, 30)))
        return steps

    def plan(self, target: str) -> tuple[list[Step], _Case]:
        """Events as (name, payload, actor, days after the previous event)."""
        rng = self.rng
        case = _Case(provider=rng.choice(self.ctx.providers), course_type=_weighted(rng, COURSE_TYPE_WEIGHTS))
        case.first_provider = rng.choice([p for p in self.ctx.providers if p != case.provider] or self.ctx.providers)
        entry = self._entry(target)
        case.obliged = next((p["obliged_by"] for n, p, *_ in entry if n == "obligation_imposed"), None)
        case.benefit = next((p["status"] for n, p, *_ in entry if n == "benefit_status_recorded"), None)
        if any(name == "obligation_revoked" for name, *_ in entry):
            case.obliged = None
        if target == "recorded":
            return [], case
        if target in ("entitled", "obliged"):
            return entry, case
        if target == "lapsed":
            return [*entry, ("lapsed", {"reason": "entitlement_expired"}, "ABH", rng.randint(330, 380))], case
        steps = entry + self._course(case, target)
        if target in ("placement_tested", "registered", "in_exam", "interrupted", "dropped_out", "completed"):
            return steps, case
        if target == "in_course" and rng.random() < 0.05:
            # a repetition (up to 300 UE) after proper participation and a missed B1 (§§ 5 Abs. 5,
            # 14 Abs. 6 IntV)
            case.repeat = True
            steps = [
                *entry,
                *self._course(case, "repeat"),
                ("course_started", {"repetition": True, "hours": 300}, "KT", rng.randint(20, 60)),
            ]
            return steps, case
        if target == "in_course" and case.obliged is not None and rng.random() < 0.15:
            case.absence = True
        if target == "in_course":
            return steps, case
        return steps + self._after(case, target), case

    def _after(self, case: _Case, target: str) -> list[Step]:
        rng = self.rng
        path = {
            "employed": "work",
            "in_training": "training",
            "in_measure": "measure",
            "measure_completed": "measure",
            "closed": "other",
        }.get(target, "bsk")
        planner = {"sgb2": "JC", "sgb3": "AA"}.get(case.benefit or "", "MBE")
        steps: list[Step] = [("followup_planned", {"path": path}, planner, rng.randint(7, 50))]
        if target in ("followup_planned", "closed"):
            if target == "closed":
                reason = rng.choice(["moved_away", "no_contact", "no_need"])
                steps.append(("case_closed", {"reason": reason}, "KOM", rng.randint(30, 200)))
            return steps
        if target in ("bsk_registered", "in_bsk", "bsk_completed"):
            issuer = rng.choice(["JC", "AA"])
            bsk_level = "B2" if case.level == "B1" else "special_A2_B1" if case.level == "A2" else "special_A2"
            provider = rng.choice(self.ctx.bsk_providers)
            steps.append(
                (
                    "bsk_registered",
                    {"level": bsk_level, "issued_by": issuer, "provider": provider},
                    issuer,
                    rng.randint(5, 40),
                )
            )
            if target == "bsk_registered":
                return steps
            steps.append(("bsk_started", {}, "KT", rng.randint(10, 45)))
            if target == "in_bsk":
                return steps
            result = _weighted(rng, (("passed", 70), ("failed", 20), ("no_test", 10)))
            return [*steps, ("bsk_completed", {"result": result}, "KT", rng.randint(150, 200))]
        if target in ("in_measure", "measure_completed"):
            agency = rng.choice(["JC", "AA"])
            kind = _weighted(rng, (("activation", 70), ("eq", 30)))
            steps.append(("measure_started", {"type": kind, "agency": agency}, agency, rng.randint(10, 60)))
            if target == "in_measure":
                return steps
            gap = rng.randint(42, 300 if kind == "eq" else 90)
            return [*steps, ("measure_completed", {"result": "completed"}, agency, gap)]
        event = "training_started" if target == "in_training" else "employment_started"
        return [*steps, (event, {"employer": rng.choice(EMPLOYERS)}, "JC", rng.randint(14, 90))]

    def run(
        self, target: str, birth_year: int, plan: tuple[list[Step], _Case] | None = None, *, days: int | None = None
    ) -> tuple[ParticipantState, list[tuple[date, Event, str]], _Case, int]:
        """Play the plan; `days` (the total length, kept when a case is played again in its course's
        cohort) ends it on the as-of date. Returns the state, the history, the case and `days`."""
        steps, case = plan or self.plan(target)
        if days is None:
            low, high = ELAPSED.get(target, (0, 30))
            if target == "in_course":
                low, high = 0, (80 if case.repeat else COURSE_WEEKS[case.course_type] * 7 - 5)
            elapsed = self.rng.randint(low, high)
            days = sum(gap for *_, gap in steps) + elapsed + (7 if any(s[0] == "course_started" for s in steps) else 0)
        day = self.as_of - timedelta(days=days + case.shift)
        state = new_state(self.model, on=day, facts={"birth_year": birth_year})
        history: list[tuple[date, Event, str]] = []
        for name, raw, actor, gap in steps:
            day = day + timedelta(days=gap)
            payload = {
                key: (case.provider if value == COURSE else case.first_provider if value == FIRST else value)
                for key, value in raw.items()
            }
            if name == "course_started" and payload.get("repetition"):
                day = _course_start(day, "general")
                payload["planned_end"] = day + timedelta(weeks=12)
            elif name == "course_started":
                day = case.start or _course_start(day, case.kind)
                payload["planned_end"] = day + timedelta(weeks=COURSE_WEEKS[case.kind])
                if case.course_code:
                    payload["course_id"] = case.course_code
            elif name == "bsk_started":
                day = _course_start(day, "general")  # the provider's monthly start
                payload["planned_end"] = day + timedelta(weeks=26)
            elif name == "registered":
                payload["expected_start"] = case.start or _course_start(
                    day + timedelta(days=self.rng.randint(7, 40)), case.kind
                )
            elif name == "entitlement_confirmed":
                if payload.get("valid_until") == "+1y":
                    payload["valid_until"] = day + timedelta(days=365)
                if "title_issued_on" not in payload and payload["issued_by"] == "ABH" and self.rng.random() < 0.5:
                    payload["title_issued_on"] = day - timedelta(days=self.rng.randint(0, 60))
            elif name == "measure_started":
                months = 9 if payload["type"] == "eq" else 3
                payload["planned_end"] = day + timedelta(days=30 * months)
            day = min(day, self.as_of)
            event = Event(name, payload, by=actor)
            state = advance(state, event, at=day, model=self.model).state
            history.append((day, event, state.stage))
        if state.stage == "in_course" and case.absence:
            day, state = self._open_absence(state, history, day)
        return state, history, case, days

    def _open_absence(
        self, state: ParticipantState, history: list[tuple[date, Event, str]], day: date
    ) -> tuple[date, ParticipantState]:
        """An absence report about someone now in the course, not yet followed up."""
        left = (self.as_of - day).days
        if left <= 20:
            return day, state
        day = min(day + timedelta(days=self.rng.randint(10, left - 5)), self.as_of)
        event = Event("absence_reported", {"days": self.rng.randint(3, 12)}, by="KT")
        state = advance(state, event, at=day, model=self.model).state
        history.append((day, event, state.stage))
        return day, state


def _region_contexts(rng: random.Random, regions: list[Region], seats: dict[str, str]) -> list[_RegionContext]:
    contexts = []
    special = [kind for kind, _ in COURSE_TYPE_WEIGHTS if kind != "general"]
    for region in regions:
        assert region.id is not None
        providers = [
            f"{prefix}-{region.code.removeprefix('BY-')}" for prefix, _ in rng.sample(PROVIDERS, rng.randint(2, 4))
        ]
        seat = seats[region.code]
        places = list(MUNICIPALITIES.get(region.code, ((seat, None, 1),)))
        sites = list(COURSE_SITES.get(region.code, ((seat, None),)))
        ctx = _RegionContext(
            region_id=region.id,
            code=region.code,
            seat=seat,
            providers=providers,
            bsk_providers=providers[:2],
            places=places,
        )
        for number, provider in enumerate(providers):
            # the first provider runs every course type; the others general courses and a few
            # special formats; each teaches at one or two sites of the region
            offers = special if number == 0 else rng.sample(special, rng.randint(1, 3))
            ctx.offers[provider] = ("general", *offers)
            own = [sites[number % len(sites)]]
            if len(sites) > 1 and rng.random() < 0.5:
                own.append(sites[(number + 1) % len(sites)])
            ctx.sites[provider] = own
        contexts.append(ctx)
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
    if login_password is not None:
        try:
            check_password(login_password)
        except WeakPassword as exc:
            raise DemoError(f"--login-password: {exc}") from None
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
        enrollments: list[tuple[int, int, str, date, date | None]] = []
        now = utcnow()
        done = 0
        stage_names = [name for name, _ in TARGET_STAGES]
        stage_weights = [weight for _, weight in TARGET_STAGES]
        connection = session.connection()
        history_t = table_of(StageChange)
        for ctx, count in zip(contexts, counts, strict=True):
            model = model_of[ctx.code]
            simulator = _Simulator(rng, model, ctx, as_of)
            # 1. every history as the participant alone would have it
            played: list[_Played] = []
            for number in range(1, count + 1):
                target = rng.choices(stage_names, weights=stage_weights)[0]
                birth_year = as_of.year - rng.randint(18, 62)
                plan = simulator.plan(target)
                state, history, case, days = simulator.run(target, birth_year, plan)
                played.append(
                    _Played(f"{ctx.code}-{number:05d}", target, birth_year, plan[0], state, history, case, days)
                )
            # 2. courses as providers run them: those wanting to start about the same time form a
            # cohort; 3. the cohort's members play their history again to meet its start
            for index, (provider, start, code, first, kind) in _form_cohorts(rng, ctx, played, as_of, cohorts).items():
                entry = played[index]
                case = entry.case
                case.provider, case.start, case.course_code, case.first_provider = provider, start, code, first
                case.attends = kind if kind != case.course_type else ""
                wanted = entry.state.facts.get("first_course_started_on")
                case.shift = max(0, (wanted - start).days) if wanted else 0
                entry.state, entry.history, entry.case, _ = simulator.run(
                    entry.target, entry.birth_year, (entry.steps, case), days=entry.days
                )
            for chunk_start in range(0, count, _CHUNK):
                chunk = played[chunk_start : chunk_start + _CHUNK]
                rows = [
                    _participant_row(rng, entry.ref, ctx, entry.state, model, as_of, entry.birth_year, now)
                    for entry in chunk
                ]
                bulk_insert(connection, participants_t, rows)
                refs = [row["ref"] for row in rows]
                ids: dict[str, int] = dict(
                    connection.execute(
                        select(participants_t.c.ref, participants_t.c.id).where(participants_t.c.ref.in_(refs))
                    ).all()
                )
                histories = [(entry.ref, entry.history) for entry in chunk]
                history_rows = _history_rows(histories, ids, model.version, now)
                bulk_insert(connection, history_t, history_rows)
                for entry in chunk:
                    summary.by_stage[entry.state.stage] = summary.by_stage.get(entry.state.stage, 0) + 1
                    enrolment = _enrolment(model, entry.case, entry.state, entry.history)
                    if enrolment is not None:
                        enrollments.append((ctx.region_id, ids[entry.ref], *enrolment))
                    _collect_bsk(ctx, entry.state, cohorts)
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
                "left_on": left,
            }
            for region_id, participant_id, code, day, left in enrollments
            if (region_id, code) in course_ids
        ]
        if enrollment_rows:
            bulk_insert(connection, table_of(Enrollment), enrollment_rows)
        summary.courses = len(course_rows)
        summary.regions = len(region_rows)
        for region in region_rows:
            summary.places += _demo_places(session, region, model_of[region.code], as_of)
            summary.placement_bookings += _demo_agreement(session, region, model_of[region.code], as_of)
        for region, ctx in zip(region_rows, contexts, strict=True):
            _demo_offers(session, region, ctx)
            summary.meetings += _meetings(session, rng, region, ctx, model_of[ctx.code], as_of)
        if login_password:
            summary.users = _demo_users(session, region_rows[0], login_password)
        summary.figures = demo_figures(session.connection(), region_ids, as_of)
    summary.seconds = time.perf_counter() - started
    return summary


def _demo_offers(session: Session, region: Region, ctx: _RegionContext) -> int:
    """The region's offer overview: counselling, integration guides, a volunteer group and
    childcare in the seat and the larger municipalities (synthetic, addresses under .example).
    Its own random stream, so the rest of the demo stays as it was."""
    from pipeline.offers import OfferRow, replace_offers  # noqa: PLC0415

    rng = random.Random(f"offers-{region.code}")
    domain = f"{_slug(ctx.seat)}.example"
    towns = [name for name, _, _ in ctx.places][:4]
    seat_postcode = next((code for name, code, _ in ctx.places if name == ctx.seat and code), "")

    def street() -> str:
        return f"{rng.choice(('Haupt', 'Bahnhof', 'Kirch', 'Schul', 'Markt'))}straße {rng.randint(1, 60)}"

    offers = [
        OfferRow("mbe", f"Migrationsberatung für Erwachsene {ctx.seat}", "Caritasverband", street(), seat_postcode, ctx.seat,
                 f"0951 {rng.randint(10000, 99999)}", f"mbe@caritas.{domain}", f"https://caritas.{domain}/mbe",
                 "Mo–Do 9–12 Uhr, Di 14–17 Uhr und nach Vereinbarung", ("Deutsch", "Arabisch", "Englisch"), tuple(towns)),
        OfferRow("jmd", f"Jugendmigrationsdienst {ctx.seat}", "Diakonisches Werk", street(), seat_postcode, ctx.seat,
                 f"0951 {rng.randint(10000, 99999)}", f"jmd@diakonie.{domain}", "", "Mo–Fr 9–13 Uhr",
                 ("Deutsch", "Ukrainisch", "Russisch"), tuple(towns), "Für junge Menschen von 12 bis 27 Jahren."),
        OfferRow("fib", f"Flüchtlings- und Integrationsberatung {ctx.seat}", "Arbeiterwohlfahrt", street(), seat_postcode,
                 ctx.seat, f"0951 {rng.randint(10000, 99999)}", f"fib@awo.{domain}", "", "Di und Do 9–16 Uhr",
                 ("Deutsch", "Dari", "Farsi", "Tigrinya"), tuple(towns)),
        *(
            OfferRow("lotsen", f"Integrationslotsinnen und -lotsen {town}", "Freiwilligenagentur", street(), code or "",
                     town, "", f"lotsen.{_slug(town)}@{domain}", "", "Sprechstunde Mi 16–18 Uhr",
                     ("Deutsch", "Englisch", "Türkisch"), (town,))
            for town, code, _ in ctx.places[:2]
        ),
        OfferRow("ehrenamt", f"Sprachcafé {ctx.seat}", "Helferkreis Asyl", street(), seat_postcode, ctx.seat, "",
                 f"sprachcafe@helferkreis.{domain}", "", "Fr 15–17 Uhr", ("Deutsch",), (ctx.seat,),
                 "Deutsch üben ohne Anmeldung; Kinder willkommen."),
        *(
            OfferRow("kinderbetreuung", f"Kinderbetreuung zum Integrationskurs {town}", "Kita-Verbund", street(),
                     code or "", town, f"09{rng.randint(100, 999)} {rng.randint(1000, 9999)}", f"kita.{_slug(town)}@{domain}",
                     "", "während der Kurszeiten (vormittags)", ("Deutsch",), (town,),
                     "Für Kinder von Kursteilnehmenden, die noch keinen Kita-Platz haben.")
            for town, code, _ in ctx.places[:2]
        ),
    ]  # fmt: skip
    assert region.id is not None
    return replace_offers(session.connection(), region.id, offers)


#: Web UI accounts of the demo: username, display name, role, agency type (first of that type in the region).
DEMO_USERS = (
    ("koordination", "Koordination (Demo)", "coordinator", None),
    ("jobcenter", "Jobcenter (Demo)", "agency", "JC"),
    ("kurstraeger", "Kursträger (Demo)", "agency", "KT"),
    ("lesen", "Nur lesen (Demo)", "readonly", None),
)


DEMO_PLACES = Path(__file__).parent / "demo_places"


def _demo_places(session: Session, region: Region, model: ProcessModel, as_of: date) -> int:
    """The region's real municipalities and its course sites, read through the same import a
    coordinator uses; participants and courses are linked, reachability estimated (no feed)."""
    from places.importing import import_places  # noqa: PLC0415
    from places.reachability import WalkSettings  # noqa: PLC0415
    from places.service import refresh_reach  # noqa: PLC0415

    count = 0
    for kind in ("gemeinden", "kursorte"):
        path = DEMO_PLACES / f"{kind}-{region.code}.csv"
        if path.exists():
            count += import_places(session=session, path=path, region=region, model=model, max_bytes=10**7).total
    if count and not _demo_feed(session, region, as_of):
        refresh_reach(session=session, region=region, today=as_of, walk=WalkSettings())
    return count


def _demo_feed(session: Session, region: Region, as_of: date) -> bool:
    """The region's synthetic timetable (foerderkette/demo_transit.py), imported like a real one."""
    import tempfile  # noqa: PLC0415

    from foerderkette.demo_transit import Stop, write_demo_feed  # noqa: PLC0415
    from places.reachability import WalkSettings  # noqa: PLC0415
    from places.service import import_feed  # noqa: PLC0415
    from places.tables import CourseSite, Municipality  # noqa: PLC0415

    sites = session.exec(
        model_select(CourseSite).where(CourseSite.region_id == region.id).order_by(col(CourseSite.code))
    ).all()
    homes = session.exec(model_select(Municipality).where(Municipality.region_id == region.id)).all()
    if not sites:
        return False
    towns = [Stop(f"K-{site.code}", f"{site.place}, {site.address}".strip(", "), site.lat, site.lon) for site in sites]
    places = [Stop(f"G-{home.id}", home.name, home.lat, home.lon) for home in homes]
    weights = {name: weight for name, _postcode, weight in MUNICIPALITIES.get(region.code, ())}
    with tempfile.TemporaryDirectory(prefix="demo-gtfs-") as folder:
        path = write_demo_feed(
            Path(folder) / f"gtfs-{region.code}.zip",
            towns=towns,
            places=places,
            weights=weights,
            valid_from=as_of - timedelta(days=7),
            agency=f"Verkehrsverbund {region.name} (Demo)",
        )
        import_feed(session=session, region=region, path=path, today=as_of, walk=WalkSettings(), user="demo")
    return True


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
    place = rng.choices(ctx.places, weights=[weight for *_, weight in ctx.places])[0]
    row = {
        "region_id": ctx.region_id,
        "ref": ref,
        "last_name": last,
        "first_name": first,
        "birth_year": birth_year,
        "email": f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@mail.example" if rng.random() < 0.7 else None,
        "phone": f"0151 {rng.randint(1000000, 9999999)}" if rng.random() < 0.8 else None,
        "postcode": place[1],
        "location": place[0],
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


#: Days within which those wanting a course of a type join one cohort: the six weeks of § 7 Abs. 3
#: IntV for general courses; special formats gather their people over a quarter.
COHORT_WINDOW = {"general": 42}
COHORT_WINDOW_OTHER = 91


def _capacity(course_type: str) -> tuple[int, int]:
    """(places, minimum size) of a course of the type."""
    return (16, 10) if course_type == "literacy" else (25, 15)


def _form_cohorts(
    rng: random.Random,
    ctx: _RegionContext,
    played: list[_Played],
    as_of: date,
    courses: dict[str, dict[str, Any]],
) -> dict[int, tuple[str, date, str, str, str]]:
    """Courses the way providers fill them: participants who want to start a course of one type
    about the same time form a cohort (up to its size, within a window of weeks), run by one of
    the providers offering the type, at most one start per provider and day. A special format
    that would not reach its minimum size does not come about: its people join general courses
    (literacy courses start even when small). Returns for each member: the provider, the course
    start, the course code, the provider first registered with and the type of the course."""
    wanted: dict[tuple[bool, str], list[tuple[date, int]]] = {}
    for index, entry in enumerate(played):
        facts, case = entry.state.facts, entry.case
        started = facts.get("first_course_started_on")
        if started:
            wanted.setdefault((False, case.course_type), []).append((started, index))
        elif facts.get("expected_start") and facts["expected_start"] > as_of and facts.get("registered_on"):
            wanted.setdefault((True, case.course_type), []).append((facts["expected_start"], index))
    used: set[tuple[str, date]] = set()
    turn: dict[str, int] = {}
    members: dict[int, tuple[str, date, str, str, str]] = {}

    def open_course(kind: str, future: bool, first_day: date, group: list[int]) -> None:
        if kind not in ("general", "literacy") and len(group) < _capacity(kind)[1]:
            general = wanted.setdefault((future, "general"), [])
            general.extend((_wanted_start(played[index]), index) for index in group)
            return
        offering = [p for p in ctx.providers if kind in ctx.offers[p]] or ctx.providers
        provider = offering[turn.get(kind, 0) % len(offering)]
        turn[kind] = turn.get(kind, 0) + 1
        start = max(_monday(first_day), _monday(as_of + timedelta(days=1))) if future else first_day
        while (provider, start) in used:  # a provider starts one course a day
            start += timedelta(days=7 if future else -7)
        used.add((provider, start))
        code = f"{provider}-{kind[:3].upper()}-{start:%y%m%d}"
        site, postcode = ctx.sites[provider][turn[kind] % len(ctx.sites[provider])]
        course = _course(ctx, code, provider, "ik", kind, start, None if future else start)
        course.update(site=site, postcode=postcode)
        if kind != "parents_women":
            course["format"] = _weighted(rng, (("full_time", 65), ("part_time", 20), ("evening", 10), ("online", 5)))
        courses[code] = course
        other = next((p for p in ctx.providers if p != provider), provider)
        for index in group:
            first = played[index].case.first_provider
            members[index] = (provider, start, code, first if first != provider else other, kind)

    # special formats first: who does not get one joins the general courses
    keys = [*sorted(key for key in wanted if key[1] != "general"), (False, "general"), (True, "general")]
    for future, kind in keys:
        items = sorted(wanted.get((future, kind), []))
        window = COHORT_WINDOW.get(kind, COHORT_WINDOW_OTHER)
        places, minimum = _capacity(kind)
        group: list[int] = []
        first_day, size = as_of, 0
        for day, index in items:
            waited = (day - first_day).days
            # a provider does not start below the minimum: it waits up to twice the window
            if group and len(group) < size and (waited <= window or (len(group) < minimum and waited <= 2 * window)):
                group.append(index)
                continue
            if group:
                open_course(kind, future, first_day, group)
            # how many the provider takes: some courses are full, most between minimum and full
            group, first_day = [index], day
            size = places if rng.random() < 0.2 else rng.randint(minimum + 2, places)
        if group:
            open_course(kind, future, first_day, group)
    return members


def _wanted_start(entry: _Played) -> date:
    """When the participant, alone, would have started the course (or expects to start it)."""
    facts = entry.state.facts
    started = facts.get("first_course_started_on")
    return started if isinstance(started, date) else facts["expected_start"]


def _enrolment(
    model: ProcessModel, case: _Case, state: ParticipantState, history: list[tuple[date, Event, str]]
) -> tuple[str, date, date | None] | None:
    """The participant's enrolment in the cohort's course: from the course start (or, before it,
    from the registration) until the event the model says ends it."""
    if not case.course_code or case.start is None:
        return None
    effects = [(day, enrolment_effect(model, event.name, event.payload)) for day, event, _ in history]
    first = next((index for index, (_, effect) in enumerate(effects) if effect == "start"), None)
    if first is None:
        registered_on = state.facts.get("registered_on")
        return (case.course_code, registered_on, None) if registered_on else None
    left = next((day for day, effect in effects[first + 1 :] if effect is not None), None)
    return case.course_code, effects[first][0], left


def _collect_bsk(ctx: _RegionContext, state: ParticipantState, cohorts: dict[str, dict[str, Any]]) -> None:
    """Berufssprachkurse from the participants' own starts."""
    facts = state.facts
    if facts.get("bsk_started_on") and facts.get("bsk_provider"):
        start = facts["bsk_started_on"]
        level = facts.get("bsk_level", "B2")
        # a course number as providers write it (BSK-B2, BSK-SA2B1), not the level's identifier
        short = level.replace("special_", "S").replace("_", "")
        code = f"{facts['bsk_provider']}-BSK-{short}-{start:%y%m%d}"
        cohorts.setdefault(code, _course(ctx, code, facts["bsk_provider"], "bsk", level, start, start))


def _course(
    ctx: _RegionContext, code: str, provider: str, kind: str, course_type: str, planned: date, actual: date | None
) -> dict[str, Any]:
    weeks = COURSE_WEEKS.get(course_type, 26)
    capacity, minimum = _capacity(course_type)
    site, postcode = ctx.sites.get(provider, [(ctx.seat, None)])[0]
    return {
        "region_id": ctx.region_id,
        "code": code,
        "provider": provider,
        "kind": kind,
        "course_type": course_type,
        "format": "childcare" if course_type == "parents_women" else "full_time",
        "site": site,
        "postcode": postcode,
        "planned_start": planned,
        "actual_start": actual,
        "end_date": planned + timedelta(weeks=weeks),
        "capacity": capacity,
        "min_size": minimum,
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
            checklist="netzwerktreffen",
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
            checklist="integrationskonferenz",
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
    """One special format per region announced for the next quarter, before anyone registered
    (the Jour fixe asks whether it can reach its minimum size)."""
    for ctx in contexts:
        provider = ctx.providers[0]
        course_type = rng.choice([kind for kind in ctx.offers[provider] if kind != "general"])
        start = _monday(as_of + timedelta(days=rng.randint(45, 90)))
        taken = {c["planned_start"] for c in cohorts.values() if c["provider"] == provider}
        while start in taken:  # one start per provider and day
            start += timedelta(days=7)
        code = f"{provider}-{course_type[:3].upper()}-{start:%y%m%d}"
        course = cohorts.setdefault(code, _course(ctx, code, provider, "ik", course_type, start, None))
        course["format"] = rng.choice(("evening", "childcare", "part_time"))


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def demo_figures(connection: Any, region_ids: list[int], as_of: date) -> list[tuple[str, str, str]]:
    """Read back from the database what makes the demo look like a real Landkreis, with the value
    each figure should be near (BAMF statistics and practice)."""
    history_t, participants_t = table_of(StageChange), table_of(Participant)
    courses_t, enrollments_t, agencies_t = table_of(Course), table_of(Enrollment), table_of(Agency)
    in_regions = participants_t.c.region_id.in_(region_ids)
    events: dict[str, list[tuple[int, date, dict[str, Any]]]] = {}
    for participant_id, name, day, payload in connection.execute(
        select(history_t.c.participant_id, history_t.c.event, history_t.c.occurred_on, history_t.c.payload)
        .join(participants_t, participants_t.c.id == history_t.c.participant_id)
        .where(in_regions)
    ):
        events.setdefault(name, []).append((participant_id, day, payload or {}))

    def who(*names: str) -> set[int]:
        return {pid for name in names for pid, _, _ in events.get(name, [])}

    known = who("entitlement_confirmed", "admission_granted", "obligation_imposed")
    obliged = who("obligation_imposed")
    results = [payload.get("dtz_level") for _, _, payload in events.get("test_result", [])]
    tested = who("test_result")
    finished = {
        pid
        for pid, day, payload in events.get("module_completed", [])
        if payload.get("final") and day <= as_of - timedelta(days=60)
    }
    figures = [
        (
            "Verpflichtete unter den Berechtigten und Verpflichteten",
            _percent(len(obliged & known), len(known)),
            "etwa 2/3",
        ),
        ("DTZ-Ergebnis B1", _percent(results.count("B1"), len(results)), "etwa 49 %"),
        ("DTZ-Ergebnis A2", _percent(results.count("A2"), len(results)), "etwa 41 %"),
        ("DTZ-Ergebnis unter A2", _percent(results.count("below_A2"), len(results)), "etwa 10 %"),
        (
            "Kursende ohne Test (vor mehr als 60 Tagen beendet)",
            _percent(len(finished - tested), len(finished)),
            "etwa 15 %",
        ),
    ]
    enrolled = dict(
        connection.execute(select(enrollments_t.c.course_id, func.count()).group_by(enrollments_t.c.course_id)).all()
    )
    courses = connection.execute(
        select(
            courses_t.c.id,
            courses_t.c.provider_id,
            courses_t.c.planned_start,
            courses_t.c.actual_start,
            courses_t.c.capacity,
            courses_t.c.min_size,
            courses_t.c.site,
        ).where(courses_t.c.region_id.in_(region_ids), courses_t.c.kind == "ik")
    ).all()
    started = [c for c in courses if c.actual_start is not None and c.actual_start <= as_of]
    upcoming = [c for c in courses if c.actual_start is None and as_of < c.planned_start <= as_of + timedelta(days=92)]
    sizes = [enrolled.get(c.id, 0) for c in started]
    per_month = Counter((c.provider_id, f"{c.planned_start:%Y-%m}") for c in courses)
    per_day = Counter((c.provider_id, c.planned_start) for c in courses)
    figures += [
        ("Begonnene Integrationskurse", str(len(started)), ""),
        (
            "Teilnehmende je begonnenem Kurs (Durchschnitt)",
            f"{sum(sizes) / len(sizes):.1f}".replace(".", ",") if sizes else "–",
            "etwa 15",
        ),
        (
            "Begonnene Kurse voll belegt",
            str(sum(size >= c.capacity for size, c in zip(sizes, started, strict=True))),
            "einige",
        ),
        (
            "Begonnene Kurse unter der Mindestgröße",
            str(sum(size < c.min_size for size, c in zip(sizes, started, strict=True))),
            "wenige",
        ),
        ("Kurse der nächsten drei Monate", str(len(upcoming)), ""),
        (
            "davon bisher unter der Mindestgröße",
            str(sum(enrolled.get(c.id, 0) < c.min_size for c in upcoming)),
            "die später beginnenden",
        ),
        (
            "Kursbeginne je Kursträger und Monat (Durchschnitt / höchstens)",
            f"{sum(per_month.values()) / len(per_month):.1f} / {max(per_month.values())}".replace(".", ",")
            if per_month
            else "–",
            "wenige",
        ),
        ("Kursbeginne eines Kursträgers am selben Tag (höchstens)", str(max(per_day.values(), default=0)), "1"),
        ("Kursorte", str(len({c.site for c in courses})), "mehrere je Region"),
        (
            "Wohnorte",
            str(
                connection.execute(
                    select(func.count(func.distinct(participants_t.c.location))).where(in_regions)
                ).scalar_one()
            ),
            "die Gemeinden der Region",
        ),
    ]
    providers = connection.execute(
        select(func.count())
        .select_from(agencies_t)
        .where(agencies_t.c.region_id.in_(region_ids), agencies_t.c.type == "KT")
    ).scalar_one()
    figures.append(("Kursträger", str(providers), ""))
    repetitions = sum(1 for _, _, payload in events.get("course_started", []) if payload.get("repetition"))
    soz = sum(1 for _, _, payload in events.get("obligation_imposed", []) if payload.get("obliged_by") == "SOZ")
    for label, value in (
        ("Fehlzeitenmeldungen", len(events.get("absence_reported", []))),
        ("Trägerwechsel", len(events.get("provider_changed", []))),
        ("Zuweisungen durch das BAMF", len(events.get("assigned", []))),
        ("Wiederholungen", repetitions),
        ("Verpflichtungen durch das Sozialamt", soz),
        ("Widerrufene Verpflichtungen", len(events.get("obligation_revoked", []))),
    ):
        figures.append((label, str(value), "mehr als 0"))
    return figures


def _demo_agreement(session: Session, region: Region, model: ProcessModel, as_of: date) -> int:
    """A cooperation agreement of the region's providers (each with the general course and one
    special format at two sites, a rolling start plan for six months, central placement tests
    every fortnight hosted in turn), imported through the coordinator's own path; then the waiting
    people without a placement booked into the dates and the course proposal computed, as a
    coordinator would. Returns the bookings."""
    from pipeline.reads import RegionRow  # noqa: PLC0415
    from places.reachability import MAX_WAIT_MINUTES  # noqa: PLC0415
    from places.tables import CourseSite  # noqa: PLC0415
    from planning.agreement import (  # noqa: PLC0415
        Agreement,
        PlacementHost,
        PlacementRotation,
        PlannedStart,
        ProviderTerms,
        to_yaml,
    )
    from planning.coordination import testing_for_region  # noqa: PLC0415
    from planning.repository import book_placement_tests, import_agreement, refresh_proposal  # noqa: PLC0415
    from process_models.durations import add_months  # noqa: PLC0415

    providers = [
        a.code
        for a in session.exec(
            model_select(Agency).where(Agency.region_id == region.id, Agency.type == "KT").order_by(col(Agency.code))
        ).all()
    ]
    sites = [
        s.code
        for s in session.exec(
            model_select(CourseSite).where(CourseSite.region_id == region.id).order_by(col(CourseSite.code))
        ).all()
    ]
    if not providers or not sites:
        return 0
    general = next(key for key, spec in model.course_types.items() if not spec.needs)
    special = [key for key, spec in model.course_types.items() if spec.needs]
    # each provider agrees to as many starts a month as it already has in its busiest coming
    # month, plus the start plan's one, plus room for one more (two for the first)
    busiest: dict[str, int] = {}
    per_month: dict[tuple[str, str], int] = {}
    for code, start in session.exec(
        model_select(Agency.code, col(Course.planned_start))
        .join(Course, col(Course.provider_id) == col(Agency.id))
        .where(Agency.region_id == region.id, col(Course.planned_start) > as_of)
    ).all():
        if start is not None and start <= as_of + timedelta(days=190):
            key = (code, start.strftime("%Y-%m"))
            per_month[key] = per_month.get(key, 0) + 1
            busiest[code] = max(busiest.get(code, 0), per_month[key])
    terms = [
        ProviderTerms(
            code,
            # the first provider also teaches the exclusive formats (literacy): someone must
            tuple(
                dict.fromkeys(
                    (general, special[index % len(special)])
                    + (tuple(k for k in special if model.course_types[k].exclusive) if index == 0 else ())
                )
            )
            if special
            else (general,),
            tuple(dict.fromkeys((sites[index % len(sites)], sites[(index + 1) % len(sites)]))),
            busiest.get(code, 0) + (3 if index == 0 else 2),
        )
        for index, code in enumerate(providers)
    ]
    starts = []
    for offset in range(1, 7):
        month = add_months(as_of.replace(day=1), offset).strftime("%Y-%m")
        for index, term in enumerate(terms):
            kind = term.course_types[-1] if (offset + index) % 3 == 0 else general
            starts.append(
                PlannedStart(
                    month,
                    term.provider,
                    kind,
                    term.sites[0],
                    "evening" if kind != general and offset % 2 else "morning",
                )
            )
    first = as_of - timedelta(days=28)
    first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
    agreement = Agreement(
        None,
        "Demo: vereinbart im Netzwerktreffen der Kursträger",
        tuple(terms),
        tuple(starts),
        PlacementRotation(
            "14-täglich", first, "09:00", 15, tuple(PlacementHost(t.provider, t.sites[0]) for t in terms)
        ),
    )
    labels = {key: spec.label for key, spec in model.course_types.items()}
    import_agreement(
        session=session,
        region=region,
        text=to_yaml(agreement, labels),
        name=f"vereinbarung-{region.code}.yaml",
        model=model,
        actor="demo",
        source="demo",
    )
    session.flush()
    row = RegionRow(region.id or 0, region.code, region.name, region.land)
    view = testing_for_region(
        session.connection(),
        row,
        model,
        today=as_of,
        months=2,
        max_wait_minutes=MAX_WAIT_MINUTES,
    )
    booked = book_placement_tests(
        session=session,
        region=region,
        bookings=[(b.participant_id, b.day, b.host, b.site_id) for b in view.bookings if b.new],
        actor="demo",
        source="demo",
        today=as_of,
    )
    session.flush()
    refresh_proposal(
        session.connection(), row, model, today=as_of, months=6, max_wait_minutes=MAX_WAIT_MINUTES, actor="demo"
    )
    return booked

"""Course suggestions for a waiting participant: the upcoming courses that fit, ranked by the
earliest possible start, each with its reasons (§ 7 Abs. 3 IntV: how soon a course starts and
how near and reachable the provider is). Pure over plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from process_models import ProcessModel


@dataclass(frozen=True, slots=True)
class Seeker:
    """A waiting participant as the planning sees them."""

    id: int
    ref: str
    #: the course type of the placement test, or None while not placed
    course_type: str | None
    needs: frozenset[str]
    municipality_id: int | None
    waiting_since: date


@dataclass(frozen=True, slots=True)
class Offer:
    """An upcoming integration course with its free places."""

    id: int
    code: str
    provider_code: str
    provider_name: str
    course_type: str
    format: str
    site_id: int | None
    site: str
    slot: str
    start: date
    capacity: int
    enrolled: int
    min_size: int
    childcare: bool

    @property
    def online(self) -> bool:
        """Online or hybrid: no journey to judge."""
        return self.format == "online"

    @property
    def free(self) -> int:
        return max(self.capacity - self.enrolled, 0)


@dataclass(frozen=True, slots=True)
class Trip:
    """How the seeker's municipality reaches the offer's site in its slot."""

    out_minutes: int | None
    back_minutes: int | None
    transfers: int | None
    reachable: bool
    estimated: bool


@dataclass(frozen=True, slots=True)
class Reason:
    """One criterion: True fits, False rules the course out, None unknown (shown, not ruling out)."""

    ok: bool | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "text": self.text}


@dataclass(frozen=True, slots=True)
class Suggestion:
    offer: Offer
    reasons: tuple[Reason, ...]
    trip: Trip | None
    weeks_until_start: int
    suitable: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "suitable", all(reason.ok is not False for reason in self.reasons))

    def to_json(self) -> dict[str, Any]:
        offer = self.offer
        return {
            "course": offer.code,
            "provider": offer.provider_code,
            "provider_name": offer.provider_name,
            "course_type": offer.course_type,
            "format": offer.format,
            "site": offer.site,
            "slot": offer.slot,
            "start": offer.start.isoformat(),
            "weeks_until_start": self.weeks_until_start,
            "free": offer.free,
            "suitable": self.suitable,
            "travel_minutes": self.trip.out_minutes if self.trip else None,
            "reasons": [reason.to_json() for reason in self.reasons],
        }


def acceptable_types(seeker: Seeker, model: ProcessModel) -> tuple[frozenset[str], bool]:
    """The course types that fit, and whether that is provisional (not placed yet): the placed
    type; otherwise every type whose needs the person has (the general course has none), only the
    exclusive ones where one fits (someone who needs literacy does not join a general course)."""
    if seeker.course_type:
        return frozenset({seeker.course_type}), False
    fitting = {
        key
        for key, spec in model.course_types.items()
        if spec.needs <= seeker.needs and (spec.needs or key == _general(model))
    }
    exclusive = {key for key in fitting if model.course_types[key].exclusive}
    return frozenset(exclusive or fitting), True


def _general(model: ProcessModel) -> str:
    """The course type for everyone: the first without needs (the model lists it first)."""
    return next(key for key, spec in model.course_types.items() if not spec.needs)


def fits(
    seeker: Seeker,
    offer: Offer,
    trips: Mapping[tuple[int, int, str], Trip],
    types: frozenset[str],
    today: date,
) -> bool:
    """Whether `suggest` would call the offer suitable, without writing its reasons (the fill
    proposal judges every waiting person against every course; tests keep the two in step)."""
    if offer.start <= today or offer.free <= 0 or offer.course_type not in types:
        return False
    if "part_time" in seeker.needs and not (
        offer.format in ("part_time", "evening") or offer.slot in ("afternoon", "evening")
    ):
        return False
    if "childcare" in seeker.needs and not (offer.childcare or offer.format == "childcare"):
        return False
    if offer.online or seeker.municipality_id is None or offer.site_id is None:
        return True
    trip = trips.get((seeker.municipality_id, offer.site_id, offer.slot))
    return trip is None or trip.reachable


def suggest(
    seeker: Seeker,
    offers: Sequence[Offer],
    trips: Mapping[tuple[int, int, str], Trip],
    *,
    model: ProcessModel,
    today: date,
    limit_minutes: int,
    formats: Mapping[str, str],
) -> list[Suggestion]:
    """Every upcoming course, judged for the seeker: suitable ones first, by start, then travel time."""
    types, provisional = acceptable_types(seeker, model)
    labels = {key: spec.label for key, spec in model.course_types.items()}
    result = []
    for offer in offers:
        if offer.start <= today:
            continue
        reasons = []
        label = labels.get(offer.course_type, offer.course_type)
        if offer.course_type in types:
            reasons.append(
                Reason(
                    True, f"{label} passt {'vorläufig (noch nicht eingestuft)' if provisional else 'zur Einstufung'}"
                )
            )
        else:
            wanted = " oder ".join(sorted(labels.get(t, t) for t in types))
            reasons.append(
                Reason(False, f"{label} passt nicht ({'erwartet' if provisional else 'eingestuft'}: {wanted})")
            )
        form = formats.get(offer.format, offer.format)
        if "part_time" in seeker.needs:
            fits = offer.format in ("part_time", "evening") or offer.slot in ("afternoon", "evening")
            reasons.append(Reason(fits, f"{form}: {'passt zu' if fits else 'nicht'} Teilzeit/Abend"))
        if "childcare" in seeker.needs:
            care = offer.childcare or offer.format == "childcare"
            reasons.append(Reason(care, "Kinderbetreuung am Kursort" if care else "keine Kinderbetreuung am Kursort"))
        trip = None
        if offer.online:
            reasons.append(Reason(True, "online/hybrid: keine Anfahrt"))
        elif seeker.municipality_id is None or offer.site_id is None:
            reasons.append(Reason(None, "Erreichbarkeit unbekannt (Wohngemeinde oder Kursort fehlt)"))
        else:
            trip = trips.get((seeker.municipality_id, offer.site_id, offer.slot))
            if trip is None:
                reasons.append(Reason(None, "Erreichbarkeit noch nicht berechnet"))
            elif trip.reachable:
                change = f", {trip.transfers}× umsteigen" if trip.transfers else ""
                mark = " (geschätzt)" if trip.estimated else ""
                reasons.append(
                    Reason(True, f"mit ÖPNV in {trip.out_minutes} Min.{change}{mark} (Grenze {limit_minutes})")
                )
            elif trip.out_minutes is None or trip.back_minutes is None:
                reasons.append(Reason(False, "keine ÖPNV-Verbindung zur Unterrichtszeit"))
            else:
                longest = max(trip.out_minutes, trip.back_minutes)
                why = (
                    f"{longest} Min. je Richtung"
                    if longest > limit_minutes
                    else "zu lange Wartezeit vor oder nach dem Kurs"
                )
                reasons.append(Reason(False, f"mit ÖPNV nicht zumutbar ({why})"))
        reasons.append(Reason(offer.free > 0, f"{offer.free} freie Plätze" if offer.free else "ausgebucht"))
        weeks = max((offer.start - today).days, 0) // 7
        result.append(Suggestion(offer, tuple(reasons), trip, weeks))
    result.sort(
        key=lambda s: (
            not s.suitable,
            s.offer.start,
            s.trip.out_minutes if s.trip and s.trip.out_minutes is not None else 999,
            s.offer.code,
        )
    )
    return result

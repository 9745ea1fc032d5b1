"""Validation of what comes in from outside, shared by every way in (import, CLI, web, file drop,
outbox): e-mail addresses, and the facts that name something of the region (a Kursträger, a
course), with German reasons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, text

from process_models import ProcessModel


@dataclass(frozen=True, slots=True)
class RegionValues:
    """What a region has that a fact may name: its Kursträger and its courses (by code)."""

    providers: frozenset[str]
    courses: frozenset[str]


def region_values(connection: Connection, region_id: int) -> RegionValues:
    query = "SELECT code FROM agency WHERE region_id = :region AND type = 'KT'"
    providers: list[str] = list(connection.execute(text(query), {"region": region_id}).scalars())
    courses: list[str] = list(
        connection.execute(text("SELECT code FROM course WHERE region_id = :region"), {"region": region_id}).scalars()
    )
    return RegionValues(frozenset(providers), frozenset(courses))


@dataclass(frozen=True, slots=True)
class FactProblem:
    fact: str
    value: Any
    message: str


#: Fact types whose values name something of the region (checked by check_region_values).
REGION_FACT_TYPES = frozenset({"provider", "course"})


def naming_region_values(model: ProcessModel, names: Iterable[str]) -> list[str]:
    """Those of `names` that are facts naming a Kursträger or a course of the region."""
    return [name for name in names if name in model.facts and model.facts[name].type in REGION_FACT_TYPES]


def check_region_values(
    model: ProcessModel, facts: Mapping[str, Any], region: RegionValues, *, only: Iterable[str] | None = None
) -> list[FactProblem]:
    """The facts (all, or those named in `only`) whose type says they name a Kursträger or a course
    of the region and that name none. Every way in (import, CLI, web, file drop) asks this."""
    problems = []
    for name in facts if only is None else only:
        value, spec = facts.get(name), model.facts.get(name)
        if value in (None, "") or spec is None:
            continue
        if spec.type == "provider" and value not in region.providers:
            known = ", ".join(sorted(region.providers)) or "keiner angelegt"
            problems.append(
                FactProblem(name, value, f"Kursträger ist in dieser Region nicht angelegt (bekannt: {known})")
            )
        elif spec.type == "course" and value not in region.courses:
            problems.append(
                FactProblem(
                    name,
                    value,
                    "Kurs ist in dieser Region nicht angelegt"
                    + (" (Kurse einlesen mit 'foerderkette import courses')" if not region.courses else ""),
                )
            )
    return problems


def validate_email_address(text: str) -> str:
    """The normalised address, or ValueError with a German reason."""
    return _normalised(text.strip())


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    # cached: the sweep and the invitations check the same few hundred contact addresses again
    # and again, ~1 ms each
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValueError(f"keine gültige E-Mail-Adresse ({_reason(text)})") from None


def _reason(text: str) -> str:
    """Why `text` is no address, in German (email-validator explains in English)."""
    if not text:
        return "leer"
    if "@" not in text:
        return "das @-Zeichen fehlt"
    if text.count("@") > 1:
        return "mehr als ein @-Zeichen"
    local, domain = text.split("@")
    if not local:
        return "vor dem @ steht nichts"
    if not domain:
        return "nach dem @ steht nichts"
    if " " in text:
        return "enthält Leerzeichen"
    if "." not in domain or domain.startswith(".") or domain.endswith("."):
        return f"'{domain}' ist kein vollständiger Domainname"
    return "Zeichen oder Aufbau nicht erlaubt"

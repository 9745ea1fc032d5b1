"""Points, distances and the home municipality of an address: pure functions over plain data."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class Place:
    """A municipality as the pure code sees it."""

    id: int
    name: str
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    ags: str | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


_ABBREVIATIONS = (
    (r"\bam\b|\ban der\b|\ban\b|\ba\s*d\b|\ba\b", "a"),
    (r"\bim\b|\bin der\b|\bin\b|\bi\b", "i"),
    (r"\bsankt\b|\bst\b", "st"),
    (r"\boberfranken\b|\bofr\b", "ofr"),
    (r"\boberbayern\b|\bob\b|\bobb\b", "ob"),
    (r"\bbayern\b|\bbay\b", "bay"),
    (r"\bmarkt\b|\bstadt\b|\bgemeinde\b", ""),
)


def place_key(text: str) -> str:
    """A place name as compared: case, accents, punctuation and the usual abbreviations
    ("a. Inn" = "am Inn", "i. OB" = "in Oberbayern", "Markt …") do not matter."""
    text = text.strip().lower().replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    for pattern, replacement in _ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class HomeResult:
    """The municipality an address lies in, or why it cannot be told (German)."""

    municipality_id: int | None
    problem: str | None = None


class HomeResolver:
    """Finds the home municipality of a postcode and place among a region's municipalities.

    A postcode of exactly one municipality decides it (the place may then name a village of it);
    a postcode shared by several needs the place to name one of them; anything else is a problem
    to fix in the data, never a guess."""

    def __init__(self, places: Sequence[Place]) -> None:
        self.places = tuple(places)
        self._by_postcode: dict[str, list[Place]] = {}
        self._by_key: dict[str, list[Place]] = {}
        for place in self.places:
            for postcode in place.postcodes:
                self._by_postcode.setdefault(postcode, []).append(place)
            self._by_key.setdefault(place_key(place.name), []).append(place)

    def __bool__(self) -> bool:
        return bool(self.places)

    def _named(self, location: str, among: Sequence[Place]) -> list[Place]:
        key = place_key(location)
        exact = [place for place in among if place_key(place.name) == key]
        if exact:
            return exact
        # "Passau-Hacklberg", "Gars am Inn-Mittergars": the municipality followed by its district
        return [place for place in among if key.startswith(place_key(place.name) + " ")]

    def resolve(self, postcode: str | None, location: str | None) -> HomeResult:
        postcode = (postcode or "").strip()
        location = (location or "").strip()
        if not self.places or (not postcode and not location):
            return HomeResult(None)
        candidates = self._by_postcode.get(postcode, []) if postcode else []
        if len(candidates) == 1:
            return HomeResult(candidates[0].id)
        if len(candidates) > 1:
            names = ", ".join(sorted(place.name for place in candidates))
            if not location:
                return HomeResult(None, f"PLZ {postcode} gehört zu mehreren Gemeinden ({names}): bitte den Ort angeben")
            named = self._named(location, candidates)
            if len(named) == 1:
                return HomeResult(named[0].id)
            return HomeResult(
                None, f"PLZ {postcode} gehört zu mehreren Gemeinden ({names}); der Ort '{location}' passt zu keiner"
            )
        named = self._named(location, self.places) if location else []
        if postcode:
            if len(named) == 1:
                known = ", ".join(named[0].postcodes)
                return HomeResult(None, f"PLZ {postcode} passt nicht zu {named[0].name} (PLZ {known})")
            return HomeResult(None, f"PLZ {postcode} gehört zu keiner Gemeinde der Region")
        if len(named) == 1:
            return HomeResult(named[0].id)
        return HomeResult(None, f"Ort '{location}' ist keine Gemeinde der Region – bitte die PLZ angeben")

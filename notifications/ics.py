"""iCalendar invitations (RFC 5545/5546) that Outlook and Thunderbird accept: one VEVENT with a
stable UID, a SEQUENCE that grows with every change, METHOD REQUEST or CANCEL, and a VTIMEZONE."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

PRODID = "-//Förderkette//Jour fixe//DE"
#: Zones with the EU's summer-time rule (last Sunday of March and of October since 1996).
_EU_CENTRAL = {"Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Luxembourg"}


def vtimezone(tzid: str, year: int) -> Timezone:
    """The compact RRULE form calendar clients write themselves; derived from zoneinfo otherwise."""
    if tzid not in _EU_CENTRAL:
        return Timezone.from_tzinfo(ZoneInfo(tzid), first_date=date(year - 1, 1, 1), last_date=date(year + 2, 12, 31))
    zone = Timezone()
    zone.add("tzid", tzid)
    for part, name, start, offset_from, offset_to in (
        (TimezoneDaylight(), "CEST", datetime(1970, 3, 29, 2, 0), 1, 2),  # noqa: DTZ001 - VTIMEZONE onsets are floating local times
        (TimezoneStandard(), "CET", datetime(1970, 10, 25, 3, 0), 2, 1),  # noqa: DTZ001
    ):
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": start.month, "byday": "-1su"})
        part.add("tzoffsetfrom", timedelta(hours=offset_from))
        part.add("tzoffsetto", timedelta(hours=offset_to))
        zone.add_component(part)
    return zone


def _local(day: date, clock: str, tzid: str) -> datetime:
    hours, _, minutes = clock.partition(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=ZoneInfo(tzid))


def build_invitation(
    *,
    meeting: Mapping[str, Any],
    region_name: str,
    description: str,
    organizer: tuple[str, str],
    attendees: Iterable[tuple[str, str]],
    stamp: datetime,
    method: str = "REQUEST",
) -> str:
    """The .ics text for one meeting (`meeting` as checklists.repository.meeting_view gives it)."""
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"unknown METHOD {method}")
    tzid = meeting["timezone"]
    start = _local(meeting["date"], meeting["start"], tzid)
    end = _local(meeting["date"], meeting["end"], tzid)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(vtimezone(tzid, start.year))
    event = Event()
    event.add("uid", meeting["uid"])
    event.add("sequence", meeting["sequence"])
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{meeting['series']} – {region_name}")
    location = meeting.get("location") or ""
    if meeting.get("video_link"):
        location = f"{location} / Video: {meeting['video_link']}" if location else meeting["video_link"]
        event.add("url", meeting["video_link"])
    if location:
        event.add("location", location)
    event.add("description", description)
    cancelled = method == "CANCEL" or meeting.get("status") == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    name, address = organizer
    chair = vCalAddress(f"mailto:{address}")
    chair.params["cn"] = vText(name)
    event["organizer"] = chair
    for attendee_name, attendee_address in attendees:
        attendee = vCalAddress(f"mailto:{attendee_address}")
        attendee.params["cn"] = vText(attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    text: str = calendar.to_ical().decode("utf-8")
    return text

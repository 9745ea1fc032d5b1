"""The German words for stored values of the pipeline tables; no ORM here, so the read-only CLI
imports it without SQLModel."""

from __future__ import annotations

#: Agency types of DOMAIN.md with their German names.
AGENCY_TYPES: dict[str, str] = {
    "ABH": "Ausländerbehörde",
    "JC": "Jobcenter",
    "AA": "Agentur für Arbeit",
    "SOZ": "Sozialamt",
    "BAMF": "BAMF / Regionalkoordination",
    "KT": "Kursträger",
    "MBE": "Migrationsberatung für Erwachsene",
    "JMD": "Jugendmigrationsdienst",
    "KOM": "Kommune",
}

#: Contact roles: who gets regular reminders, who escalations, who coordinates the region.
CONTACT_ROLES: dict[str, str] = {
    "case_worker": "Sachbearbeitung",
    "lead": "Leitung",
    "coordinator": "Koordination",
}

TRANSPORT_REACH: dict[str, str] = {"good": "gut", "limited": "eingeschränkt", "none": "keine"}

COURSE_FORMATS: dict[str, str] = {
    "full_time": "Vollzeit",
    "part_time": "Teilzeit",
    "evening": "Abendkurs",
    "childcare": "mit Kinderbetreuung",
    "online": "Online / hybrid",
}

COURSE_KINDS: dict[str, str] = {"ik": "Integrationskurs", "bsk": "Berufssprachkurs"}

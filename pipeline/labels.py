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

#: When in the day a course is taught (the reachability is computed per slot; places/slots.py has the times).
COURSE_SLOTS: dict[str, str] = {"morning": "vormittags", "afternoon": "nachmittags", "evening": "abends"}

COURSE_KINDS: dict[str, str] = {"ik": "Integrationskurs", "bsk": "Berufssprachkurs"}

#: What an audit entry records, as the access log shows it.
AUDIT_ACTIONS: dict[str, str] = {
    "view_participant": "angesehen",
    "view_access_log": "Zugriffsprotokoll angesehen",
    "record_event": "Ereignis erfasst",
    "hold": "auf Wiedervorlage gesetzt",
    "hold_released": "Wiedervorlage beendet",
    "answer_link": "per E-Mail-Link beantwortet",
    "import": "importiert",
    "export": "exportiert",
    "privacy_export": "Auskunft erteilt (Art. 15 DSGVO)",
    "privacy_erase": "gelöscht (Art. 17 DSGVO)",
    "privacy_anonymise": "anonymisiert (Aufbewahrungsfrist)",
    "close_action": "Aufgabe erledigt",
    "minutes": "Protokoll geändert",
    "resend": "Nachricht erneut gesendet",
    "login": "angemeldet",
    "login_failed": "Anmeldung fehlgeschlagen",
    "login_throttled": "Anmeldung gesperrt",
    "user_add": "Benutzer angelegt",
    "agreement": "Kooperationsvereinbarung geändert",
    "placement_booking": "zum Einstufungstest eingeplant",
    "placement_list": "Liste eines Einstufungstests angesehen",
}

#: The roles of a user account, as listings show them.
USER_ROLES: dict[str, str] = {"coordinator": "Koordination", "readonly": "Nur lesen", "agency": "Stelle"}

#: The kinds of offer in a region's overview besides the courses (Angebotsübersicht, 2007 seed);
#: the import reads these codes or their German names.
OFFER_KINDS: dict[str, str] = {
    "mbe": "Migrationsberatung für Erwachsene (MBE)",
    "jmd": "Jugendmigrationsdienst (JMD)",
    "fib": "Flüchtlings- und Integrationsberatung",
    "lotsen": "Integrationslotsen",
    "ehrenamt": "Ehrenamtliche Gruppen",
    "kinderbetreuung": "Kinderbetreuung",
    "sonstiges": "Weitere Angebote",
}

#: The German names of the model's stage groups (the pipeline board, the phases of a sweep run).
STAGE_GROUPS: dict[str, str] = {
    "integrationskurs": "Integrationskurs",
    "anschluss": "Anschluss",
    "sprache_beruf": "Sprache → Beruf",
    "arbeit_ausbildung": "Arbeit / Ausbildung",
    "allgemein": "Allgemein",
}

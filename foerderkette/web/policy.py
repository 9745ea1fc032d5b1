"""The web's access policy, declared once: for every route, which roles may call it and what
they see or change there. `current_viewer` enforces the role gate from this table for every
route that needs a login (a route missing here is refused, never let through); what a role sees
inside a page (its own participants, its own courses, its own action items) is the one
visibility rule of `pipeline.access`, applied by the read functions. A test enumerates the
application's routes against this table, and the README's access matrix is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.labels import USER_ROLES as ROLE_LABELS

#: the roles a user account has (foerderkette/users.py); labels as the README and `users list` show them
ROLES = tuple(ROLE_LABELS)

PUBLIC = "public"  # no login
LINK = "link"  # no login; a signed, single-use link from an e-mail decides


@dataclass(frozen=True)
class Rule:
    #: ROLES allowed, or PUBLIC / LINK alone
    who: frozenset[str]
    #: what each allowed role sees or may do there (German, for the README's matrix)
    scope: str
    #: the German message for a role outside `who`
    denied: str = "Diese Seite ist Ihrer Rolle nicht zugänglich."

    @property
    def needs_login(self) -> bool:
        return not self.who & {PUBLIC, LINK}

    def allows(self, role: str) -> bool:
        return not self.needs_login or role in self.who


EVERYONE = frozenset(ROLES)
EDITORS = frozenset({"coordinator", "agency"})
COORDINATION = frozenset({"coordinator", "readonly"})
COORDINATOR = frozenset({"coordinator"})
READ_ONLY = "Mit Ihrer Rolle können Sie nur lesen."

OWN = "Stellen: nur Teilnehmende, für die ihre Stelle zuständig ist oder war (Kursträger: bei ihnen angemeldet oder zugewiesen)"

POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/"): Rule(frozenset({PUBLIC}), "Weiter zur Anmeldung oder zu den Kennzahlen"),
    ("GET", "/health"): Rule(frozenset({PUBLIC}), "Betriebszustand ohne Daten"),
    ("GET", "/kursliste/{region}"): Rule(
        frozenset({PUBLIC}),
        "Gesamtkursliste einer Region (Seite, .csv, .ics): nur Kursdaten – Kursart, Form, Ort, Beginn, freie Plätze; keine Personen",
    ),
    ("GET", "/angebote/{region}"): Rule(
        frozenset({PUBLIC}),
        "Angebotsübersicht einer Region (Seite, .pdf als Broschüre): Kurse mit freien Plätzen, Beratung, Lotsen, Ehrenamt, Kinderbetreuung; keine Personen",
    ),
    ("GET", "/login"): Rule(frozenset({PUBLIC}), "Anmeldeformular"),
    ("POST", "/login"): Rule(frozenset({PUBLIC}), "Anmeldung (gedrosselt nach Fehlversuchen)"),
    ("POST", "/logout"): Rule(frozenset({PUBLIC}), "Abmeldung der eigenen Sitzung"),
    ("GET", "/antwort/{token}"): Rule(frozenset({LINK}), "Der eine Schritt, für den der Link ausgestellt ist"),
    ("POST", "/antwort/{token}"): Rule(
        frozenset({LINK}), "Den Schritt bestätigen oder auf Wiedervorlage setzen, einmal, nur als zuständige Stelle"
    ),
    ("GET", "/kennzahlen"): Rule(
        EVERYONE,
        f"Kennzahlen mit Diagrammen und Datentabellen, nur Summen und Anteile; Stellen: die ihrer eigenen Teilnehmenden ({OWN}), Kursträger: die Auslastung ihrer eigenen Kurse; Landesansicht (alle Regionen) nur die Koordination",
    ),
    ("GET", "/pipeline"): Rule(EVERYONE, f"Teilnehmende der eigenen Region; {OWN}"),
    ("GET", "/teilnehmende/{ref}"): Rule(
        EVERYONE, f"Eine Person der eigenen Region; {OWN}, ohne Kontaktdaten; andere: „nicht gefunden“"
    ),
    ("POST", "/teilnehmende/{ref}/ereignis"): Rule(
        EDITORS,
        "Koordination: jedes erlaubte Ereignis; Stellen: nur Ereignisse ihrer Stelle bei eigenen Teilnehmenden",
        READ_ONLY,
    ),
    ("POST", "/teilnehmende/{ref}/wiedervorlage"): Rule(
        EDITORS, "Koordination: jeder Schritt; Stellen: nur Schritte, für die ihre Stelle zuständig ist", READ_ONLY
    ),
    ("GET", "/teilnehmende/{ref}/zugriffe"): Rule(
        COORDINATOR,
        "Wer die Person wann angesehen, geändert oder exportiert hat (Protokoll)",
        "Das Zugriffsprotokoll sieht nur die Koordination.",
    ),
    ("GET", "/kurse"): Rule(EVERYONE, "Kurse der Region; Kursträger: nur die eigenen"),
    ("GET", "/kurse/auffuellen"): Rule(
        EVERYONE,
        "Koordination und BAMF: Vorschlag, welche Wartenden welche Kurse auf Mindestgröße bringen; andere Stellen: nicht zugänglich",
    ),
    ("GET", "/planung"): Rule(
        EVERYONE,
        "Kooperationsvereinbarung der Kursträger mit allen Fassungen, Termine und Belegung der zentralen Einstufungstests, "
        "Vorschlag neuer Kursbeginne – nur Zahlen, keine Personen",
    ),
    ("POST", "/planung/angebote"): Rule(
        COORDINATOR, "Die Angebotsübersicht der Region aus einer Datei ersetzen (alles oder nichts)", READ_ONLY
    ),
    ("POST", "/planung/vereinbarung"): Rule(
        COORDINATOR,
        "Die Kooperationsvereinbarung ändern (neue Fassung, im Zugriffsprotokoll)",
        "Die Kooperationsvereinbarung ändert die Koordination.",
    ),
    ("POST", "/planung/vorschlag"): Rule(
        COORDINATOR,
        "Den Vorschlag neuer Kursbeginne aus den heutigen Daten neu berechnen (ohne Personen)",
        "Den Vorschlag berechnet die Koordination neu.",
    ),
    ("GET", "/planung/einstufung/{datum}"): Rule(
        COORDINATION,
        "Die Eingeplanten eines Testtermins mit Referenz (protokolliert); der gastgebende Kursträger bekommt Liste "
        "und Einladungen von der Koordination",
        "Die Liste eines Testtermins sieht die Koordination.",
    ),
    ("GET", "/planung/einstufung/{datum}/einladungen.html"): Rule(
        COORDINATION,
        "Die druckbaren Einladungen eines Testtermins mit Namen (protokolliert)",
        "Die Einladungen eines Testtermins druckt die Koordination.",
    ),
    ("GET", "/kurse/export.{suffix}"): Rule(
        EVERYONE, "Dieselben Kurse wie die Liste, als CSV/XLSX (Formeln entschärft)"
    ),
    ("GET", "/jourfixe"): Rule(
        EVERYONE, "Sitzungen, Protokoll und Aufgaben; Stellen sehen alle Aufgaben, ändern nur die eigenen"
    ),
    ("GET", "/jourfixe/{monat}/tagesordnung.pdf"): Rule(
        EVERYONE,
        "Die Tagesordnung als PDF, dieselbe Fassung wie die Seite (Stellen: eigene Teilnehmende, die übrigen gezählt)",
    ),
    ("GET", "/jourfixe/{monat}/protokoll.pdf"): Rule(
        EVERYONE, "Das Protokoll als PDF: Anwesenheit, Beschlüsse, Aufgaben – wie es an die Eingeladenen geht"
    ),
    ("GET", "/jourfixe/{monat}/punkt/{punkt}"): Rule(
        EVERYONE,
        "Ein Tagesordnungspunkt mit allen Zeilen („… und n weitere“), aus den aktuellen Daten; Stellen: eigene Teilnehmende, die übrigen nur gezählt",
    ),
    ("GET", "/jourfixe/{monat}/tagesordnung"): Rule(
        EVERYONE,
        "Tagesordnung aus den aktuellen Daten; Stellen: eigene Teilnehmende mit Referenz und Initialen, die übrigen nur gezählt; "
        "weite Runden (Netzwerktreffen, Integrationskonferenz): nur Zahlen",
    ),
    ("GET", "/jourfixe/stand/{snapshot_id}"): Rule(
        EVERYONE, "Eine versandte Tagesordnung, für Stellen und weite Runden wie die Tagesordnung beschränkt"
    ),
    ("POST", "/jourfixe/{monat}/anwesenheit"): Rule(
        COORDINATOR, "Anwesenheit eintragen", "Das Protokoll führt die Koordination."
    ),
    ("POST", "/jourfixe/{monat}/beschluss"): Rule(
        COORDINATOR, "Beschluss festhalten", "Das Protokoll führt die Koordination."
    ),
    ("POST", "/jourfixe/{monat}/aufgabe"): Rule(
        COORDINATOR, "Aufgabe vergeben", "Das Protokoll führt die Koordination."
    ),
    ("POST", "/aufgaben/{action_id}/erledigt"): Rule(
        EDITORS,
        "Koordination: jede Aufgabe; Stellen: nur Aufgaben ihrer Stelle; „erledigt von“ ist immer die angemeldete Person",
        READ_ONLY,
    ),
    ("GET", "/postausgang"): Rule(
        COORDINATION, "Alle Nachrichten der Region", "Der Postausgang ist der Koordination vorbehalten."
    ),
    ("GET", "/postausgang/{message_id}"): Rule(
        COORDINATION, "Eine Nachricht mit Empfängern und Status", "Der Postausgang ist der Koordination vorbehalten."
    ),
    ("GET", "/postausgang/{message_id}/html"): Rule(
        COORDINATION, "Die HTML-Fassung einer Nachricht", "Der Postausgang ist der Koordination vorbehalten."
    ),
    ("POST", "/postausgang/{message_id}/erneut"): Rule(
        COORDINATOR,
        "Eine fehlgeschlagene Nachricht erneut senden (vorher geprüft)",
        "Erneut senden darf nur die Koordination.",
    ),
    ("GET", "/betrieb"): Rule(
        COORDINATION,
        "Zeitplan und Jobs: Lebenszeichen, letzte Läufe, verpasste Läufe (keine Personendaten)",
        "Der Betrieb ist der Koordination vorbehalten.",
    ),
    ("GET", "/prozess"): Rule(EVERYONE, "Das Prozessmodell der Region (keine Personendaten)"),
    ("GET", "/prozess/ablauf.svg"): Rule(EVERYONE, "Das Prozessdiagramm (keine Personendaten)"),
}


class NoRule(LookupError):
    pass


def rule_for(method: str, path: str) -> Rule:
    """The rule of a route (HEAD as GET); NoRule when the route is not declared."""
    key = ("GET" if method == "HEAD" else method, path)
    try:
        return POLICY[key]
    except KeyError:
        raise NoRule(f"{key[0]} {path}") from None


def matrix_markdown() -> str:
    """The access matrix as a Markdown table (the README's copy is checked against this)."""
    columns = [ROLE_LABELS[role] for role in ROLES]
    lines = [
        "| Route | " + " | ".join(columns) + " | Was sichtbar / erlaubt ist |",
        "|---|" + "---|" * len(columns) + "---|",
    ]
    for (method, path), rule in POLICY.items():
        if PUBLIC in rule.who:
            cells = ["öffentlich"] * len(ROLES)
        elif LINK in rule.who:
            cells = ["per E-Mail-Link"] * len(ROLES)
        else:
            cells = ["ja" if rule.allows(role) else "–" for role in ROLES]
        lines.append(f"| `{method} {path}` | " + " | ".join(cells) + f" | {rule.scope} |")
    return "\n".join(lines) + "\n"

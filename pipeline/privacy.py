"""The lifecycle of personal data in the case tables (DSGVO): the retention policy per region,
anonymising closed cases after it, erasing one person on a justified request, the audit log's
own retention, and everything stored about one person for a subject access request (Art. 15).

Anonymising keeps what the statistics count (stage, dates, facts, history without notes, the
place of residence) and removes what identifies (names, contact data, birth year, notes,
Wiedervorlage notes, the reference). Mail and agendas that named the person are the concern of
`notifications.privacy`, which builds on this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Date, bindparam, text

from pipeline.database import JSONType, utcnow
from pipeline.reads import NotFound, fetch, fetch_one, initials
from process_models import ProcessModel
from process_models.durations import add_months
from process_models.loader import ModelError, ModelValidationError, line_of, read_yaml

#: what replaces a name of an anonymised case
ANONYMOUS = "anonymisiert"
_KEYS = {"case_years": "Jahre nach Abschluss bis zur Anonymisierung", "audit_years": "Jahre, die das Protokoll bleibt"}


@dataclass(frozen=True)
class RetentionPolicy:
    #: years after a case's closure (its final stage) until it is anonymised
    case_years: int = 3
    #: years the audit log is kept
    audit_years: int = 2
    source: str = "Voreinstellung"

    def closed_before(self, today: date) -> date:
        return add_months(today, -12 * self.case_years)

    def audit_before(self, today: date) -> date:
        return add_months(today, -12 * self.audit_years)


def retention_for(region: str, *, overrides_dir: Path | None, default: RetentionPolicy) -> RetentionPolicy:
    """The region's policy: `<overrides>/<REGION>.privacy.yaml` (`case_years`, `audit_years`,
    each 1–30) over the installation's defaults; a bad file is an error naming file and line."""
    path = overrides_dir / f"{region}.privacy.yaml" if overrides_dir is not None else None
    if path is None or not path.is_file():
        return default
    doc = read_yaml(path.read_text(encoding="utf-8"), path.name)
    data = doc.data if isinstance(doc.data, dict) else {}
    errors = []
    values: dict[str, int] = {}
    for key, value in data.items():
        if key not in _KEYS:
            errors.append(
                ModelError(
                    doc.name, line_of(doc, (key,)), f"Unbekannter Schlüssel '{key}' (erlaubt: {', '.join(_KEYS)})", ""
                )
            )
        elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30:
            errors.append(
                ModelError(
                    doc.name,
                    line_of(doc, (key,)),
                    f"{key}: ganze Zahl von 1 bis 30 erwartet",
                    f"{key}: integer 1-30 expected",
                )
            )
        else:
            values[key] = value
    if errors:
        raise ModelValidationError(errors)
    return RetentionPolicy(
        values.get("case_years", default.case_years), values.get("audit_years", default.audit_years), path.name
    )


@dataclass(frozen=True)
class Closed:
    id: int
    ref: str
    label: str
    full_name: str
    closed_on: date


def due_for_anonymisation(
    conn: Connection, *, region_id: int, model: ProcessModel, policy: RetentionPolicy, today: date
) -> list[Closed]:
    """Closed cases (a final stage of the model) whose closure lies beyond the retention period
    and that are not anonymised yet."""
    finals = list(model.final_stages)
    if not finals:
        return []
    statement = text(
        "SELECT id, ref, first_name, last_name, stage_since FROM participant "
        "WHERE region_id = :region AND anonymised_on IS NULL AND stage IN :finals AND stage_since <= :before "
        "ORDER BY stage_since, id"
    ).bindparams(bindparam("finals", expanding=True), bindparam("before", type_=Date()))
    rows = fetch(
        conn,
        statement.columns(stage_since=Date()),  # type: ignore[arg-type]
        {"region": region_id, "finals": finals, "before": policy.closed_before(today)},
    )
    return [
        Closed(pid, ref, f"{ref} ({initials(first, last)})", f"{first} {last}".strip(), since)
        for pid, ref, first, last, since in rows
    ]


def anonymise(conn: Connection, people: Sequence[Closed], *, today: date) -> int:
    """Remove what identifies the given closed cases; what the statistics count stays."""
    if not people:
        return 0
    ids = [person.id for person in people]
    now = utcnow()
    update = text(
        "UPDATE participant SET ref = :ref, first_name = :first, last_name = :last, birth_year = NULL, "
        "email = NULL, phone = NULL, postcode = NULL, step_holds = :holds, anonymised_on = :today, "
        "updated_at = :now WHERE id = :id"
    ).bindparams(bindparam("holds", type_=JSONType), bindparam("today", type_=Date()))
    for person in people:
        conn.execute(
            update,
            {
                "ref": f"ANON-{person.id}",
                "first": ANONYMOUS,
                "last": ANONYMOUS,
                "holds": {},
                "today": today,
                "now": now,
                "id": person.id,
            },
        )
    conn.execute(
        text("UPDATE stage_change SET note = NULL WHERE participant_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    return len(ids)


def purge_audit(conn: Connection, *, region_id: int, before: date) -> int:
    """Delete the region's audit entries older than `before` (the log's own retention)."""
    cutoff = datetime.combine(before, datetime.min.time())
    result = conn.execute(
        text("DELETE FROM audit_log WHERE region_id = :region AND at < :cutoff"),
        {"region": region_id, "cutoff": cutoff},
    )
    return int(result.rowcount or 0)


def old_audit_count(conn: Connection, *, region_id: int, before: date) -> int:
    cutoff = datetime.combine(before, datetime.min.time())
    return int(
        conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE region_id = :region AND at < :cutoff"),
            {"region": region_id, "cutoff": cutoff},
        ).scalar_one()
    )


@dataclass(frozen=True)
class Person:
    id: int
    region_id: int
    ref: str
    label: str
    full_name: str


def find_person(conn: Connection, ref: str) -> Person:
    row = fetch_one(
        conn, text("SELECT id, region_id, ref, first_name, last_name FROM participant WHERE ref = :ref"), {"ref": ref}
    )
    if row is None:
        raise NotFound(f"Teilnehmende mit Referenz '{ref}' gibt es nicht")
    pid, region_id, found, first, last = row
    return Person(pid, region_id, found, f"{found} ({initials(first, last)})", f"{first} {last}".strip())


def erase(conn: Connection, person: Person) -> None:
    """Delete the person's row; the history, enrolments and reminder entries go with it and the
    audit entries keep their time and actor with the person unlinked (the foreign keys cascade or
    set NULL; SQLite connections enforce them, see pipeline.database)."""
    conn.execute(text("DELETE FROM participant WHERE id = :id"), {"id": person.id})


_JSON_COLUMNS = ("state", "step_holds", "payload")


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts; JSON columns decoded the same on both dialects (SQLite hands back text)."""
    found = []
    for row in conn.execute(text(sql), params):
        values = dict(row._mapping)
        for key in _JSON_COLUMNS:
            if isinstance(values.get(key), str):
                values[key] = orjson.loads(values[key])
        found.append(values)
    return found


def case_data(conn: Connection, person: Person) -> dict[str, Any]:
    """Everything the case tables hold about the person (Art. 15 DSGVO), as plain values."""
    pid = {"id": person.id}
    participant = _rows(
        conn,
        "SELECT ref, first_name, last_name, birth_year, email, phone, postcode, location, childcare, part_time, "
        "literacy, youth, transport_reach, model_version, stage, stage_since, state, step_holds, anonymised_on, "
        "created_at, updated_at FROM participant WHERE id = :id",
        pid,
    )[0]
    return {
        "participant": participant,
        "history": _rows(
            conn,
            "SELECT occurred_on, recorded_at, event, from_stage, to_stage, by_agency, by_user, note, payload "
            "FROM stage_change WHERE participant_id = :id ORDER BY occurred_on, id",
            pid,
        ),
        "enrolments": _rows(
            conn,
            "SELECT c.code AS course, c.course_type, c.site, e.enrolled_on, e.left_on FROM enrollment e "
            "JOIN course c ON c.id = e.course_id WHERE e.participant_id = :id ORDER BY e.enrolled_on",
            pid,
        ),
        "audit": _rows(
            conn,
            "SELECT at, actor, role, action, detail, source FROM audit_log WHERE participant_id = :id ORDER BY at, id",
            pid,
        ),
    }

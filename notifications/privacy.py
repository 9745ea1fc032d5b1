"""The privacy jobs across the tables (DSGVO): the retention purge of a region, one person's
erasure and one person's subject access report. The case tables' side is `pipeline.privacy`;
this module adds the e-mails and stored agendas that named the person, and runs each job as one
transaction (all or nothing), audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, text

from pipeline import privacy
from pipeline.database import JSONType
from pipeline.privacy import Closed, Person, RetentionPolicy, retention_for
from pipeline.reads import find_region, region_codes
from pipeline.repository import record_audit_row
from planning.coordination import placement_bookings_of
from planning.repository import drop_bookings
from process_models import ModelCatalog

REDACTED = "[anonymisiert]"
_REF_CHAR = r"A-Za-z0-9._/-"


def _patterns(people: Sequence[Closed | Person]) -> list[re.Pattern[str]]:
    """What names a person in a stored text: the reference as a whole word, and the full name."""
    patterns = []
    for person in people:
        patterns.append(re.compile(rf"(?<![{_REF_CHAR}]){re.escape(person.ref)}(?![{_REF_CHAR}])"))
        if len(person.full_name) > 3:
            patterns.append(re.compile(re.escape(person.full_name)))
    return patterns


def _redact(value: str, patterns: Sequence[re.Pattern[str]]) -> str:
    for pattern in patterns:
        value = pattern.sub(REDACTED, value)
    return value


def _messages_naming(conn: Connection, ids: Sequence[int]) -> list[int]:
    statement = text(
        "SELECT DISTINCT outbox_id FROM reminder_item WHERE participant_id IN :ids AND outbox_id IS NOT NULL"
    ).bindparams(bindparam("ids", expanding=True))
    return [row[0] for row in conn.execute(statement, {"ids": list(ids)})] if ids else []


def redact_stored_texts(conn: Connection, *, region_id: int, people: Sequence[Closed | Person]) -> int:
    """Replace the people's reference and name in the e-mails that listed them and in the
    region's stored agendas; returns how many stored texts changed."""
    if not people:
        return 0
    patterns = _patterns(people)
    changed = 0
    for outbox_id in _messages_naming(conn, [person.id for person in people]):
        row = conn.execute(
            text("SELECT body_text, body_html, attachments FROM outbox_content WHERE outbox_id = :id"),
            {"id": outbox_id},
        ).first()
        if row is None:
            continue
        attachments = orjson.loads(row[2]) if isinstance(row[2], str) else list(row[2] or [])
        for attachment in attachments:
            if isinstance(attachment.get("content"), str):
                attachment["content"] = _redact(attachment["content"], patterns)
        conn.execute(
            text(
                "UPDATE outbox_content SET body_text = :t, body_html = :h, attachments = :a WHERE outbox_id = :id"
            ).bindparams(bindparam("a", type_=JSONType)),
            {"t": _redact(row[0], patterns), "h": _redact(row[1], patterns), "a": attachments, "id": outbox_id},
        )
        changed += 1
    snapshots = conn.execute(
        text(
            "SELECT s.id, s.html, s.content FROM agenda_snapshot s JOIN meeting m ON m.id = s.meeting_id "
            "JOIN meeting_series r ON r.id = m.series_id WHERE r.region_id = :region"
        ),
        {"region": region_id},
    ).all()
    for snapshot_id, html, content in snapshots:
        raw = content if isinstance(content, str) else orjson.dumps(content).decode()
        new_html, new_raw = _redact(str(html), patterns), _redact(raw, patterns)
        if new_html != html or new_raw != raw:
            conn.execute(
                text("UPDATE agenda_snapshot SET html = :h, content = :c WHERE id = :id").bindparams(
                    bindparam("c", type_=JSONType)
                ),
                {"h": new_html, "c": orjson.loads(new_raw), "id": snapshot_id},
            )
            changed += 1
    return changed


@dataclass
class PurgeReport:
    region: str
    policy: RetentionPolicy
    dry_run: bool
    anonymised: list[str] = field(default_factory=list)
    texts_redacted: int = 0
    audit_deleted: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "case_years": self.policy.case_years,
            "audit_years": self.policy.audit_years,
            "policy_source": self.policy.source,
            "dry_run": self.dry_run,
            "anonymised": self.anonymised,
            "texts_redacted": self.texts_redacted,
            "audit_deleted": self.audit_deleted,
        }


def purge_region(
    engine: Engine,
    catalog: ModelCatalog,
    *,
    region: str,
    policy: RetentionPolicy,
    today: date,
    actor: str,
    dry_run: bool = False,
) -> PurgeReport:
    """Anonymise the region's closed cases beyond the retention period (with the e-mails and
    agendas that named them) and delete audit entries beyond the log's own period – one
    transaction; with `dry_run` nothing is written and the report says what would be."""
    report = PurgeReport(region, policy, dry_run)
    with engine.begin() as conn:
        found = find_region(conn, region)
        model = catalog.current(found.code, land=found.land)
        due = privacy.due_for_anonymisation(conn, region_id=found.id, model=model, policy=policy, today=today)
        report.anonymised = [person.label for person in due]
        audit_before = policy.audit_before(today)
        if dry_run:
            report.audit_deleted = privacy.old_audit_count(conn, region_id=found.id, before=audit_before)
            return report
        report.texts_redacted = redact_stored_texts(conn, region_id=found.id, people=due)
        drop_bookings(conn, [person.id for person in due])
        privacy.anonymise(conn, due, today=today)
        report.audit_deleted = privacy.purge_audit(conn, region_id=found.id, before=audit_before)
        record_audit_row(
            conn,
            actor=actor,
            action="privacy_anonymise",
            region_id=found.id,
            detail=f"{len(due)} abgeschlossene Fälle anonymisiert (Abschluss vor {policy.closed_before(today):%d.%m.%Y}), "
            f"{report.audit_deleted} Protokolleinträge vor {audit_before:%d.%m.%Y} gelöscht",
        )
    return report


def purge_regions(
    engine: Engine,
    catalog: ModelCatalog,
    *,
    regions: Sequence[str] | None,
    default: RetentionPolicy,
    overrides_dir: Path | None,
    today: date,
    actor: str,
    dry_run: bool = False,
) -> list[PurgeReport]:
    """`purge_region` for the given regions (all when None), each with its own policy and in its
    own transaction: one region's bad policy file stops the run before anything is written."""
    codes = region_codes(engine, regions)
    policies = {code: retention_for(code, overrides_dir=overrides_dir, default=default) for code in codes}
    return [
        purge_region(engine, catalog, region=code, policy=policies[code], today=today, actor=actor, dry_run=dry_run)
        for code in codes
    ]


def erase_person(engine: Engine, *, ref: str, reason: str, actor: str) -> Person:
    """Delete one person on a justified request (Art. 17 DSGVO): the record, its history and
    reminders, their reference and name in stored e-mails and agendas; audited with the reason."""
    if len(reason.strip()) < 10:
        raise ValueError("Bitte den Grund der Löschung angeben (mindestens 10 Zeichen), z. B. „Antrag vom 01.12.2026“")
    with engine.begin() as conn:
        person = privacy.find_person(conn, ref)
        redact_stored_texts(conn, region_id=person.region_id, people=[person])
        privacy.erase(conn, person)
        record_audit_row(
            conn,
            actor=actor,
            action="privacy_erase",
            region_id=person.region_id,
            detail=f"{person.ref} gelöscht. Grund: {reason.strip()}",
        )
    return person


def subject_access(engine: Engine, *, ref: str, actor: str, today: date) -> dict[str, Any]:
    """Everything stored about one person (Art. 15 DSGVO): the case data, its history and
    enrolments, the e-mails that named them (to whom, when, subject, status), the audit entries."""
    with engine.begin() as conn:
        person = privacy.find_person(conn, ref)
        data = privacy.case_data(conn, person)
        ids = _messages_naming(conn, [person.id])
        mails = (
            [
                dict(row._mapping)
                for row in conn.execute(
                    text(
                        "SELECT o.kind, o.recipient_name, o.recipient, o.send_on, o.sent_at, o.status, o.subject "
                        "FROM outbox o WHERE o.id IN :ids ORDER BY o.send_on, o.id"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"ids": ids},
                )
            ]
            if ids
            else []
        )
        record_audit_row(
            conn,
            actor=actor,
            action="privacy_export",
            region_id=person.region_id,
            participant_id=person.id,
            detail="Auskunft nach Art. 15 DSGVO erstellt",
        )
        bookings = placement_bookings_of(conn, person.id)
    return {"created_on": today.isoformat(), "ref": person.ref, **data, "placement_tests": bookings, "emails": mails}

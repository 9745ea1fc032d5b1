"""Imports of files agencies drop into a folder: `<drop>/<REGION>/<AGENCY>/<kind>/<file>`.

A processed file moves to `<…>/<AGENCY>/archive/`; a rejected one to `<…>/<AGENCY>/failed/`
with its error report beside it, and the agency's contacts get the errors by email. Files still
being written (younger than a minute) wait for the next run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import col, select

from flows.runtime import Runtime
from notifications.outbox import Recipient, enqueue
from notifications.rendering import render_email
from pipeline.database import session_scope
from pipeline.importing import ImportFailed, RowError, import_contacts, import_courses, import_participants
from pipeline.reads import NotFound
from pipeline.repository import get_region
from pipeline.tables import Agency, Contact
from pipeline.tabular import TableError, neutralise, shorten, write_table
from process_models import calendar_for

KINDS = {"participants": "Teilnehmende", "courses": "Kursliste", "contacts": "Stellen und Ansprechpersonen"}
SUFFIXES = (".csv", ".xlsx")
MIN_AGE_SECONDS = 60.0
SHOWN_ERRORS = 30


@dataclass(frozen=True)
class DroppedFile:
    region: str
    agency: str
    kind: str
    path: Path


@dataclass
class DropReport:
    imported: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    emails: int = 0


def find_dropped(
    drop_dir: Path, *, region: str | None = None, min_age_seconds: float = MIN_AGE_SECONDS, now: float | None = None
) -> Iterator[DroppedFile]:
    """Files waiting in the drop folder, oldest first; unknown layouts are skipped, not guessed."""
    if not drop_dir.is_dir():
        return
    now = time.time() if now is None else now
    found = []
    for path in drop_dir.glob("*/*/*/*"):
        region_dir, agency_dir, kind_dir = path.parent.parent.parent, path.parent.parent, path.parent
        if region and region_dir.name != region:
            continue
        if kind_dir.name not in KINDS or path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if now - path.stat().st_mtime < min_age_seconds:
            continue
        found.append(DroppedFile(region_dir.name, agency_dir.name, kind_dir.name, path))
    yield from sorted(found, key=lambda item: (item.path.stat().st_mtime, str(item.path)))


def shown_name(name: str) -> str:
    """A file name as messages, subjects and attachments may carry it: whatever bytes the name
    has (an undecodable one, a control character, a thousand characters), valid UTF-8, short."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return neutralise(shorten(text, 80))


def _move(path: Path, folder: Path, stamp: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = os.fsencode(path.name)
    if len(name) > 180:  # the stamp and "-fehler.csv" must still fit into 255 bytes
        suffix = os.fsencode(path.suffix)[:10]
        name = name[: 180 - len(suffix)] + suffix
    target = folder / os.fsdecode(os.fsencode(stamp) + b"-" + name)
    shutil.move(str(path), target)
    return target


def process_dropped(app: Runtime, item: DroppedFile, *, today: date, report: DropReport) -> None:
    """Import one dropped file all-or-nothing; archive it or reject it with an emailed report."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    agency_dir = item.path.parent.parent
    settings = app.settings
    errors: list[RowError] = []
    try:
        with session_scope(app.engine) as session:
            region = get_region(session=session, code=item.region)
            model = app.model(region)
            max_bytes = settings.import_max_mb * 1_000_000
            if item.kind == "participants":
                import_participants(
                    session=session,
                    path=item.path,
                    region=region,
                    model=model,
                    today=today,
                    max_bytes=max_bytes,
                    user=f"drop:{item.agency}",
                )
            elif item.kind == "courses":
                import_courses(session=session, path=item.path, region=region, model=model, max_bytes=max_bytes)
            else:
                import_contacts(session=session, path=item.path, region=region, model=model, max_bytes=max_bytes)
    except ImportFailed as exc:
        errors = exc.errors
    except (TableError, NotFound) as exc:
        errors = [RowError(0, "", "", str(exc))]
    except OSError as exc:  # unreadable (permissions, vanished): rejected with the reason, not a crash
        errors = [RowError(0, "", "", f"Datei nicht lesbar: {exc.strerror or type(exc).__name__}")]
    if not errors:
        _move(item.path, agency_dir / "archive", stamp)
        report.imported.append(f"{item.region}/{item.agency}/{item.kind}/{shown_name(item.path.name)}")
        return
    failed = _move(item.path, agency_dir / "failed", stamp)
    report_path = failed.with_name(failed.stem + "-fehler.csv")
    write_table(
        report_path, ["zeile", "spalte", "wert", "fehler"], ([e.row, e.column, e.value, e.reason] for e in errors)
    )
    report.rejected.append(f"{item.region}/{item.agency}/{item.kind}/{shown_name(item.path.name)}")
    report.emails += _email_errors(app, item, errors, report_path, today, stamp)


def _email_errors(
    app: Runtime, item: DroppedFile, errors: list[RowError], report_path: Path, today: date, stamp: str
) -> int:
    """Tell the sending agency's contacts what was wrong (its case workers, else its lead)."""
    with session_scope(app.engine) as session:
        try:
            region = get_region(session=session, code=item.region)
        except NotFound:
            return 0  # no region, no agency to tell: the failed/ folder and its report remain
        agency = session.exec(select(Agency).where(Agency.region_id == region.id, Agency.code == item.agency)).first()
        if agency is None:
            return 0
        contacts = session.exec(
            select(Contact).where(Contact.agency_id == agency.id, col(Contact.active).is_(True))
        ).all()
        people = [c for c in contacts if c.role in ("case_worker", "coordinator")] or [
            c for c in contacts if c.role == "lead"
        ]
        send_on = calendar_for(app.model(region)).next_business_day(today)
        sent = 0
        for person in people:
            assert person.id is not None
            rendered = render_email(
                "import_report",
                {
                    "region": {"code": region.code, "name": region.name},
                    "contact": {"name": person.name},
                    "agency_name": agency.name,
                    "file_name": shown_name(item.path.name),
                    "kind_label": KINDS[item.kind],
                    "day": today,
                    "errors": [str(error) for error in errors[:SHOWN_ERRORS]],
                    "more": max(len(errors) - SHOWN_ERRORS, 0),
                    "error_count": len(errors),
                    "coordinator": None,
                },
            )
            sent += enqueue(
                session.connection(),
                kind="import_report",
                # at most 60 characters, whatever the file is called
                period=f"{item.kind}@{stamp}/{hashlib.sha256(os.fsencode(item.path.name)).hexdigest()[:12]}",
                region_id=region.id,
                recipient=Recipient(person.id, person.name, person.email),
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                send_on=send_on,
                items=[shown_name(item.path.name), stamp],
                attachments=[
                    {
                        # the file's own name where it is plain, else one that is
                        "filename": report_path.name
                        if shown_name(report_path.name) == report_path.name
                        else f"{stamp}-fehler.csv",
                        "content_type": "text/csv",
                        "content": report_path.read_text(encoding="utf-8-sig"),
                    }
                ],
            )
    return sent


def run_import_drop(
    app: Runtime, *, today: date, region: str | None = None, min_age_seconds: float = MIN_AGE_SECONDS
) -> DropReport:
    """Process every waiting file in the configured drop folder (one region or all)."""
    report = DropReport()
    for item in find_dropped(app.settings.drop_dir, region=region, min_age_seconds=min_age_seconds):
        process_dropped(app, item, today=today, report=report)
    return report

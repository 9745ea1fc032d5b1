"""Writing the planning's own records: a new version of the cooperation agreement, bookings into
placement-test dates – each with its audit entry, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from pipeline.database import utcnow
from pipeline.repository import record_audit, record_event
from pipeline.tables import Region
from planning.agreement import Agreement, changes, from_document, to_document
from planning.tables import AgreementVersion, PlacementBooking


def save_agreement(
    *, session: Session, region: Region, agreement: Agreement, actor: str, role: str = "", source: str
) -> AgreementVersion | None:
    """The agreement as the region's next version, or None when it equals the one in force."""
    latest = session.exec(
        select(AgreementVersion)
        .where(AgreementVersion.region_id == region.id)
        .order_by(col(AgreementVersion.version).desc())
        .limit(1)
    ).first()
    document = to_document(agreement)
    if latest is not None and latest.document == document:
        return None
    what = changes(from_document(latest.document) if latest else None, agreement)
    version = AgreementVersion(
        region_id=region.id or 0,
        version=(latest.version if latest else 0) + 1,
        document=document,
        changes="; ".join(what),
        created_by=actor,
        source=source,
    )
    session.add(version)
    record_audit(
        session=session,
        actor=actor,
        role=role,
        action="agreement",
        region_id=region.id,
        detail=f"Kooperationsvereinbarung Fassung {version.version}: {version.changes}",
        source=source,
    )
    return version


def book_placement_tests(
    *,
    session: Session,
    region: Region,
    bookings: Sequence[tuple[int, date, str, int]],
    actor: str,
    source: str,
    today: date,
) -> int:
    """Store new bookings (participant id, date, host, site id): people booked into a date from
    `today` on keep theirs, a missed date is replaced."""
    if not bookings:
        return 0
    held = {
        row.participant_id: row
        for row in session.exec(
            select(PlacementBooking).where(col(PlacementBooking.participant_id).in_([b[0] for b in bookings]))
        ).all()
    }
    new = []
    for participant, day, host, site in bookings:
        row = held.get(participant)
        if row is not None and row.test_date >= today:
            continue  # booked meanwhile (another run): theirs stands
        if row is None:
            row = PlacementBooking(
                region_id=region.id or 0, participant_id=participant, test_date=day, host=host, site_id=site
            )
        # a missed date is booked again in the same row
        row.test_date, row.host, row.site_id, row.booked_by, row.booked_at = day, host, site, actor, utcnow()
        session.add(row)
        new.append(participant)
    if new:
        record_audit(
            session=session,
            actor=actor,
            action="placement_booking",
            region_id=region.id,
            detail=f"{len(new)} Personen zu zentralen Einstufungstests eingeplant",
            source=source,
        )
    return len(new)


def import_agreement(
    *, session: Session, region: Region, text: str, name: str, model: Any, actor: str, role: str = "", source: str
) -> AgreementVersion | None:
    """Read an agreement file against the region's providers, sites and course types and store it
    as the next version (AgreementError listing every problem; nothing stored then)."""
    from planning.agreement import parse_agreement  # noqa: PLC0415
    from planning.coordination import agreement_catalogue  # noqa: PLC0415

    catalogue = agreement_catalogue(session.connection(), region.id or 0, model)
    return save_agreement(
        session=session,
        region=region,
        agreement=parse_agreement(text, name, catalogue),
        actor=actor,
        role=role,
        source=source,
    )


def import_placement_results(
    *, session: Session, path: Any, region: Region, model: Any, max_bytes: int, today: date, user: str
) -> Any:
    """Results of central placement tests from the host (CSV/xlsx: ref, datum, kursart,
    einstiegsmodul, traeger), each recorded as the model's placement event; all or nothing, with a
    German error per row. The person's booking is released once placed."""
    from pipeline.importing import (  # noqa: PLC0415
        Column,
        ImportFailed,
        ImportResult,
        RowError,
        map_headers,
        parse_rows,
    )
    from pipeline.tables import Agency, Participant  # noqa: PLC0415
    from pipeline.tabular import read_table  # noqa: PLC0415
    from planning.reads import placement_event  # noqa: PLC0415
    from process_models import Event  # noqa: PLC0415
    from process_models.state import TransitionNotAllowed  # noqa: PLC0415

    event_id = placement_event(model)
    if event_id is None:
        raise ImportFailed([RowError(0, "", "", "Das Prozessmodell der Region kennt kein Ereignis für die Einstufung")])
    spec = model.events[event_id]
    course_field = next(f.name for f in spec.payload if f.required and f.type == "course_type")
    module_field = next((f.name for f in spec.payload if f.type == "int"), None)
    columns = [
        Column("ref", "ref", "ref", True, ("referenz", "zeichen")),
        Column("datum", "on", "date", True, ("testdatum", "eingestuft_am")),
        Column("kursart", course_field, "course_type", True),
        Column("traeger", "provider", "str", False, ("kurstraeger", "teststelle")),
    ]
    if module_field:
        columns.append(Column("einstiegsmodul", module_field, "int", False, ("modul",)))
    table = read_table(path, max_bytes=max_bytes)
    mapping, errors = map_headers(table, columns)
    if errors:
        raise ImportFailed(errors)
    rows = list(parse_rows(table, mapping, model, lambda column: column.kind, errors))
    providers = {
        a.code for a in session.exec(select(Agency).where(Agency.region_id == region.id, Agency.type == "KT")).all()
    }
    refs = [values["ref"] for _line, values in rows if values.get("ref")]
    people = {
        p.ref: p
        for p in session.exec(
            select(Participant).where(Participant.region_id == region.id, col(Participant.ref).in_(refs))
        ).all()
    }
    result = ImportResult()
    placed: list[int] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        ref = values.get("ref")
        if not ref or values.get("on") is None or values.get(course_field) is None:
            continue  # reported by parse_rows
        if ref in seen:
            errors.append(RowError(line, "ref", ref, f"kommt doppelt vor (zuerst in Zeile {seen[ref]})"))
            continue
        seen[ref] = line
        person = people.get(ref)
        if person is None or person.anonymised_on is not None:
            errors.append(RowError(line, "ref", ref, "keine Teilnehmende dieser Region"))
            continue
        on = values["on"]
        if on > today:
            errors.append(RowError(line, "datum", on.isoformat(), "das Testdatum liegt in der Zukunft"))
            continue
        provider = values.get("provider")
        if provider and provider not in providers:
            errors.append(
                RowError(
                    line, "traeger", provider, f"kein Kursträger der Region (bekannt: {', '.join(sorted(providers))})"
                )
            )
            continue
        payload = {course_field: values[course_field]}
        if module_field and values.get(module_field) is not None:
            payload[module_field] = values[module_field]
        try:
            record_event(
                session=session,
                participant=person,
                event=Event(
                    event_id,
                    payload,
                    by="KT",
                    note=f"Zentraler Einstufungstest{f' bei {provider}' if provider else ''}",
                ),
                on=on,
                model=model,
                today=today,
                user=user,
            )
        except TransitionNotAllowed as exc:
            errors.append(RowError(line, "ref", ref, exc.message_de))
            continue
        placed.append(person.id or 0)
        result.created += 1
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    for booking in session.exec(select(PlacementBooking).where(col(PlacementBooking.participant_id).in_(placed))).all():
        session.delete(booking)
    record_audit(
        session=session,
        actor=user,
        action="import",
        region_id=region.id,
        detail=f"{result.created} Ergebnisse zentraler Einstufungstests",
        source="cli",
    )
    return result


def drop_bookings(conn: Any, participant_ids: Sequence[int]) -> int:
    """Delete the placement-test bookings of these people (a case anonymised at the end of its
    retention keeps nothing that could reach them)."""
    if not participant_ids:
        return 0
    from sqlalchemy import bindparam, text  # noqa: PLC0415

    result = conn.execute(
        text("DELETE FROM placement_booking WHERE participant_id IN :ids").bindparams(bindparam("ids", expanding=True)),
        {"ids": list(participant_ids)},
    )
    return int(result.rowcount or 0)


def refresh_proposal(
    conn: Any,
    region: Any,
    model: Any,
    *,
    today: date,
    months: int,
    max_wait_minutes: int,
    actor: str,
    time_limit: float = 10.0,
) -> Any:
    """Compute the region's course proposal and store it as its last one (planning.reads.ProposalView)."""
    from sqlalchemy import delete, insert  # noqa: PLC0415

    from planning.coordination import proposals_for_region  # noqa: PLC0415
    from planning.tables import ProposalRun  # noqa: PLC0415

    view = proposals_for_region(
        conn, region, model, today=today, months=months, max_wait_minutes=max_wait_minutes, time_limit=time_limit
    )
    table = ProposalRun.__table__  # type: ignore[attr-defined]
    conn.execute(delete(table).where(table.c.region_id == region.id))
    conn.execute(
        insert(table).values(
            region_id=region.id,
            as_of=today,
            agreement_version=view.version,
            document=view.to_json(),
            computed_at=utcnow(),
            computed_by=actor,
        )
    )
    return view

"""Fuzzed imports (issue 21): a seeded generator of a few hundred files – flipped and foreign
bytes, NUL and control characters, mixed and missing encodings, cut-off files, very long values,
future dates, broken and bombed .xlsx archives – through the import and through the file drop.

Each file must end in one of two ways: imported, or refused with a German message; never a
traceback (any other exception), never a partial write (the participant count is unchanged
after a refusal), and every error report e-mail of the drop must build and send.
"""

from __future__ import annotations

import io
import os
import random
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from flows.import_drop import run_import_drop
from foerderkette.app import App
from foerderkette.settings import Settings
from notifications.mailers import MemoryMailer
from notifications.outbox import send_due
from notifications.tables import OutboxMessage
from pipeline.importing import ImportFailed, import_participants
from pipeline.tables import Participant, Region
from pipeline.tabular import TableError, write_table
from process_models import ProcessModel, load_model
from tests.factories import make_region

pytestmark = pytest.mark.chaos

SEED = 20261202
FILES = 300
DROPPED = 40
TODAY = date(2026, 11, 23)
HEADER = "ref;nachname;vorname;geburtsjahr;email;plz;stage;berechtigt_am;berechtigt_durch;stufe_seit"
NAMES = ["Müßig-Çelik", "Haddad", "Kovalenko", "Nguyễn", "Öztürk", "Rahimi", "Ağaoğlu", "Šimić"]


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


def _valid_rows(rng: random.Random, count: int) -> list[str]:
    rows = []
    for number in range(count):
        name = rng.choice(NAMES)
        rows.append(
            f"BA-{rng.randint(1, 400):04d}-{number};{name};Ayşe;{rng.randint(1960, 2005)};"
            f"p{number}@mail.example;96047;berechtigt;2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)};ABH;"
        )
    return rows


def _mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """One of the faults agencies' files have, seeded."""
    choice = rng.randrange(16)
    position = rng.randrange(max(len(data), 1))
    if choice == 0:
        return "byte flipped", data[:position] + bytes([rng.randrange(256)]) + data[position + 1 :]
    if choice == 1:
        return "NUL", data[:position] + b"\x00" + data[position:]
    if choice == 2:
        return "control character", data[:position] + bytes([rng.choice([1, 7, 8, 11, 12, 27, 127])]) + data[position:]
    if choice == 3:
        return "Windows-1252 byte in UTF-8", data[:position] + rng.choice([b"\xe9", b"\xfc", b"\xdf"]) + data[position:]
    if choice == 4:
        return "cut off", data[:position]
    if choice == 5:
        return "Windows-1252", data.decode(errors="replace").encode("cp1252", "replace")
    if choice == 6:
        return "UTF-16 with BOM", data.decode(errors="replace").encode("utf-16")
    if choice == 7:
        return "UTF-16 without BOM", data.decode(errors="replace").encode("utf-16-le")
    if choice == 8:
        return "BOM", b"\xef\xbb\xbf" + data
    if choice == 9:
        long = ("X" * rng.choice([121, 5_000, 100_000, 140_000])).encode()
        return "long value", data.replace(b"Ay\xc5\x9fe", long, 1)
    if choice == 10:
        return "future date", data.replace(b";ABH;", b";ABH;2099-01-01", 1)
    if choice == 11:
        return "random bytes", bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))
    if choice == 12:
        return "unbalanced quote", data[:position] + b'"' + data[position:]
    if choice == 13:
        return "comma delimiter", data.replace(b";", b",")
    if choice == 14:
        return "stray column", data.replace(b";ABH;", b";ABH;;extra", 1)
    return "valid", data


def _xlsx(rng: random.Random, rows: list[str], tmp: Path) -> tuple[str, bytes]:
    path = tmp / "source.xlsx"
    write_table(path, HEADER.split(";"), [row.split(";") for row in rows])
    data = path.read_bytes()
    choice = rng.randrange(4)
    if choice == 0:
        return "xlsx", data
    if choice == 1:
        return "xlsx cut off", data[: rng.randrange(len(data))]
    if choice == 2:
        return "xlsx flipped byte", bytearray_flip(rng, data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 300_000)
    return "xlsx bomb", buffer.getvalue()


def bytearray_flip(rng: random.Random, data: bytes) -> bytes:
    changed = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        changed[rng.randrange(len(changed))] = rng.randrange(256)
    return bytes(changed)


def fuzzed_files(tmp: Path) -> Iterator[tuple[str, str, bytes]]:
    """(case, suffix, content) – the same files on every run."""
    rng = random.Random(SEED)
    for _ in range(FILES):
        rows = _valid_rows(rng, rng.randint(1, 60))
        if rng.random() < 0.15:
            case, data = _xlsx(rng, rows, tmp)
            yield case, ".xlsx", data
            continue
        data = ("\n".join([HEADER, *rows]) + "\n").encode()
        case, data = _mutate(rng, data)
        if rng.random() < 0.2:
            second, data = _mutate(rng, data)
            case = f"{case} + {second}"
        yield case, ".csv", data


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Participant)).one())


def test_fuzzed_files_are_imported_or_refused_never_half_written(
    engine: Engine, model: ProcessModel, tmp_path: Path
) -> None:
    with Session(engine) as session:
        make_region(session)
    outcomes: Counter[str] = Counter()
    tracebacks: list[str] = []
    partial = 0
    slowest = 0.0
    for number, (case, suffix, data) in enumerate(fuzzed_files(tmp_path)):
        path = tmp_path / f"f{number}{suffix}"
        path.write_bytes(data)
        before = _count(engine)
        started = time.perf_counter()
        try:
            with Session(engine) as session:
                region = session.exec(select(Region)).one()
                try:
                    import_participants(
                        session=session, path=path, region=region, model=model, today=TODAY, max_bytes=20_000_000
                    )
                    session.commit()
                    outcomes["imported"] += 1
                except (ImportFailed, TableError) as exc:
                    session.rollback()
                    message = exc.report() if isinstance(exc, ImportFailed) else str(exc)
                    assert message and len(message) < 20_000, (case, len(message))
                    outcomes["refused"] += 1
                    if _count(engine) != before:
                        partial += 1
        except Exception as exc:  # anything else is a traceback a user would see
            tracebacks.append(f"{number} {case}: {type(exc).__name__}: {exc}"[:300])
        slowest = max(slowest, time.perf_counter() - started)
    print(
        f"\nfuzzed imports ({engine.dialect.name}): {FILES} files, {outcomes['imported']} imported, "
        f"{outcomes['refused']} refused, {len(tracebacks)} tracebacks, {partial} partial writes, "
        f"slowest {slowest:.2f} s"
    )
    assert not tracebacks, tracebacks[:5]
    assert partial == 0
    assert outcomes["imported"] > 10 and outcomes["refused"] > 100  # the generator covers both ends


def test_fuzzed_files_in_the_drop_are_answered_by_an_email_that_always_goes_out(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        make_region(session)
    app = App(Settings(database_url=db_url, drop_dir=tmp_path / "drop", mailer="memory"))
    folder = app.settings.drop_dir / "BY-BA" / "JC-BA" / "participants"
    folder.mkdir(parents=True)
    odd_names = ["liste.csv", "Liste März ✓.csv", "x" * 200 + ".csv", "tab\tname.csv", "neu\nzeile.csv"]
    files = list(fuzzed_files(tmp_path))[:DROPPED]
    old = time.time() - 3600
    for number, (_case, suffix, data) in enumerate(files):
        name = odd_names[number % len(odd_names)].replace(".csv", f"-{number}{suffix}")
        path = folder / name
        path.write_bytes(data)
        os.utime(path, (old, old))
    raw = os.fsencode(folder) + b"/undecodable-\xff\xfe.csv"  # a name that is not UTF-8
    with open(raw, "wb") as handle:
        handle.write(b"ref;nachname\nBA-1;\x00\n")
    os.utime(raw, (old, old))
    report = run_import_drop(app, today=TODAY)
    assert len(report.imported) + len(report.rejected) == DROPPED + 1
    assert not list(folder.iterdir())  # every file was answered: archived or rejected
    mailer = MemoryMailer()
    sent = send_due(engine=engine, mailer=mailer, mail_from="foerderkette@lra.example", today=TODAY)
    with Session(engine) as session:
        reports = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "import_report")).all()
    print(
        f"\nfuzzed drop ({engine.dialect.name}): {DROPPED + 1} files, {len(report.imported)} imported, "
        f"{len(report.rejected)} rejected, {len(reports)} error e-mails, {sent.sent} sent, {sent.failed} failed"
    )
    assert len(reports) == report.emails == len(report.rejected)
    assert sent.failed == 0 and sent.retry == 0 and sent.sent == len(reports)
    assert {message.status for message in reports} == {"sent"}
    for message in mailer.outbox:
        assert "\ufffd" not in str(message["Subject"]) or "undecodable" in str(message["Subject"])

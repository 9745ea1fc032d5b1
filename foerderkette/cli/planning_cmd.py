"""`foerderkette planning demand --region CODE`: demand by place and format (issue 23).

Imports inside the handlers are on purpose: every command module is imported for `--help`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    print_csv,
    print_json,
    print_table,
    read_connection,
    report_failed_import,
)


def register(sub: Any) -> None:
    planning = sub.add_parser(
        "planning",
        help="Kursbedarfsplanung: Bedarf nach Ort und Format",
        description="Bedarf nach Gemeinde, Kursart und Teilzeitbedarf: Wartende, aus der Pipeline Erwartete, "
        "erreichbare freie Plätze, Lücke; ob und wann Spezialkurse ihre Mindestgröße erreichen.",
    )
    actions = planning.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(planning))
    demand = add_command(actions, "demand", "Bedarf nach Ort und Format für die nächsten Monate", _demand)
    demand.add_argument("--region", required=True, help="Region (Kürzel)")
    demand.add_argument(
        "--months", type=int, default=6, choices=range(1, 25), metavar="1–24", help="Zeitraum in Monaten (Standard 6)"
    )
    demand.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    demand.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    demand.add_argument("-o", "--output", type=Path, help="bei html: in diese Datei schreiben")

    proposals = add_command(
        actions,
        "proposals",
        "Vorschlag: wo und wann neue Kurse beginnen sollten",
        _proposals,
        description="Ein gemischt-ganzzahliges Programm (HiGHS): möglichst viele Wartende und Erwartete sollen binnen "
        "sechs Wochen beginnen (§ 7 Abs. 3 IntV), mit den bestehenden Kursen, dem Startplan und den Kapazitäten der "
        "Kursträger aus der Kooperationsvereinbarung. Ein Vorschlag für das Netzwerktreffen, keine Entscheidung. "
        "Er wird als letzter Vorschlag der Region gespeichert und in Tagesordnung und Weboberfläche mit Datum gezeigt.",
    )
    proposals.add_argument("--region", required=True, help="Region (Kürzel)")
    proposals.add_argument(
        "--months", type=int, default=6, choices=range(1, 13), metavar="1–12", help="Zeitraum in Monaten (Standard 6)"
    )
    proposals.add_argument(
        "--time-limit", type=float, default=10.0, help="Rechenzeit höchstens (Sekunden, Standard 10)"
    )
    proposals.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    proposals.add_argument("--format", choices=("text", "json"), default="text")

    agreement = add_command(
        actions,
        "agreement",
        "Kooperationsvereinbarung der Kursträger anzeigen oder einlesen",
        _agreement,
        description="Die Vereinbarung: beteiligte Kursträger mit Kursarten, Kursorten und Kursbeginnen je Monat, "
        "der rollierende Startplan und die Rotation der zentralen Einstufungstests. Jede Änderung ist eine neue "
        "Fassung; alle Fassungen bleiben erhalten und stehen im Zugriffsprotokoll.",
    )
    agreement.add_argument("action", choices=("show", "import", "history"), help="show, import DATEI oder history")
    agreement.add_argument("file", nargs="?", type=Path, help="bei import: die Vereinbarung als YAML-Datei")
    agreement.add_argument("--region", required=True, help="Region (Kürzel)")
    agreement.add_argument("--format", choices=("text", "yaml", "json"), default="text")

    testing = add_command(
        actions,
        "testing",
        "Zentrale Einstufungstests: Termine, Belegung, Einladungen",
        _testing,
        description="Termine nach Rhythmus und Gastgeber-Rotation der Vereinbarung, von Feiertagen verschoben; "
        "Wartende ohne Einstufung werden dem nächsten Termin mit freiem Platz zugeordnet, den sie mit Bus und "
        "Bahn erreichen. Ohne --book wird nichts gespeichert.",
    )
    testing.add_argument("--region", required=True, help="Region (Kürzel)")
    testing.add_argument(
        "--months", type=int, default=3, choices=range(1, 13), metavar="1–12", help="Zeitraum in Monaten (Standard 3)"
    )
    testing.add_argument("--book", action="store_true", help="die vorgeschlagenen Einplanungen speichern")
    testing.add_argument(
        "--invitations", type=Path, metavar="DATEI.html", help="druckbare Einladungen je Person schreiben"
    )
    testing.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    testing.add_argument("--format", choices=("text", "json", "html"), default="text")
    testing.add_argument("-o", "--output", type=Path, help="Ausgabe in diese Datei statt auf den Bildschirm")

    results = add_command(
        actions,
        "results",
        "Ergebnisse zentraler Einstufungstests einlesen (als Einstufung je Person)",
        _results,
        description="CSV oder .xlsx mit den Spalten ref, datum, kursart und optional einstiegsmodul, traeger. "
        "Jede Zeile wird als Einstufung der Person erfasst; alles oder nichts, jeder Fehler mit Zeile und Spalte.",
    )
    results.add_argument("file", type=Path, help="Datei (.csv oder .xlsx)")
    results.add_argument("--region", required=True, help="Region (Kürzel)")
    results.add_argument("--as-of", type=iso_date, help="heutiges Datum (Standard: heute)")


def _demand(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.reads import demand_for_region  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    settings = Settings.from_env()
    model = load_model()
    today = args.as_of or current_date()
    try:
        with read_connection() as conn:
            demand = demand_for_region(
                conn,
                find_region(conn, args.region),
                model,
                today=today,
                months=args.months,
                max_wait_minutes=settings.transit_max_wait_minutes,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    labels = {key: spec.label for key, spec in model.course_types.items()}

    def kind(course_type: str, part_time: bool) -> str:
        return labels.get(course_type, course_type) + (" (Teilzeit/Abend)" if part_time else "")

    headers = ["Gemeinde", "Kursart", "Wartende", "Erwartet", "Erreichbare Plätze", "Lücke", "Cluster (Kursort)"]
    rows = [
        [
            r.municipality,
            kind(r.course_type, r.part_time),
            r.waiting,
            f"{r.expected:.1f}",
            r.places,
            f"{r.gap:.1f}",
            r.cluster,
        ]
        for r in demand.rows
    ]
    if args.format == "json":
        print_json(demand.to_json())
        return 0
    if args.format == "html":
        from planning.render import demand_html  # noqa: PLC0415

        page = demand_html(demand, model, region=args.region, as_of=today)
        if args.output:
            args.output.write_text(page, encoding="utf-8")
            print(f"Bedarf geschrieben: {args.output}")
        else:
            sys.stdout.write(page)
        return 0
    if args.format == "csv":
        print_csv(headers, rows)
        return 0
    rates = demand.rates
    print(f"Bedarf nach Ort und Format – Region {args.region}, {args.months} Monate ab {german_date(today)}")
    print(
        f"Aus dem eigenen Verlauf: {sum(rates.entries_per_month.values()):.1f} neue Berechtigungen/Verpflichtungen je Monat; "
        f"von {rates.cohort} vor 6–18 Monaten Berechtigten haben {rates.converted} einen Kurs begonnen "
        f"({rates.conversion:.0%}); davon Teilzeit/Abend {rates.part_time_share:.0%}."
    )
    print()
    print_table(headers, rows)
    print("\nCluster (Gemeinden, die denselben Kursort am schnellsten erreichen) – Mindestgröße erreichbar?")
    print_table(
        ["Cluster", "Kursart", "Gemeinden", "Wartende", "Erwartet", "Mindestgröße", "erreicht"],
        (
            [
                c.cluster,
                kind(c.course_type, c.part_time),
                c.municipalities,
                c.waiting,
                f"{c.expected:.1f}",
                c.min_size,
                "jetzt"
                if c.months_to_minimum == 0
                else f"in {c.months_to_minimum} Monaten"
                if c.months_to_minimum
                else "nicht absehbar",
            ]
            for c in demand.clusters
        ),
    )
    if demand.tradeoffs:
        print("\nAbwägung: eigener Kurs in der Nähe oder allgemeiner Kurs weiter weg")
        print_table(
            [
                "Cluster",
                "Kursart",
                "Wartende",
                "eigener Kurs in (Wochen)",
                "allgemeiner Kurs",
                "Beginn in (Wochen)",
                "Fahrzeit (Min.)",
            ],
            (
                [
                    t.cluster,
                    kind(t.course_type, t.part_time),
                    t.waiting,
                    "nicht absehbar" if t.dedicated_weeks is None else t.dedicated_weeks,
                    t.general_course or "keiner erreichbar",
                    "–" if t.general_weeks is None else t.general_weeks,
                    "–" if t.general_minutes is None else t.general_minutes,
                ]
                for t in demand.tradeoffs
            ),
        )
    return 0


def _agreement(args: argparse.Namespace) -> int:
    if args.action == "import":
        return _agreement_import(args)
    if args.file is not None:
        raise CliError(f"„{args.action}“ nimmt keine Datei")
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.agreement import to_yaml  # noqa: PLC0415
    from planning.coordination import agreement_view  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    model = load_model()
    labels = {key: spec.label for key, spec in model.course_types.items()}
    try:
        with read_connection() as conn:
            view = agreement_view(conn, find_region(conn, args.region), model)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print_json(view.to_json())
        return 0
    if args.action == "history":
        print(f"Fassungen der Kooperationsvereinbarung – Region {args.region}")
        print_table(
            ["Fassung", "am", "von", "Änderungen"],
            ([v, german_date(at.date()) if at else "–", by, what] for v, at, by, _source, what in view.history),
        )
        return 0
    if view.agreement is None:
        print(f"Region {args.region} hat noch keine Kooperationsvereinbarung („planning agreement import DATEI“).")
        return 0
    if args.format == "yaml":
        sys.stdout.write(to_yaml(view.agreement, labels))
        return 0
    a = view.agreement
    print(
        f"Kooperationsvereinbarung der Kursträger – Region {args.region}, Fassung {view.version} "
        f"vom {german_date(view.created_at.date())}"
        + (f", gültig ab {german_date(a.valid_from)}" if a.valid_from else "")
    )
    if a.note:
        print(a.note)
    print()
    print_table(
        ["Kursträger", "Kursarten", "Kursorte", "Kursbeginne je Monat"],
        (
            [
                view.provider_names.get(t.provider, t.provider),
                ", ".join(labels.get(k, k) for k in t.course_types),
                ", ".join(view.site_names.get(code, code) for code in t.sites),
                t.starts_per_month,
            ]
            for t in a.providers
        ),
    )
    if a.starts:
        print("\nRollierender Startplan")
        from pipeline.labels import COURSE_SLOTS as slots  # noqa: PLC0415

        print_table(
            ["Monat", "Kursträger", "Kursart", "Kursort", "Zeit"],
            (
                [
                    f"{s.month[5:]}/{s.month[:4]}",
                    view.provider_names.get(s.provider, s.provider),
                    labels.get(s.course_type, s.course_type),
                    view.site_names.get(s.site, s.site),
                    slots.get(s.slot, s.slot),
                ]
                for s in a.starts
            ),
        )
    if a.testing:
        r = a.testing
        print(
            f"\nZentrale Einstufungstests: {r.cadence} ab {german_date(r.first)}, {r.time} Uhr, {r.capacity} Plätze; "
            "Gastgeber im Wechsel: "
            + ", ".join(
                f"{view.provider_names.get(h.provider, h.provider)} ({view.site_names.get(h.site, h.site)})"
                for h in r.hosts
            )
        )
    return 0


def _agreement_import(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from planning.agreement import AgreementError  # noqa: PLC0415
    from planning.repository import import_agreement  # noqa: PLC0415

    if args.file is None:
        raise CliError("import braucht die Datei der Vereinbarung")
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{args.file.name}: nicht lesbar ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CliError(f"{args.file.name}: keine UTF-8-Textdatei") from None
    app = App(Settings.from_env())
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            version = import_agreement(
                session=session,
                region=region,
                text=text,
                name=args.file.name,
                model=app.model(region),
                actor=f"cli:{getpass.getuser()}",
                source="cli",
            )
            number, what = (version.version, version.changes) if version else (None, "")
    except NotFound as exc:
        raise CliError(str(exc)) from None
    except AgreementError as exc:
        print(
            f"foerderkette: Fehler: {args.file.name}: nichts gespeichert – {len(exc.problems)} Fehler:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        app.dispose()
    if number is None:
        print(f"{args.file.name}: unverändert – die geltende Fassung bleibt (Region {args.region})")
    else:
        print(f"{args.file.name}: Kooperationsvereinbarung Fassung {number} gespeichert (Region {args.region}): {what}")
    return 0


def _testing(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.coordination import invitations_for, testing_for_region  # noqa: PLC0415
    from planning.render import invitations_html, testing_html  # noqa: PLC0415
    from planning.testing import slot_at  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    settings = Settings.from_env()
    model = load_model()
    today = args.as_of or current_date()
    try:
        with read_connection() as conn:
            region = find_region(conn, args.region)
            view = testing_for_region(
                conn,
                region,
                model,
                today=today,
                months=args.months,
                max_wait_minutes=settings.transit_max_wait_minutes,
            )
            invitations = (
                invitations_for(conn, region, view, slot=slot_at(view.dates[0].time) if view.dates else "morning")
                if args.invitations
                else []
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    stored = _book(args, view, today) if args.book else None
    if args.invitations:
        args.invitations.write_text(invitations_html(args.region, invitations), encoding="utf-8")
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.format == "json":
            print_json({**view.to_json(), "stored": stored}, out)
        elif args.format == "html":
            out.write(testing_html(view))
        else:
            _print_testing(view, stored, out)
    finally:
        if args.output:
            out.close()
    if args.invitations:
        print(f"{len(invitations)} Einladungen in {args.invitations}", file=sys.stderr)
    return 0


def _book(args: argparse.Namespace, view: Any, today: Any) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from planning.repository import book_placement_tests  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            return book_placement_tests(
                session=session,
                region=region,
                bookings=[(b.participant_id, b.day, b.host, b.site_id) for b in view.bookings if b.new],
                actor=f"cli:{getpass.getuser()}",
                source="cli",
                today=today,
            )
    finally:
        app.dispose()


def _print_testing(view: Any, stored: int | None, out: Any) -> None:
    print(
        f"Zentrale Einstufungstests – Region {view.region}, {view.months} Monate ab {german_date(view.as_of)}", file=out
    )
    if view.missing:
        print(view.missing, file=out)
        return
    print_table(
        ["Datum", "Uhrzeit", "Gastgeber", "Ort", "Eingeplant", "Vorgeschlagen", "Plätze", "Hinweis"],
        (
            [
                german_date(d.day),
                d.time,
                d.host_name,
                d.site_name,
                d.booked + (d.proposed if stored is not None else 0),
                0 if stored is not None else d.proposed,
                d.capacity,
                f"verschoben vom {german_date(d.nominal)} ({', '.join(d.moved_because)})" if d.moved_because else "",
            ]
            for d in view.dates
        ),
        out,
    )
    new = sum(b.new for b in view.bookings)
    kept = len(view.bookings) - new
    print(
        f"\n{kept} Personen sind schon eingeplant, {new} werden "
        + ("eingeplant (gespeichert)." if stored is not None else "vorgeschlagen (speichern mit --book)."),
        file=out,
    )
    if view.unbooked:
        reasons: dict[str, int] = {}
        for _ref, _municipality, why in view.unbooked:
            reasons[why] = reasons.get(why, 0) + 1
        print(
            f"{len(view.unbooked)} Personen ohne Termin: "
            + "; ".join(f"{why} ({n})" for why, n in sorted(reasons.items())),
            file=out,
        )


def _proposals(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.repository import refresh_proposal  # noqa: PLC0415

    settings = Settings.from_env()
    today = args.as_of or current_date()
    app = App(settings)
    try:
        with app.engine.begin() as conn:
            region = find_region(conn, args.region)
            model = app.model(region)
            # stored as the region's last proposal: agendas and the page „Planung“ show it with its date
            view = refresh_proposal(
                conn,
                region,
                model,
                today=today,
                months=args.months,
                max_wait_minutes=settings.transit_max_wait_minutes,
                actor=f"cli:{getpass.getuser()}",
                time_limit=args.time_limit,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    if args.format == "json":
        print_json(view.to_json())
        return 0
    labels = {key: spec.label for key, spec in model.course_types.items()}
    from pipeline.labels import COURSE_SLOTS as slots  # noqa: PLC0415

    print(
        f"Vorschlag neuer Kursbeginne – Region {args.region}, {args.months} Monate ab {german_date(today)} (keine Entscheidung)"
    )
    if view.missing:
        print(view.missing)
        return 0
    print(
        f"{view.waiting} Personen warten, mit den Erwarteten {view.demand}; bestehende Kurse und Startplan "
        f"(Kooperationsvereinbarung Fassung {view.version}) nehmen {view.served_existing} auf."
    )
    print(view.message)
    print()
    print_table(
        ["Beginn", "Kursträger", "Kursart", "Kursort", "Zeit", "Teilnehmende", "davon binnen 6 Wochen", "aus"],
        (
            [
                german_date(r.start),
                r.provider_name,
                labels.get(r.course_type, r.course_type),
                r.site,
                slots.get(r.slot, r.slot),
                r.participants,
                r.within_target,
                ", ".join(r.municipalities),
            ]
            for r in view.rows
        ),
    )
    if view.unserved:
        print("\nOhne Platz im Zeitraum (auch mit den vorgeschlagenen Kursen):")
        print_table(
            ["Gemeinde", "Kursart", "Personen", "Grund"],
            ([m, labels.get(t, t) + (" (Teilzeit/Abend)" if pt else ""), n, why] for m, t, pt, n, why in view.unserved),
        )
    print("\nRechnung: " + "; ".join(view.stages))
    print("Gespeichert als letzter Vorschlag der Region (Tagesordnung und Seite „Planung“ zeigen ihn mit Datum).")
    return 0


def _results(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.importing import ImportFailed  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from pipeline.tabular import TableError  # noqa: PLC0415
    from planning.repository import import_placement_results  # noqa: PLC0415

    settings = Settings.from_env()
    app = App(settings)
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            result = import_placement_results(
                session=session,
                path=args.file,
                region=region,
                model=app.model(region),
                max_bytes=settings.import_max_mb * 1_000_000,
                today=args.as_of or current_date(),
                user=f"cli:{getpass.getuser()}",
            )
    except (NotFound, TableError) as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    except ImportFailed as exc:
        return report_failed_import(args.file.name, exc)
    finally:
        app.dispose()
    print(f"{args.file.name}: {result.created} Einstufungen erfasst (Region {args.region})")
    return 0

"""`foerderkette demo`: load realistic synthetic data.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from foerderkette.cli.base import CliError, add_command, current_date, iso_date


def register(sub: Any) -> None:
    demo = add_command(
        sub,
        "demo",
        "realistische Demo-Daten laden",
        _demo,
        description="Legt bayerische Regionen mit Stellen, Ansprechpersonen, Kursträgern, Kursen und Teilnehmenden in allen Stufen an. "
        "Der Verlauf jeder Person wird durch die Prozess-Engine gespielt. Gleicher Seed und Stichtag ergeben dieselben Daten.",
    )
    demo.add_argument("--participants", type=int, default=2000, help="Zahl der Teilnehmenden (Standard 2000)")
    demo.add_argument("--regions", type=int, default=3, help="Zahl der Regionen (Standard 3, höchstens 96)")
    demo.add_argument("--seed", type=int, default=1, help="Zufallsstartwert (Standard 1)")
    demo.add_argument("--as-of", type=iso_date, help="Stichtag der Daten (Standard: heute)")
    demo.add_argument("--replace", action="store_true", help="vorhandene Demo-Regionen samt Daten ersetzen")
    demo.add_argument(
        "--login-password",
        metavar="PASSWORT",
        help="legt mit diesem Passwort Demo-Konten für die Weboberfläche in der ersten Region an "
        "(koordination, jobcenter, kurstraeger, lesen) – nur für Demo-Datenbanken",
    )


class _Bar:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        if self.tty:
            filled = int(share * 30)
            sys.stderr.write(
                f"\rTeilnehmende [{'#' * filled}{'.' * (30 - filled)}] {done:>9,}/{total:,} ({share:4.0%})".replace(
                    ",", "."
                )
            )
            if done == total:
                sys.stderr.write("\n")
        elif int(share * 10) > self.last_decile:
            self.last_decile = int(share * 10)
            sys.stderr.write(f"Teilnehmende: {done}/{total} ({share:.0%})\n")
        sys.stderr.flush()


def _demo(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.db import upgrade  # noqa: PLC0415
    from foerderkette.demo import DemoError, generate_demo  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        upgrade(app.engine)
        summary = generate_demo(
            engine=app.engine,
            catalog=app.catalog,
            participants=args.participants,
            regions=args.regions,
            seed=args.seed,
            as_of=args.as_of or current_date(),
            replace=args.replace,
            progress=_Bar(),
            login_password=args.login_password,
        )
    except DemoError as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    print(
        f"Demo geladen in {summary.seconds:.1f} s: {summary.regions} Regionen, {summary.agencies} Stellen, {summary.contacts} Ansprechpersonen, "
        f"{summary.courses} Kurse, {summary.participants} Teilnehmende, {summary.stage_changes} Verlaufseinträge, "
        f"{summary.places} Gemeinden und Kursorte, {summary.placement_bookings} zu Einstufungstests Eingeplante"
    )
    if summary.users:
        print(f"Demo-Konten für die Weboberfläche: {', '.join(summary.users)}")
    if summary.figures:
        print("\nKennzahlen der Demo (aus der Datenbank gelesen; erwartet laut BAMF-Statistik und Praxis):")
        width = max(len(label) for label, *_ in summary.figures)
        for label, value, expected in summary.figures:
            print(f"  {label:<{width}}  {value:>9}" + (f"   ({expected})" if expected else ""))
    return 0

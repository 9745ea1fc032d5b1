"""`foerderkette run FLOW`, `foerderkette deploy` and `foerderkette serve`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from flows.deployments import SCHEDULES
from foerderkette.cli.base import CliError, add_command, iso_date, print_json, print_table, read_connection
from foerderkette.settings import Settings

#: the file the Prefect deployments start flows from (it configures flows.runtime)
ENTRYPOINTS = "foerderkette/flow_entrypoints.py"

#: every scheduled job (flows/deployments.py imports nothing but the standard library)
FLOW_NAMES = tuple(schedule.flow for schedule in SCHEDULES)
#: exit code of `status` when a job is overdue or no scheduler runs (as `reminders list --status failed`)
ALARM_EXIT = 3


def register(sub: Any) -> None:
    run = add_command(
        sub,
        "run",
        "einen Job einmal über Prefect ausführen",
        _run,
        description="Führt einen Flow einmal aus, je Region ein Flow-Lauf, sichtbar in Prefects Verlauf. Ohne PREFECT_API_URL "
        "startet Prefect einen temporären lokalen Server.",
    )
    run.add_argument("flow", choices=FLOW_NAMES)
    run.add_argument("--region", action="append", help="nur diese Region (mehrfach möglich; Standard: alle)")
    run.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")

    deploy = add_command(
        sub,
        "deploy",
        "Zeitpläne als Prefect-Deployments registrieren (skaliert)",
        _deploy,
        description="Registriert je Zeitplan (flows/deployments.py) und Region ein Deployment auf dem Prefect-Server "
        "(PREFECT_API_URL) mit einem Work Pool vom Typ process. Danach: prefect worker start --pool foerderkette",
    )
    deploy.add_argument("--region", action="append", help="nur diese Regionen (Standard: alle)")
    deploy.add_argument("--work-pool", default="foerderkette")
    deploy.add_argument(
        "--pass-settings", action="store_true", help="FOERDERKETTE_*-Variablen als Job-Variablen mitgeben"
    )

    serve = add_command(sub, "serve", "Weboberfläche und eingebauten Scheduler starten", _serve)
    serve.add_argument("--host", help="Adresse (Standard: FOERDERKETTE_WEB_HOST)")
    serve.add_argument("--port", type=int, help="Port (Standard: FOERDERKETTE_WEB_PORT)")
    serve.add_argument(
        "--no-scheduler", action="store_true", help="nur die Weboberfläche (ein Scheduler läuft anderswo)"
    )

    status = add_command(
        sub,
        "status",
        "Scheduler und Jobs prüfen (für die Überwachung)",
        _status,
        description="Zeigt das Lebenszeichen des eingebauten Schedulers, je Job den letzten fälligen und den letzten "
        "erfolgreichen Lauf und verpasste Läufe. Exit-Code 3, wenn ein Job überfällig ist oder kein Scheduler läuft.",
    )
    status.add_argument("--format", choices=("table", "json"), default="table")

    schedules = add_command(sub, "schedules", "die Zeitpläne der Jobs anzeigen", _schedules)
    schedules.add_argument("--format", choices=("table",), default="table")


def _status(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415

    from flows.status import scheduler_status  # noqa: PLC0415

    with read_connection() as connection:
        status = scheduler_status(connection, now=datetime.now(UTC), timezone=Settings.from_env().tz)
    if args.format == "json":
        print_json(status.to_json())
    else:
        if status.alive:
            print(f"Scheduler läuft ({status.holder}, letztes Lebenszeichen {status.local(status.heartbeat_at)})")
        print_table(
            ["Job", "zuletzt fällig", "zuletzt erfolgreich", "verpasst", "nächster Lauf", "Zustand"],
            (
                [
                    job.flow,
                    status.local(job.last_due),
                    status.local(job.last_completed),
                    job.missed,
                    status.local(job.next_due),
                    "überfällig" if job.overdue else "in Ordnung",
                ]
                for job in status.jobs
            ),
        )
    for problem in status.problems:
        print(f"foerderkette: Warnung: {problem}", file=sys.stderr)
    return ALARM_EXIT if status.problems else 0


def _schedules(args: argparse.Namespace) -> int:
    from flows.deployments import SCHEDULES  # noqa: PLC0415

    print_table(["Job", "Cron (Ortszeit)", "Beschreibung"], ([s.flow, s.cron, s.description] for s in SCHEDULES))
    return 0


def _run(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from flows import runtime  # noqa: PLC0415
    from flows.scheduled import FLOWS  # noqa: PLC0415
    from foerderkette.app import App  # noqa: PLC0415
    from pipeline.reads import NotFound, region_codes  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        regions = region_codes(app.engine, args.region)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if not regions:
        raise CliError("Keine Regionen angelegt")
    as_of = args.as_of.isoformat() if args.as_of else None
    failed = 0
    with runtime.use(app):
        for region in regions:
            try:
                result = FLOWS[args.flow](region=region, as_of=as_of)
            except Exception as exc:
                failed += 1
                print(f"{args.flow} {region}: fehlgeschlagen – {exc}", file=sys.stderr)
                continue
            print(f"{args.flow} {region}: {result}")
    app.dispose()
    return 1 if failed else 0


def _deploy(args: argparse.Namespace) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        raise CliError(
            "PREFECT_API_URL ist nicht gesetzt – deploy braucht einen Prefect-Server (siehe README, Betrieb im Verbund)"
        )
    from flows.automations import register_automations  # noqa: PLC0415
    from flows.deployments import deploy  # noqa: PLC0415
    from foerderkette.app import App  # noqa: PLC0415
    from pipeline.reads import region_codes  # noqa: PLC0415

    app = App(Settings.from_env())
    regions = region_codes(app.engine, args.region)
    env = (
        {key: value for key, value in os.environ.items() if key.startswith("FOERDERKETTE_")}
        if args.pass_settings
        else None
    )
    names = deploy(
        regions=regions,
        timezone=app.settings.timezone,
        entrypoints=ENTRYPOINTS,
        work_pool=args.work_pool,
        env=env,
    )
    automations = register_automations(webhook_url=app.settings.ops_webhook_url)
    app.dispose()
    print(f"{len(names)} Deployments registriert auf {os.environ['PREFECT_API_URL']} (Work Pool {args.work_pool}).")
    print(
        f"{len(automations)} Automationen registriert"
        + (
            ": Alarm an FOERDERKETTE_OPS_WEBHOOK_URL, wenn ein Lauf nicht rechtzeitig abgeschlossen ist oder fehlschlägt."
            if app.settings.ops_webhook_url
            else " (ohne Alarmziel: FOERDERKETTE_OPS_WEBHOOK_URL setzen, damit jemand benachrichtigt wird)."
        )
    )
    print(f"Worker starten: prefect worker start --pool {args.work_pool}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.web.app import check_settings, create_app  # noqa: PLC0415

    settings = Settings.from_env()
    check_settings(settings)
    app = App(settings)
    runner = None
    if settings.scheduler and not args.no_scheduler:
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        from flows import runtime  # noqa: PLC0415
        from flows.scheduler import Runner, SchedulerLocked  # noqa: PLC0415

        runtime.use(app).__enter__()
        runner = Runner(app)
        try:
            runner.start()
        except SchedulerLocked as exc:
            raise CliError(str(exc)) from None
        for item in runner.describe():
            print(f"Zeitplan {item['flow']}: nächster Lauf {item['next_run']}", file=sys.stderr)
    try:
        uvicorn.run(
            create_app(settings, app=app, runner=runner),
            host=args.host or settings.web_host,
            port=args.port or settings.web_port,
            log_level="info",
        )
    finally:
        if runner is not None:
            runner.stop()
        app.dispose()
    return 0

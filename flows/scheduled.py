"""The Prefect flows. Each reads like the table of contents of its job and calls plain functions;
one flow run per job and region, never one per participant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from figures.phases import phase_counts, process_phases
from flows import runtime
from flows.import_drop import run_import_drop
from notifications.jobs import land_figures, run_jourfixe_followup, run_jourfixe_prepare, send_outbox, sweep_outbox
from notifications.privacy import purge_regions
from pipeline.privacy import RetentionPolicy
from pipeline.reads import agency_names
from pipeline.repository import get_region
from process_models import calendar_for


def _transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry database and network hiccups, not mistakes (unknown region, bad data)."""
    try:
        state.result()
    except Exception as exc:
        module = type(exc).__module__
        return isinstance(exc, OSError | TimeoutError) or (
            module.startswith(("sqlalchemy", "psycopg")) and "OperationalError" in type(exc).__name__
        )
    return False


def _run_name(job: str) -> Callable[[], str]:
    """Readable run names: "daily-sweep BY-AB 2026-12-01"."""

    def name() -> str:
        parameters = flow_run.parameters
        day = parameters.get("as_of") or runtime.today().isoformat()
        return f"{job} {parameters.get('region') or 'alle Regionen'} {day}"

    return name


def _table(title: str, rows: list[tuple[str, Any]]) -> str:
    lines = [f"### {title}", "", "| Kennzahl | Wert |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines) + "\n"


def _artifact(job: str, region: str | None, markdown: str, description: str) -> None:
    key = f"{job}-{(region or 'alle').lower()}".replace("_", "-")
    create_markdown_artifact(markdown=markdown, key=key, description=description)


def _is_business_day(region: str, day: date) -> bool:
    app = runtime.app()
    with app.session() as session:
        found = get_region(session=session, code=region)
        return calendar_for(app.model(found)).is_business_day(day)


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_transient)
def sweep_region_task(region: str, day: date) -> dict[str, Any]:
    app = runtime.app()
    result = sweep_outbox(app, region=region, today=day)
    return {key: value for key, value in vars(result).items() if not isinstance(value, date)}


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_transient, task_run_name="{label}")
def phase_task(region: str, day: date, label: str) -> dict[str, Any]:
    """One phase of the reference process in this region: persons, overdue, overdue per agency."""
    app = runtime.app()
    with app.session() as session:
        found = get_region(session=session, code=region)
        assert found.id is not None
        model = app.model(found)
        phase = next(phase for phase in process_phases(model) if phase.label == label)
        connection = session.connection()
        counts = phase_counts(
            connection, found.id, phase, model, today=day, agency_names=agency_names(connection, found.id)
        )
    return {
        "phase": counts.label,
        "persons": counts.persons,
        "overdue": counts.overdue,
        "stages": [[stage, n, late] for stage, (n, late) in counts.stages.items()],
        "agencies": counts.agencies.most_common(),
    }


@task(
    retries=2, retry_delay_seconds=10, retry_condition_fn=_transient, task_run_name="Kennzahlen für die Landesansicht"
)
def land_figures_task(region: str, day: date) -> int:
    """The region's row of the dashboard's Land view, computed once a day (figures.land)."""
    return land_figures(runtime.app(), region=region, today=day)


def _phase_labels(region: str) -> list[str]:
    app = runtime.app()
    with app.session() as session:
        return [phase.label for phase in process_phases(app.model(get_region(session=session, code=region)))]


def _funnel(region: str, day: date, phases: list[dict[str, Any]]) -> None:
    """The funnel as table artifacts: persons and overdue per stage, and overdue per phase and agency."""
    key = f"daily-sweep-funnel-{region.lower()}"
    create_table_artifact(
        table=[
            {"Phase": p["phase"], "Stufe": stage, "Personen": n, "davon überfällig": late}
            for p in phases
            for stage, n, late in p["stages"]
        ],
        key=key,
        description=f"Trichter des Referenzprozesses {region} am {day:%d.%m.%Y}: Personen je Stufe",
    )
    create_table_artifact(
        table=[{"Phase": p["phase"], "Stelle": agency, "überfällig": n} for p in phases for agency, n in p["agencies"]],
        key=f"{key}-stellen",
        description=f"Überfällige Schritte {region} am {day:%d.%m.%Y} je Phase und zuständiger Stelle",
    )


@flow(name="daily-sweep", flow_run_name=_run_name("daily-sweep"), retries=1, retry_delay_seconds=60)
def daily_sweep(region: str, as_of: str | None = None) -> dict[str, Any]:
    """Evaluate every open step of one region and plan its reminders (business days only)."""
    day = runtime.today(as_of)
    if not _is_business_day(region, day):
        get_run_logger().info("%s: kein Arbeitstag – nichts zu tun", day)
        return {"skipped": True}
    summary = sweep_region_task(region, day)
    # the reference process's phases as the run's tasks: a handful per region, none per participant
    phases = [phase_task(region, day, label) for label in _phase_labels(region)]
    _funnel(region, day, phases)
    summary["phases"] = {p["phase"]: {"persons": p["persons"], "overdue": p["overdue"]} for p in phases}
    summary["land_figures"] = land_figures_task(region, day)
    rows = [
        ("Teilnehmende", summary["participants"]),
        ("Offene Schritte", summary["open_steps"]),
        ("Überfällig", summary["overdue"]),
        ("Erinnerungen geplant", summary["items_planned"]),
        ("Sammelmails neu", summary["digests_created"]),
        ("Sammelmails ergänzt", summary["digests_updated"]),
    ]
    _artifact("daily-sweep", region, _table(f"Fristen-Sweep {region} am {day:%d.%m.%Y}", rows), "Geplante Erinnerungen")
    return summary


@task(retries=2, retry_delay_seconds=30, retry_condition_fn=_transient)
def send_task(regions: list[str] | None, day: date) -> dict[str, Any]:
    report, quiet = send_outbox(runtime.app(), today=day, regions=regions)
    return {
        "sent": report.sent,
        "retry": report.retry,
        "uncertain": report.uncertain,
        "failed": report.failed,
        "claimed": report.claimed,
        "quiet": quiet,
        "errors": report.errors[:20],
    }


@flow(name="send-reminders", flow_run_name=_run_name("send-reminders"), retries=1, retry_delay_seconds=60)
def send_reminders(region: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """Dispatch the outbox (one region, or all) over one SMTP connection; exactly once per email."""
    day = runtime.today(as_of)
    summary = send_task([region] if region else None, day)
    rows = [
        ("Gesendet", summary["sent"]),
        ("Erneuter Versuch geplant", summary["retry"]),
        ("Zustellung ungewiss", summary["uncertain"]),
        ("Fehlgeschlagen", summary["failed"]),
        ("Heute ohne Versand", ", ".join(summary["quiet"]) or "–"),
    ]
    _artifact("send-reminders", region, _table(f"Versand am {day:%d.%m.%Y}", rows), "Versendete E-Mails")
    return summary


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_transient)
def prepare_task(region: str, day: date) -> list[dict[str, Any]]:
    app = runtime.app()
    settings = app.settings
    results = run_jourfixe_prepare(
        engine=app.engine,
        catalog=app.catalog,
        overrides_dir=settings.overrides_dir,
        region=region,
        today=day,
        mail_from=settings.mail_from,
        base_url=settings.base_url,
    )
    return [
        {
            "meeting": r.meeting_date.isoformat(),
            "sequence": r.sequence,
            "queued": r.queued,
            "already": r.already,
            "send_on": r.send_on.isoformat(),
        }
        for r in results
    ]


@flow(name="jourfixe-prepare", flow_run_name=_run_name("jourfixe-prepare"), retries=1, retry_delay_seconds=60)
def jourfixe_prepare(region: str, as_of: str | None = None) -> list[dict[str, Any]]:
    """On each series' invitation day: build and store the agenda, queue the invitations."""
    day = runtime.today(as_of)
    results = prepare_task(region, day)
    rows = [
        (
            f"Sitzung {r['meeting']} (Stand {r['sequence']})",
            "bereits eingeladen" if r["already"] else f"{r['queued']} Einladungen, Versand {r['send_on']}",
        )
        for r in results
    ]
    _artifact(
        "jourfixe-prepare",
        region,
        _table(f"Jour fixe {region}", rows or [("Heute", "kein Einladungstag")]),
        "Einladungen",
    )
    return results


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_transient)
def followup_task(region: str, day: date) -> dict[str, int]:
    app = runtime.app()
    result = run_jourfixe_followup(engine=app.engine, catalog=app.catalog, region=region, today=day)
    return {"reminded": result.reminded, "digests": result.digests}


@flow(name="jourfixe-followup", flow_run_name=_run_name("jourfixe-followup"), retries=1, retry_delay_seconds=60)
def jourfixe_followup(region: str, as_of: str | None = None) -> dict[str, int]:
    """Remind owners of open action items from the meetings (business days only)."""
    day = runtime.today(as_of)
    if not _is_business_day(region, day):
        return {"reminded": 0, "digests": 0}
    summary = followup_task(region, day)
    _artifact(
        "jourfixe-followup",
        region,
        _table(f"Aufgaben {region}", [("Erinnert", summary["reminded"]), ("E-Mails", summary["digests"])]),
        "Erinnerungen an Aufgaben",
    )
    return summary


@flow(name="import-drop", flow_run_name=_run_name("import-drop"), retries=1, retry_delay_seconds=60)
def import_drop(region: str | None = None, as_of: str | None = None, min_age_seconds: float = 60.0) -> dict[str, Any]:
    """Import the files agencies dropped; archive them, or reject them with an emailed report."""
    day = runtime.today(as_of)
    report = run_import_drop(runtime.app(), today=day, region=region, min_age_seconds=min_age_seconds)
    rows = [
        ("Eingelesen", len(report.imported)),
        ("Abgelehnt", len(report.rejected)),
        ("Fehlerberichte per E-Mail", report.emails),
    ]
    _artifact("import-drop", region, _table(f"Abgelegte Dateien {day:%d.%m.%Y}", rows), "Importe aus dem Ablageordner")
    return {"imported": report.imported, "rejected": report.rejected, "emails": report.emails}


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_transient)
def privacy_task(regions: list[str] | None, day: date) -> list[dict[str, Any]]:
    app = runtime.app()
    settings = app.settings
    reports = purge_regions(
        app.engine,
        app.catalog,
        regions=regions,
        default=RetentionPolicy(settings.retention_years, settings.audit_retention_years),
        overrides_dir=settings.overrides_dir,
        today=day,
        actor="Aufbewahrungsfristen (geplant)",
    )
    return [report.to_json() for report in reports]


@flow(name="privacy-purge", flow_run_name=_run_name("privacy-purge"), retries=1, retry_delay_seconds=60)
def privacy_purge(region: str | None = None, as_of: str | None = None) -> list[dict[str, Any]]:
    """Apply every region's retention periods (one run for all regions, each region its own
    transaction): anonymise closed cases, shorten the audit log."""
    day = runtime.today(as_of)
    summary = privacy_task([region] if region else None, day)
    rows = [
        (f"{item['region']}: anonymisiert / Protokoll gelöscht", f"{len(item['anonymised'])} / {item['audit_deleted']}")
        for item in summary
    ]
    _artifact(
        "privacy-purge",
        region,
        _table(f"Aufbewahrungsfristen {day:%d.%m.%Y}", rows),
        "Datenschutz: Aufbewahrungsfristen",
    )
    return summary


#: Flow name → flow, as `foerderkette run` and the schedules use them.
FLOWS: dict[str, Flow[..., Any]] = {
    "daily-sweep": daily_sweep,
    "send-reminders": send_reminders,
    "jourfixe-prepare": jourfixe_prepare,
    "jourfixe-followup": jourfixe_followup,
    "import-drop": import_drop,
    "privacy-purge": privacy_purge,
}

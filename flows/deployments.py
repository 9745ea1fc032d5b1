"""The one place the schedules live. Both set-ups read it: the embedded APScheduler runner
(`foerderkette serve`) and the Prefect deployments on a server (`foerderkette deploy`).

Cron expressions are in local time (Europe/Berlin, or FOERDERKETTE_TIMEZONE); weekday-only cron
cannot know public holidays, so each flow checks its region's business days itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK_POOL = "foerderkette"
#: deployment name of the schedules that run once for all regions
ALL_REGIONS = "alle"


@dataclass(frozen=True)
class Schedule:
    flow: str
    function: str
    cron: str
    description: str
    #: one run per region, or one run for all regions (jobs that are set-based across regions)
    per_region: bool = True
    #: the job's German name where users see it (the web's Betrieb page, status warnings)
    title: str = ""

    def targets(self, regions: Sequence[str]) -> list[str | None]:
        """The `region` parameter of each run one firing creates."""
        return list(regions) if self.per_region else [None]


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "daily-sweep",
        "daily_sweep",
        "0 6 * * 1-5",
        "Fristen prüfen und Erinnerungen planen – Arbeitstage 06:00",
        title="Fristenprüfung",
    ),
    Schedule(
        "jourfixe-prepare",
        "jourfixe_prepare",
        "30 6 * * 1-5",
        "Tagesordnung speichern und einladen – täglich 06:30, wirksam am Einladungstag jeder Sitzungsreihe",
        title="Jour fixe vorbereiten",
    ),
    Schedule(
        "jourfixe-followup",
        "jourfixe_followup",
        "45 6 * * 1-5",
        "An offene Aufgaben aus dem Jour fixe erinnern – Arbeitstage 06:45",
        title="Erinnerung an Aufgaben",
    ),
    Schedule(
        "send-reminders",
        "send_reminders",
        "*/15 7-18 * * 1-5",
        "Postausgang versenden und fällige Wiederholungen senden – alle 15 Minuten, 7–18 Uhr, ein Lauf für alle "
        "Regionen (die Sammelmails des Tages gehen um 07:00 hinaus)",
        per_region=False,
        title="E-Mail-Versand",
    ),
    Schedule(
        "import-drop",
        "import_drop",
        "*/15 7-18 * * 1-5",
        "Abgelegte Dateien einlesen – alle 15 Minuten, 7–18 Uhr, ein Lauf für alle Regionen",
        per_region=False,
        title="Dateiablage einlesen",
    ),
    Schedule(
        "privacy-purge",
        "privacy_purge",
        "30 5 * * 1",
        "Aufbewahrungsfristen anwenden: abgeschlossene Fälle anonymisieren, Protokoll kürzen – montags 05:30, "
        "ein Lauf für alle Regionen",
        per_region=False,
        title="Aufbewahrungsfristen",
    ),
)


def schedule_for(flow: str) -> Schedule:
    return next(schedule for schedule in SCHEDULES if schedule.flow == flow)


def deploy(
    *,
    regions: Sequence[str],
    timezone: str,
    entrypoints: str,
    work_pool: str = WORK_POOL,
    env: dict[str, str] | None = None,
) -> list[str]:
    """Register one deployment per schedule and region (or one for all regions) on the Prefect server at PREFECT_API_URL,
    each with the same cron as the embedded runner, on a process work pool (created if missing).

    Returns the deployment names ("daily-sweep/BY-BA", …, "import-drop/alle"). Workers need this code at the same
    path and FOERDERKETTE_* in their environment (or in `env`, passed as job variables). `entrypoints`: the
    file (relative to the checkout) that exposes the flows with the composition root configured – the shell's
    `foerderkette/flow_entrypoints.py`; the flows themselves never build it.
    """
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.actions import WorkPoolCreate  # noqa: PLC0415
    from prefect.exceptions import ObjectAlreadyExists  # noqa: PLC0415
    from prefect.flows import Flow  # noqa: PLC0415
    from prefect.schedules import Cron  # noqa: PLC0415

    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
    names = []
    job_variables: dict[str, Any] = {"env": env} if env else {}
    for schedule in SCHEDULES:
        remote = Flow.from_source(source=str(ROOT), entrypoint=f"{entrypoints}:{schedule.function}")
        for region in schedule.targets(regions):
            name = region or ALL_REGIONS
            remote.deploy(  # type: ignore[union-attr]
                name=name,
                work_pool_name=work_pool,
                schedules=[Cron(schedule.cron, timezone=timezone)],
                parameters={"region": region} if region else {},
                description=schedule.description,
                tags=["foerderkette", name],
                job_variables=job_variables,
                print_next_steps=False,
                build=False,
                push=False,
            )
            names.append(f"{schedule.flow}/{name}")
    return names

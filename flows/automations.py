"""Prefect automations for the scaled set-up: a job that did not run is noticed there too.

`foerderkette deploy` registers, beside the deployments:

- one **proactive** automation per watched job (`daily-sweep`, `send-reminders`): each flow run
  of the job that turned late (no worker took it at its time) or started must reach Completed
  within WATCH_WINDOW, else the operations contact is alerted – so a stopped worker, a hung run
  or a dead server process is heard about on the business day it happens (the jobs only fire on
  weekdays; on a holiday they complete at once);
- one **reactive** automation on any failed, crashed or timed-out run of any Förderkette job.

Their action calls the webhook block `foerderkette-betrieb` (FOERDERKETTE_OPS_WEBHOOK_URL: chat,
ticket system or alerting gateway of the operations team). Without it the automations are still
registered and visible as triggered in Prefect's UI and event feed, but nobody is called.
Re-running `deploy` replaces them (by name), never doubles them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.deployments import SCHEDULES

#: the jobs whose absence is an alarm (the rest are noticed by the reactive automation)
WATCHED = ("daily-sweep", "send-reminders")
WATCH_WINDOW = timedelta(hours=1)
WEBHOOK_BLOCK = "foerderkette-betrieb"
PREFIX = "Förderkette: "
#: what the webhook receives (a Jinja template Prefect fills in; JSON for chat and alerting tools)
PAYLOAD = (
    "{\"text\": \"{{ automation.name }} – {{ event.resource.get('prefect.resource.name', '') if event else '' }}\", "
    '"automation": "{{ automation.name }}", "event": "{{ event.event if event else \'ausgeblieben\' }}"}'
)


def automation_specs() -> list[dict[str, Any]]:
    """Name, description and trigger of each automation, as plain data (tested without a server)."""
    ours = [schedule.flow for schedule in SCHEDULES]
    specs = [
        {
            "name": f"{PREFIX}{flow} nicht rechtzeitig abgeschlossen",
            "description": f"Ein Lauf von {flow} (eine Region) ist eine Stunde nach seinem Termin nicht abgeschlossen: "
            "kein Worker, ein hängender Lauf oder ein abgestürzter Prozess.",
            "trigger": {
                "type": "event",
                "posture": "Proactive",
                "match": {"prefect.resource.id": "prefect.flow-run.*"},
                "match_related": {"prefect.resource.role": "flow", "prefect.resource.name": flow},
                "after": ["prefect.flow-run.Late", "prefect.flow-run.Pending", "prefect.flow-run.Running"],
                "expect": ["prefect.flow-run.Completed"],
                "for_each": ["prefect.resource.id"],
                "threshold": 1,
                "within": WATCH_WINDOW.total_seconds(),
            },
        }
        for flow in WATCHED
    ]
    specs.append(
        {
            "name": f"{PREFIX}Lauf fehlgeschlagen",
            "description": "Ein Lauf eines Förderkette-Jobs ist fehlgeschlagen, abgestürzt oder abgelaufen.",
            "trigger": {
                "type": "event",
                "posture": "Reactive",
                "match": {"prefect.resource.id": "prefect.flow-run.*"},
                "match_related": {"prefect.resource.role": "flow", "prefect.resource.name": ours},
                "expect": ["prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"],
                "for_each": ["prefect.resource.id"],
                "threshold": 1,
                "within": 0,
            },
        }
    )
    return specs


def register_automations(*, webhook_url: str) -> list[str]:
    """Create (or replace) the automations on the Prefect server at PREFECT_API_URL; their names."""
    from prefect.automations import Automation  # noqa: PLC0415
    from prefect.blocks.webhook import Webhook  # noqa: PLC0415
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.events.actions import CallWebhook  # noqa: PLC0415
    from prefect.events.schemas.automations import EventTrigger  # noqa: PLC0415

    actions: list[Any] = []
    if webhook_url:
        block_id = Webhook(url=webhook_url, method="POST").save(WEBHOOK_BLOCK, overwrite=True)  # type: ignore[arg-type]
        actions.append(CallWebhook(block_document_id=block_id, payload=PAYLOAD))  # type: ignore[arg-type]
    names = []
    with get_client(sync_client=True) as client:
        for spec in automation_specs():
            for existing in client.read_automations_by_name(spec["name"]):
                if existing.id is not None:
                    client.delete_automation(existing.id)
            Automation(
                name=spec["name"],
                description=spec["description"],
                trigger=EventTrigger.model_validate(spec["trigger"]),
                actions=actions,
                tags=["foerderkette"],
            ).create()
            names.append(spec["name"])
    return names

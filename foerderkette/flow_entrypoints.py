"""Entry points of the Prefect deployments (`foerderkette deploy`): the flows of
`flows/scheduled.py`, with the composition root built from FOERDERKETTE_* when a worker runs
one (workers only have their environment)."""

from __future__ import annotations

from flows import runtime
from flows.scheduled import (
    FLOWS,
    daily_sweep,
    import_drop,
    jourfixe_followup,
    jourfixe_prepare,
    privacy_purge,
    send_reminders,
)
from foerderkette.app import App
from foerderkette.settings import Settings

runtime.configure(lambda: App(Settings.from_env()))

__all__ = [
    "FLOWS",
    "daily_sweep",
    "import_drop",
    "jourfixe_followup",
    "jourfixe_prepare",
    "privacy_purge",
    "send_reminders",
]

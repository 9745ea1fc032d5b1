"""The composition root the flows run against, handed in by the app shell.

Flows and tasks ask `app()` for what they need (settings, engine, model catalog, mailer) and
never import the shell: `foerderkette` configures a factory (`configure`) or hands in a built App
(`use`). Flow runs in Prefect workers start from `foerderkette/flow_entrypoints.py`, which
configures the factory from FOERDERKETTE_* before the flows run (workers only have their
environment). `Runtime` is what a composition root must offer; `foerderkette.app.App` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from notifications.jobs import JobRuntime, JobSettings

if TYPE_CHECKING:
    from sqlmodel import Session

    from pipeline.tables import Region
    from process_models import ProcessModel


class FlowSettings(JobSettings, Protocol):
    @property
    def drop_dir(self) -> Path: ...
    @property
    def import_max_mb(self) -> int: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def retention_years(self) -> int: ...
    @property
    def audit_retention_years(self) -> int: ...
    def today(self) -> date: ...


class Runtime(JobRuntime, Protocol):
    @property
    def settings(self) -> FlowSettings: ...
    def model(self, region: Region, version: str | None = None) -> ProcessModel: ...
    def session(self) -> AbstractContextManager[Session]: ...


_current: Runtime | None = None
_factory: Callable[[], Runtime] | None = None


def configure(factory: Callable[[], Runtime]) -> None:
    """How this process builds its composition root on first use (the shell's entry points)."""
    global _factory  # noqa: PLW0603 - the process's composition root, built once
    _factory = factory


def app() -> Runtime:
    global _current  # noqa: PLW0603
    if _current is None:
        if _factory is None:
            raise RuntimeError(
                "no composition root: start flows through foerderkette (CLI, serve) or "
                "foerderkette/flow_entrypoints.py, which configure flows.runtime"
            )
        _current = _factory()
    return _current


@contextmanager
def use(app_: Runtime) -> Iterator[Runtime]:
    """Run flows in this process against `app_` (its database, its mailer)."""
    global _current  # noqa: PLW0603
    previous, _current = _current, app_
    try:
        yield app_
    finally:
        _current = previous


def today(as_of: date | str | None = None) -> date:
    """`as_of` if given, else today in the configured time zone."""
    if isinstance(as_of, date):
        return as_of
    if as_of:
        return date.fromisoformat(as_of)
    return app().settings.today()

"""The process-wide App for flows and scheduled jobs.

Flow runs execute in workers that only have their environment, so they build the App from
FOERDERKETTE_* on first use. Embedded use (`foerderkette serve`, tests) hands in its own App.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from foerderkette.app import App
from foerderkette.settings import Settings

_current: App | None = None


def app() -> App:
    global _current  # noqa: PLW0603 - the process's composition root, built once
    if _current is None:
        _current = App(Settings.from_env())
    return _current


@contextmanager
def use(app_: App) -> Iterator[App]:
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

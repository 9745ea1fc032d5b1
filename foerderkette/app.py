"""Wiring for entry points (CLI commands, web requests): settings, engine, process models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from foerderkette.settings import Settings
from notifications.mailers import SmtpConfig, build_mailer
from pipeline.database import create_db_engine, session_scope
from process_models import ModelCatalog, ProcessModel

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from notifications.mailers import Mailer
    from pipeline.reads import RegionRow
    from pipeline.tables import Region


class App:
    """What an entry point needs; built once from a Settings object and passed around."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = ModelCatalog(settings.overrides_dir)

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    def model(self, region: Region | RegionRow, version: str | None = None) -> ProcessModel:
        """The process model for `region` (its override and Land applied); the current version by default."""
        if version is None:
            return self.catalog.current(region.code, land=region.land)
        return self.catalog.get(version, region.code, land=region.land)

    @cached_property
    def mailer(self) -> Mailer:
        """The mail transport chosen by FOERDERKETTE_MAILER (one per App: an in-memory mailer keeps its outbox)."""
        settings = self.settings
        return build_mailer(
            settings.mailer,
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                security=settings.smtp_security,
                timeout=settings.smtp_timeout,
            ),
        )

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

"""All configuration in one object, read from `FOERDERKETTE_*` environment variables.

A plain dataclass rather than pydantic-settings: importing pydantic-settings costs ~0.5 s on our
machines, and read-only commands must answer in under half a second.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "FOERDERKETTE_"
MAILERS = ("smtp", "console", "memory")
SMTP_SECURITY = ("none", "starttls", "ssl")


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Construct with `Settings.from_env()` or directly in tests."""

    database_url: str = "sqlite:///./foerderkette.db"
    mailer: Literal["smtp", "console", "memory"] = "console"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout: float = 30.0
    mail_from: str = "Förderkette <foerderkette@localhost>"
    base_url: str = ""
    timezone: str = "Europe/Berlin"
    overrides_dir: Path = Path("regions")
    drop_dir: Path = Path("drop")
    secret_key: str = field(default="", repr=False)
    cookie_secure: bool = True
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    import_max_mb: int = 20
    send_batch_size: int = 200
    #: business days a temporarily failing e-mail is retried before it fails for good (and the
    #: coordination is told)
    send_retry_days: int = 3
    scheduler: bool = True
    #: how many days a one-click answer link in a reminder works
    answer_link_days: int = 14
    #: minutes without a request after which a web session ends (besides the ten-hour maximum)
    session_idle_minutes: int = 30
    #: years after a case's closure until its personal data is anonymised (a region may override:
    #: `<overrides>/<REGION>.privacy.yaml`, `case_years`)
    retention_years: int = 3
    #: the operations team's webhook (chat, tickets, alerting): Prefect automations of the scaled
    #: set-up call it when a job did not complete in time or failed (`foerderkette deploy`)
    ops_webhook_url: str = field(default="", repr=False)
    #: years the audit log (the access log included) is kept (`audit_years` in the region's file)
    audit_retention_years: int = 2
    #: how far people walk to and from a stop (metres, straight line) for the ÖPNV reachability
    walk_max_m: int = 1000
    #: without a timetable: the assumed door-to-door speed (km/h) of a journey, marked "geschätzt"
    transit_estimate_kmh: int = 25
    #: the longest wait (minutes) before a course starts or after it ends that still counts as
    #: reachable (places.reachability.MAX_WAIT_MINUTES, which agendas use)
    transit_max_wait_minutes: int = 90

    def __post_init__(self) -> None:
        if self.mailer not in MAILERS:
            raise SettingsError(f"{PREFIX}MAILER muss einer von {', '.join(MAILERS)} sein, nicht '{self.mailer}'")
        if self.smtp_security not in SMTP_SECURITY:
            raise SettingsError(
                f"{PREFIX}SMTP_SECURITY muss einer von {', '.join(SMTP_SECURITY)} sein, nicht '{self.smtp_security}'"
            )
        if not (5 <= self.session_idle_minutes <= 600):
            raise SettingsError(
                f"{PREFIX}SESSION_IDLE_MINUTES muss zwischen 5 und 600 liegen, nicht {self.session_idle_minutes}"
            )
        if not (1 <= self.answer_link_days <= 60):
            raise SettingsError(
                f"{PREFIX}ANSWER_LINK_DAYS muss zwischen 1 und 60 liegen, nicht {self.answer_link_days}"
            )
        if not (1 <= self.send_retry_days <= 20):
            raise SettingsError(
                f"{PREFIX}SEND_RETRY_DAYS muss zwischen 1 und 20 Arbeitstagen liegen, nicht {self.send_retry_days}"
            )
        for name, value in (
            ("RETENTION_YEARS", self.retention_years),
            ("AUDIT_RETENTION_YEARS", self.audit_retention_years),
        ):
            if not (1 <= value <= 30):
                raise SettingsError(f"{PREFIX}{name} muss zwischen 1 und 30 Jahren liegen, nicht {value}")
        for name, value, low, high in (
            ("WALK_MAX_M", self.walk_max_m, 100, 5000),
            ("TRANSIT_ESTIMATE_KMH", self.transit_estimate_kmh, 5, 80),
            ("TRANSIT_MAX_WAIT_MINUTES", self.transit_max_wait_minutes, 0, 240),
        ):
            if not (low <= value <= high):
                raise SettingsError(f"{PREFIX}{name} muss zwischen {low} und {high} liegen, nicht {value}")
        if not (0 < self.smtp_port < 65536):
            raise SettingsError(f"{PREFIX}SMTP_PORT muss zwischen 1 und 65535 liegen, nicht {self.smtp_port}")
        if not self.database_url.startswith(("sqlite:", "postgresql")):
            raise SettingsError(
                f"{PREFIX}DATABASE_URL muss mit sqlite:/// oder postgresql+psycopg:// beginnen, nicht '{self.database_url}'"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{PREFIX}TIMEZONE: unbekannte Zeitzone '{self.timezone}'") from None
        if self.ops_webhook_url and not self.ops_webhook_url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}OPS_WEBHOOK_URL muss mit http:// oder https:// beginnen")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}BASE_URL muss mit http:// oder https:// beginnen, nicht '{self.base_url}'")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from `FOERDERKETTE_<FIELD>`; explicit keyword overrides win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = env.get(PREFIX + item.name.upper())
            if raw is None or raw == "":
                continue
            values[item.name] = _convert(item.name, item.type, raw)
        values.update(overrides)
        return cls(**values)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the configured time zone: the one definition of "today" for CLI, web and flows."""
        return datetime.now(self.tz).date()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _convert(name: str, kind: Any, raw: str) -> Any:
    variable = PREFIX + name.upper()
    kind = str(kind)
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{variable} muss eine ganze Zahl sein, nicht '{raw}'") from None
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{variable} muss eine Zahl sein, nicht '{raw}'") from None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "ja", "on"):
            return True
        if lowered in ("0", "false", "no", "nein", "off"):
            return False
        raise SettingsError(f"{variable} muss true oder false sein, nicht '{raw}'")
    if kind == "Path":
        return Path(raw)
    return raw


def describe() -> list[tuple[str, str]]:
    """Every variable with its default, for `foerderkette config` and the README."""
    defaults = Settings()
    return [
        (
            PREFIX + item.name.upper(),
            ""
            if item.name in ("smtp_password", "secret_key", "ops_webhook_url")
            else str(getattr(defaults, item.name)),
        )
        for item in fields(Settings)
    ]

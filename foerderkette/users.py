"""Users of the web UI: roles, hashed passwords (Argon2 via pwdlib), creation and checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlmodel import Field, Session, SQLModel, select

from foerderkette.passwords import MIN_LENGTH, WeakPassword, check_password
from pipeline.database import UTCDateTime, utcnow
from pipeline.tables import Agency, Region

ROLES: dict[str, str] = {
    "coordinator": "Koordination (alles in der Region)",
    "agency": "Stelle (eigene Fälle, eigene Ereignisse)",
    "readonly": "Nur lesen",
}
MIN_PASSWORD = MIN_LENGTH


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", ondelete="SET NULL")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A login: the cookie holds only the random token whose SHA-256 is `id` (migration 0012)."""

    __tablename__ = "web_session"

    id: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=40)
    client: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})


class UserError(ValueError):
    pass


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(*, session: Session, user: User, client: str = "") -> tuple[str, WebSession]:
    """A new login of `user`: the token for the cookie and the stored session."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    record = WebSession(id=_session_id(token), user_id=user.id, csrf=secrets.token_urlsafe(32), client=client[:60])
    session.add(record)
    session.flush()
    return token, record


def find_session(
    *, session: Session, token: str, now: datetime, idle: timedelta, longest: timedelta
) -> tuple[WebSession, User] | None:
    """The live session behind a cookie's token and its active user; a session past its idle
    timeout or maximum age, or of a deactivated user, is ended here. Touches `last_seen_at` at
    most once a minute (one write per request would serialise every page on SQLite)."""
    record = session.get(WebSession, _session_id(token))
    if record is None or record.ended_at is not None:
        return None
    user = session.get(User, record.user_id)
    reason = None
    if user is None or not user.active:
        reason = "gesperrt"
    elif now - record.created_at > longest:
        reason = "Höchstdauer"
    elif now - record.last_seen_at > idle:
        reason = "Zeitüberschreitung"
    if reason is not None:
        record.ended_at, record.ended_reason = now, reason
        session.add(record)
        return None
    if now - record.last_seen_at > timedelta(minutes=1):
        record.last_seen_at = now
        session.add(record)
    assert user is not None
    return record, user


def end_session(*, session: Session, token: str, reason: str = "abgemeldet") -> None:
    record = session.get(WebSession, _session_id(token))
    if record is not None and record.ended_at is None:
        record.ended_at, record.ended_reason = utcnow(), reason
        session.add(record)


def end_sessions(*, session: Session, user: User, reason: str) -> int:
    """End every live session of `user` (password changed, deactivated, "alle Sitzungen beenden")."""
    records = session.exec(
        select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))  # type: ignore[union-attr]
    ).all()
    now = utcnow()
    for record in records:
        record.ended_at, record.ended_reason = now, reason
        session.add(record)
    return len(records)


@lru_cache(maxsize=1)
def _hasher():  # type: ignore[no-untyped-def]
    from pwdlib import PasswordHash  # noqa: PLC0415

    return PasswordHash.recommended()


def hash_password(password: str, *, context: tuple[str, ...] = ()) -> str:
    """The Argon2 hash of a password that follows the policy (`foerderkette.passwords`);
    UserError (German) otherwise. `context`: user name, display name, region."""
    try:
        check_password(password, context=context)
    except WeakPassword as exc:
        raise UserError(str(exc)) from None
    return str(_hasher().hash(password))


def verify_password(password: str, hashed: str) -> bool:
    try:
        return bool(_hasher().verify(password, hashed))
    except Exception:  # a malformed hash is a failed login, not a crash
        return False


_DUMMY_HASH: str | None = None


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (takes as long either way)."""
    global _DUMMY_HASH  # noqa: PLW0603 - computed once, used to equalise timing
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None or not user.active:
        _DUMMY_HASH = _DUMMY_HASH or str(_hasher().hash("dummy-for-equal-timing"))
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def check_account(username: str, role: str, *, has_agency: bool) -> str:
    """The normalised username, if name, role and agency fit together."""
    username = username.strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9._-]{2,79}$", username):
        raise UserError(f"Benutzername '{username}' ungültig: 3–80 Zeichen aus Kleinbuchstaben, Ziffern, . _ -")
    if role not in ROLES:
        raise UserError(f"Unbekannte Rolle '{role}' (erlaubt: {', '.join(ROLES)})")
    if role == "agency" and not has_agency:
        raise UserError("Für die Rolle 'agency' muss eine Stelle angegeben werden (--agency)")
    return username


def create_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    password: str,
    role: str,
    region: Region,
    agency: Agency | None = None,
) -> User:
    username = check_account(username, role, has_agency=agency is not None)
    if agency is not None and agency.region_id != region.id:
        raise UserError(f"Stelle {agency.code} gehört nicht zur Region {region.code}")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"Benutzer '{username}' gibt es bereits")
    assert region.id is not None
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password, context=(username, display_name, region.code, region.name)),
        role=role,
        region_id=region.id,
        agency_id=agency.id if agency is not None else None,
    )
    session.add(user)
    session.flush()
    return user


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one account ("user:NAME") or one client address ("ip:ADDR")."""

    __tablename__ = "login_throttle"

    key: str = Field(max_length=200, primary_key=True)
    failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


#: failures allowed before each further one locks the key – an account, or a client address
#: (higher: an office behind one address must not be locked out by one person's typos) – and
#: the longest lock
FREE_FAILURES = {"user": 5, "ip": 20}
LONGEST_LOCK = timedelta(minutes=15)
#: a key's failures are forgotten after this long without one
FORGET_AFTER = timedelta(hours=1)


def throttle_keys(username: str, client: str) -> list[str]:
    return [f"user:{username.strip().lower()[:150]}", f"ip:{client[:150]}"]


def locked_for(*, session: Session, keys: list[str], now: datetime) -> timedelta | None:
    """How long a login for these keys must wait (None: it may try now)."""
    waits = []
    for key in keys:
        record = session.get(LoginThrottle, key)
        if record is not None and record.locked_until is not None and record.locked_until > now:
            waits.append(record.locked_until - now)
    return max(waits) if waits else None


def record_failure(*, session: Session, keys: list[str], now: datetime) -> None:
    """Count a failed login; from the sixth on, lock the key 1, 2, 4 … minutes (at most 15)."""
    for key in keys:
        record = session.get(LoginThrottle, key)
        if record is None or now - record.last_failure_at > FORGET_AFTER:
            record = record or LoginThrottle(key=key)
            record.failures = 0
            record.locked_until = None
        record.failures += 1
        record.last_failure_at = now
        over = record.failures - FREE_FAILURES[key.partition(":")[0]]
        if over > 0:
            record.locked_until = now + min(timedelta(minutes=2 ** (over - 1)), LONGEST_LOCK)
        session.add(record)


def record_success(*, session: Session, username: str) -> None:
    """A correct password clears the account's count (not the address's)."""
    record = session.get(LoginThrottle, throttle_keys(username, "")[0])
    if record is not None:
        session.delete(record)

"""Request plumbing: the App, a database session per request, the current viewer, CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection
from sqlmodel import Session

from foerderkette.app import App
from foerderkette.users import find_session
from foerderkette.web.policy import NoRule, Rule, rule_for
from pipeline.access import Viewer
from pipeline.database import utcnow
from pipeline.repository import record_audit
from pipeline.tables import Agency, Region


class LoginRequired(Exception):
    """Raised for pages that need a logged-in user; answered with a redirect to /login."""


def get_app(request: Request) -> App:
    app: App = request.app.state.app
    return app


def db(request: Request) -> Iterator[Session]:
    """One session per request; committed when the handler succeeds."""
    with get_app(request).session() as session:
        yield session


@contextmanager
def reading(app: App) -> Iterator[Connection]:
    """A pooled connection for the read functions (`pipeline.reads` and the other read modules)."""
    with app.engine.connect() as connection:
        yield connection


def today(app: App) -> date:
    return app.settings.today()


#: The request's session as a parameter default. Function scope: it commits *before* the response
#: goes out, so a redirect after a POST never overtakes the commit, and a failed commit is an error page.
DB = Depends(db, scope="function")


#: the longest a login lasts, however active
SESSION_HOURS = 10


def csrf_token(request: Request) -> str:
    """The form token: a logged-in session's own (kept on the server), else one for the login
    form kept in the cookie."""
    stored = getattr(request.state, "csrf", None)
    if stored:
        return str(stored)
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> dict[str, Any]:
    """Every form POST carries the session's token; returns the parsed form."""
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    expected = str(getattr(request.state, "csrf", None) or request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            status_code=403,
            detail="Das Formular ist abgelaufen oder ungültig. Bitte die Seite neu laden und erneut absenden.",
        )
    return dict(form)


def current_viewer(request: Request, session: Session = DB) -> Viewer:
    """The logged-in user behind the cookie's session token; LoginRequired when there is none or
    it has ended (logout, password change, deactivation, idle timeout, ten-hour maximum); 403 with
    the policy's German reason when the route's rule (`foerderkette.web.policy`) excludes the role."""
    token = request.session.get("sid")
    settings = get_app(request).settings
    found = (
        find_session(
            session=session,
            token=str(token),
            now=utcnow(),
            idle=timedelta(minutes=settings.session_idle_minutes),
            longest=timedelta(hours=SESSION_HOURS),
        )
        if token
        else None
    )
    if found is None:
        request.session.clear()
        session.commit()  # an expired session is marked ended even though the request fails
        raise LoginRequired
    record, user = found
    request.state.csrf = record.csrf
    rule = _route_rule(request)
    region = session.get(Region, user.region_id)
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    assert region is not None and user.id is not None
    if not rule.allows(user.role):
        raise HTTPException(status_code=403, detail=rule.denied)
    return Viewer(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        region_id=user.region_id,
        region_code=region.code,
        agency_type=agency.type if agency else None,
        agency_code=agency.code if agency else None,
        agency_name=agency.name if agency else None,
    )


def _route_rule(request: Request) -> Rule:
    """The policy's rule for the matched route; a route the policy does not declare is refused."""
    route = request.scope.get("route")
    try:
        return rule_for(request.method, str(getattr(route, "path", request.url.path)))
    except NoRule:
        raise HTTPException(status_code=403, detail="Für diese Seite ist kein Zugriff festgelegt.") from None


def audit(
    session: Session,
    viewer: Viewer,
    action: str,
    *,
    participant_id: int | None = None,
    detail: str = "",
    request: Request | None = None,
) -> None:
    source = f"web {request.client.host}" if request is not None and request.client else "web"
    record_audit(
        session=session,
        actor=viewer.username,
        role=viewer.role,
        action=action,
        region_id=viewer.region_id,
        participant_id=participant_id,
        detail=detail,
        source=source,
    )

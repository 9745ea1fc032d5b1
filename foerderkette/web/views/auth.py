"""Login and logout."""

from __future__ import annotations

import math
import threading

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from foerderkette.users import (
    User,
    authenticate,
    end_session,
    locked_for,
    record_failure,
    record_success,
    start_session,
    throttle_keys,
)
from foerderkette.web.deps import DB, LoginRequired, check_csrf, current_viewer
from foerderkette.web.rendering import page
from pipeline.database import utcnow
from pipeline.repository import record_audit

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return START_PAGE


#: where a login lands without another target: the key figures (an agency sees its own)
START_PAGE = "/kennzahlen"


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse(START_PAGE, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, weiter: str | None = None) -> Response:
    return page(request, "login.html", {"title": "Anmelden", "next": _safe_next(weiter), "error": None})


#: Argon2 verifications at once: a flood of failing logins queues here instead of taking every
#: core from the pages (they ran on the event loop before and stalled every request)
_VERIFYING = threading.BoundedSemaphore(1)


def _authenticate(session: Session, username: str, password: str) -> User | None:
    with _VERIFYING:
        return authenticate(session=session, username=username, password=password)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: Session = DB) -> Response:
    form = await check_csrf(request)
    username = str(form.get("username") or "").strip().lower()
    client = request.client.host if request.client else ""
    keys = throttle_keys(username, client)
    wait = locked_for(session=session, keys=keys, now=utcnow())
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        record_audit(session=session, actor=username or "?", action="login_throttled", source=f"web {client}")
        return page(
            request,
            "login.html",
            {
                "title": "Anmelden",
                "next": _safe_next(str(form.get("next") or "")),
                "error": f"Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in {minutes} "
                f"{'Minute' if minutes == 1 else 'Minuten'} erneut.",
            },
            status_code=429,
        )
    user = await run_in_threadpool(_authenticate, session, username, str(form.get("password") or ""))
    if user is None:
        record_failure(session=session, keys=keys, now=utcnow())
        record_audit(
            session=session,
            actor=username or "?",
            action="login_failed",
            source=f"web {client}",
        )
        return page(
            request,
            "login.html",
            {
                "title": "Anmelden",
                "next": _safe_next(str(form.get("next") or "")),
                "error": "Benutzername oder Passwort ist falsch.",
            },
            status_code=401,
        )
    assert isinstance(user, User)
    record_success(session=session, username=username)
    token, _record = start_session(session=session, user=user, client=client)
    request.session.clear()
    request.session["sid"] = token  # the cookie holds only this opaque token
    user.last_login_at = utcnow()
    session.add(user)
    record_audit(
        session=session,
        actor=user.username,
        role=user.role,
        action="login",
        region_id=user.region_id,
        source=f"web {client}",
    )
    return RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)


@router.post("/logout")
async def logout(request: Request, session: Session = DB) -> Response:
    token = request.session.get("sid")
    if token:
        try:  # the session's own form token is what the form carries
            current_viewer(request, session)
        except LoginRequired:
            return RedirectResponse("/login", status_code=303)
    await check_csrf(request)
    if token:
        end_session(session=session, token=str(token))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)

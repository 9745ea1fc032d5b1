"""The web application factory: sessions, security headers, German error pages, the views."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from foerderkette.app import App
from foerderkette.settings import Settings, SettingsError
from foerderkette.web.deps import SESSION_HOURS, LoginRequired
from foerderkette.web.rendering import page

STATIC = Path(__file__).parent / "static"


def check_settings(settings: Settings) -> None:
    """Refuse to serve without a proper session secret (checked before anything starts)."""
    if len(settings.secret_key) < 32:
        raise SettingsError(
            "FOERDERKETTE_SECRET_KEY fehlt oder ist zu kurz (mindestens 32 Zeichen) – die Weboberfläche braucht ihn für die Sitzungen"
        )


def create_app(settings: Settings, *, app: App | None = None, runner: Any = None) -> FastAPI:
    """The FastAPI app for `settings`; the embedded scheduler, if any, is shown on /health."""
    check_settings(settings)
    context = app or App(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn re-raises SIGTERM after shutting down, so cleanup belongs here, not after run()
        if runner is not None:
            runner.stop()
        context.dispose()

    web = FastAPI(title="Förderkette", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    web.state.app = context
    web.state.runner = runner
    web.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="foerderkette_session",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )

    @web.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.url.path not in ("/health",) and not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        return RedirectResponse(f"/login?weiter={request.url.path}", status_code=303)

    @web.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {403: "Keine Berechtigung", 404: "Nicht gefunden", 405: "Nicht erlaubt", 422: "Eingabe ungültig"}
        detail = exc.detail if isinstance(exc.detail, str) else "Die Anfrage konnte nicht bearbeitet werden."
        return page(
            request,
            "error.html",
            {"title": titles.get(exc.status_code, "Fehler"), "message": detail},
            status_code=exc.status_code,
        )

    @web.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "scheduler": runner.describe() if runner is not None else None}

    from foerderkette.web.views import (  # noqa: PLC0415
        answers,
        auth,
        courses,
        figures,
        fill,
        jourfixe,
        operations,
        outbox,
        participants,
        pipeline,
        planning,
        process,
        public,
    )

    for module in (
        auth,
        figures,
        pipeline,
        participants,
        courses,
        fill,
        planning,
        jourfixe,
        outbox,
        operations,
        process,
        answers,
        public,
    ):
        web.include_router(module.router)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    return web

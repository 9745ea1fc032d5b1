"""The web application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from foerderkette.app import App
from foerderkette.settings import Settings


def create_app(settings: Settings, *, app: App | None = None, runner: Any = None) -> FastAPI:
    """The FastAPI app for `settings` (the embedded scheduler, if any, is shown on /status)."""
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

    @web.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "scheduler": runner.describe() if runner is not None else None}

    return web

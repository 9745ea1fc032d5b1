"""The coordinators' web UI (FastAPI, server-rendered Jinja2)."""

from foerderkette.web.app import create_app

__all__ = ["create_app"]

"""The coordinators' web UI (FastAPI, server-rendered Jinja2): `foerderkette.web.app.create_app(settings)`."""

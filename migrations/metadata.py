"""Imports every table module so that `SQLModel.metadata` is complete (for Alembic and tests)."""

import pipeline.tables  # noqa: F401

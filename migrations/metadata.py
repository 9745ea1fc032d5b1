"""Imports every table module so that `SQLModel.metadata` is complete (for Alembic and tests)."""

import checklists.tables  # noqa: F401
import figures.tables  # noqa: F401
import flows.tables  # noqa: F401
import foerderkette.users  # noqa: F401
import notifications.tables  # noqa: F401
import pipeline.tables  # noqa: F401
import places.tables  # noqa: F401
import planning.tables  # noqa: F401

#: Tables other libraries manage in our database (APScheduler's job store); Alembic leaves them alone.
FOREIGN_TABLES = frozenset({"scheduler_jobs"})

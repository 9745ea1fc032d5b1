"""The case data: SQLModel tables, one read module per feature (`reads`), the write functions
(`repository`), the access policy (`access`), validation, import and export.

Deliberately imports nothing here: read-only commands import `pipeline.reads` (SQLAlchemy Core)
without paying for SQLModel and pydantic. Import the submodules you need (`pipeline.tables`,
`pipeline.repository`, `pipeline.importing`, …).
"""

"""The case data: SQLModel tables, repository functions, the fast read path, import and export.

Deliberately imports nothing here: `pipeline.reads` must stay importable without SQLAlchemy so
read-only commands start fast. Import the submodules you need (`pipeline.tables`,
`pipeline.repository`, `pipeline.importing`, …).
"""

"""Golden-file comparison. Regenerate with `UPDATE_GOLDEN=1 make test` and review the diff."""

from __future__ import annotations

import os
from pathlib import Path


def check_golden(path: Path, actual: str) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        if os.environ.get("UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {path.name} was missing and has been written; review and commit it")
        return
    expected = path.read_bytes().decode("utf-8")  # no newline translation: ICS lines end in CRLF
    if actual != expected:
        mismatch = path.with_name(path.name + ".actual")
        mismatch.write_bytes(actual.encode("utf-8"))
        raise AssertionError(
            f"{path.name} differs from the golden file; see {mismatch.name} (UPDATE_GOLDEN=1 to regenerate)"
        )

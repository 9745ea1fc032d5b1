"""Shared fixtures: CLI runner, isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI subprocesses: a private database and overrides folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FOERDERKETTE_")}
    env.update(
        {
            "FOERDERKETTE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "FOERDERKETTE_OVERRIDES_DIR": str(tmp_path / "regions"),
            "FOERDERKETTE_MAILER": "console",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str], tmp_path: Path) -> CliRunner:
    """Run `foerderkette ARGS…` in a subprocess and return the completed process."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, input_text: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "foerderkette", *args],
            capture_output=True,
            text=True,
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
            input=input_text,
            timeout=timeout,
            check=False,
        )

    return run

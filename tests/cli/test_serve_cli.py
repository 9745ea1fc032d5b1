"""`foerderkette serve`: web and scheduler in one process; one scheduler per database."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, CliRunner
from tests.smtp import free_port


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "foerderkette", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(port: int) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return dict(httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json())
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("serve did not come up")


def test_one_scheduler_per_database_and_clean_shutdown(
    run_cli: CliRunner, cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    env = {**cli_env, "FOERDERKETTE_SECRET_KEY": "x" * 32, "FOERDERKETTE_COOKIE_SECURE": "false"}
    port = free_port()
    first = _serve(env, port, tmp_path / "first.log")
    try:
        health = _wait_healthy(port)
        scheduled = {item["flow"] for item in health["scheduler"]}  # type: ignore[union-attr]
        assert scheduled == {
            "daily-sweep",
            "send-reminders",
            "jourfixe-prepare",
            "jourfixe-followup",
            "import-drop",
            "privacy-purge",
        }
        second = subprocess.run(
            [sys.executable, "-m", "foerderkette", "serve", "--port", str(free_port())],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert "Für diese Datenbank läuft bereits ein Scheduler" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    third = _serve(env, port, tmp_path / "third.log")
    try:
        _wait_healthy(port)  # the lock was released on shutdown
    finally:
        third.send_signal(signal.SIGTERM)
        third.wait(timeout=30)


def test_serve_refuses_to_start_without_a_session_secret(run_cli: CliRunner) -> None:
    result = run_cli("serve", "--port", str(free_port()), env={"FOERDERKETTE_SECRET_KEY": "zu-kurz"})
    assert result.returncode == 1
    assert "FOERDERKETTE_SECRET_KEY fehlt oder ist zu kurz (mindestens 32 Zeichen)" in result.stderr
    assert "Zeitplan" not in result.stderr  # refused before the scheduler started

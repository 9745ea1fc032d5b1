"""The scaled set-up for real: a Prefect server on PostgreSQL, our deployments, two workers.

send-reminders (one deployment for all regions) runs six times at the same time on two workers;
every email of the three regions must reach the SMTP server exactly once. Runs in the PostgreSQL pass (`make test-pg`, CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, TEST_DATABASE_URL
from tests.smtp import free_port, smtp_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"),
        reason="needs PostgreSQL: runs in the PostgreSQL pass (make test-pg)",
    ),
]
ADMIN_URL = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres" if TEST_DATABASE_URL else ""
REGIONS = ("BY-BA", "BY-MUE", "BY-PA-S")


def _recreate(database: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    engine.dispose()


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FOERDERKETTE_", "PREFECT_"))}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as handle:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def _webhook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A loopback webhook: the operations contact of the automations (what it receives)."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                received.append(json.loads(body))
            except ValueError:
                received.append({"raw": body.decode("utf-8", "replace")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alarm", received
    finally:
        server.shutdown()


def test_send_reminders_on_a_prefect_server_with_two_workers(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    data_url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/foerderkette_it"
    _recreate("foerderkette_it")
    _recreate("prefect_it")
    env = _base_env(tmp_path)
    data_env = {**env, "FOERDERKETTE_DATABASE_URL": data_url}

    def cli(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "foerderkette", *args],
            env={**data_env, **(extra or {})},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    cli("demo", "--participants", "600", "--regions", "3", "--seed", "17", "--as-of", "2026-11-20")
    for region in REGIONS:
        cli("sweep", "--region", region, "--as-of", "2026-11-23")
    engine = create_engine(data_url)
    with engine.connect() as connection:
        due = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'pending' AND send_on <= '2026-11-24'")
        ).scalar_one()
    assert due > 20

    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}/api"
    server_env = {
        **env,
        "PREFECT_API_DATABASE_CONNECTION_URL": ADMIN_URL.replace("postgresql+psycopg", "postgresql+asyncpg").rsplit(
            "/", 1
        )[0]
        + "/prefect_it",
        "PREFECT_UI_ENABLED": "false",
    }
    with (
        smtp_server() as (sink, smtp_port),
        _webhook() as (webhook_url, alarms),
        _process(
            [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(api_port)],
            server_env,
            tmp_path / "server.log",
        ),
    ):
        _wait_for(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 180, "the Prefect server")
        settings = {
            "PREFECT_API_URL": api,
            "FOERDERKETTE_MAILER": "smtp",
            "FOERDERKETTE_SMTP_HOST": "127.0.0.1",
            "FOERDERKETTE_SMTP_PORT": str(smtp_port),
            "FOERDERKETTE_MAIL_FROM": "Förderkette <noreply@bayern.example>",
            "FOERDERKETTE_OPS_WEBHOOK_URL": webhook_url,
        }
        deployed = cli("deploy", "--pass-settings", extra=settings)
        assert "3 Automationen registriert: Alarm an FOERDERKETTE_OPS_WEBHOOK_URL" in deployed.stdout
        cli("deploy", "--pass-settings", extra=settings)  # again: replaced, not doubled
        automations = httpx.post(f"{api}/automations/filter", json={}).json()
        assert sorted(a["name"] for a in automations) == [
            "Förderkette: Lauf fehlgeschlagen",
            "Förderkette: daily-sweep nicht rechtzeitig abgeschlossen",
            "Förderkette: send-reminders nicht rechtzeitig abgeschlossen",
        ]
        proactive = next(a for a in automations if "daily-sweep" in a["name"])["trigger"]
        assert proactive["posture"] == "Proactive" and proactive["expect"] == ["prefect.flow-run.Completed"]
        assert (
            f"{3 * len(REGIONS) + 3} Deployments registriert" in deployed.stdout
        )  # send-reminders, import-drop, privacy-purge: one for all
        schedule = httpx.get(f"{api}/deployments/name/daily-sweep/BY-BA").json()["schedules"][0]["schedule"]
        assert (schedule["cron"], schedule["timezone"]) == ("0 6 * * 1-5", "Europe/Berlin")

        worker_env = {
            **data_env,
            **settings,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        }
        with (
            _process(
                [str(bin_dir / "prefect"), "worker", "start", "--pool", "foerderkette", "--name", "worker-1"],
                worker_env,
                tmp_path / "worker-1.log",
            ),
            _process(
                [str(bin_dir / "prefect"), "worker", "start", "--pool", "foerderkette", "--name", "worker-2"],
                worker_env,
                tmp_path / "worker-2.log",
            ),
        ):
            runs = []
            deployment = httpx.get(f"{api}/deployments/name/send-reminders/alle").json()["id"]
            for _ in range(2 * len(REGIONS)):
                created = httpx.post(
                    f"{api}/deployments/{deployment}/create_flow_run", json={"parameters": {"as_of": "2026-11-24"}}
                )
                runs.append(created.json()["id"])

            def finished() -> bool:
                states = [httpx.get(f"{api}/flow_runs/{run}").json()["state"]["type"] for run in runs]
                failed = [state for state in states if state in ("FAILED", "CRASHED", "CANCELLED")]
                assert not failed, (states, (tmp_path / "worker-1.log").read_text(errors="replace")[-3000:])
                return all(state == "COMPLETED" for state in states)

            _wait_for(finished, 420, "six send-reminders runs")
            workers = {httpx.get(f"{api}/flow_runs/{run}").json()["work_queue_name"] for run in runs}
            assert workers
            assert not alarms  # nothing failed, nothing late

            # a run that fails on a worker (a region that does not exist) alarms the operations
            # contact; without the flow's retry a minute later, to keep CI short
            sweep = httpx.get(f"{api}/deployments/name/daily-sweep/BY-BA").json()["id"]
            broken = httpx.post(
                f"{api}/deployments/{sweep}/create_flow_run",
                json={
                    "parameters": {"region": "XX-NIE", "as_of": "2026-11-24"},
                    "empirical_policy": {"retries": 0, "retry_delay": 0},
                },
            ).json()["id"]
            _wait_for(
                lambda: httpx.get(f"{api}/flow_runs/{broken}").json()["state"]["type"] == "FAILED", 300, "the failure"
            )
            _wait_for(lambda: bool(alarms), 120, "the webhook alarm of the reactive automation")
            assert "Förderkette: Lauf fehlgeschlagen" in str(alarms[0])

    ids = [str(message["Message-ID"]) for message in sink.messages]
    assert len(ids) == due, (len(ids), due)
    assert len(set(ids)) == due  # every email exactly once, though six senders raced for them
    with engine.connect() as connection:
        states = dict(
            connection.execute(
                text("SELECT status, count(*) FROM outbox WHERE send_on <= '2026-11-24' GROUP BY status")
            ).all()
        )
    assert states == {"sent": due}
    engine.dispose()

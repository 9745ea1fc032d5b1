"""Two and four `foerderkette reminders send` processes at once on PostgreSQL, against a real
aiosmtpd, one of the four killed with `kill -9` at a seeded moment: every e-mail arrives, none
twice except the killed sender's in-flight ones (with their Message-ID), no traceback.
PostgreSQL only: SQLite has one writer, so its senders queue up instead of racing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import Engine

from tests.chaos.test_send_crash import MONDAY, SlowSink, _statuses
from tests.conftest import TEST_DATABASE_URL, CliRunner
from tests.smtp import smtp_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.chaos,
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"),
        reason="parallel senders race on PostgreSQL (FOR UPDATE SKIP LOCKED); runs in the PostgreSQL pass",
    ),
]


@pytest.mark.parametrize(("senders", "kill"), [(2, False), (4, True)])
def test_parallel_senders_deliver_everything_once(
    run_cli: CliRunner, cli_env: dict[str, str], engine: Engine, senders: int, kill: bool
) -> None:
    assert (
        run_cli("demo", "--participants", "600", "--regions", "2", "--seed", "5", "--as-of", "2026-11-20").returncode
        == 0
    )
    assert run_cli("sweep", "--as-of", MONDAY).returncode == 0
    total = sum(_statuses(engine).values())
    rng = random.Random(senders)
    sink = SlowSink(delay=0.02)
    started = time.monotonic()
    with smtp_server(sink=sink) as (_, port):
        env = {
            **cli_env,
            "FOERDERKETTE_MAILER": "smtp",
            "FOERDERKETTE_SMTP_HOST": "127.0.0.1",
            "FOERDERKETTE_SMTP_PORT": str(port),
            "FOERDERKETTE_SEND_BATCH_SIZE": "10",
        }
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "foerderkette", "reminders", "send", "--as-of", MONDAY],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(senders)
        ]
        killed_at = None
        if kill:
            target = rng.randint(5, max(6, total // 3))
            while len(sink.messages) < target and time.monotonic() - started < 120:
                time.sleep(0.01)
            os.kill(processes[0].pid, signal.SIGKILL)
            killed_at = time.monotonic()
        outputs = [process.communicate(timeout=600) for process in processes]
        tracebacks = sum("Traceback" in err for _out, err in outputs)
        reruns = 0
        while _statuses(engine)["sending"] or _statuses(engine)["pending"]:
            assert time.monotonic() - started < 400, _statuses(engine)
            time.sleep(5)
            reruns += 1
            rerun = run_cli("reminders", "send", "--as-of", MONDAY, env=env)
            tracebacks += "Traceback" in rerun.stderr
        recovered = killed_at and round(time.monotonic() - killed_at)
    statuses = _statuses(engine)
    ids = Counter(str(message["Message-ID"]) for message in sink.messages)
    duplicates = sum(count - 1 for count in ids.values())
    print(
        f"\nchaos {senders} parallel senders{' (one killed)' if kill else ''}: rows {total}, delivered "
        f"{len(sink.messages)}, distinct {len(ids)}, duplicates {duplicates}, tracebacks {tracebacks}, "
        f"reruns {reruns}, recovered after {recovered} s, statuses {dict(statuses)}"
    )
    assert tracebacks == 0
    assert statuses["sent"] + statuses["cancelled"] == total, statuses  # 0 lost
    assert len(ids) == statuses["sent"]
    if kill:
        assert duplicates <= 1  # at most the killed sender's in-flight message, same Message-ID
        assert recovered is not None and recovered <= 120
    else:
        assert duplicates == 0  # racing senders never send a message twice

"""A counting SMTP sink (aiosmtpd) in its own process: `python -m benchmarks.smtp_sink PORT`.

Prints "ready" when listening; on a line "count" on stdin it prints how many messages it took.
"""

from __future__ import annotations

import sys
from typing import Any

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 Message accepted"


def main() -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "count":
                print(counter.messages, flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

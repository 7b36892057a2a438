"""Starting the real server (`exchange-ledger serve`, gunicorn) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen[str]
    log: Path

    def wait_for_log(self, line: str, times: int = 1, timeout: float = 300) -> None:
        """Until the server has logged `line` (at least `times` times: once per worker)."""
        deadline = time.monotonic() + timeout
        while self.log.read_text().count(line) < times:
            assert time.monotonic() < deadline, f"the server logged {line!r} fewer times"
            time.sleep(0.2)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


@contextmanager
def serving(
    database_url: str,
    workdir: Path,
    *,
    command: Sequence[str] | None = None,
    extra_args: Sequence[str] = ("--workers", "2", "--seed"),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run the server until the block ends, then stop it with SIGTERM as an operator would."""
    port = free_port()
    command = list(command or [sys.executable, "-m", "exchange_ledger", "serve"])
    args = [*command, *extra_args, "--host", "127.0.0.1", "--port", str(port)]
    log = workdir / f"server-{port}.log"
    # Tests send many refused writes on purpose; the failed-auth limit has its own test.
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_FAILED_AUTH_LIMIT": "100000 per minute",
        **(env or {}),
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            args, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log.read_text()}")
        try:
            if server.get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer within {STARTUP_SECONDS}s:\n{server.log.read_text()}"
    )

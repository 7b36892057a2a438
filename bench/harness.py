"""Processes the benchmarks drive: servers on loopback, wrk, curl, and resident memory."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        # gunicorn's workers; a server without children (Datasette) serves from itself.
        return [int(pid) for pid in found] or [self.process.pid]


@contextmanager
def serving(
    args: Sequence[str],
    port: int,
    log: Path,
    env: dict[str, str],
    ready: str = "/healthz",
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Run a server until the block ends; SIGTERM, then SIGKILL if it lingers."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            list(args),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=cwd,
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{args[0]} exited early; see {log}")
            try:
                with urllib.request.urlopen(server.base + ready, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start; see {log}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@dataclass(frozen=True)
class Load:
    """What wrk measured."""

    requests: int
    seconds: float
    failed: int  # non-2xx/3xx answers and socket errors

    @property
    def per_second(self) -> float:
        return (self.requests - self.failed) / self.seconds


def wrk(
    url: str,
    seconds: float,
    connections: int = 8,
    headers: Sequence[str] = (),
    script: Path | None = None,
) -> Load:
    """Drive one URL with wrk (one thread: the machine has few cores and serves as well)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    for header in headers:
        args += ["-H", header]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if done is None:
        raise RuntimeError(f"wrk said:\n{out}")
    elapsed = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        failed += sum(int(n) for n in errors.groups())
    return Load(int(done.group(1)), elapsed, failed)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Download:
    seconds: float
    bytes: int
    lines: int
    rss_before_mb: float
    rss_peak_mb: float


def download(url: str, pids: Sequence[int] = ()) -> Download:
    """Fetch a URL with curl to a file, sampling the servers' RSS meanwhile."""
    before = sum(rss_mb(pid) for pid in pids)
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak.append(sum(rss_mb(pid) for pid in pids))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    target = Path(f"/tmp/bench-download-{os.getpid()}.csv")
    try:
        started = time.perf_counter()
        subprocess.run(["curl", "-sSf", "-o", str(target), url], check=True, timeout=3600)
        seconds = time.perf_counter() - started
        with target.open("rb") as body:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: body.read(1 << 20), b""))
        size = target.stat().st_size
    finally:
        done.set()
        sampler.join()
        target.unlink(missing_ok=True)
    return Download(seconds, size, lines, before, max(peak))


def timed(args: Sequence[str], **kwargs) -> tuple[float, str]:
    """Wall seconds of a command (and its output), e.g. the sqlite3 shell or psql."""
    started = time.perf_counter()
    done = subprocess.run(list(args), capture_output=True, text=True, check=True, **kwargs)
    return time.perf_counter() - started, done.stdout

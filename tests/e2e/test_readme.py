"""The README's curl walk-through, run as written against the real server, and its
Guarantees, each naming tests that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it with curl", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def guarantees() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Guarantees", 1)[1].split("\n## ", 1)[0]


def test_every_guarantee_names_tests_that_pytest_collects():
    """Each promise of the Guarantees section cites tests by their pytest node id, and each
    id names tests that are collected (a renamed or removed test fails this)."""
    promises = re.findall(r"^- \*\*(.+?)\*\*(.*?)(?=^- |\Z)", guarantees(), re.DOTALL | re.M)
    assert len(promises) >= 8
    for promise, text in promises:
        assert re.search(r"`tests/\S+\.py::test_\w+`", text), f"no test proves: {promise}"
    cited = sorted(set(re.findall(r"`(tests/\S+\.py::test_\w+)`", guarantees())))
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *cited],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stdout[-5000:] + collected.stderr[-2000:]
    found = {line.split("[", 1)[0] for line in collected.stdout.splitlines()}
    assert [test for test in cited if test not in found] == []


def test_the_readme_walkthrough_adds_a_report_and_moves_the_totals(service: Service):
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BASE": service.server.base, "LEDGER_DATABASE_URL": service.url},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "before: {'low': 73, 'high': 73}"
    assert re.fullmatch(r"ent_[0-9a-f]{16} \d+ \d+", lines[1])
    assert lines[-1] == "after: {'low': 85, 'high': 85}"

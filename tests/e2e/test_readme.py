"""The README's curl walk-through, run as written against the real server."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it with curl", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


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

"""The container image's commands, run the way the image runs them (no Docker engine here):
build the wheel, install it into a fresh virtualenv, start the ENTRYPOINT + CMD, probe the
HEALTHCHECK."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.server import serving

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def dockerfile() -> dict[str, object]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = text.split("\nFROM ")[-1]
    found = {}
    for instruction in ("ENTRYPOINT", "CMD", "USER"):
        match = re.search(rf"^{instruction} (.+)$", final, re.MULTILINE)
        found[instruction] = match.group(1).strip() if match else None
    health = re.search(r"^HEALTHCHECK .*?CMD (\[.+\])$", final, re.MULTILINE)
    found["HEALTHCHECK"] = json.loads(health.group(1)) if health else None
    found["ENV"] = dict(re.findall(r"(LEDGER_[A-Z_]+)=(\S+)", final))
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv holding only the built wheel and its dependencies."""
    where = tmp_path_factory.mktemp("image")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(where / "wheels"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (where / "wheels").glob("exchange_ledger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ledger/seed_data/ledger.yaml" in names
    assert "ledger/seed_data/000_107769c31182abaa.txt" in names
    assert any(name.startswith("ledger/storage/migrations/versions/0001") for name in names)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return venv


def test_the_image_runs_as_a_non_root_user_with_a_health_check():
    image = dockerfile()
    assert image["USER"] == "ledger"
    assert json.loads(image["ENTRYPOINT"]) == ["exchange-ledger"]
    assert json.loads(image["CMD"]) == ["serve", "--host", "0.0.0.0", "--seed"]
    assert image["HEALTHCHECK"][0] == "python"
    assert image["ENV"]["LEDGER_DATABASE_URL"] == "sqlite:////data/ledger.sqlite3"


def test_the_installed_wheel_serves_the_seeded_ledger(installed, tmp_path):
    image = dockerfile()
    command = [str(installed / "bin" / json.loads(image["ENTRYPOINT"])[0])]
    # The image's own CMD, then the loopback address and a free port in place of 0.0.0.0:8000.
    cmd = json.loads(image["CMD"])
    database = image["ENV"]["LEDGER_DATABASE_URL"].replace("/data", str(tmp_path))
    with serving(database, tmp_path, command=command, extra_args=cmd) as server:
        probe = list(image["HEALTHCHECK"])
        probe[0] = str(installed / "bin" / "python")
        probe[-1] = probe[-1].replace("http://127.0.0.1:8000", server.base)
        assert subprocess.run(probe, timeout=30).returncode == 0
        assert server.get("/readyz")[0] == 200
    assert "seed ledger: sources: 2 added" in server.log.read_text()
    verified = subprocess.run(
        [str(installed / "bin" / "exchange-ledger"), "verify"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"LEDGER_DATABASE_URL": database},
    )
    assert verified.returncode == 0, verified.stderr
    assert "2 sources" in verified.stdout and "9 entry revisions" in verified.stdout

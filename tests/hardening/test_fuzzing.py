"""Fuzzing from the spec: schemathesis derives requests from /openapi.json and sends them to the
real server. No 5xx; every answer has a documented status, content type and body; every write
operation gets at least one write through (the request bodies' examples cite the seed ledger);
and without a token no write is accepted.

The runs are bounded (examples per operation, a fixed seed) so they fit in CI; for a deeper run
set LEDGER_FUZZ_EXAMPLES (and LEDGER_FUZZ_SEED for another sample of inputs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode

from tests.e2e.conftest import make_token
from tests.e2e.server import Server, serving
from tests.hardening.conftest import ENGINES, counts, database_url, server_log_problems

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("LEDGER_FUZZ_SEED", "20231124"))
TOKENLESS_EXAMPLES = int(os.environ.get("LEDGER_FUZZ_TOKENLESS_EXAMPLES", "15"))
RUN_SECONDS = 300
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
WRITES = {
    "POST /v1/sources",
    "POST /v1/entries",
    "PUT /v1/entries/{record_id}",
    "DELETE /v1/entries/{record_id}",
    "POST /v1/terms",
    "PUT /v1/terms/{record_id}",
    "DELETE /v1/terms/{record_id}",
    "POST /v1/notes",
    "POST /v1/tokens",
}


@dataclass
class Target:
    server: Server
    url: str
    editor: str
    admin: str


@pytest.fixture(scope="module", params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A seeded server per engine, and an editor's token, so writes get exercised."""
    workdir = tmp_path_factory.mktemp("fuzz")
    with database_url(request.param, workdir, request) as url:
        editor = make_token(url, "editor", "fuzz editor")
        admin = make_token(url, "admin", "fuzz admin")
        with serving(url, workdir) as server:
            spare = requests.post(
                f"{server.base}/v1/exchanges",
                json={
                    "id": "exc_fuzz_spare", "name": "An exchange to retract", "parties": ["A"],
                    "first_day": "2023-11-24", "evidence": [{"source": "src_1ad57b34380d078e",
                    "quote": "an original four-day truce deal"}],
                },
                headers={"Authorization": f"Bearer {admin}"},
                timeout=60,
            )  # fmt: skip
            assert spare.status_code == 201, spare.text
            yield Target(server, url, editor, admin)


def refused_without_token(
    target: Target, operation: Any, mode: GenerationMode, sent: list[int]
) -> Callable[[], None]:
    """A hypothesis test: the operation's cases, sent without a token, are all refused."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=TOKENLESS_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED)
    def refused(case: schemathesis.Case) -> None:
        if case.headers:
            case.headers.pop("Authorization", None)
            case.headers.pop("authorization", None)
        answer = case.call(base_url=target.server.base, timeout=60)
        sent.append(answer.status_code)
        request = f"{case.method} {answer.request.url} {case.body!r}"[:500]
        if mode is GenerationMode.POSITIVE:
            assert answer.status_code == 401, f"{request}: {answer.text[:300]}"
        else:
            # 404/405: no route matched the address; 414: gunicorn could not read a request line
            # over 4 KB (a query past its maxLength). Everything else is refused for the missing
            # token before its body is read, whatever the body is.
            assert answer.status_code in (401, 404, 405, 414), f"{request}: {answer.text[:300]}"
        # schemathesis' Response: header names in lower case, each with a list of values.
        assert answer.headers["content-type"] == ["application/problem+json"], request
        if answer.status_code == 401:
            assert answer.headers["www-authenticate"][0].startswith("Bearer"), request

    return refused


def schemathesis_cli() -> list[str]:
    return [str(Path(sys.executable).with_name("st"))]


@pytest.mark.slow
def test_every_answer_conforms_to_the_spec(target: Target, tmp_path: Path) -> None:
    """schemathesis' every check (all by default, but positive_data_acceptance: see
    schemathesis.toml), with an editor's token (an admin's where only an admin may): no 5xx,
    documented status codes, content types, headers and bodies (those of accepted writes too),
    401 once the token is taken away, and the stateful phase chaining writes to reads."""
    report = tmp_path / "schemathesis.json"
    run = subprocess.run(
        [
            *schemathesis_cli(),
            "--config-file",
            str(CONFIG),
            "run",
            f"{target.server.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {target.editor}",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        cwd=tmp_path,
        env={**os.environ, "LEDGER_FUZZ_ADMIN_TOKEN": target.admin},
    )
    summary = json.loads(report.read_text())
    print(  # the figures, for `pytest -s`
        f"\nschemathesis {summary['schemathesis_version']} seed {summary['seed']}: "
        f"{summary['operations']['tested']}/{summary['operations']['total']} operations, "
        f"{summary['test_cases']['generated']} test cases, "
        f"{summary['running_time']:.0f}s, failures {summary['failures']}"
    )
    assert run.returncode == 0, run.stdout[-25_000:] + run.stderr[-5_000:]
    assert summary["operations"]["tested"] == summary["operations"]["total"]
    assert summary["operations"]["errored"] == 0
    assert summary["phases"]["examples"]["status"] == "success", summary["phases"]
    # Every write operation got a write through (a 2xx, its body checked against the schema),
    # so the checks saw accepted writes and not only refusals.
    accepted = {
        operation: sum(phase["accepted"] for phase in phases.values())
        for operation, phases in summary["valid_rates"].items()
    }
    writes = sorted(WRITES | {name for name in accepted if name.split()[0] in WRITE_METHODS})
    print(f"accepted writes: { {name: accepted.get(name, 0) for name in writes} }")
    assert [name for name in writes if not accepted.get(name)] == []
    warnings = summary["warnings"]
    assert (warnings["missing_test_data"], warnings["missing_auth"]) == ([], []), warnings
    assert server_log_problems(target.server.log) == []


@pytest.mark.slow
def test_without_a_token_every_write_is_refused_with_401(target: Target) -> None:
    """Every write operation, with inputs valid and invalid by the spec, and no token: refused
    in problem+json (401 for every valid input), and nothing written."""
    schema = schemathesis.openapi.from_url(f"{target.server.base}/openapi.json")
    writes = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().method.upper() in WRITE_METHODS
    ]
    assert {f"{op.method.upper()} {op.path}" for op in writes} >= WRITES
    before = counts(target.url)
    sent: list[int] = []
    for operation in writes:
        for mode in GenerationMode:
            refused_without_token(target, operation, mode, sent)()
    print(f"\n{len(sent)} tokenless writes to {len(writes)} operations: {sorted(set(sent))}")
    assert counts(target.url) == before
    assert sent.count(401) >= len(writes) * 2
    # Reads stay public all the while.
    assert requests.get(target.server.base + "/v1/entries", timeout=60).status_code == 200

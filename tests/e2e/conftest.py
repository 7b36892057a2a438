"""The real server on loopback, seeded, with tokens made by the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.server import Server, serving


def make_token(url: str, role: str, name: str) -> str:
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "exchange_ledger",
            "token",
            "create",
            "--role",
            role,
            "--name",
            name,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
    )
    return made.stdout.strip().splitlines()[-1]


@dataclass
class Client:
    """Speaks HTTP to the server, as a given token (or none)."""

    server: Server
    token: str | None = None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(
            method, self.server.base + path, headers=headers, timeout=30, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@dataclass
class Service:
    """The running service and a client per role."""

    server: Server
    url: str
    public: Client
    editor: Client
    other_editor: Client
    admin: Client


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def service(request, tmp_path_factory) -> Iterator[Service]:
    """One seeded server per test module and engine (gunicorn, 2 workers)."""
    workdir = tmp_path_factory.mktemp("service")
    if request.param == "sqlite":
        database = nullcontext(f"sqlite:///{workdir / 'ledger.sqlite3'}")
    else:
        database = request.getfixturevalue("new_postgres_database")()
    with database as url:
        tokens = {
            role: make_token(url, role.split("_")[-1], f"e2e {role}")
            for role in ("editor", "other_editor", "admin")
        }
        with serving(url, workdir) as server:
            yield Service(
                server,
                url,
                Client(server),
                Client(server, tokens["editor"]),
                Client(server, tokens["other_editor"]),
                Client(server, tokens["admin"]),
            )

"""Operations and security over HTTP: failed-auth rate limit, security headers, JSON logs with
request ids and no secrets, Prometheus metrics, and a graceful stop that finishes writes."""

from __future__ import annotations

import json
import signal
import threading
import time
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.e2e.conftest import make_token
from tests.e2e.server import serving


class FromAddress(HTTPAdapter):
    """Connects from a given loopback address, as another client on the same host would."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def guess(session: requests.Session, base: str, **headers: str) -> requests.Response:
    """A write with a token nobody made."""
    bad = {"Authorization": "Bearer elt_guess", "Content-Type": "application/json", **headers}
    return session.post(f"{base}/v1/entries", data="{}", headers=bad, timeout=10)


def test_failed_authentication_is_rate_limited_per_client(tmp_path):
    url = f"sqlite:///{tmp_path / 'limited.sqlite3'}"
    with serving(
        url,
        tmp_path,
        extra_args=("--workers", "1"),
        env={"LEDGER_FAILED_AUTH_LIMIT": "5 per minute"},
    ) as server:
        first, second = client_at("127.0.0.1"), client_at("127.0.0.2")
        answers = [guess(first, server.base) for _ in range(6)]
        assert [a.status_code for a in answers] == [401] * 5 + [429]
        limited = answers[-1]
        assert limited.headers["Content-Type"] == "application/problem+json"
        assert limited.json()["type"] == "/problems/rate-limited"
        assert int(limited.headers["Retry-After"]) > 0
        # Another client is not held back by the first one's failures...
        assert guess(second, server.base).status_code == 401
        # ...and without a trusted proxy, X-Forwarded-For is the client's own word: ignored.
        assert guess(first, server.base, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429
        assert first.get(f"{server.base}/v1/totals", timeout=10).status_code == 200


def test_behind_a_trusted_proxy_x_forwarded_for_names_the_client(tmp_path):
    url = f"sqlite:///{tmp_path / 'proxied.sqlite3'}"
    with serving(
        url,
        tmp_path,
        extra_args=("--workers", "1"),
        env={"LEDGER_FAILED_AUTH_LIMIT": "3 per minute", "LEDGER_TRUSTED_PROXIES": "1"},
    ) as server:
        proxy = client_at("127.0.0.1")  # every request comes through the one proxy
        one = {"X-Forwarded-For": "203.0.113.7"}
        answers = [guess(proxy, server.base, **one) for _ in range(4)]
        assert [a.status_code for a in answers] == [401] * 3 + [429]
        # The proxy appends the address it saw; what the client wrote before it is not trusted.
        spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
        assert guess(proxy, server.base, **spoofed).status_code == 429
        assert guess(proxy, server.base, **{"X-Forwarded-For": "203.0.113.8"}).status_code == 401


def test_the_limiter_storage_is_read_from_the_environment(tmp_path):
    """LEDGER_LIMITER_STORAGE reaches Flask-Limiter: a storage it does not know stops the server
    from starting, instead of counting in memory unseen."""
    url = f"sqlite:///{tmp_path / 'storage.sqlite3'}"
    with (
        pytest.raises(RuntimeError, match="unknown storage scheme"),
        serving(
            url,
            tmp_path,
            extra_args=("--workers", "1"),
            env={"LEDGER_LIMITER_STORAGE": "nowhere://limits"},
        ),
    ):
        pass


def test_html_pages_admit_only_this_origin(tmp_path):
    url = f"sqlite:///{tmp_path / 'headers.sqlite3'}"
    with serving(url, tmp_path, extra_args=("--workers", "1")) as server:
        page = requests.get(f"{server.base}/", timeout=30)
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        script = policy.split("script-src")[1].split(";")[0]
        assert "'unsafe-inline'" not in script and "http" not in policy
        assert page.headers["X-Frame-Options"] == "DENY"
        docs = requests.get(f"{server.base}/docs", timeout=10).headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in docs
        data = requests.get(f"{server.base}/v1/totals", timeout=10)
        assert data.headers["X-Content-Type-Options"] == "nosniff"


def test_logs_are_json_lines_with_request_ids_and_never_a_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    secret = make_token(url, "editor", "log test")
    with serving(url, tmp_path, extra_args=("--workers", "1")) as server:
        ids = []
        for headers in (
            {"Authorization": f"Bearer {secret}"},
            {"Authorization": f"Bearer {secret}x"},
        ):
            answer = requests.post(
                f"{server.base}/v1/sources",
                json={"text": "date 2023-11-28\nA short report."},
                headers=headers,
                timeout=30,
            )
            ids.append(answer.headers["X-Request-Id"])
        requests.get(f"{server.base}/v1/totals", timeout=30)
    log = server.log.read_text()
    assert secret[8:] not in log
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"logger": "access"' in line
    ]
    assert {line["request_id"] for line in access} >= set(ids)
    assert {(line["method"], line["path"], line["status"]) for line in access} >= {
        ("POST", "/v1/sources", 201),
        ("POST", "/v1/sources", 401),
        ("GET", "/v1/totals", 200),
    }


def test_metrics_count_requests_and_read_the_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    with serving(url, tmp_path) as server:
        for _ in range(5):
            requests.get(f"{server.base}/v1/totals", timeout=30)
        revision = requests.get(f"{server.base}/v1/checks", timeout=30).json()["revision"]
        text = requests.get(f"{server.base}/metrics", timeout=30).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert samples['ledger_http_requests_total{method="GET",route="/v1/totals",status="200"}'] == 5
    assert samples["ledger_revision"] == revision
    assert samples["ledger_entries"] == 9
    assert any(name.startswith("ledger_http_request_seconds_bucket") for name in samples)


def test_sigterm_lets_a_write_in_flight_finish(tmp_path):
    url = f"sqlite:///{tmp_path / 'graceful.sqlite3'}"
    secret = make_token(url, "editor", "graceful")
    # Long enough that segmenting it takes the server a few seconds.
    text = "date 2023-11-28\n" + "\n".join(
        f"Officials said {i % 40} people were moved on day {i}. It was confirmed later."
        for i in range(3000)
    )
    with serving(url, tmp_path, extra_args=("--workers", "1")) as server:
        answer: dict[str, requests.Response] = {}

        def write() -> None:
            answer["post"] = requests.post(
                f"{server.base}/v1/sources",
                json={"text": text},
                headers={"Authorization": f"Bearer {secret}"},
                timeout=120,
            )

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.0)
        server.process.send_signal(signal.SIGTERM)
        writer.join(timeout=120)
        server.process.wait(timeout=60)
    assert answer["post"].status_code == 201, answer["post"].text
    assert server.process.returncode == 0
    with serving(url, tmp_path, extra_args=("--workers", "1")) as again:
        stored = requests.get(
            f"{again.base}/v1/sources/{answer['post'].json()['id']}/text", timeout=30
        )
    assert stored.text == text

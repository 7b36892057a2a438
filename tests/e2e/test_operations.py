"""Operations and security over HTTP: failed-auth rate limit, security headers, JSON logs with
request ids and no secrets, Prometheus metrics, and a graceful stop that finishes writes."""

from __future__ import annotations

import http.client
import json
import signal
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
        # A valid token from the same address is never refused (behind a proxy every client
        # shares one address), and its success does not clear the failures.
        editor = make_token(url, "editor", "limited-editor")
        for _ in range(3):
            written = first.post(
                f"{server.base}/v1/tokens", json={"role": "editor"}, timeout=10,
                headers={"Authorization": f"Bearer {editor}"},
            )  # fmt: skip
            assert written.status_code == 403, written.text  # an editor's token: authenticated
            refused = first.post(
                f"{server.base}/v1/entries", json={}, timeout=10,
                headers={"Authorization": f"Bearer {editor}"},
            )  # fmt: skip
            assert refused.status_code == 422, refused.text  # read and checked, not limited
        assert guess(first, server.base).status_code == 429


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
        # A token put in the URL by a careless client is refused, and not logged either.
        for query in (f"access_token={secret}", f"api_key={secret[4:]}", f"q={secret}"):
            careless = requests.post(
                f"{server.base}/v1/sources?{query}", json={"text": "x"}, timeout=30
            )
            assert careless.status_code == 401
            requests.get(f"{server.base}/v1/entries/{secret}?{query}", timeout=30)
    log = server.log.read_text()
    assert secret[8:] not in log
    assert "access_token=[redacted]" in log and "api_key=[redacted]" in log
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


def test_the_metrics_directory_lives_as_long_as_the_server(tmp_path):
    """`serve` makes a directory for the workers' shared metrics and removes it on exit."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    url = f"sqlite:///{tmp_path / 'metrics-dir.sqlite3'}"
    env = {"TMPDIR": str(temporary)}
    with serving(url, tmp_path, extra_args=("--workers", "2"), env=env) as server:
        assert requests.get(f"{server.base}/metrics", timeout=30).status_code == 200
        made = [path.name for path in temporary.iterdir()]
        assert len(made) == 1 and made[0].startswith("exchange-ledger-metrics-"), made
    assert list(temporary.iterdir()) == []


def served(base: str) -> bool:
    """Whether a new connection gets an answer (an idle server gives one in milliseconds)."""
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_sigterm_lets_a_write_in_flight_finish(tmp_path):
    """SIGTERM arrives while half of a write's body has reached the server and the rest has not
    been sent: the write cannot have finished before the signal, yet it is answered (201) and
    stored, while new connections go unserved."""
    url = f"sqlite:///{tmp_path / 'graceful.sqlite3'}"
    secret = make_token(url, "editor", "graceful")
    text = "date 2023-11-28\n" + "\n".join(
        f"Officials said {i % 40} people were moved on day {i}." for i in range(200)
    )
    body = json.dumps({"text": text}).encode()
    with serving(url, tmp_path, extra_args=("--workers", "1")) as server:
        connection = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=60)
        # One answered request first: the worker has accepted this connection and keeps it.
        connection.request("GET", "/healthz")
        ready = connection.getresponse()
        ready.read()
        assert ready.status == 200 and not ready.will_close
        accepted = connection.sock
        connection.putrequest("POST", "/v1/sources")
        for name, value in (
            ("Authorization", f"Bearer {secret}"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ):
            connection.putheader(name, value)
        connection.endheaders(body[: len(body) // 2])
        assert connection.sock is accepted  # the write travels on the accepted connection
        server.process.send_signal(signal.SIGTERM)
        # Draining: new connections are no longer served (bounded wait for the signal to land).
        deadline = time.monotonic() + 30
        while served(server.base):
            assert time.monotonic() < deadline, "new connections still served after SIGTERM"
        connection.send(body[len(body) // 2 :])
        answer = connection.getresponse()
        stored = json.loads(answer.read())
        # Handled from before the signal (the worker then still offered keep-alive) or picked
        # up from the kept connection while draining (Connection: close): either way, answered.
        assert answer.status == 201, stored
        server.process.wait(timeout=60)
    assert server.process.returncode == 0
    with serving(url, tmp_path, extra_args=("--workers", "1")) as again:
        kept = requests.get(f"{again.base}/v1/sources/{stored['id']}/text", timeout=30)
    assert kept.text == text

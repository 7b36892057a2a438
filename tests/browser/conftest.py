"""Debian's Chromium, driven by Playwright, against the real server on loopback (SQLite).

Outside CI a browser that cannot start skips its tests with the reason; under CI=true it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, ROOT
from tests.e2e.conftest import Client, Service, make_token
from tests.e2e.server import serving

CHROMIUM = os.environ.get("LEDGER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"


def browser_unavailable(reason: str) -> None:
    """Skip, saying why; under CI a browser test that cannot start is a failure."""
    message = f"Chromium cannot be driven: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: .ci/run installs chromium)")
    pytest.skip(message + " (apt-get install chromium; pip install -e '.[dev]')")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        browser_unavailable(f"the playwright package is missing ({error})")
    if not Path(CHROMIUM).exists():
        browser_unavailable(f"{CHROMIUM} does not exist")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            browser_unavailable(str(error).splitlines()[0])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One seeded server per module, on SQLite, with the e2e tests' clients."""
    workdir = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{workdir / 'ledger.sqlite3'}"
    tokens = {role: make_token(url, role, f"browser {role}") for role in ("editor", "admin")}
    with serving(url, workdir) as server:
        editor, admin = Client(server, tokens["editor"]), Client(server, tokens["admin"])
        yield Service(server, url, Client(server), editor, editor, admin)


@dataclass
class Tab:
    """A page, with the console errors and warnings it logged and the URLs it requested."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: str = "/", *, charts: bool = True) -> Any:
        """Load a dashboard URL and wait until its charts are drawn."""
        from playwright.sync_api import expect

        self.page.goto(self.base + path)
        if charts:
            # Locator waits, not wait_for_function: the page's CSP refuses the eval that a
            # predicate string needs.
            drawing = self.page.locator("figure.chart .vega:not([data-rendered='true'])")
            expect(drawing).to_have_count(0)
        return self.page


@pytest.fixture
def tab(browser: Any, service: Service) -> Iterator[Tab]:
    """A fresh page that records console errors and every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    recorded = Tab(page, service.server.base)
    logged = {"error": recorded.errors, "warning": recorded.warnings}
    page.on("console", lambda m: logged[m.type].append(m.text) if m.type in logged else None)
    page.on("pageerror", lambda error: recorded.errors.append(str(error)))
    page.on("request", lambda request: recorded.requests.append(request.url))
    yield recorded
    context.close()

"""Fixtures for the dashboard tests: an API client with the CSRF token, a live server on a
free port (that a test can stop and start again), headless Chromium, scenarios."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import LiveServer, api_client

from backchannel.scenario.load import load_embedded


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    return api_client(tmp_path / "store.sqlite")


@pytest.fixture()
def make_client(tmp_path: Path) -> Any:
    """``make_client(settings, base_url=...)``: a client of a fresh app with those settings."""
    return lambda settings=None, **kw: api_client(tmp_path / "other.sqlite", settings, **kw)


@pytest.fixture(scope="session")
def data() -> dict[str, Any]:
    """The embedded 2019 case as the page holds it (never mutate: copy first)."""
    d: dict[str, Any] = json.loads(load_embedded().model_dump_json(exclude_none=True))
    return d


@pytest.fixture()
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "store.sqlite")
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def live_server(live: LiveServer) -> str:
    return live.url


@pytest.fixture()
def browser_context() -> Iterator[Any]:
    """A headless system-Chromium context (fresh profile) with bounded timeouts. It
    bypasses the page's Content-Security-Policy, which would forbid Playwright's
    ``wait_for_function`` (and would hide an escaping bug from the injection tests);
    ``test_the_page_runs_under_its_content_security_policy`` runs with it."""
    from backchannel.web.headless import chromium_context

    with chromium_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True) as ctx:
        ctx.set_default_timeout(20_000)
        yield ctx


@pytest.fixture()
def browser_page(browser_context: Any) -> Iterator[Any]:
    """A page that fails the test on any JavaScript error."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert not errors, f"JavaScript errors: {errors}"

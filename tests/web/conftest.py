"""Fixtures for the dashboard tests: a live server on a free port, headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backchannel.web.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def live_server(tmp_path: Path) -> Iterator[str]:
    """The dashboard served by uvicorn in a thread, with a fresh store; yields its URL."""
    import uvicorn

    port = free_port()
    app = create_app(tmp_path / "store.sqlite")
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def browser_page() -> Iterator[Any]:
    """A page in headless system Chromium (fresh profile), with bounded timeouts; fails
    the test on any JavaScript error."""
    from backchannel.web.headless import chromium_context

    with chromium_context(viewport={"width": 1400, "height": 1000}) as ctx:
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        assert not errors, f"JavaScript errors: {errors}"

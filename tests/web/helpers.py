"""Helpers shared by the dashboard tests (a regular module: tests import it by name)."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backchannel.web.app import create_app
from backchannel.web.settings import Settings

#: examples per property-based fuzz test; `make fuzz` raises it
FUZZ_EXAMPLES = int(os.environ.get("BACKCHANNEL_FUZZ_EXAMPLES", "25"))


def big_scenario(n_actors: int = 40, n_issues: int = 15, seed: int = 0) -> dict[str, Any]:
    """A valid n_actors x n_issues scenario in which a deal is possible: six veto states
    near the middle of every scale with wide red lines (the first pins six issues on the
    agenda, so few enough stay optional to enumerate), the others anywhere."""
    rnd = random.Random(seed)
    issues = [{"id": f"i{j}", "name": f"Issue {j}", "status_quo": 50} for j in range(n_issues)]
    actors = []
    for a in range(n_actors):
        veto = a < 6
        positions = {}
        for j in range(n_issues):
            p = round(50 + rnd.uniform(-10, 10) if veto else rnd.uniform(0, 100), 1)
            reach = rnd.uniform(40, 48) if veto else rnd.uniform(0, 60)
            limit = round(min(100.0, max(0.0, p + rnd.choice((-1, 1)) * reach)), 1)
            positions[f"i{j}"] = {"position": p, "salience": rnd.randint(10, 90), "limit": limit}
        actor: dict[str, Any] = {
            "id": f"a{a}",
            "name": f"Actor {a}",
            "kind": "state",
            "veto": veto,
            "capability": rnd.randint(1, 10),
            "positions": positions,
            "no_deal": {"adjustment": -0.1},
        }
        if a == 0:
            actor["agenda"] = {"requires": [f"i{j}" for j in range(min(6, n_issues))]}
        actors.append(actor)
    return {"name": f"{n_actors} x {n_issues}", "issues": issues, "actors": actors}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_client(
    store: Path, settings: Settings | None = None, base_url: str = "http://127.0.0.1"
) -> TestClient:
    """A client of a fresh app that sends the server's CSRF token, as the page does."""
    client = TestClient(create_app(store, settings or Settings()), base_url=base_url)
    client.headers["X-Backchannel-Token"] = client.get("/api/session").json()["token"]
    return client


class LiveServer:
    """The dashboard served by uvicorn in a thread; ``stop()`` and ``start()`` again on
    the same port (a new app: a new CSRF token, the same store)."""

    def __init__(self, store: Path, settings: Settings | None = None) -> None:
        self.store, self.settings = store, settings or Settings()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn

        app = create_app(self.store, self.settings)
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start within 15 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None

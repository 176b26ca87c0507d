"""Headless Chromium for the browser tests and the README screenshots.

Uses the system Chromium (Debian's ``chromium`` package, ``/usr/bin/chromium``) through
Playwright's ``executable_path``: Playwright's own browser downloads are never used. The
flags keep the browser off the network and free of first-run, sync and update traffic;
each launch gets a fresh profile directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str | None:
    """The system Chromium binary (``$BACKCHANNEL_CHROMIUM`` or /usr/bin/chromium)."""
    for cand in (
        os.environ.get("BACKCHANNEL_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if cand and Path(cand).exists():
            return cand
    return None


@contextmanager
def chromium_context(extra_args: tuple[str, ...] = (), **context_kw: Any) -> Iterator[Any]:
    """A Playwright browser context in headless system Chromium with a fresh profile
    (``extra_args``: more command-line flags, e.g. ``--host-resolver-rules``)."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError(
            "Chromium not found: install it with `make chromium` (apt-get install chromium)"
        )
    with tempfile.TemporaryDirectory(prefix="bc-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=[*CHROMIUM_ARGS, *extra_args],
            **context_kw,
        )
        try:
            yield ctx
        finally:
            ctx.close()


PICTURES = ("report", "sweep", "dashboard")


def make_screenshots(
    out_dir: str | Path,
    pictures: tuple[str, ...] = PICTURES,
    *,
    width: int = 1280,
    height: int = 1500,
) -> None:
    """Write the README's pictures (``report.png``, ``sweep.png``, ``dashboard.png``, or
    the ones named in ``pictures``) to ``out_dir``: the report of the embedded 2019 case
    (with a 2,000-draw sweep); the uncertainty section of the report on the essay's
    counterfactual (``COUNTERFACTUAL_2019``), where the verdict is uncertain enough for a
    tornado chart; the dashboard on the 2019 case, served from a throw-away store, with
    the active cell on the US red line on the nuclear issue."""
    import threading
    import time

    import uvicorn

    from backchannel.report import build_report
    from backchannel.scenario.load import atomic_write, load_embedded
    from backchannel.scenario.overrides import COUNTERFACTUAL_2019, apply_overrides
    from backchannel.web.app import create_app

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bc-shots-") as tmp:
        report = Path(tmp) / "report.html"
        flipped = Path(tmp) / "counterfactual.html"
        if "report" in pictures:
            html, _ = build_report(load_embedded(), sweep_draws=2000, seed=0)
            atomic_write(report, html)
        if "sweep" in pictures:
            sc = apply_overrides(load_embedded(), list(COUNTERFACTUAL_2019))
            html, _ = build_report(sc, sweep_draws=2000, seed=0)
            atomic_write(flipped, html)
        config = uvicorn.Config(
            create_app(Path(tmp) / "store.sqlite"), host="127.0.0.1", port=0, log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("dashboard did not start")
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            with chromium_context(viewport={"width": width, "height": height}) as ctx:
                page = ctx.new_page()
                if "report" in pictures:
                    page.goto(report.as_uri())
                    page.wait_for_selector("#fig-positions .main-svg")
                    page.wait_for_timeout(500)
                    page.screenshot(path=str(out / "report.png"))
                if "sweep" in pictures:
                    page.goto(flipped.as_uri())
                    page.wait_for_selector("#uncertainty .main-svg")
                    page.wait_for_timeout(500)
                    page.locator("#uncertainty").screenshot(path=str(out / "sweep.png"))
                if "dashboard" in pictures:
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.wait_for_selector("#verdict-panel.nodeal, #verdict-panel.deal")
                    page.wait_for_selector("#facets .main-svg")
                    page.click('#grid .tabulator-cell[data-cell="usa|c0_lim"]')
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(out / "dashboard.png"))
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":  # python -m backchannel.web.headless docs/img [dashboard ...]
    import sys

    make_screenshots(
        sys.argv[1] if len(sys.argv) > 1 else "docs/img", tuple(sys.argv[2:]) or PICTURES
    )

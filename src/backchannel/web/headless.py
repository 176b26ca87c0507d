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
def chromium_context(**context_kw: Any) -> Iterator[Any]:
    """A Playwright browser context in headless system Chromium with a fresh profile."""
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
            args=list(CHROMIUM_ARGS),
            **context_kw,
        )
        try:
            yield ctx
        finally:
            ctx.close()

"""The documentation site builds with warnings as errors (mkdocs --strict): every page in
the navigation, the API reference from the docstrings, the CLI reference from --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert res.returncode == 0, res.stdout + res.stderr
    cli = (site / "reference" / "cli" / "index.html").read_text("utf-8")
    for command in ("analyze", "what-it-takes", "forecast", "sweep", "report", "backtest deu"):
        assert f"backchannel {command}" in cli
    api = (site / "reference" / "api" / "index.html").read_text("utf-8")
    for name in ("load", "analyze", "what_it_takes", "forecast", "sweep", "to_frame"):
        assert f'id="backchannel.api.{name}"' in api
    assert ":func:" not in api

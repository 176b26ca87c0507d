"""The HTML report: one self-contained file with the verdict, charts and tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from backchannel.report import build_report, collect
from backchannel.report.html import render
from backchannel.scenario.load import load_embedded


@pytest.fixture(scope="module")
def html() -> str:
    text, _ = build_report(load_embedded(), seed=0)
    return text


def test_report_is_self_contained(html: str) -> None:
    # no script, stylesheet or image is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=[\"']https?:", html)
    # plotly.js inlined exactly once, every chart drawn from it
    assert html.count("plotly.js v") <= 2  # the library's own banner
    assert html.count('Plotly.newPlot(') >= 3
    assert "@media print" in html


def test_report_has_the_verdict_and_its_sections(html: str) -> None:
    sc = load_embedded()
    assert sc.name in html
    for section in ("Can a deal happen?", "Positions, salience and capability",
                    "Win-sets, ZOPA and the package", "What would it take?",
                    "What can the go-betweens do?", "Forecasts", "Uncertainty"):
        assert section in html
    assert "dismantled" in html  # anchor labels on the scale
    data = collect(sc)
    if data.analysis.ok:
        assert str(escape(data.analysis.data["verdict"])) in html
        for reason in data.analysis.data["reasons"]:
            assert str(escape(reason)) in html
        assert 'id="fig-zopa"' in html
    else:
        assert "Not available" in html


def test_missing_pieces_are_marked_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    collect_mod = importlib.import_module("backchannel.report.collect")
    monkeypatch.setattr(collect_mod, "_attr", lambda module, name: None)
    data = collect_mod.collect(load_embedded())
    assert not data.analysis.ok and not data.concessions.ok
    text = render(data)
    assert "Not available: The feasibility analysis is not available" in text
    assert "no sweep was run" in text
    assert 'id="fig-positions"' in text


def test_cli_writes_report_atomically(tmp_path: Path) -> None:
    from backchannel.cli.app import _register, app

    _register()
    out = tmp_path / "sub" / "report.html"
    res = CliRunner().invoke(app, ["report", "-o", str(out), "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_cli_report_bad_scenario_is_an_input_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "backchannel.cli.app", "report",
                          str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "r.html")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "file not found" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "r.html").exists()

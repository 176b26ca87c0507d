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
    assert html.count("Plotly.newPlot(") >= 3
    assert "@media print" in html


def test_report_has_the_verdict_and_its_sections(html: str) -> None:
    sc = load_embedded()
    assert sc.name in html
    for section in (
        "Can a deal happen?",
        "Positions, salience and capability",
        "Win-sets, ZOPA and the package",
        "What would it take?",
        "What can the go-betweens do?",
        "Forecasts",
        "Uncertainty",
    ):
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


def test_missing_pieces_are_marked_not_available() -> None:
    from backchannel.report.collect import collect
    from backchannel.scenario.overrides import apply_overrides

    # no party holds a veto: a forecast-only scenario the feasibility analysis rejects
    sc = apply_overrides(load_embedded(), ["usa.veto=false", "iran.veto=false"])
    data = collect(sc)
    assert not data.analysis.ok and not data.concessions.ok
    text = render(data)
    assert "Not available: The feasibility analysis could not run" in text
    assert "no party holds a veto" in text
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

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "backchannel.cli.app",
            "report",
            str(tmp_path / "missing.yaml"),
            "-o",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "file not found" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "r.html").exists()


def test_sweep_figures_from_engine_dict() -> None:
    from backchannel.report.html import sweep_figures, tornado_note

    sc = load_embedded()
    ranking = [
        {
            "input": f"usa.x{i}",
            "S1": 0.1 * i,
            "S1_conf": 0.0,
            "ST": 0.1 * i,
            "ST_conf": 0.0,
            "low": 0.2,
            "high": 0.2 + 0.05 * i,
        }
        for i in range(5, 0, -1)
    ]
    sweep = {
        "p_deal": {"estimate": 0.3, "wilson95": [0.2, 0.4]},
        "outcomes": {
            "compromise": {
                "nuclear": {
                    "q05": 10.0,
                    "q25": 20.0,
                    "q50": 30.0,
                    "q75": 40.0,
                    "q95": 50.0,
                    "mean": 99.0,
                }
            }
        },
        "sensitivity": {
            "tail": 0.2,
            "outputs": {
                "deal": {
                    "label": "P(deal)",
                    "base": 0.3,
                    "variance": 0.2,
                    "constant": False,
                    "ranking": ranking,
                }
            },
        },
    }
    figs = sweep_figures(sc, sweep)
    box = figs["dist"].data[0]
    assert (box.median[0], box.q1[0], box.q3[0]) == (30.0, 20.0, 40.0)  # not the mean
    assert (box.lowerfence[0], box.upperfence[0]) == (10.0, 50.0)
    bars = figs["tornado"].data
    assert list(bars[0].y)[-1] == "usa.x5"  # largest effect on top
    assert tornado_note(sweep) is None
    sweep["sensitivity"]["outputs"]["deal"]["constant"] = True
    assert "same in every draw" in (tornado_note(sweep) or "")


def test_hostile_names_are_escaped_everywhere() -> None:
    import json

    from backchannel.scenario.load import scenario_from_data

    d = json.loads(load_embedded().model_dump_json(exclude_none=True))
    d["name"] = "<b>bold</b> & co"
    d["actors"][0]["name"] = "</script><script>alert(1)</script>"
    d["issues"][0]["name"] = "<img src=x onerror=alert(2)>"
    d["issues"][0]["anchors"][0]["label"] = "<svg onload=alert(3)>"
    text, _ = build_report(scenario_from_data(d))
    for raw in ("<script>alert(1)", "<img src=x", "<svg onload", "<b>bold</b>"):
        assert raw not in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in text

"""The timeline and stages commands end to end: JSON keys, the terminal view, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .cases import toy_yaml


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_timeline_json_has_points_windows_and_events(tmp_path: Path) -> None:
    path = tmp_path / "toy.yaml"
    path.write_text(toy_yaml())
    out = run("timeline", str(path), "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"scenario", "as_of", "start", "end", "points", "windows", "events", "notes"} <= set(d)
    p = d["points"][0]
    assert {
        "date",
        "kinds",
        "events",
        "deal_possible",
        "verdict_class",
        "margin",
        "package",
    } <= set(p)
    assert {
        "zone",
        "blockers",
        "blocking_sets",
        "conflicts",
        "p_deal",
        "escalation",
        "ripeness",
    } <= set(p)
    assert d["windows"] == [
        {
            "opens": "2020-03-01",
            "opened_by": ["in force at the start"],
            "closes": "2020-06-15",
            "closed_by": ["X hardens"],
            "binding": d["windows"][0]["binding"],
            "conflicts": d["windows"][0]["conflicts"],
        }
    ]
    assert d["windows"][0]["binding"][0]["actor"] == "x"
    text = run("timeline", str(path))
    assert text.returncode == 0 and "X hardens" in text.stdout and "Window" in text.stdout


def test_stages_json_and_terminal(tmp_path: Path) -> None:
    path = tmp_path / "toy.yaml"
    path.write_text(toy_yaml())
    out = run("stages", str(path), "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {
        "helps",
        "verdict",
        "why",
        "now",
        "after_waiting",
        "paths",
        "declared",
        "certificate",
    } <= set(d)
    assert d["now"]["deal_possible"] is True and d["helps"] is False
    text = run("stages", str(path))
    assert text.returncode == 0 and "feasible now in one stage" in text.stdout


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    out = run("timeline", "jcpoa_2015")
    assert out.returncode == 2 and "no timeline" in out.stderr and "Traceback" not in out.stderr
    out = run("timeline", "--draws", "-1")
    assert out.returncode == 2 and "--draws must not be negative" in out.stderr
    out = run("stages", "--alternatives", "0")
    assert out.returncode == 2 and "between 1 and 10" in out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(toy_yaml().replace("x.positions.a.limit", "w.positions.a.limit"))
    out = run("stages", str(bad))
    assert out.returncode == 2 and "timeline.events[0]" in out.stderr and "'w'" in out.stderr

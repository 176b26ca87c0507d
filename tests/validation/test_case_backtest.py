"""The verdict backtest: scores checked by hand, three hand-made cases end to end (engine and
baselines on the same cases), and the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import parse_scenario
from backchannel.validation.cases import principals, red_line_rule, run_case_backtest
from backchannel.validation.verdict_scores import metrics, reliability, scored

HEAD = """
issues:
  - {id: x, name: X, status_quo: 0}
case: {field: other, years: "2000", coded: "2026-12-01", perspective: "2000-01-01"}
"""

B_STATE = """
  - id: b
    name: B
    kind: state
    no_deal: {utility: -0.9}
    positions: {x: {position: 20, limit: 60}}
"""

# a deal: the red lines overlap on [40, 60]; the mediator can propose a point
OVERLAP = (
    "name: overlap"
    + HEAD
    + """
actors:
  - id: a
    name: A
    kind: state
    no_deal: {utility: -0.9}
    positions: {x: {position: 80, limit: 40}}
"""
    + B_STATE
    + """
  - {id: m, name: M, kind: mediator}
outcome:
  date: "2000-02-01"
  deal: true
  result: agreement
  mediator_roles: {m: formulator}
  summary: agreed
  sources: [s]
"""
)

# no deal: A accepts 70-100, B 0-30
GAP = (
    "name: gap"
    + HEAD
    + """
actors:
  - id: a
    name: A
    kind: state
    no_deal: {utility: -0.9}
    positions: {x: {position: 90, limit: 70}}
  - id: b
    name: B
    kind: state
    no_deal: {utility: -0.9}
    positions: {x: {position: 10, limit: 30}}
outcome:
  date: "2000-02-01"
  deal: false
  result: no_agreement
  blocked_by: [a]
  blocking_issues: [x]
  summary: no deal
  sources: [s]
"""
)

# history: a deal, but A's parliament (majority of 60 + 40 seats) has a member with 60
# seats who accepts only 0-10: the engine says no deal (a miss); the red-line rule, which
# ignores ratification, says deal
PARLIAMENT = (
    "name: parliament"
    + HEAD
    + """
actors:
  - id: a
    name: A
    kind: state
    no_deal: {utility: -0.9}
    positions: {x: {position: 80, limit: 40}}
    ratification:
      bodies:
        - {id: government, members: [a]}
        - {id: parliament, rule: majority, members: {p1: 60, p2: 40}}
  - id: p1
    name: P1
    kind: party
    parent: a
    no_deal: {utility: -0.9}
    positions: {x: {position: 0, limit: 10}}
  - id: p2
    name: P2
    kind: party
    parent: a
    no_deal: {utility: -0.9}
    positions: {x: {position: 60}}
"""
    + B_STATE
    + """
outcome:
  date: "2000-02-01"
  deal: true
  result: agreement
  summary: ratified
  sources: [s]
"""
)


@pytest.fixture
def three(tmp_path: Path) -> Path:
    for name, text in (("a_overlap", OVERLAP), ("b_gap", GAP), ("c_parliament", PARLIAMENT)):
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


def test_metrics_by_hand() -> None:
    y, d, p = np.array([1, 0, 1]), np.array([1, 0, 0]), np.array([0.8, 0.3, 0.4])
    m = metrics(y, d, p)
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert m["brier"] == pytest.approx((0.2**2 + 0.3**2 + 0.6**2) / 3)
    assert m["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.4)) / 3)


def test_bootstrap_intervals_bracket_the_estimate_and_are_paired() -> None:
    y = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    p = np.array([0.9, 0.2, 0.6, 0.4, 0.7, 0.8, 0.1, 0.5])
    s = scored(y, {"f": (p > 0.5, p), "g": (p > 0.5, p)}, n_boot=500, seed=1)
    for m in ("accuracy", "brier"):
        lo, hi = s["f"][m]["ci95"]
        assert lo <= s["f"][m]["estimate"] <= hi
        assert s["f"][m] == s["g"][m]  # the same resamples for every forecaster


def test_reliability_bins() -> None:
    rel = reliability(np.array([1, 0, 1, 1]), np.array([0.05, 0.15, 0.95, 1.0]), bins=5)
    assert [b["n"] for b in rel] == [2, 0, 0, 0, 2]
    assert rel[0]["observed"] == pytest.approx(0.5) and rel[0]["mean_p"] == pytest.approx(0.1)
    assert rel[4]["observed"] == 1.0 and rel[1]["mean_p"] is None


def test_red_line_rule_and_principals() -> None:
    sc = parse_scenario(PARLIAMENT)
    assert principals(sc) == ["a", "b"]  # the parties themselves: they state positions
    arr = to_arrays(sc)
    assert bool(red_line_rule(arr, [arr.index("a"), arr.index("b")]))
    assert not bool(red_line_rule(arr, [arr.index("p1"), arr.index("a")]))


@pytest.mark.parametrize("draws", [0, 8])
def test_three_hand_made_cases(three: Path, draws: int) -> None:
    d = run_case_backtest(three, draws=draws, seed=0, n_boot=200).to_dict()
    by = {c["name"]: c for c in d["cases"]}
    assert [by[n]["verdict_class"] for n in ("a_overlap", "b_gap", "c_parliament")] == [
        "own_terms",
        "none",
        "none",
    ]
    # no uncertain inputs: P(deal) is exactly the verdict, with or without draws
    assert [by[n]["p_deal"] for n in ("a_overlap", "b_gap", "c_parliament")] == [1.0, 0.0, 0.0]
    # engine: right on a and b, wrong on c; Brier (0 + 0 + 1) / 3
    assert d["accuracy"]["estimate"] == pytest.approx(2 / 3)
    assert d["balanced_accuracy"]["estimate"] == pytest.approx(0.75)
    assert d["brier"]["estimate"] == pytest.approx(1 / 3)
    assert d["log_loss"]["estimate"] == pytest.approx((2 * -math.log(0.99) - math.log(0.01)) / 3)
    base = {k: {m: v[m]["estimate"] for m in v} for k, v in d["baselines"].items()}
    assert base["red_line_rule"] == pytest.approx(
        {"accuracy": 1.0, "balanced_accuracy": 1.0, "brier": 0.0, "log_loss": -math.log(0.99)}
    )
    assert base["always_deal"]["accuracy"] == pytest.approx(2 / 3)
    assert base["always_deal"]["brier"] == pytest.approx(1 / 3)
    assert base["always_no_deal"]["accuracy"] == pytest.approx(1 / 3)
    assert base["always_no_deal"]["brier"] == pytest.approx(2 / 3)
    assert (
        base["always_deal"]["balanced_accuracy"]
        == base["always_no_deal"]["balanced_accuracy"]
        == pytest.approx(0.5)
    )
    assert [m["name"] for m in d["misses"]] == ["c_parliament"]
    assert "parliament" in d["misses"][0]["reason"]
    # the blockers history names are among the engine's, and so is the issue
    gap = by["b_gap"]["blockers"]
    assert gap["actors_found"] == ["a"] and gap["issues_found"] == ["x"]
    assert by["a_overlap"]["mediators"] == [
        {"id": "m", "computed": "formulator", "historical": "formulator", "match": True}
    ]
    assert d["mediators"] == {"scored": 1, "matched": 1}
    assert d["fields"]["other"]["n"] == 3


def test_a_case_without_outcome_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(OVERLAP.split("outcome:")[0])
    with pytest.raises(InputError, match="no `outcome:` block"):
        run_case_backtest(tmp_path, draws=0)
    with pytest.raises(InputError, match="not a folder"):
        run_case_backtest(tmp_path / "x.yaml", draws=0)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_cases_and_backtest(three: Path, tmp_path: Path) -> None:
    out = run("cases", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)["cases"]
    assert len(listed) >= 24 and {"name", "field", "years", "result"} <= set(listed[0])
    page = tmp_path / "bt.html"
    out = run(
        "backtest",
        "cases",
        str(three),
        "--json",
        "--draws",
        "0",
        "--bootstrap",
        "50",
        "--html",
        str(page),
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"cases", "accuracy", "brier", "misses", "baselines", "reliability"} <= set(d)
    text = page.read_text()
    assert "Verdict backtest" in text and "plotly" in text.lower() and "c_parliament" in text
    bad = run("backtest", "cases", str(tmp_path / "missing"))
    assert bad.returncode == 2 and "not a folder" in " ".join(bad.stderr.split())


@pytest.mark.slow
def test_library_verdicts_beat_every_baseline() -> None:
    """The shipped library at its central values (no draws): every case gets a verdict and
    the engine's accuracy and balanced accuracy beat the three baselines' (a change to the
    engine that loses this is measured against history)."""
    d = run_case_backtest(draws=0, n_boot=100).to_dict()
    assert len(d["cases"]) >= 24
    assert all(c["verdict_class"] in ("own_terms", "mediated", "none") for c in d["cases"])
    for m in ("accuracy", "balanced_accuracy"):
        best = max(b[m]["estimate"] for b in d["baselines"].values())
        assert d[m]["estimate"] > best, (m, d[m]["estimate"], best)


def test_recalibration_is_out_of_sample() -> None:
    """Each case's recalibrated P(deal) comes from a fit on the other cases only: flipping
    its own outcome leaves it unchanged; and probabilities that are right in order but far
    too low (as the sweep's are for thin deals) come out better calibrated."""
    import numpy as np

    from backchannel.validation.verdict_scores import metrics, recalibrated

    y = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=float)
    d = y.copy()
    p = np.array([0.2, 0.3, 0.25, 0.2, 0.0, 0.05, 0.0, 0.1])
    out = recalibrated(y, d, p)
    assert metrics(y, d, out)["brier"] < metrics(y, d, p)["brier"]
    for i in range(len(y)):
        flipped = y.copy()
        flipped[i] = 1 - flipped[i]
        assert recalibrated(flipped, d, p)[i] == pytest.approx(out[i])

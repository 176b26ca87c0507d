"""The backtest end to end on the dev file (compromise model only, to stay fast)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from backchannel.data.deu import DeuData
from backchannel.validation.backtest import run_backtest
from backchannel.validation.scoring import replicate_weights, score


def test_backtest_dev(deu_dev: DeuData) -> None:
    res = run_backtest(deu_dev, ["compromise"], n_boot=300, repeats=1, seed=0)
    d = res.to_dict()
    m = d["models"]
    assert set(m) >= {
        "compromise",
        "baseline:salience_mean",
        "baseline:midpoint",
        "baseline:reference",
        "baseline:commission",
        "stack_cv",
    }
    assert m["baseline:salience_mean"]["mae"] == pytest.approx(22.9321, abs=1e-3)
    assert m["baseline:salience_median"]["mae"] == pytest.approx(27.906, abs=1e-3)
    assert m["baseline:midpoint"]["mae"] == pytest.approx(28.008, abs=1e-3)
    assert m["baseline:reference"]["n"] == 176
    assert m["compromise"]["n"] == 250
    lo, hi = m["compromise"]["ci95"]
    assert lo < m["compromise"]["mae"] < hi
    assert set(d["subsets"]) == {"procedure", "rule", "period", "actors"}
    assert sum(v["n"] for v in d["subsets"]["procedure"].values()) == 250
    e = d["ensemble"]
    assert e["compromise_same_issues"]["mae"] == m["compromise"]["mae"]
    assert isinstance(e["beats_compromise"], bool)
    t = d["tuned"]
    assert m["compromise_tuned_cv"]["kind"] == "tuned (nested CV)"
    assert t["cv"]["mae"] == m["compromise_tuned_cv"]["mae"] and t["grid_size"] == 648
    assert t["compromise_same_issues"]["mae"] == m["compromise"]["mae"]
    diff = t["difference_tuned_minus_compromise"]
    assert diff["mae"] == pytest.approx(t["cv"]["mae"] - m["compromise"]["mae"], abs=1e-3)
    assert len(t["selected_first_repeat"]) == 10
    assert isinstance(t["beats_compromise"], bool) and t["verdict"]
    c = d["calibrated"]
    assert m["calibrated_cv"]["n"] == 250 and len(c["chosen_per_fold"]) == 10
    diff = c["difference_minus_compromise"]
    assert diff["mae"] == pytest.approx(
        m["calibrated_cv"]["mae"] - m["compromise"]["mae"], abs=1e-3
    )
    json.dumps(d, allow_nan=False)


def test_bootstrap_by_proposal_is_seeded() -> None:
    g = np.repeat(np.arange(10), 2)
    f = np.arange(20.0)
    y = np.zeros(20)
    a = score(f, y, g, replicate_weights(10, 500, 3))
    b = score(f, y, g, replicate_weights(10, 500, 3))
    assert a == b and a.mae == pytest.approx(9.5) and a.n_proposals == 10


def test_cli_json(deu_dev: DeuData) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "backchannel.cli.app",
            "backtest",
            "deu",
            deu_dev.source,
            "--json",
            "--model",
            "compromise",
            "--bootstrap",
            "100",
            "--repeats",
            "1",
            "--no-calibrated-cv",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(out.stdout)
    assert d["data"]["scoreable_issues"] == 250
    assert "compromise" in d["models"] and "procedure" in d["subsets"]
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "backchannel.cli.app",
            "backtest",
            "deu",
            deu_dev.source,
            "--model",
            "nonexistent",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown model" in bad.stderr

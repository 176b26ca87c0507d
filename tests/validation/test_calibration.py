"""Calibrate once, forecast anywhere: the calibration file round-trips, a backtest with a
calibration never refits (poisoned test outcomes change nothing), the held-out splits, and
the CLI path from a split to a forecast of an imported proposal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from backchannel.cli.app import main
from backchannel.data.deu import DeuData, parse_deu, read_text, split_deu
from backchannel.scenario.errors import InputError
from backchannel.validation import calibration as C
from backchannel.validation import candidates as K
from backchannel.validation.backtest import run_backtest


def poisoned(data: DeuData) -> DeuData:
    """The same issues with adversarial outcomes (the far end of the scale)."""
    bad = np.where(np.isfinite(data.outcome), np.where(data.outcome < 50, 100.0, 0.0), np.nan)
    return dataclasses.replace(data, outcome=bad)


@pytest.fixture(scope="module")
def split(deu_dev: DeuData) -> tuple[DeuData, DeuData]:
    s = split_deu(read_text(deu_dev.source), deu_dev.source, by="time")
    return parse_deu(s.train, "train"), parse_deu(s.test, "test")


@pytest.fixture(scope="module")
def cal(split: tuple[DeuData, DeuData]) -> C.Calibration:
    return C.calibrate(split[0], folds=3, seeds=(0,))


def test_splits(deu_dev: DeuData, split: tuple[DeuData, DeuData]) -> None:
    train, test = split
    assert not set(train.proposal) & set(test.proposal)
    assert train.n_issues + test.n_issues == deu_dev.n_issues
    first = dict(zip(deu_dev.proposal, deu_dev.intro, strict=True))  # one date per proposal
    assert all(first[p] >= dt.date(2004, 1, 1) for p in test.proposal)  # type: ignore[operator]
    assert all(first[p] < dt.date(2004, 1, 1) for p in train.proposal)  # type: ignore[operator]
    by_p = split_deu(read_text(deu_dev.source), by="proposal", test_share=0.3, seed=1)
    assert len(by_p.test_proposals) == round(0.3 * 94)
    assert not set(by_p.train_proposals) & set(by_p.test_proposals)
    # the issues keep their original lines: same arrays as the dev file's
    again = parse_deu(by_p.test)
    idx = [deu_dev.issue_ids.index(i) for i in again.issue_ids]
    np.testing.assert_array_equal(again.position, deu_dev.position[:, idx])
    with pytest.raises(InputError, match="one part"):
        split_deu(read_text(deu_dev.source), by="time", test_from=dt.date(2030, 1, 1))


def test_calibration_round_trips(cal: C.Calibration, tmp_path: Path) -> None:
    d = json.loads(cal.to_json())
    assert C.Calibration.from_dict(d) == cal
    path = tmp_path / "cal.json"
    cal.save(path)
    back = C.Calibration.load(path)
    assert back == cal and back.to_json() == path.read_text() == cal.to_json()
    assert d["format"] == C.FORMAT and d["format_version"] == 1
    assert len(d["training_data"]["sha256"]) == 64 and d["training_data"]["scoreable_issues"] == 143
    assert {"backchannel", "numpy", "scipy", "python"} <= set(d["versions"])
    assert d["model"]["selected"] in d["selection"]["cv_mae"]
    assert d["selection"]["cv_mae"][d["model"]["selected"]] == min(
        d["selection"]["cv_mae"].values()
    )


def test_damaged_calibration_files(cal: C.Calibration, tmp_path: Path) -> None:
    d = cal.to_dict()
    for bad, match in (
        ({**d, "format": "other"}, "not a backchannel calibration"),
        ({**d, "format_version": 99}, "version"),
        ({**d, "model": {"definition": {"kind": "combination", "cells": "all"}}}, "damaged"),
        ({**d, "model": {"definition": {"kind": "model", "name": "eum"}}}, "damaged"),
    ):
        with pytest.raises(InputError, match=match):
            C.Calibration.from_dict(bad)
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        C.Calibration.load(tmp_path / "x.json")


def test_backtest_with_a_calibration_never_refits(
    cal: C.Calibration, split: tuple[DeuData, DeuData]
) -> None:
    _, test = split
    before = cal.to_json()
    clean = run_backtest(test, ["compromise"], n_boot=50, calibration=cal)
    bad = run_backtest(poisoned(test), ["compromise"], n_boot=50, calibration=cal)
    assert cal.to_json() == before  # the calibration is unchanged
    np.testing.assert_array_equal(clean.forecasts[C.NAME], bad.forecasts[C.NAME])
    np.testing.assert_array_equal(
        C.apply_calibration(cal, test), C.apply_calibration(cal, poisoned(test))
    )
    # nothing else was fitted on the test file, and the scores did see the poisoned outcomes
    assert not clean.ensemble and not clean.tuned and clean.cv is None
    assert bad.table[C.NAME]["mae"] != clean.table[C.NAME]["mae"]
    assert set(clean.calibrated) >= {"difference_minus_compromise", "beats_compromise"}
    # the same outcomes in training do change the calibration (the test above can fail)
    assert C.calibrate(poisoned(split[0]), folds=3, seeds=(0,)).model != cal.model


def test_nested_cv_ignores_the_held_out_fold(deu_dev: DeuData) -> None:
    small = deu_dev.subset(np.isin(deu_dev.proposal, sorted(set(deu_dev.proposal))[:40]))
    p, y = K.pool(small)
    oof, chosen = C.nested_cv(p, y, folds=3, seed=0)
    fold = K.proposal_folds(p.group, 3, 0)
    for j in range(3):
        y_bad = np.where(fold == j, 100.0 - y, y)
        oof_bad, chosen_bad = C.nested_cv(p, y_bad, folds=3, seed=0)
        np.testing.assert_array_equal(oof_bad[fold == j], oof[fold == j])
        assert chosen_bad[j] == chosen[j]


def test_combinations() -> None:
    rng = np.random.default_rng(0)
    f = rng.uniform(0, 100, (120, len(K.COMPONENTS)))
    y = f[:, 1].copy()
    cells = np.array(["COD/salience spread low"] * 100 + ["CNS/salience spread high"] * 20)
    w = K.fit_combination(f, y, cells)
    assert set(w) == {"all", "COD/salience spread low"}  # 20 issues: below MIN_CELL, pooled
    assert w["all"]["mean"] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(K.predict_combination(f, cells, w), y, atol=1e-6)
    labels = K.cell_labels("procedure_spread", ("COD", "CNS"), np.array([1.0, 9.0]), 5.0)
    assert labels.tolist() == ["COD/salience spread low", "CNS/salience spread high"]


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["backchannel", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_cli_split_calibrate_backtest_forecast(
    deu_dev: DeuData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tr, te, cf = tmp_path / "train.tsv", tmp_path / "test.tsv", tmp_path / "cal.json"
    code, _, err = run(
        [
            "calibrate",
            "split",
            deu_dev.source,
            "--by",
            "proposal",
            "--train",
            str(tr),
            "--test",
            str(te),
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    code, out, err = run(
        ["calibrate", "deu", str(tr), "-o", str(cf), "--folds", "3", "--repeats", "1", "--json"],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    assert json.loads(out) == json.loads(cf.read_text())
    assert json.loads(out)["training_data"]["sha256"] == C.data_sha256(tr)
    code, out, err = run(
        [
            "backtest",
            "deu",
            str(te),
            "--calibration",
            str(cf),
            "--model",
            "compromise",
            "--bootstrap",
            "100",
            "--json",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    d = json.loads(out)
    assert C.NAME in d["models"] and d["calibrated"]["in_sample"] is False
    assert "stack_cv" not in d["models"] and not d["tuned"]
    # the forecast of one imported test proposal equals the backtest's calibrated forecast
    test = parse_deu(te.read_text())
    prop = test.proposal[0]
    yaml = tmp_path / "p.yaml"
    code, _, err = run(
        ["import", str(te), "--format", "deu", "--proposal", prop, "-o", str(yaml)],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    proc, rule = test.procedure[0], test.rule[0]
    code, out, err = run(
        [
            "forecast",
            str(yaml),
            "--calibration",
            str(cf),
            "--procedure",
            proc,
            "--council",
            rule,
            "--json",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    got = json.loads(out)["outcome"]
    want = C.apply_calibration(C.Calibration.load(cf), test)
    for iid, v in got.items():
        assert v == pytest.approx(want[test.issue_ids.index(iid)], abs=1e-9)
    # bad input: exit 2 with the place and the fix, never a traceback
    code, _, err = run(["forecast", str(yaml), "--calibration", str(cf)], capsys, monkeypatch)
    assert code == 2 and "--procedure" in err and "Traceback" not in err
    code, _, err = run(["backtest", "deu", str(te), "--calibration", str(tr)], capsys, monkeypatch)
    assert code == 2 and "not JSON" in err
    code, _, err = run(
        ["forecast", "--calibration", str(cf), "--procedure", "cod", "--council", "qmv"],
        capsys,
        monkeypatch,
    )
    assert code == 2 and "not EU institutions" in err


def test_procedural_model_through_forecast_cli(
    deu_dev: DeuData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`forecast --model agenda_setter` on an imported proposal equals the backtest runner's
    forecast of the same issues (same rule from the scenario's date and the options)."""
    from backchannel.data.capability import capabilities
    from backchannel.validation.runner import run_models

    yaml = tmp_path / "p.yaml"
    code, _, err = run(
        ["import", deu_dev.source, "--format", "deu", "--proposal", "d04167", "-o", str(yaml)],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    code, out, err = run(
        [
            "forecast",
            str(yaml),
            "--model",
            "winset_bargain",
            "--procedure",
            "cod",
            "--council",
            "qmv",
            "--json",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    got = json.loads(out)
    want = run_models(deu_dev, capabilities(deu_dev), ["winset_bargain"])["winset_bargain"]
    for iid, v in got["outcome"].items():
        assert v == pytest.approx(want.forecast[deu_dev.issue_ids.index(iid)], abs=1e-9)
    assert got["params"]["rule"]["period"] == ["EU25-transition"] * len(got["outcome"])
    code, _, err = run(
        ["forecast", str(yaml), "--model", "compromise", "--procedure", "cod", "--council", "qmv"],
        capsys,
        monkeypatch,
    )
    assert code == 2 and "does not use the EU legislative rule" in err

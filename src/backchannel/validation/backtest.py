"""The DEU backtest: every registered model and the baselines, scored per subset, plus a
cross-validated stacked ensemble, the compromise model with its specification chosen by
nested cross-validation (:mod:`backchannel.validation.tuning`) and the whole calibration
procedure in nested cross-validation (:mod:`backchannel.validation.calibration`), all
compared with the compromise model on the same issues. With a calibration made on other
data, the calibrated model is scored as it is (nothing is fitted on the scored file).

See docs/backtest.md for the results and docs/decisions.md for the choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backchannel.data.capability import PowerIndex, capabilities, issue_periods
from backchannel.data.deu import DeuData, load_deu
from backchannel.scenario.arrays import FloatArray
from backchannel.validation import calibration as calib
from backchannel.validation import candidates
from backchannel.validation.baselines import BASELINE_TITLES, baseline_forecasts
from backchannel.validation.crossval import CrossValidation, cross_validate_stack
from backchannel.validation.runner import ModelRun, run_models
from backchannel.validation.scoring import (
    cluster_mean,
    replicate_weights,
    score,
    score_difference,
)
from backchannel.validation.tuning import NAME as TUNED
from backchannel.validation.tuning import (
    NestedCV,
    candidate_forecasts,
    grid,
    nested_cross_validate,
)

ACTOR_BINS = ((3, 9, "3-9"), (10, 19, "10-19"), (20, 10_000, "20+"))
STACK = "stack_cv"


def actor_bin(n: int) -> str:
    for lo, hi, label in ACTOR_BINS:
        if lo <= n <= hi:
            return label
    return f"<{ACTOR_BINS[0][0]}"


@dataclass(frozen=True)
class BacktestResult:
    """Everything the backtest measured (``to_dict`` is the ``--json`` output)."""

    data: DeuData
    scored: DeuData
    forecasts: dict[str, FloatArray]
    kinds: dict[str, str]
    titles: dict[str, str]
    runs: dict[str, ModelRun]
    cv: CrossValidation | None
    settings: dict[str, Any]
    table: dict[str, dict[str, Any]] = field(default_factory=dict)
    subsets: dict[str, dict[str, Any]] = field(default_factory=dict)
    ensemble: dict[str, Any] = field(default_factory=dict)
    nested: NestedCV | None = None
    tuned: dict[str, Any] = field(default_factory=dict)
    calibrated: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = self.data
        return {
            "source": d.source,
            "data": {
                "issues": d.n_issues,
                "scoreable_issues": self.scored.n_issues,
                "proposals": len(set(d.proposal)),
                "scoreable_proposals": len(set(self.scored.proposal)),
                "actors": len(d.actors),
                "outcomes": int(np.isfinite(d.outcome).sum()),
                "problems": d.problems,
            },
            "settings": self.settings,
            "models": self.table,
            "subsets": self.subsets,
            "ensemble": self.ensemble,
            "tuned": self.tuned,
            "calibrated": self.calibrated,
        }


def _fill(f: FloatArray, fallback: FloatArray) -> FloatArray:
    return np.where(np.isfinite(f), f, fallback)


def run_backtest(
    path: str | Path | DeuData,
    models: Sequence[str] | None = None,
    *,
    power: PowerIndex = "shapley_shubik",
    n_boot: int = 2000,
    seed: int = 0,
    folds: int = 10,
    repeats: int = 5,
    ensemble: bool = True,
    tuned: bool = True,
    calibrated_cv: bool = True,
    calibration: calib.Calibration | None = None,
) -> BacktestResult:
    """Score ``models`` (all registered ones when None) and the baselines on a DEU file.
    With a ``calibration``, also its forecasts, and nothing is fitted on this file (no
    stack, no tuning, no nested calibration)."""
    data = path if isinstance(path, DeuData) else load_deu(path)
    if calibration is not None:
        ensemble = tuned = calibrated_cv = False
    cap = capabilities(data, power)
    runs = run_models(data, cap, models, seed=seed)
    base = baseline_forecasts(data)
    mask = data.scoreable()
    scored = data.subset(mask)
    y = scored.outcome
    _, group = scored.proposal_index()
    weights = replicate_weights(int(group.max()) + 1 if group.size else 0, n_boot, seed)
    forecasts: dict[str, FloatArray] = {}
    kinds: dict[str, str] = {}
    titles: dict[str, str] = {}
    for name, run in runs.items():
        forecasts[name] = run.forecast[mask]
        kinds[name] = "model"
        titles[name] = run.title
    for name, f in base.items():
        key = f"baseline:{name}"
        forecasts[key] = f[mask]
        kinds[key] = "baseline"
        titles[key] = BASELINE_TITLES[name]

    cv: CrossValidation | None = None
    ens: dict[str, Any] = {}
    if ensemble and scored.n_issues and len(set(scored.proposal)) >= 2:
        fallback = forecasts["baseline:salience_mean"]
        comps = {k: _fill(v, fallback) for k, v in forecasts.items() if np.isfinite(v).any()}
        seeds = tuple(seed + r for r in range(repeats))
        cv = cross_validate_stack(comps, y, group, k=folds, seeds=seeds)
        forecasts[STACK] = cv.oof[0]
        kinds[STACK] = "ensemble"
        titles[STACK] = "convex LAD stack of models and baselines (out of fold)"
        rep_mae = [float(np.mean(np.abs(o - y))) for o in cv.oof]
        ens = {
            "method": "convex combination fitted by least absolute deviations (HiGHS LP) "
            "on training folds; folds by proposal",
            "components": list(cv.components),
            "missing_component_values": "replaced by the salience-weighted mean",
            "folds": cv.k,
            "seeds": list(seeds),
            "cv": score(cv.oof[0], y, group, weights).to_dict(),
            "cv_mae_per_repeat": [round(m, 4) for m in rep_mae],
            "weights_all_issues_in_sample": {
                k: round(v, 4) for k, v in cv.weights_by_name().items() if v > 1e-6
            },
        }
        if "compromise" in forecasts:
            comp = forecasts["compromise"]
            ok = np.isfinite(comp)
            ens["compromise_same_issues"] = score(comp, y, group, weights, ok).to_dict()
            diff = score_difference(cv.oof[0], comp, y, group, weights, ok)
            ens["difference_stack_minus_compromise"] = diff.to_dict()
            ens["beats_compromise"] = bool(diff.ci_high < 0)
            ens["verdict"] = (
                "the stack beats the compromise model out of sample (95% interval of the "
                "paired difference below 0)"
                if diff.ci_high < 0
                else "lower MAE than the compromise model, but the 95% interval of the paired "
                "difference includes 0"
                if diff.mae < 0
                else "the stack does not beat the compromise model"
            )

    nested: NestedCV | None = None
    tune: dict[str, Any] = {}
    if tuned and scored.n_issues and len(set(scored.proposal)) >= 2:
        specs, cand = candidate_forecasts(data, grid())
        seeds = tuple(seed + r for r in range(repeats))
        nested = nested_cross_validate(specs, cand[:, mask], y, group, k=folds, seeds=seeds)
        forecasts[TUNED] = nested.oof[0]
        kinds[TUNED] = "tuned (nested CV)"
        titles[TUNED] = (
            "compromise model, power index / institutions / shrinkage chosen on "
            "training folds (out of fold)"
        )
        tune = _tuned_summary(nested, forecasts, y, group, weights)

    cal: dict[str, Any] = {}
    if calibration is not None:
        forecasts[calib.NAME] = calib.apply_calibration(calibration, data)[mask]
        kinds[calib.NAME] = "calibrated (no refit)"
        titles[calib.NAME] = f"calibrated: {calibration.model['selected']}"
        cal = {
            "selected": calibration.model["selected"],
            "definition": calibration.model["definition"],
            "training_data": calibration.training_data,
            "in_sample": not isinstance(path, DeuData)
            and calib.data_sha256(path) == calibration.training_data["sha256"],
        }
    elif calibrated_cv and scored.n_issues and len(set(scored.proposal)) >= 2:
        pool, _ = candidates.pool(data)
        oof, chosen = calib.nested_cv(pool, y, folds=folds, seed=seed)
        forecasts[calib.CV_NAME] = oof
        kinds[calib.CV_NAME] = "calibrated (nested CV)"
        titles[calib.CV_NAME] = "calibrate on the training folds, forecast the held-out fold"
        cal = {"chosen_per_fold": chosen, "folds": folds, "seed": seed}
    if cal:
        name = calib.NAME if calibration is not None else calib.CV_NAME
        for ref, key in (("compromise", "compromise"), ("baseline:mean", "mean")):
            if ref in forecasts:
                b = forecasts[ref]
                ok = np.isfinite(b) & np.isfinite(forecasts[name])
                diff = score_difference(forecasts[name], b, y, group, weights, ok)
                cal[f"difference_minus_{key}"] = diff.to_dict()
                cal[f"beats_{key}"] = bool(diff.ci_high < 0)

    table: dict[str, dict[str, Any]] = {}
    for name, f in forecasts.items():
        entry: dict[str, Any] = {"kind": kinds[name], "title": titles[name]}
        entry.update(score(f, y, group, weights).to_dict())
        if name in runs:
            r = runs[name]
            entry.update(
                {
                    "citation": r.citation,
                    "seconds": round(r.seconds, 3),
                    "failed_proposals": r.failures,
                    "error": r.error,
                }
            )
        table[name] = entry

    periods = tuple(p.name for p in issue_periods(scored))
    labels = {
        "procedure": scored.procedure,
        "rule": scored.rule,
        "period": periods,
        "actors": tuple(actor_bin(int(n)) for n in scored.n_actors()),
    }
    subs: dict[str, dict[str, Any]] = {}
    for dim, lab in labels.items():
        arr = np.asarray(lab, dtype=object)
        subs[dim] = {}
        for v in sorted(set(lab), key=str):
            m = np.asarray(arr == v)
            subs[dim][str(v)] = {
                "n": int(m.sum()),
                "models": {
                    name: score(f, y, group, weights, m).to_dict() for name, f in forecasts.items()
                },
            }
    settings = {
        "power_index": power,
        "bootstrap": n_boot,
        "seed": seed,
        "folds": folds,
        "repeats": repeats,
        "scale": "0-100",
        "metric": "mean absolute error",
        "scoreable": "outcome present and at least 3 actors with a position",
        "calibration": None if calibration is None else calibration.training_data["source"],
    }
    return BacktestResult(
        data=data,
        scored=scored,
        forecasts=forecasts,
        kinds=kinds,
        titles=titles,
        runs=runs,
        cv=cv,
        settings=settings,
        table=table,
        subsets=subs,
        ensemble=ens,
        nested=nested,
        tuned=tune,
        calibrated=cal,
    )


def _tuned_summary(
    nested: NestedCV,
    forecasts: dict[str, FloatArray],
    y: FloatArray,
    group: np.ndarray,
    weights: np.ndarray,
) -> dict[str, Any]:
    """Scores of the nested-CV tuned compromise model, paired with the compromise model and
    the mean of positions on the same issues (every repeat uses the same folds as the
    stack's repeat with that seed)."""
    oof = nested.oof
    out: dict[str, Any] = {
        "method": "compromise model x = (1-a-b) c(P, I) + a m(T) + b rp, specification "
        "(P, I, T, a, b) chosen per outer fold by the lowest training MAE; "
        "outer folds by proposal estimate the error",
        "grid_size": len(nested.specs),
        "grid": {
            "power": ["shapley_shubik", "banzhaf", "equal"],
            "institutions": ["game", "member_mean", "none"],
            "target": ["mean", "salience_mean"],
            "target_weight": "0, 0.1, ..., 1",
            "rp_weight": "0, 0.1, 0.2, 0.3",
            "constraint": "target_weight + rp_weight <= 1",
        },
        "folds": nested.k,
        "seeds": list(nested.seeds),
        "cv": score(oof[0], y, group, weights).to_dict(),
        "cv_mae_per_repeat": [round(float(np.mean(np.abs(o - y))), 4) for o in oof],
        "selected_first_repeat": [nested.specs[int(i)].to_dict() for i in nested.selected[0]],
        "selection_counts": nested.selection_counts(),
        "in_sample_choice_not_scored": nested.specs[nested.full_selected].to_dict(),
    }
    for ref, key in (("compromise", "compromise"), ("baseline:mean", "mean")):
        if ref not in forecasts:
            continue
        b = forecasts[ref]
        ok = np.isfinite(b)
        diff = score_difference(oof[0], b, y, group, weights, ok)
        out[f"{key}_same_issues"] = score(b, y, group, weights, ok).to_dict()
        out[f"difference_tuned_minus_{key}"] = diff.to_dict()
        out[f"difference_tuned_minus_{key}_per_repeat"] = [
            round(float(np.mean(np.abs(o - y)[ok] - np.abs(b - y)[ok])), 4) for o in oof
        ]
        out[f"beats_{key}"] = bool(diff.ci_high < 0)
        # per-issue error difference averaged over the repeats (less fold-assignment noise)
        avg = np.mean(np.abs(oof - y[None, :]), axis=0) - np.abs(b - y)
        out[f"difference_tuned_minus_{key}_mean_over_repeats"] = cluster_mean(
            np.where(ok, avg, np.nan), group, weights
        ).to_dict()
    if "difference_tuned_minus_compromise" in out:
        d = out["difference_tuned_minus_compromise"]
        hi = d["ci95"][1]
        out["verdict"] = (
            "the tuned model beats the compromise model out of sample (95% interval of the "
            "paired difference below 0)"
            if hi is not None and hi < 0
            else "lower MAE than the compromise model, but the 95% interval of the paired "
            "difference includes 0"
            if d["mae"] is not None and d["mae"] < 0
            else "the tuned model does not beat the compromise model"
        )
    return out

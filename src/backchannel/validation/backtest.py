"""The DEU backtest: every registered model and the baselines, scored per subset, plus a
cross-validated stacked ensemble compared with the compromise model on the same issues.

See docs/backtest.md for the results and docs/decisions/backtest.md for the choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backchannel.scenario.arrays import FloatArray
from backchannel.validation.baselines import BASELINE_TITLES, baseline_forecasts
from backchannel.validation.capability import PowerIndex, capabilities, issue_periods
from backchannel.validation.crossval import CrossValidation, cross_validate_stack
from backchannel.validation.deu import DeuData, load_deu
from backchannel.validation.runner import ModelRun, run_models
from backchannel.validation.scoring import replicate_weights, score, score_difference

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

    def to_dict(self) -> dict[str, Any]:
        d = self.data
        return {
            "source": d.source,
            "data": {
                "issues": d.n_issues, "scoreable_issues": self.scored.n_issues,
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
) -> BacktestResult:
    """Score ``models`` (all registered ones when None) and the baselines on a DEU file."""
    data = path if isinstance(path, DeuData) else load_deu(path)
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
        comps = {k: _fill(v, fallback) for k, v in forecasts.items()
                 if np.isfinite(v).any()}
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
            "folds": cv.k, "seeds": list(seeds),
            "cv": score(cv.oof[0], y, group, weights).to_dict(),
            "cv_mae_per_repeat": [round(m, 4) for m in rep_mae],
            "weights_all_issues_in_sample": {
                k: round(v, 4) for k, v in cv.weights_by_name().items() if v > 1e-6},
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
                "paired difference below 0)" if diff.ci_high < 0 else
                "lower MAE than the compromise model, but the 95% interval of the paired "
                "difference includes 0" if diff.mae < 0 else
                "the stack does not beat the compromise model")

    table: dict[str, dict[str, Any]] = {}
    for name, f in forecasts.items():
        entry: dict[str, Any] = {"kind": kinds[name], "title": titles[name]}
        entry.update(score(f, y, group, weights).to_dict())
        if name in runs:
            r = runs[name]
            entry.update({"citation": r.citation, "seconds": round(r.seconds, 3),
                          "failed_proposals": r.failures, "error": r.error})
        table[name] = entry

    periods = tuple(p.name for p in issue_periods(scored))
    labels = {
        "procedure": scored.procedure, "rule": scored.rule, "period": periods,
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
                "models": {name: score(f, y, group, weights, m).to_dict()
                           for name, f in forecasts.items()},
            }
    settings = {"power_index": power, "bootstrap": n_boot, "seed": seed, "folds": folds,
                "repeats": repeats, "scale": "0-100", "metric": "mean absolute error",
                "scoreable": "outcome present and at least 3 actors with a position"}
    return BacktestResult(
        data=data, scored=scored, forecasts=forecasts, kinds=kinds, titles=titles,
        runs=runs, cv=cv, settings=settings, table=table, subsets=subs, ensemble=ens,
    )

"""The candidates of a calibration and their cross-validated choice.

* **Fixed candidates** (no fitted parameters): the 648 shrunk compromise specifications of
  :mod:`backchannel.validation.tuning` (the plain compromise model first), the procedural
  models (:mod:`backchannel.models.procedural`) with absent members supporting or
  abstaining, and the baselines mean, salience-weighted mean, median, salience-weighted
  median and midpoint.
* **Combinations** (fitted): convex combinations ``x = sum_j w_j f_j`` (``w >= 0``,
  ``sum w = 1``, least absolute deviations,
  :func:`~backchannel.validation.crossval.fit_convex_lad`) of :data:`COMPONENTS`, with one
  set of weights for all issues, one per procedure (COD/CNS), or one per procedure and
  salience spread (the standard deviation of the saliences of the actors with a position,
  below or above its training median). A cell with fewer than :data:`MIN_CELL` training
  issues uses the pooled weights.

A fixed candidate's cross-validation error is its training error (nothing is fitted); a
combination's is the error of weights fitted on the other folds. The candidate with the
lowest mean error over the repeats wins (ties: the first; the plain compromise model is the
first candidate). Every forecast is computed from the inputs of the issues alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backchannel.data.capability import capabilities
from backchannel.data.deu import DeuData
from backchannel.scenario.arrays import FloatArray
from backchannel.validation.baselines import baseline_forecasts
from backchannel.validation.crossval import fit_convex_lad, proposal_folds
from backchannel.validation.runner import run_models
from backchannel.validation.tuning import Spec, candidate_forecasts, grid

PROCEDURAL = ("agenda_setter", "winset_bargain", "compromise_winset")
ABSENT = ("support", "abstain")
BASELINES = ("mean", "salience_mean", "median", "salience_median", "midpoint")
COMPONENTS = (
    "compromise",
    "mean",
    "salience_mean",
    "agenda_setter",
    "winset_bargain",
    "compromise_winset",
    "reference",
)
"""Components of the combinations: the compromise model, the mean and salience-weighted
mean of positions, the three procedural models (absent members supporting), and the
reference point (the compromise point where it is blank)."""
CELLS = {
    "combination": "all",
    "combination_by_procedure": "procedure",
    "combination_by_procedure_and_spread": "procedure_spread",
}
"""The combinations by name, and what their weights vary by."""
MIN_CELL = 30


def salience_spread(data: DeuData) -> FloatArray:
    """Per issue: the standard deviation of the saliences of the actors with a position."""
    s = np.where(data.has_position(), data.salience, np.nan)
    with np.errstate(invalid="ignore"):
        out = np.nanstd(s, axis=0) if s.size else np.zeros(0)
    return np.asarray(np.nan_to_num(out, nan=0.0))


def definition_name(d: dict[str, Any]) -> str:
    if d["kind"] == "compromise_grid":
        spec = Spec(d["power"], d["institutions"], d["target"], d["target_weight"], d["rp_weight"])
        return "compromise" if spec == grid()[0] else f"compromise[{spec.label()}]"
    if d["kind"] == "model":
        return f"{d['name']}[absent={d['params']['absent']}]"
    return f"baseline:{d['name']}"


def fixed_definitions() -> tuple[dict[str, Any], ...]:
    """Every fixed candidate, the plain compromise model first."""
    out: list[dict[str, Any]] = [{"kind": "compromise_grid", **s.to_dict()} for s in grid()]
    for m in PROCEDURAL:
        for a in ABSENT:
            out.append({"kind": "model", "name": m, "params": {"absent": a}})
    out += [{"kind": "baseline", "name": b} for b in BASELINES]
    return tuple(out)


def fixed_forecasts(data: DeuData, defs: Sequence[dict[str, Any]]) -> FloatArray:
    """(C, K) forecasts of the fixed candidates ``defs`` on every issue of ``data``, from
    the inputs alone."""
    out = np.full((len(defs), data.n_issues), np.nan)
    specs = [
        (i, Spec(d["power"], d["institutions"], d["target"], d["target_weight"], d["rp_weight"]))
        for i, d in enumerate(defs)
        if d["kind"] == "compromise_grid"
    ]
    if specs:
        _, f = candidate_forecasts(data, [s for _, s in specs])
        out[[i for i, _ in specs]] = f
    models = [(i, d) for i, d in enumerate(defs) if d["kind"] == "model"]
    if models:
        cap = capabilities(data)
        for i, d in models:
            run = run_models(data, cap, [d["name"]], params={d["name"]: d["params"]})
            out[i] = run[d["name"]].forecast
    base = baseline_forecasts(data) if any(d["kind"] == "baseline" for d in defs) else {}
    for i, d in enumerate(defs):
        if d["kind"] == "baseline":
            out[i] = base[d["name"]]
    return out


def component_forecasts(data: DeuData) -> FloatArray:
    """(K, M) forecasts of :data:`COMPONENTS` on every issue of ``data`` (inputs only)."""
    cap = capabilities(data)
    runs = run_models(data, cap, ["compromise", *PROCEDURAL])
    base = baseline_forecasts(data)
    comp = runs["compromise"].forecast
    cols = {
        "compromise": comp,
        "mean": base["mean"],
        "salience_mean": base["salience_mean"],
        **{m: runs[m].forecast for m in PROCEDURAL},
        "reference": np.where(np.isfinite(data.reference), data.reference, comp),
    }
    return np.column_stack([cols[c] for c in COMPONENTS])


def cell_labels(
    how: str, procedure: Sequence[str], spread: FloatArray, threshold: float | None
) -> NDArray[np.str_]:
    """The cell of each issue for a combination whose weights vary by ``how``."""
    proc = np.asarray([p.upper() for p in procedure], dtype=str)
    if how == "all":
        return np.full(proc.size, "all")
    if how == "procedure":
        return proc
    thr = 0.0 if threshold is None else threshold
    level = np.where(np.asarray(spread) <= thr, "low", "high")
    return np.char.add(np.char.add(proc, "/salience spread "), level)


def fit_combination(
    f: FloatArray, y: FloatArray, cells: NDArray[np.str_]
) -> dict[str, dict[str, float]]:
    """Convex LAD weights per cell (cells with fewer than :data:`MIN_CELL` issues use the
    pooled weights, stored under ``all``)."""
    out = {"all": _named(fit_convex_lad(f, y))}
    for c in sorted(set(cells.tolist()) - {"all"}):
        m = cells == c
        if m.sum() >= MIN_CELL:
            out[c] = _named(fit_convex_lad(f[m], y[m]))
    return out


def _named(w: FloatArray) -> dict[str, float]:
    return {c: float(v) for c, v in zip(COMPONENTS, w, strict=True)}


def predict_combination(
    f: FloatArray, cells: NDArray[np.str_], weights: dict[str, dict[str, float]]
) -> FloatArray:
    out = np.empty(f.shape[0])
    for c in set(cells.tolist()):
        m = cells == c
        w = weights.get(c, weights["all"])
        out[m] = f[m] @ np.array([w[k] for k in COMPONENTS])
    return out


# ----------------------------------------------------------------- selection


@dataclass(frozen=True)
class Pool:
    """The candidates' forecasts on the scoreable issues of one file."""

    defs: tuple[dict[str, Any], ...]
    fixed: FloatArray  # (C, n)
    components: FloatArray  # (n, M)
    procedure: tuple[str, ...]
    spread: FloatArray
    group: NDArray[np.int64]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(definition_name(d) for d in self.defs) + tuple(CELLS)

    def take(self, rows: NDArray[np.bool_]) -> Pool:
        return Pool(
            self.defs,
            self.fixed[:, rows],
            self.components[rows],
            tuple(p for p, r in zip(self.procedure, rows, strict=True) if r),
            self.spread[rows],
            self.group[rows],
        )


def pool(data: DeuData) -> tuple[Pool, FloatArray]:
    """Candidate forecasts on the scoreable issues of ``data`` and their outcomes."""
    mask = data.scoreable()
    scored = data.subset(mask)
    _, group = scored.proposal_index()
    defs = fixed_definitions()
    p = Pool(
        defs=defs,
        fixed=fixed_forecasts(data, defs)[:, mask],
        components=component_forecasts(data)[mask],
        procedure=scored.procedure,
        spread=salience_spread(data)[mask],
        group=group,
    )
    return p, scored.outcome


def _combination_fit(p: Pool, y: FloatArray, how: str) -> tuple[dict[str, Any], FloatArray]:
    """Fit one combination on all of ``p``; returns its record and in-sample forecast."""
    thr = float(np.median(p.spread)) if how == "procedure_spread" and p.spread.size else None
    cells = cell_labels(how, p.procedure, p.spread, thr)
    w = fit_combination(p.components, y, cells)
    return {"cells": how, "spread_threshold": thr, "weights": w}, predict_combination(
        p.components, cells, w
    )


def _combination_predict(rec: dict[str, Any], p: Pool) -> FloatArray:
    cells = cell_labels(rec["cells"], p.procedure, p.spread, rec["spread_threshold"])
    return predict_combination(p.components, cells, rec["weights"])


def cv_errors(p: Pool, y: FloatArray, k: int, seeds: Sequence[int]) -> FloatArray:
    """Cross-validated MAE of every candidate (fixed ones first, then :data:`CELLS`),
    averaged over the repeats; folds by proposal."""
    fixed = np.mean(np.abs(p.fixed - y[None, :]), axis=1)
    k = max(2, min(k, np.unique(p.group).size))
    combo = np.zeros(len(CELLS))
    for seed in seeds:
        fold = proposal_folds(p.group, k, seed)
        for ci, how in enumerate(CELLS.values()):
            pred = np.empty(y.size)
            for j in range(k):
                test = fold == j
                rec, _ = _combination_fit(p.take(~test), y[~test], how)
                pred[test] = _combination_predict(rec, p.take(test))
            combo[ci] += np.mean(np.abs(pred - y)) / len(seeds)
    return np.concatenate([fixed, combo])


def choose(p: Pool, y: FloatArray, k: int, seeds: Sequence[int]) -> tuple[int, FloatArray]:
    """Index of the chosen candidate (lowest CV error, first on ties) and every error."""
    err = cv_errors(p, y, k, seeds)
    return int(np.argmin(err)), err


def fit_choice(p: Pool, y: FloatArray, choice: int) -> dict[str, Any]:
    """The model record of candidate ``choice`` fitted on all of ``p``."""
    n_fixed = len(p.defs)
    if choice < n_fixed:
        return {"selected": definition_name(p.defs[choice]), "definition": p.defs[choice]}
    name, how = list(CELLS.items())[choice - n_fixed]
    rec, _ = _combination_fit(p, y, how)
    return {
        "selected": name,
        "definition": {"kind": "combination", "components": list(COMPONENTS), **rec},
    }


def predict_pool(model: dict[str, Any], p: Pool) -> FloatArray:
    """The forecasts of a model record on a pool (candidate forecasts precomputed)."""
    d = model["definition"]
    if d["kind"] == "combination":
        return _combination_predict(d, p)
    return np.asarray(p.fixed[p.defs.index(d)])

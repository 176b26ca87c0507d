"""Cross-validated stacking of model forecasts and baselines, split by proposal.

The stacked forecast is a convex combination ``y_hat = F w`` (``w >= 0``, ``sum w = 1``) of
component forecasts (registered models and baselines), with ``w`` fitted by least absolute
deviations, the loss the backtest reports. LAD with linear constraints is the linear
programme (Koenker & Bassett 1978; Koenker 2005, *Quantile Regression*, sec. 6.2)::

    min  sum_i (u_i + v_i)   s.t.  F w + u - v = y,  sum w = 1,  w, u, v >= 0,

solved with HiGHS through :func:`scipy.optimize.linprog`. Stacking follows Wolpert (1992,
"Stacked generalization", Neural Networks 5(2)) and Breiman (1996, "Stacked regressions",
Machine Learning 24(1)), who imposes the non-negativity.

Cross-validation: proposals (never single issues: issues of one proposal are related) are
shuffled with a seed and dealt into ``k`` folds; the weights are fitted on the training
folds only and scored on the held-out fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from backchannel.scenario.arrays import FloatArray


def proposal_folds(group: NDArray[np.int64], k: int, seed: int) -> NDArray[np.int64]:
    """Fold (0..k-1) of each issue; all issues of a proposal share one fold. Proposals are
    shuffled with ``seed`` and dealt round-robin, so fold sizes differ by at most one
    proposal."""
    props = np.unique(group)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(props)
    fold_of = np.empty(int(props.max()) + 1 if props.size else 0, dtype=np.int64)
    fold_of[perm] = np.arange(perm.size) % k
    return np.asarray(fold_of[group], dtype=np.int64)


def fit_convex_lad(f: FloatArray, y: FloatArray) -> FloatArray:
    """Weights ``w >= 0``, ``sum w = 1`` minimising ``sum |y - F w|`` (HiGHS LP)."""
    n, m = f.shape
    c = np.concatenate([np.zeros(m), np.ones(2 * n)])
    a_eq = np.zeros((n + 1, m + 2 * n))
    a_eq[:n, :m] = f
    a_eq[:n, m : m + n] = np.eye(n)
    a_eq[:n, m + n :] = -np.eye(n)
    a_eq[n, :m] = 1.0
    b_eq = np.concatenate([y, [1.0]])
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if not res.success:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"stacking LP failed: {res.message}")
    w = np.clip(res.x[:m], 0.0, None)
    return np.asarray(w / w.sum())


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold stacked forecasts and the fitted weights of each fold and repeat."""

    components: tuple[str, ...]
    k: int
    seeds: tuple[int, ...]
    oof: FloatArray  # (R repeats, n issues)
    fold_weights: FloatArray  # (R, k, M)
    folds: NDArray[np.int64]  # (R, n)
    full_weights: FloatArray  # fitted on all issues: for inspection only, never scored

    def weights_by_name(self) -> dict[str, float]:
        return {c: float(w) for c, w in zip(self.components, self.full_weights, strict=True)}


def cross_validate_stack(
    components: Mapping[str, FloatArray],
    y: FloatArray,
    group: NDArray[np.int64],
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
) -> CrossValidation:
    """Convex LAD stacking of ``components`` (each (n,), finite) scored by ``k``-fold
    cross-validation by proposal, repeated over ``seeds``."""
    names = tuple(components)
    f = np.column_stack([components[c] for c in names])
    if not np.isfinite(f).all() or not np.isfinite(y).all():
        raise ValueError("components and outcomes must be finite")
    n_props = np.unique(group).size
    k = max(2, min(k, n_props))
    oof = np.empty((len(seeds), y.size))
    fw = np.zeros((len(seeds), k, len(names)))
    folds = np.empty((len(seeds), y.size), dtype=np.int64)
    for r, seed in enumerate(seeds):
        fold = proposal_folds(group, k, seed)
        folds[r] = fold
        for j in range(k):
            test = fold == j
            w = fit_convex_lad(f[~test], y[~test])
            fw[r, j] = w
            oof[r, test] = f[test] @ w
    return CrossValidation(
        components=names,
        k=k,
        seeds=tuple(seeds),
        oof=oof,
        fold_weights=fw,
        folds=folds,
        full_weights=fit_convex_lad(f, y),
    )

"""Scores of binary verdicts and of probabilities of a deal, with bootstrap intervals.

For outcomes ``y`` (1 = a deal was reached and ratified), verdicts ``d`` (1 = the engine
says a deal is reachable) and probabilities ``p`` of a deal:

* accuracy ``mean(d == y)``; balanced accuracy, the mean of the true-positive and
  true-negative rates (Brodersen et al. 2010, "The balanced accuracy and its posterior
  distribution", ICPR), which an "always deal" or "always no deal" rule cannot game: it
  scores 0.5;
* Brier score ``mean((p - y)^2)`` (Brier 1950, *Monthly Weather Review* 78(1), eq. 1);
* log loss ``-mean(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to
  ``[EPS, 1 - EPS]`` so that a confident miss costs ``-log(EPS)`` rather than infinity;
* intervals: the percentile bootstrap over cases (Efron & Tibshirani 1993, ch. 13), one set
  of resamples shared by every forecaster so that their intervals are paired;
* reliability diagram: cases binned by ``p``, the mean ``p`` against the observed share of
  deals per bin (Murphy & Winkler 1977, *Applied Statistics* 26(1)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from backchannel.scenario.arrays import FloatArray

#: probabilities are clipped to [EPS, 1 - EPS] for the log loss
EPS = 0.01
METRICS = ("accuracy", "balanced_accuracy", "brier", "log_loss")


def _rates(y: FloatArray, d: FloatArray) -> FloatArray:
    """Mean of the true-positive and true-negative rates over the classes present (per row
    of a (B, n) resample)."""
    pos, neg = y == 1, y == 0
    n_pos, n_neg = pos.sum(axis=-1), neg.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.where(n_pos > 0, (d * pos).sum(axis=-1) / n_pos, np.nan)
        tnr = np.where(n_neg > 0, ((1 - d) * neg).sum(axis=-1) / n_neg, np.nan)
    return np.asarray(np.nanmean(np.stack([tpr, tnr]), axis=0))


def metrics(y: FloatArray, d: FloatArray, p: FloatArray) -> dict[str, FloatArray]:
    """The four scores over the last axis (works on (n,) or a (B, n) stack of resamples)."""
    y, d, p = (np.asarray(a, dtype=float) for a in (y, d, p))
    pc = np.clip(p, EPS, 1 - EPS)
    return {
        "accuracy": np.asarray((d == y).mean(axis=-1)),
        "balanced_accuracy": _rates(y, d),
        "brier": np.asarray(((p - y) ** 2).mean(axis=-1)),
        "log_loss": np.asarray(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean(axis=-1)),
    }


def scored(
    y: FloatArray,
    forecasters: Mapping[str, tuple[FloatArray, FloatArray]],
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each forecaster's (verdicts, probabilities) scored on outcomes ``y``:
    ``{name: {metric: {"estimate": x, "ci95": [lo, hi]}}}``, intervals paired across
    forecasters (the same resamples of cases)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n)) if n else None
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, (d, p) in forecasters.items():
        d, p = np.asarray(d, dtype=float), np.asarray(p, dtype=float)
        point = metrics(y, d, p)
        reps = metrics(y[idx], d[idx], p[idx]) if idx is not None else None
        out[name] = {}
        for m in METRICS:
            lo = hi = None
            if reps is not None:
                finite = reps[m][np.isfinite(reps[m])]
                if finite.size:
                    lo, hi = (float(v) for v in np.quantile(finite, [0.025, 0.975]))
            est = float(point[m]) if n and np.isfinite(point[m]) else None
            out[name][m] = {"estimate": est, "ci95": [lo, hi]}
    return out


def reliability(y: FloatArray, p: FloatArray, bins: int = 5) -> list[dict[str, Any]]:
    """Cases binned by ``p`` into ``bins`` equal-width bins of [0, 1] (the last closed):
    per bin its range, count, mean ``p`` and observed share of deals (None when empty)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        m = which == b
        k = int(m.sum())
        out.append(
            {
                "bin": [float(edges[b]), float(edges[b + 1])],
                "n": k,
                "mean_p": float(p[m].mean()) if k else None,
                "observed": float(y[m].mean()) if k else None,
            }
        )
    return out


def recalibrated(y: FloatArray, d: FloatArray, p: FloatArray, l2: float = 1.0) -> FloatArray:
    """Leave-one-out recalibration of P(deal) (Platt 1999 scaling, extended by the verdict):
    for each case, a logistic regression of the outcome on the verdict and ``logit(p)``
    (``p`` clipped to [0.02, 0.98]) fitted on the *other* cases with an L2 penalty ``l2``
    on the slopes (Newton's method), applied to that case. Out of sample by construction,
    so its Brier score is an honest estimate of what a calibrated P(deal) would score."""
    y, d, p = (np.asarray(a, dtype=float) for a in (y, d, p))
    pc = np.clip(p, 0.02, 0.98)
    x = np.column_stack([np.ones_like(p), d, np.log(pc / (1 - pc))])
    pen = np.diag([0.0, l2, l2])
    out = np.empty_like(p)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        xi, yi = x[keep], y[keep]
        beta = np.zeros(3)
        for _ in range(50):
            mu = 1 / (1 + np.exp(-xi @ beta))
            grad = xi.T @ (mu - yi) + pen @ beta
            hess = (xi * (mu * (1 - mu))[:, None]).T @ xi + pen + 1e-9 * np.eye(3)
            step = np.linalg.solve(hess, grad)
            beta -= step
            if np.abs(step).max() < 1e-10:
                break
        out[i] = 1 / (1 + np.exp(-x[i] @ beta))
    return out

"""Scores: mean absolute error (0-100 scale) with bootstrap intervals resampled by proposal.

Issues of one proposal are related (same actors, same negotiation), so the bootstrap draws
whole proposals with replacement (a cluster bootstrap; Field & Welsh 2007, "Bootstrapping
clustered data", JRSS-B 69(3)); the MAE of a replicate is the pooled mean over the issues
of the drawn proposals. Percentile intervals (Efron & Tibshirani 1993, ch. 13). One set of
replicate weights is drawn per call and shared by all forecasts, so intervals of different
models are paired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backchannel.scenario.arrays import BoolArray, FloatArray


@dataclass(frozen=True)
class Score:
    """MAE of one forecast on a set of issues with its bootstrap interval."""

    mae: float
    n: int
    n_proposals: int
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float | int | list[float | None] | None]:
        def f(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 4)

        return {
            "mae": f(self.mae),
            "n": self.n,
            "n_proposals": self.n_proposals,
            "ci95": [f(self.ci_low), f(self.ci_high)],
        }


def replicate_weights(n_proposals: int, n_boot: int, seed: int) -> NDArray[np.int64]:
    """(B, P) counts of each proposal in each bootstrap replicate (multinomial draws)."""
    rng = np.random.default_rng(seed)
    if n_proposals == 0:
        return np.zeros((n_boot, 0), dtype=np.int64)
    return np.asarray(
        rng.multinomial(n_proposals, np.full(n_proposals, 1.0 / n_proposals), size=n_boot),
        dtype=np.int64,
    )


def cluster_mean(
    values: FloatArray,
    group: NDArray[np.int64],
    weights: NDArray[np.int64],
) -> Score:
    """Mean of per-issue ``values`` (NaN: left out) and its proposal-bootstrap interval."""
    ok = np.isfinite(values)
    n = int(ok.sum())
    if n == 0:
        return Score(np.nan, 0, 0, np.nan, np.nan)
    v, g = values[ok], group[ok]
    p = weights.shape[1]
    sums = np.bincount(g, weights=v, minlength=p)
    counts = np.bincount(g, minlength=p).astype(float)
    num = weights @ sums
    den = weights @ counts
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = num / den
    reps = reps[np.isfinite(reps)]
    lo, hi = np.percentile(reps, [2.5, 97.5]) if reps.size else (np.nan, np.nan)
    return Score(float(v.mean()), n, int(np.count_nonzero(counts)), float(lo), float(hi))


def score(
    forecast: FloatArray,
    outcome: FloatArray,
    group: NDArray[np.int64],
    weights: NDArray[np.int64],
    mask: BoolArray | None = None,
) -> Score:
    """MAE of ``forecast`` against ``outcome`` over the issues in ``mask`` where both are
    finite; ``group`` is each issue's proposal index (0..P-1) and ``weights`` the
    :func:`replicate_weights` of the P proposals."""
    err = np.abs(forecast - outcome)
    if mask is not None:
        err = np.where(mask, err, np.nan)
    return cluster_mean(err, group, weights)


def score_difference(
    a: FloatArray,
    b: FloatArray,
    outcome: FloatArray,
    group: NDArray[np.int64],
    weights: NDArray[np.int64],
    mask: BoolArray | None = None,
) -> Score:
    """Paired MAE difference ``MAE(a) - MAE(b)`` on the issues where both are finite, with
    its proposal-bootstrap interval (negative: ``a`` is better)."""
    d = np.abs(a - outcome) - np.abs(b - outcome)
    if mask is not None:
        d = np.where(mask, d, np.nan)
    return cluster_mean(d, group, weights)


def subsets(labels: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, BoolArray]]:
    """Boolean masks per subset dimension and value from per-issue labels."""
    out: dict[str, dict[str, BoolArray]] = {}
    for dim, lab in labels.items():
        arr = np.asarray(lab, dtype=object)
        out[dim] = {str(v): np.asarray(arr == v) for v in sorted(set(lab), key=str)}
    return out

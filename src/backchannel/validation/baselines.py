"""Simple baseline forecasts of DEU outcomes, over the actors with a position (0-100 scale).

The published figures (salience-weighted mean MAE 23.6, median 28.4, midpoint 28.0 on the
351 scoreable issues of the full DEU III file) are reproduced by: all actors with a position
(Commission, Parliament and member states), missing salience read as 0, the median being the
salience-weighted median (the midpoint of the interval of minimisers of
``sum_i s_i |x - p_i|``, i.e. of the lower and upper weighted medians), and the scoreable
issues being those with an outcome and at least three actors with a position
(docs/decisions.md).
"""

from __future__ import annotations

import warnings

import numpy as np

from backchannel.data.deu import DeuData
from backchannel.scenario.arrays import FloatArray

BASELINES = (
    "midpoint",
    "reference",
    "mean",
    "median",
    "salience_mean",
    "salience_median",
    "commission",
    "parliament",
)
BASELINE_TITLES = {
    "midpoint": "midpoint of the scale (50)",
    "reference": "reference point (rp)",
    "mean": "unweighted mean of positions",
    "median": "unweighted median of positions",
    "salience_mean": "salience-weighted mean",
    "salience_median": "salience-weighted median",
    "commission": "Commission's position",
    "parliament": "Parliament's position",
}


def weighted_median(position: FloatArray, weight: FloatArray) -> FloatArray:
    """Per column of (A, K) arrays: the midpoint of the lower and upper weighted medians
    (NaN positions ignored; a column with no positive weight uses equal weights)."""
    has = ~np.isnan(position)
    w = np.where(has, np.nan_to_num(weight), 0.0)
    none = w.sum(axis=0) <= 0
    w = np.where(none[None, :] & has, 1.0, w)
    keyed = np.where(has, position, np.inf)
    order = np.argsort(keyed, axis=0, kind="stable")
    v = np.take_along_axis(keyed, order, axis=0)
    ws = np.take_along_axis(w, order, axis=0)
    cw = np.cumsum(ws, axis=0)
    half = cw[-1] / 2.0
    tol = 1e-9 * np.maximum(cw[-1], 1.0)
    lower = np.argmax(cw >= half - tol, axis=0)
    upper = np.argmax(cw > half + tol, axis=0)
    cols = np.arange(position.shape[1])
    out = (v[lower, cols] + v[upper, cols]) / 2.0
    return np.where(has.any(axis=0), out, np.nan)


def weighted_mean(position: FloatArray, weight: FloatArray) -> FloatArray:
    """Per column: sum w p / sum w over actors with a position (equal weights if all 0)."""
    has = ~np.isnan(position)
    w = np.where(has, np.nan_to_num(weight), 0.0)
    none = w.sum(axis=0) <= 0
    w = np.where(none[None, :] & has, 1.0, w)
    tot = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((w * np.nan_to_num(position)).sum(axis=0) / tot)


def baseline_forecasts(data: DeuData) -> dict[str, FloatArray]:
    """Every baseline's forecast per issue (NaN where it has none)."""
    p, s = data.position, data.salience
    has = ~np.isnan(p)
    ones = has.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN issue -> NaN
        median = np.nanmedian(p, axis=0)
    idx = {a: i for i, a in enumerate(data.actors)}
    nan = np.full(data.n_issues, np.nan)
    return {
        "midpoint": np.full(data.n_issues, 50.0),
        "reference": data.reference.copy(),
        "mean": weighted_mean(p, ones),
        "median": np.asarray(median, dtype=float),
        "salience_mean": weighted_mean(p, s),
        "salience_median": weighted_median(p, s),
        "commission": p[idx["com"]].copy() if "com" in idx else nan,
        "parliament": p[idx["ep"]].copy() if "ep" in idx else nan,
    }

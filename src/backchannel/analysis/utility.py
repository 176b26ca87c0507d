"""Salience-weighted spatial utilities.

An actor ``a`` with ideal point ``p_a`` and saliences ``s_a`` values an agreement ``x``
(one value per issue) at

    U_a(x) = - sum_k w_ak * loss(|x_k - p_ak| / span_k),   w_ak = s_ak / sum_j s_aj,

with ``loss(d) = d`` (linear: the weighted city-block distance of Achen 2006, eq. 10.2, and
of the DEU literature, Thomson et al. 2006) or ``loss(d) = d**2`` (quadratic: weighted
Euclidean loss, Enelow & Hinich 1984, ch. 2). Utilities lie in [-1, 0]: 0 is the actor's
own ideal on every issue, -1 the far end of every scale. Dividing by the scale's span makes
utilities invariant to the units of each issue.

All functions broadcast over leading (draw) axes: positions ``(..., N, K)``, agreement
``(..., K)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from backchannel.scenario.arrays import FloatArray

Loss = Literal["linear", "quadratic"]


def issue_weights(salience: FloatArray) -> FloatArray:
    """Normalise saliences over issues: ``w_ak = s_ak / sum_j s_aj`` (equal if all zero)."""
    s = np.asarray(salience, dtype=float)
    total = s.sum(axis=-1, keepdims=True)
    k = s.shape[-1]
    return np.where(total > 0, s / np.where(total > 0, total, 1.0), 1.0 / k)


def utility(
    x: FloatArray,
    position: FloatArray,
    weights: FloatArray,
    span: FloatArray,
    loss: Loss = "linear",
) -> FloatArray:
    """``U_a(x)`` for every actor: ``x`` (..., K), ``position``/``weights`` (..., N, K)."""
    d = np.abs(np.asarray(x)[..., None, :] - position) / span
    if loss == "quadratic":
        d = d * d
    return np.asarray(-(weights * d).sum(axis=-1))


def acceptable_interval(
    position: FloatArray, limit: FloatArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The interval of an issue an actor can accept given its red line (reservation point).

    With symmetric single-peaked preferences a red line at ``limit`` admits every ``x`` with
    ``|x - position| <= |limit - position|`` (clipped to the scale). No red line (NaN): the
    whole scale.
    """
    r = np.abs(limit - position)
    low = np.where(np.isnan(r), lo, np.maximum(lo, position - r))
    high = np.where(np.isnan(r), hi, np.minimum(hi, position + r))
    return low, high

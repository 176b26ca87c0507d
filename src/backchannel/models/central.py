"""Central-tendency models: the compromise model and the weighted median.

* Compromise model (Achen 2006, "Evaluating political decision-making models", in Thomson
  et al. (eds), *The European Union Decides*, ch. 10, eq. 10.1; Thomson et al. 2006): the
  outcome on issue k is the mean of positions weighted by capability x salience,
  ``x_k = sum_i c_ik s_ik p_ik / sum_i c_ik s_ik``.
* Weighted median (Black 1958, *The Theory of Committees and Elections*; power-weighted
  median voter as in Achen 2006, eq. 10.3): the position at which the cumulative weight
  ``c_ik s_ik`` of sorted positions first reaches half the total.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.scenario.arrays import FloatArray


def _weights(salience: FloatArray, capability: FloatArray) -> FloatArray:
    w = np.asarray(capability * salience, dtype=float)
    # an issue where every weight is zero falls back to equal weights
    zero = w.sum(axis=0) <= 0
    if zero.any():
        w = w.copy()
        w[:, zero] = 1.0
    return w


def compromise(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    **_: Any,
) -> ModelOutput:
    """Capability x salience weighted mean per issue (Achen 2006, eq. 10.1)."""
    w = _weights(salience, capability)
    out = (w * position).sum(axis=0) / w.sum(axis=0)
    return ModelOutput(outcome=out, diagnostics={"weights": w / w.sum(axis=0)})


def weighted_median_1d(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted median along axis 0 of (N, ...) arrays: the smallest value whose cumulative
    weight reaches half the total; where the weight splits exactly in half, the mean of
    that value and the next value that carries weight."""
    order = np.argsort(values, axis=0, kind="stable")
    v = np.take_along_axis(values, order, axis=0)
    w = np.take_along_axis(weights, order, axis=0)
    cw = np.cumsum(w, axis=0)
    total = cw[-1]
    half = total / 2.0
    eps = 1e-12 * np.maximum(total, 1.0)
    lower = np.take_along_axis(v, np.argmax(cw >= half - eps, axis=0)[None], axis=0)[0]
    upper = np.take_along_axis(v, np.argmax(cw > half + eps, axis=0)[None], axis=0)[0]
    return np.asarray((lower + upper) / 2.0)


def weighted_median(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    **_: Any,
) -> ModelOutput:
    """Capability x salience weighted median per issue (Black 1958; Achen 2006)."""
    w = _weights(salience, capability)
    return ModelOutput(outcome=weighted_median_1d(position, w))


register(
    ModelSpec(
        name="compromise",
        title="Compromise model (capability x salience weighted mean)",
        citation="Achen 2006, The European Union Decides, ch. 10, eq. 10.1; Thomson et al. 2006",
        core=compromise,
    )
)
register(
    ModelSpec(
        name="median",
        title="Weighted median (power-weighted median voter)",
        citation="Black 1958, The Theory of Committees and Elections; Achen 2006, eq. 10.3",
        core=weighted_median,
    )
)

"""One draw of a scenario, rescaled for the verdict programme.

Every issue is mapped onto [0, 1] (``x~ = (x - min) / span``); utilities then read
``U_v(x) = -sum_k w_vk loss(|x~_k - p~_vk|)`` with ``w_vk`` the actor's normalised
saliences, exactly the utility of :mod:`.utility` (which divides distances by the span), so
nothing but the units changes. Posing the programme on [0, 1] keeps its coefficients near
1 whatever the scales are (a scale of 0-1,000,000 once gave coefficients near 1e-6 and a
conic solver 1e-4 short of the optimum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backchannel.analysis.utility import Loss, issue_weights, utility
from backchannel.scenario.arrays import BoolArray, FloatArray, ScenarioArrays
from backchannel.scenario.structure import Structure


@dataclass(frozen=True)
class Instance:
    """Scaled inputs of the verdict programme for one draw (N actors, K issues).

    ``position``/``low``/``high`` (N, K) on [0, 1] (``low``/``high``: the acceptable
    interval, [0, 1] where there is no red line, ``has_limit`` where there is);
    ``weight`` (N, K) normalised saliences; ``sq`` (K,) status quo (NaN: none, the issue
    must be settled); ``amb`` (K,) widest ambiguous settlement; ``nd`` (N,) no-deal
    utility including any shift (NaN: the actor has none); ``body_weight`` and
    ``link_value`` (the latter scaled to its issue) indexed by the structure's slots.
    """

    loss: Loss
    position: FloatArray
    weight: FloatArray
    low: FloatArray
    high: FloatArray
    has_limit: BoolArray
    separable: BoolArray
    sq: FloatArray
    amb: FloatArray
    nd: FloatArray
    requires: BoolArray
    refuses: BoolArray
    body_weight: FloatArray
    link_value: FloatArray
    structure: Structure
    lo: FloatArray
    span: FloatArray
    sq0: FloatArray  # status quo with 0 where there is none
    pos0: FloatArray  # positions with 0 where there is none (non-deciders)

    @property
    def n_issues(self) -> int:
        return int(self.sq.shape[0])

    def to_scale(self, x: FloatArray) -> FloatArray:
        """From [0, 1] back to each issue's own scale."""
        return np.asarray(self.lo + np.asarray(x) * self.span)

    def from_scale(self, x: FloatArray) -> FloatArray:
        return np.asarray((np.asarray(x) - self.lo) / self.span)


def no_deal_utility(arrays: ScenarioArrays, loss: Loss = "linear") -> FloatArray:
    """No-deal (BATNA) utility of every actor, (..., N).

    The explicit ``no_deal.utility`` where given, else the utility of the status quo plus
    the ``adjustment``; NaN where neither can be computed (no status quo on some issue).
    """
    w = issue_weights(arrays.salience)
    sq = arrays.status_quo
    pos = np.where(np.isnan(arrays.position), (arrays.lo + arrays.hi) / 2, arrays.position)
    u_sq = utility(np.nan_to_num(sq), pos, w, arrays.span, loss)
    u_sq = np.where(np.isnan(sq).any(axis=-1, keepdims=True), np.nan, u_sq)
    computed = u_sq + arrays.no_deal_adjustment
    return np.asarray(np.where(np.isnan(arrays.no_deal), computed, arrays.no_deal))


def acceptable(
    position: FloatArray, limit: FloatArray, one_sided: BoolArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The interval of an issue an actor can accept given its red line.

    Mirrored (the default): ``|x - position| <= |limit - position|``; one-sided: from the
    limit towards the ideal and on to the scale's end. No red line (NaN): the whole scale.
    """
    r = np.abs(limit - position)
    low = np.maximum(lo, position - r)
    high = np.minimum(hi, position + r)
    below = limit <= position  # a one-sided limit below the ideal keeps everything above
    low = np.where(one_sided & ~below, lo, low)
    high = np.where(one_sided & below, hi, high)
    none = np.isnan(r)
    return np.where(none, lo, low), np.where(none, hi, high)


def make_instance(
    arrays: ScenarioArrays,
    loss: Loss = "linear",
    *,
    shift: FloatArray | None = None,
    draw: int | None = None,
) -> Instance:
    """The scaled instance of one draw (``draw`` indexes a leading draw axis, if any)."""
    if draw is None:
        return make_instances(arrays, loss, shift=shift)[0]
    return make_instances(arrays, loss, shift=shift, draws=[draw])[0]


def make_instances(
    arrays: ScenarioArrays,
    loss: Loss = "linear",
    *,
    shift: FloatArray | None = None,
    draws: list[int] | None = None,
) -> list[Instance]:
    """The scaled instances of every draw of a leading draw axis (one if there is none),
    computed for all draws at once and then sliced."""
    assert arrays.structure is not None
    batched = np.asarray(arrays.position).ndim == 3
    b = arrays.position.shape[0] if batched else 1

    def full(x: FloatArray, nd: int) -> FloatArray:
        x = np.asarray(x, dtype=float)
        return x if x.ndim == nd + 1 else np.broadcast_to(x, (b, *x.shape))

    pos = full(arrays.position, 2)
    sal = full(arrays.salience, 2)
    lim = full(arrays.limit, 2)
    sq = full(arrays.status_quo, 1)
    lo, hi = arrays.lo, arrays.hi
    span = hi - lo
    low, high = acceptable(pos, lim, arrays.one_sided, lo, hi)
    nd = np.asarray(no_deal_utility(arrays, loss), dtype=float)
    nd = full(nd, 1)
    if shift is not None:
        nd = nd + full(np.asarray(shift, dtype=float), 1)
    weight = issue_weights(sal)
    link = full(arrays.link_value, 1)
    issue_of = np.zeros(link.shape[1], dtype=int)
    for li in arrays.structure.links:
        for atom in (li.when, li.then):
            if atom.slot >= 0:
                issue_of[atom.slot] = atom.issue
    link_s = (link - lo[issue_of]) / span[issue_of] if link.shape[1] else link
    amb = np.clip(full(arrays.ambiguity, 1) / span, 0.0, 1.0)
    body_w = full(arrays.body_weight, 1)
    pos_s = (pos - lo) / span
    sq_s = (sq - lo) / span
    has_limit = ~np.isnan(lim)
    separable = np.asarray(arrays.separable, dtype=bool)
    requires = np.asarray(arrays.requires, dtype=bool)
    refuses = np.asarray(arrays.refuses, dtype=bool)
    out = []
    for i in range(b) if draws is None else draws:
        out.append(
            Instance(
                loss=loss,
                position=pos_s[i],
                weight=weight[i],
                low=(low[i] - lo) / span,
                high=(high[i] - lo) / span,
                has_limit=has_limit[i],
                separable=separable,
                sq=sq_s[i],
                amb=amb[i],
                nd=nd[i],
                requires=requires,
                refuses=refuses,
                body_weight=body_w[i],
                link_value=link_s[i],
                structure=arrays.structure,
                lo=lo,
                span=span,
                sq0=np.where(np.isnan(sq_s[i]), 0.0, sq_s[i]),
                pos0=np.where(np.isnan(pos_s[i]), 0.0, pos_s[i]),
            )
        )
    return out

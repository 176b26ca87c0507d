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
    assert arrays.structure is not None

    def take(x: FloatArray, nd: int) -> FloatArray:
        x = np.asarray(x)
        return x[draw] if (draw is not None and x.ndim == nd + 1) else x

    pos = take(arrays.position, 2)
    sal = take(arrays.salience, 2)
    lim = take(arrays.limit, 2)
    sq = take(arrays.status_quo, 1)
    lo, hi = arrays.lo, arrays.hi
    span = hi - lo
    low, high = acceptable(pos, lim, arrays.one_sided, lo, hi)
    sub = arrays
    if draw is not None and arrays.position.ndim == 3:
        from dataclasses import replace

        sub = replace(
            arrays,
            position=pos,
            salience=sal,
            status_quo=sq,
            no_deal=take(arrays.no_deal, 1),
            no_deal_adjustment=take(arrays.no_deal_adjustment, 1),
        )
    nd = np.asarray(no_deal_utility(sub, loss), dtype=float)
    if shift is not None:
        nd = nd + take(np.asarray(shift, dtype=float), 1)
    link = take(arrays.link_value, 1)
    issue_of = np.zeros(len(link), dtype=int)
    for li in arrays.structure.links:
        for atom in (li.when, li.then):
            if atom.slot >= 0:
                issue_of[atom.slot] = atom.issue
    return Instance(
        loss=loss,
        position=(pos - lo) / span,
        weight=issue_weights(sal),
        low=(low - lo) / span,
        high=(high - lo) / span,
        has_limit=~np.isnan(lim),
        separable=np.asarray(arrays.separable, dtype=bool),
        sq=(sq - lo) / span,
        amb=np.clip(take(arrays.ambiguity, 1) / span, 0.0, 1.0),
        nd=nd,
        requires=np.asarray(arrays.requires, dtype=bool),
        refuses=np.asarray(arrays.refuses, dtype=bool),
        body_weight=np.asarray(take(arrays.body_weight, 1), dtype=float),
        link_value=(link - lo[issue_of]) / span[issue_of] if len(link) else np.zeros(0),
        structure=arrays.structure,
        lo=lo,
        span=span,
    )

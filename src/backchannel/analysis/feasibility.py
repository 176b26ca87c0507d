"""Feasibility of many draws at once (the seam Monte Carlo sweeps call).

Each draw is decided by the certified verdict programme of :mod:`.decide`, except where a
cheap certificate already decides it: the packages that won recent draws (a pool of
``POOL``) are re-evaluated with plain arithmetic on the new draw, and if one still leaves
every required ratifier better off than no deal by more than the tolerance, the draw has a
deal and its margin is *at least* that package's (``exact`` False for that draw).
Likewise the dual weights of recent no-deal draws bound each new draw's margin from above
by weak duality (:func:`.fastpath.lagrangian_bound`); below the tolerance, the draw has no
deal. Draws near the boundary get the full programme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backchannel.analysis.decide import decide
from backchannel.analysis.evaluate import check_package, margin
from backchannel.analysis.fastpath import lagrangian_bound
from backchannel.analysis.formulation import TOL
from backchannel.analysis.instance import make_instances, no_deal_utility
from backchannel.analysis.utility import Loss, issue_weights, utility
from backchannel.scenario.arrays import BoolArray, FloatArray, ScenarioArrays
from backchannel.scenario.errors import InputError

#: packages of recent deals re-tried on each new draw
POOL = 4

__all__ = ["TOL", "BatchFeasibility", "feasibility_batch", "no_deal_utility", "surplus"]


@dataclass(frozen=True)
class BatchFeasibility:
    """Feasibility of B draws: ``deal_possible`` (B,), ``slack`` (B,) (the certified
    margin; -inf where the hard constraints exclude every package), ``point`` (B, K) (the
    best package, NaN where none), ``settled`` (B, K) and ``razor_thin`` (B,)."""

    deal_possible: BoolArray
    slack: FloatArray
    point: FloatArray
    settled: BoolArray
    razor_thin: BoolArray
    exact: BoolArray


def feasibility_batch(
    arrays: ScenarioArrays,
    loss: Loss = "linear",
    *,
    shift: FloatArray | None = None,
) -> BatchFeasibility:
    """Exact feasibility of a scenario for every draw of a leading axis (or one draw).

    ``shift`` (B, N) or (N,) is added to the no-deal utilities (negative: inducements or
    pressure make no deal less attractive).
    """
    if not arrays.veto_players:
        raise InputError(
            "no party holds a veto, so there is no deal to analyse",
            source="scenario",
            fix="mark the parties to the deal as states with `veto: true`",
        )
    batched = np.asarray(arrays.position).ndim == 3
    b = arrays.position.shape[0] if batched else 1
    k = arrays.n_issues
    possible = np.zeros(b, dtype=bool)
    slack = np.full(b, -np.inf)
    point = np.full((b, k), np.nan)
    settled = np.zeros((b, k), dtype=bool)
    thin = np.zeros(b, dtype=bool)
    exact = np.ones(b, dtype=bool)
    pool: list[tuple[FloatArray, FloatArray, BoolArray]] = []
    weights: list[FloatArray] = []
    for i, inst in enumerate(make_instances(arrays, loss, shift=shift)):
        best, best_pkg = -np.inf, None
        for pkg in pool:
            m = margin(inst, check_package(inst, *pkg))
            if m > best:
                best, best_pkg = m, pkg
        if best_pkg is not None and best > TOL:
            possible[i], slack[i], exact[i] = True, best, False
            point[i], settled[i] = inst.to_scale(best_pkg[0]), best_pkg[2]
            continue
        bound = min((lagrangian_bound(inst, lam) for lam in weights), default=np.inf)
        if bound < -TOL:  # a certified upper bound below zero: no deal
            slack[i], exact[i] = bound, False
            continue
        d = decide(inst)
        if d.multipliers is not None and not d.deal_possible and d.multipliers.any():
            weights = [d.multipliers, *weights][:POOL]
        possible[i], slack[i], thin[i] = d.deal_possible, d.slack, d.razor_thin
        point[i], settled[i] = d.x, d.settled
        if d.deal_possible and np.isfinite(d.x).all():
            pool = [(inst.from_scale(d.x), d.e / inst.span, d.settled), *pool][:POOL]
    return BatchFeasibility(possible, slack, point, settled, thin, exact)


def surplus(
    arrays: ScenarioArrays,
    x: FloatArray,
    loss: Loss = "linear",
    veto: tuple[int, ...] | None = None,
) -> FloatArray:
    """Each decider's utility of agreement ``x`` minus its no-deal utility, (V,)."""
    vidx = np.array(arrays.veto_players if veto is None else veto, dtype=int)
    w = issue_weights(arrays.salience[vidx])
    u = utility(x, arrays.position[vidx], w, arrays.span, loss)
    nd = no_deal_utility(arrays, loss)[vidx]
    return np.asarray(u - nd)

"""Exact package feasibility: is there an agreement every veto player prefers to no deal?

For the veto players V (parties, or their veto factions: two-level ratification after
Putnam 1988 and Tsebelis 2002, a state's acceptable set is the intersection of its veto
players' sets) and an admissible agenda A (every issue some veto player requires is on it,
no issue some veto player refuses is on it), a deal is an ``x`` with

* ``x_k`` inside every veto player's acceptable interval (red lines) for ``k`` in A,
* ``x_k`` = the status quo for ``k`` not in A,
* ``U_v(x) >= D_v`` for every veto player (its win-set: Putnam 1988), where ``D_v`` is
  its no-deal (BATNA) utility.

We solve ``max tau  s.t.  U_v(x) - D_v >= tau`` for every v: the optimum ``tau*`` (the
*slack*) is >= 0 exactly when the win-sets intersect, and its maximiser is the point of
the package ZOPA that is best for the worst-off veto player. With linear loss this is an
LP (HiGHS), with quadratic loss a second-order cone programme (cvxpy + Clarabel); both are
exact. Every function takes arrays with an optional leading draw axis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backchannel.analysis.blocklp import BlockTemplate, solve_blocks
from backchannel.analysis.utility import Loss, acceptable_interval, issue_weights, utility
from backchannel.scenario.arrays import BoolArray, FloatArray, ScenarioArrays
from backchannel.scenario.errors import InputError

MAX_FREE_ISSUES = 12
TOL = 1e-7
NO_CONSTRAINT = -2.0  # a no-deal utility below any attainable utility (utilities >= -1)


@dataclass(frozen=True)
class BatchFeasibility:
    """Feasibility of B draws of one scenario.

    ``deal_possible`` (B,); ``slack`` (B,): best max-min surplus over agendas (-inf where
    red lines or the agenda exclude every deal); ``agenda`` (B,): index into ``agendas``
    of the best agenda (-1: none); ``point`` (B, K): the max-min agreement (NaN: none);
    ``agendas`` (A, K): the admissible agendas; ``slack_by_agenda`` (B, A).
    """

    deal_possible: BoolArray
    slack: FloatArray
    agenda: NDArray[np.int64]
    point: FloatArray
    agendas: BoolArray
    slack_by_agenda: FloatArray


def admissible_agendas(
    requires: BoolArray, refuses: BoolArray, can_leave_off: BoolArray
) -> BoolArray:
    """All agendas (A, K) compatible with the veto players' agenda constraints.

    ``requires``/``refuses`` are (V, K) for the veto players; ``can_leave_off`` (K,) marks
    issues with a status quo (others must be on the agenda unless refused, which then makes
    no agenda admissible). An empty agenda is no deal and is excluded.
    """
    req = requires.any(axis=0) | ~can_leave_off
    ref = refuses.any(axis=0)
    k = req.shape[0]
    if (req & ref).any():
        return np.zeros((0, k), dtype=bool)
    free = np.flatnonzero(~req & ~ref)
    if free.size > MAX_FREE_ISSUES:
        raise InputError(
            f"{free.size} issues are optional on the agenda; at most {MAX_FREE_ISSUES} can be "
            "enumerated",
            source="scenario",
            fix="pin issues with agenda 'requires' or 'refuses' constraints",
        )
    out = []
    for bits in itertools.product((False, True), repeat=free.size):
        a = req.copy()
        a[free] = bits
        if a.any():
            out.append(a)
    return np.array(out, dtype=bool).reshape(-1, k)


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


def _batched(arrays: ScenarioArrays) -> tuple[int, dict[str, FloatArray]]:
    batched = arrays.position.ndim == 3
    b = arrays.position.shape[0] if batched else 1

    def get(x: FloatArray, nd: int) -> FloatArray:
        x = np.asarray(x, dtype=float)
        return x if x.ndim == nd + 1 else np.broadcast_to(x, (b, *x.shape))

    return b, {
        "position": get(arrays.position, 2),
        "salience": get(arrays.salience, 2),
        "limit": get(arrays.limit, 2),
        "status_quo": get(arrays.status_quo, 1),
    }


def feasibility_batch(
    arrays: ScenarioArrays,
    loss: Loss = "linear",
    *,
    veto: tuple[int, ...] | None = None,
    shift: FloatArray | None = None,
) -> BatchFeasibility:
    """Exact feasibility of a scenario, for B draws at once.

    ``veto`` overrides the veto players (actor indices; default: the scenario's).
    ``shift`` (B, N) or (N,) is added to the no-deal utilities (negative: inducements or
    pressure make no deal less attractive, positive: a better BATNA).
    """
    vidx = np.array(arrays.veto_players if veto is None else veto, dtype=int)
    if vidx.size == 0:
        raise InputError(
            "no party holds a veto, so there is no deal to analyse",
            source="scenario",
            fix="mark the parties to the deal as states with `veto: true`",
        )
    b, arr = _batched(arrays)
    pos = arr["position"][:, vidx]
    sal = arr["salience"][:, vidx]
    lim = arr["limit"][:, vidx]
    sq = arr["status_quo"]
    if np.isnan(pos).any():
        raise InputError(
            "a veto player lacks a position on some issue",
            source="scenario",
            fix="give every veto player a position on every issue",
        )
    w = issue_weights(sal)
    nd = no_deal_utility(arrays, loss)
    nd = np.broadcast_to(nd, (b, arrays.n_actors))[:, vidx]
    if shift is not None:
        nd = nd + np.broadcast_to(shift, (b, arrays.n_actors))[:, vidx]
    nd = np.where(np.isnan(nd), NO_CONSTRAINT, nd)
    low, high = acceptable_interval(pos, lim, arrays.lo, arrays.hi)
    box_lo, box_hi = low.max(axis=1), high.min(axis=1)  # (B, K)
    can_leave = np.asarray(~np.isnan(sq).any(axis=0))
    agendas = admissible_agendas(arrays.requires[vidx], arrays.refuses[vidx], can_leave)
    a_n, k = agendas.shape[0], arrays.n_issues
    slack = np.full((b, a_n), -np.inf)
    points = np.full((b, a_n, k), np.nan)
    if a_n:
        on = agendas[None]  # (1, A, K)
        box_ok = np.all(~on | (box_lo[:, None] <= box_hi[:, None] + TOL), axis=2)  # (B, A)
        bi, ai = np.nonzero(box_ok)
        if bi.size:
            x_lo = np.where(on[0, ai], box_lo[bi], sq[bi])
            x_hi = np.where(on[0, ai], np.maximum(box_hi[bi], box_lo[bi]), sq[bi])
            solver = _maxmin_linear if loss == "linear" else _maxmin_quadratic
            tau, x = solver(pos[bi], w[bi], nd[bi], x_lo, x_hi, arrays.span)
            slack[bi, ai] = tau
            points[bi, ai] = x
    best = np.argmax(slack, axis=1) if a_n else np.zeros(b, dtype=int)
    best_slack = slack[np.arange(b), best] if a_n else np.full(b, -np.inf)
    possible = best_slack >= -TOL
    point = points[np.arange(b), best] if a_n else np.full((b, k), np.nan)
    return BatchFeasibility(
        deal_possible=possible,
        slack=best_slack,
        agenda=np.where(np.isfinite(best_slack), best, -1),
        point=point,
        agendas=agendas,
        slack_by_agenda=slack,
    )


def _maxmin_linear(
    pos: FloatArray,
    w: FloatArray,
    nd: FloatArray,
    x_lo: FloatArray,
    x_hi: FloatArray,
    span: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Max-min surplus LPs, one block per row: variables (x_k, t_vk, tau)."""
    m, v, k = pos.shape
    vk = v * k
    n_cols = k + vk + 1
    tau = k + vk
    kk = np.tile(np.arange(k), v)
    tt = k + np.arange(vk)
    rows = np.concatenate(
        [
            np.arange(vk),
            np.arange(vk),  # r1: x - t <= p
            vk + np.arange(vk),
            vk + np.arange(vk),  # r2: -x - t <= -p
            2 * vk + np.repeat(np.arange(v), k),
            2 * vk + np.arange(v),  # r3: c.t + tau <= -D
        ]
    )
    cols = np.concatenate([kk, tt, kk, tt, tt, np.full(v, tau)])
    template = BlockTemplate(rows=rows, cols=cols, n_rows=2 * vk + v, n_cols=n_cols)
    c = (w / span).reshape(m, vk)
    ones = np.ones((m, vk))
    values = np.concatenate([ones, -ones, -ones, -ones, c, np.ones((m, v))], axis=1)
    p = pos.reshape(m, vk)
    b_ub = np.concatenate([p, -p, -nd], axis=1)
    cost = np.zeros((m, n_cols))
    cost[:, tau] = -1.0
    lower = np.concatenate([x_lo, np.zeros((m, vk)), np.full((m, 1), -3.0)], axis=1)
    upper = np.concatenate(
        [x_hi, np.broadcast_to(np.tile(span, v), (m, vk)), np.full((m, 1), 3.0)], axis=1
    )
    sol, ok = solve_blocks(template, values, b_ub, cost, lower, upper)
    return np.where(ok, sol[:, tau], -np.inf), sol[:, :k]


def _maxmin_quadratic(
    pos: FloatArray,
    w: FloatArray,
    nd: FloatArray,
    x_lo: FloatArray,
    x_hi: FloatArray,
    span: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Max-min surplus with quadratic loss: one SOCP for all blocks (cvxpy + Clarabel)."""
    import cvxpy as cp

    m, v, k = pos.shape
    x = cp.Variable((m, k))
    tau = cp.Variable(m)
    cons = [x >= x_lo, x <= x_hi, tau <= 3]
    c2 = w / span**2
    for j in range(v):  # loop over veto players (a handful), vectorised over blocks
        loss = cp.sum(cp.multiply(c2[:, j], cp.square(x - pos[:, j])), axis=1)
        cons.append(loss + tau <= -nd[:, j])
    prob = cp.Problem(cp.Maximize(cp.sum(tau)), cons)
    prob.solve(solver=cp.CLARABEL, canon_backend=cp.SCIPY_CANON_BACKEND)
    if x.value is None or tau.value is None:
        raise RuntimeError(f"conic solver failed: {prob.status}")
    xv = np.clip(np.asarray(x.value), x_lo, x_hi)
    # recompute the slack exactly at the solver's point
    u = utility(xv, pos, w, span, "quadratic")
    return (u - nd).min(axis=1), xv


def surplus(
    arrays: ScenarioArrays,
    x: FloatArray,
    loss: Loss = "linear",
    veto: tuple[int, ...] | None = None,
) -> FloatArray:
    """Each veto player's utility of agreement ``x`` minus its no-deal utility, (V,)."""
    vidx = np.array(arrays.veto_players if veto is None else veto, dtype=int)
    w = issue_weights(arrays.salience[vidx])
    u = utility(x, arrays.position[vidx], w, arrays.span, loss)
    nd = no_deal_utility(arrays, loss)[vidx]
    return np.asarray(u - np.where(np.isnan(nd), NO_CONSTRAINT, nd))

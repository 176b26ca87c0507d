"""A compact exact programme for the common case: every decider must accept, no linkage.

With unanimity all the way up and no linkage, the verdict programme of :mod:`.formulation`
simplifies without approximation:

* every red line of every decider holds on a settled issue, so a settled ``x_k`` lies in
  the box ``[max_v low_vk, min_v high_vk]`` (with an ambiguous settlement ``[x, x + e]``:
  ``x <= min high``, ``x + e >= max low``);
* an issue may be deferred only if no decider requires it, it has a status quo, and the
  status quo lies within every red line that binds it (the non-separable ones); it may be
  settled only if no decider refuses it and its box is not empty;
* an issue that may be either, whose status quo lies inside its box (no ambiguity), is
  settled: the settlement can equal the status quo, so deferring it never does better;
* where a decider's ideal lies outside the box, ``|x_k - p_vk|`` is linear on the box and
  needs no auxiliary variable.

What is left is one small LP per combination of the genuinely free issues (at most
``MAX_FREE``; beyond that the MILP decides). The answer is certified like the MILP's: the
package is evaluated with plain arithmetic (:mod:`.evaluate`), and the LP optimum with
weak duality in plain arithmetic bounds the margin from above. Tested against the MILP on
random scenarios (tests/analysis/test_fastpath.py).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, certified, lp_dual_bound, no_package
from backchannel.analysis.evaluate import check_package, margin
from backchannel.analysis.formulation import INITIAL_CUTS, TOL
from backchannel.analysis.instance import Instance
from backchannel.analysis.milp import INF, Model
from backchannel.scenario.arrays import FloatArray

MAX_FREE = 6
EDGE = 1e-12


def _space(inst: Instance) -> tuple[list[int], Any, Any, Any, Any]:
    """Deciders, each issue's box ``[box_lo, box_hi]`` and whether it may be settled and
    whether it may be deferred (see the module docstring)."""
    dec = list(inst.structure.deciders)
    low, high = inst.low[dec], inst.high[dec]
    box_lo, box_hi = low.max(axis=0), high.min(axis=0)
    can_settle = (box_lo - box_hi <= inst.amb + EDGE) & ~inst.refuses[dec].any(axis=0)
    binds_sq = inst.has_limit[dec] & ~inst.separable[dec]
    sq_ok = ~np.isnan(inst.sq) & np.all(
        ~binds_sq | ((low <= inst.sq0 + 1e-9) & (inst.sq0 <= high + 1e-9)),
        axis=0,
    )
    can_defer = sq_ok & ~inst.requires[dec].any(axis=0)
    return dec, box_lo, box_hi, can_settle, can_defer


def lagrangian_bound(inst: Instance, lam: FloatArray) -> float:
    """An upper bound on the margin of a unanimity instance from any weights ``lam`` (N,)
    on the deciders (weak duality: the smallest surplus is at most their weighted mean,
    ``min_v s_v <= sum_v lam_v s_v``, whose maximum over packages is separable by issue: a
    weighted median (linear loss) or mean (quadratic) clipped to the box, or the status quo
    if deferred). +inf where it does not apply (voting rules, linkage, ambiguity, no weight
    on a decider with a no-deal value)."""
    st = inst.structure
    if not st.unanimous or np.any(inst.amb > 0):
        return np.inf
    dec, box_lo, box_hi, can_settle, can_defer = _space(inst)
    nd = inst.nd[dec]
    w = np.where(np.isfinite(nd), np.nan_to_num(lam[dec]), 0.0)
    if w.sum() <= 0 or np.any(~can_settle & ~can_defer):
        return np.inf
    w = w / w.sum()
    pos = inst.position[dec]  # (V, K)
    cw = w[:, None] * inst.weight[dec]  # (V, K) weight of each decider's loss per issue
    quad = inst.loss == "quadratic"

    def value(x: FloatArray) -> FloatArray:
        """sum_v cw_vk loss(|x_k - p_vk|) for candidates x (C, K) -> (C, K)."""
        d = np.abs(x[:, None, :] - pos[None])
        return np.asarray(-(cw[None] * (d * d if quad else d)).sum(axis=1))

    if quad:
        mean = (cw * pos).sum(axis=0) / np.maximum(cw.sum(axis=0), 1e-300)
        cands = np.clip(mean, box_lo, box_hi)[None]
    else:
        cands = np.vstack([box_lo, box_hi, np.clip(pos, box_lo, box_hi)])
    settled_best = np.where(can_settle, value(cands).max(axis=0), -np.inf)
    deferred = np.where(can_defer, value(inst.sq0[None])[0], -np.inf)
    return float(
        np.maximum(settled_best, deferred).sum() - (w * np.where(np.isfinite(nd), nd, 0)).sum()
    )


def fast_decide(inst: Instance) -> Decision | None:
    """The certified verdict of a unanimity instance, or None when the MILP is needed."""
    st = inst.structure
    if not st.unanimous:
        return None
    dec, box_lo, box_hi, can_settle, can_defer = _space(inst)
    amb = inst.amb
    sq = inst.sq
    if np.any(~can_settle & ~can_defer):
        return no_package(inst, "a red line, an agenda demand or refusal excludes every package")
    inside = (amb <= 0) & (box_lo - 1e-12 <= inst.sq0) & (inst.sq0 <= box_hi + 1e-12)
    free = np.flatnonzero(can_settle & can_defer & ~inside)
    if free.size > MAX_FREE:
        return None
    base_settled = can_settle  # free issues are set per pattern below
    best: tuple[float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for bits in itertools.product((True, False), repeat=free.size):
        settled = base_settled.copy()
        settled[free] = bits
        res = _solve_pattern(inst, dec, settled, box_lo, box_hi)
        if res is None:
            continue
        if best is None or res[0] > best[0]:
            best = res
    if best is None:
        return no_package(inst, "the red lines exclude every package (LP infeasible)")
    lower, upper, x, e, settled, lam = best
    check = check_package(inst, x, e, settled)
    return certified(
        inst,
        lower,
        upper,
        (np.where(settled | np.isnan(sq), x, inst.sq0), e, settled),
        "compact LP per settlement pattern, LP duality checked in plain arithmetic",
        check.surplus,
        deal_anyway=lower == np.inf,
        multipliers=lam,
    )


def _solve_pattern(
    inst: Instance,
    dec: list[int],
    settled: np.ndarray,
    box_lo: np.ndarray,
    box_hi: np.ndarray,
) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(lower, upper, x, e, settled, multipliers) of the best package with this settlement
    pattern; the multipliers (N,) are the LP's dual values on the deciders' surplus rows."""
    k_n = inst.n_issues
    quad = inst.loss == "quadratic"
    m = Model()
    s_ix = np.flatnonzero(settled)
    amb = settled & (inst.amb > 0)
    x = np.full(k_n, -1)
    e = np.full(k_n, -1)
    x[s_ix] = np.arange(s_ix.size)
    e[amb] = s_ix.size + np.arange(int(amb.sum()))
    m.lower = [*np.where(amb, 0.0, box_lo)[s_ix].tolist(), *([0.0] * int(amb.sum()))]
    m.upper = [*box_hi[s_ix].tolist(), *inst.amb[amb].tolist()]
    nd = inst.nd[dec]
    finite = np.isfinite(nd)
    t_lo = float(np.min(-1.0 - nd[finite])) - 1.0 if finite.any() else -3.0
    t_hi = float(np.max(-nd[finite])) + 1.0 if finite.any() else 3.0
    tau = len(m.lower)
    m.lower.append(t_lo)
    m.upper.append(t_hi)
    vs = np.asarray(dec)[finite]  # deciders with a surplus row
    w = inst.weight[vs]
    p = inst.position[vs]
    sq = inst.sq0
    on = (w > 0) & settled[None, :]
    # where an ideal lies outside the box, |x - p| is linear on it: no variable needed
    below, above = p <= box_lo[None, :], p >= box_hi[None, :]
    need = on & (quad | amb[None, :] | ~(below | above))
    lin = on & ~need
    sign = np.where(below, 1.0, -1.0)
    dist = np.abs(sq[None, :] - p)
    const = (np.where((w > 0) & ~settled[None, :], w * (dist * dist if quad else dist), 0.0)).sum(1)
    rhs = -nd[finite] - const + (np.where(lin, w * sign * p, 0.0)).sum(1)
    pv, pk = np.nonzero(need)  # one distance variable per such (decider, issue)
    n_d = pv.size
    d = tau + 1 + np.arange(n_d)
    q = d + n_d if quad else d
    n_new = n_d * (2 if quad else 1)
    m.lower += [0.0] * n_new
    m.upper += [1.0] * n_new
    m.cost = [0.0] * len(m.lower)
    m.cost[tau] = 1.0
    m.integer = [False] * len(m.lower)
    m.names = [""] * len(m.lower)
    # x_k + e_k >= box_lo_k (ambiguous issues)
    ka = np.flatnonzero(amb)
    m.add_rows(
        [2] * ka.size,
        np.column_stack([x[ka], e[ka]]).ravel().tolist(),
        [1.0] * (2 * ka.size),
        box_lo[ka].tolist(),
        [INF] * ka.size,
    )
    # d >= x - p and d >= p - (x + e)
    pp = p[pv, pk]
    m.add_rows(
        [2] * n_d,
        np.column_stack([d, x[pk]]).ravel().tolist(),
        np.tile([1.0, -1.0], n_d).tolist(),
        (-pp).tolist(),
        [INF] * n_d,
    )
    has_e = e[pk] >= 0
    n_e = np.where(has_e, 3, 2)
    cols = [
        [int(di), int(x[k]), int(e[k])] if he else [int(di), int(x[k])]
        for di, k, he in zip(d, pk, has_e, strict=True)
    ]
    m.add_rows(
        n_e.tolist(),
        [c for row in cols for c in row],
        [1.0] * int(n_e.sum()),
        pp.tolist(),
        [INF] * n_d,
    )
    cuts: list[tuple[int, int, int]] = []  # (q var, d var, issue) for quadratic
    if quad:
        for c in INITIAL_CUTS:  # q >= 2 c d - c^2
            m.add_rows(
                [2] * n_d,
                np.column_stack([q, d]).ravel().tolist(),
                np.tile([1.0, -2.0 * c], n_d).tolist(),
                [-c * c] * n_d,
                [INF] * n_d,
            )
        cuts = [(int(qi), int(di), int(k)) for qi, di, k in zip(q, d, pk, strict=True)]
    # the surplus rows: tau + sum of losses <= -D_v
    lens: list[int] = []
    flat_i: list[int] = []
    flat_v: list[float] = []
    for i in range(vs.size):
        li = np.flatnonzero(lin[i])
        di = np.flatnonzero(pv == i)
        idx = [tau, *x[li].tolist(), *q[di].tolist()]
        val = [1.0, *(w[i, li] * sign[i, li]).tolist(), *w[i, pk[di]].tolist()]
        lens.append(len(idx))
        flat_i += idx
        flat_v += val
    first = m.add_rows(lens, flat_i, flat_v, [-INF] * len(vs), rhs.tolist())
    surplus_row = {int(v): first + i for i, v in enumerate(vs)}
    lower = upper = -np.inf
    xs = es = None
    lam = np.zeros(inst.position.shape[0])
    for _ in range(60):
        sol = m.solve(presolve=False)
        if sol.infeasible:
            return None
        if not sol.optimal:
            raise RuntimeError(f"the compact verdict programme was not solved: {sol.status}")
        xs = np.where(x >= 0, sol.x[np.maximum(x, 0)], inst.sq0)
        es = np.where(e >= 0, sol.x[np.maximum(e, 0)], 0.0)
        check = check_package(inst, np.clip(xs, 0, 1), es, settled)
        lower = max(lower, margin(inst, check))
        assert sol.row_duals is not None
        upper = min(sol.objective, lp_dual_bound(m, sol.row_duals))
        for v, r in surplus_row.items():
            lam[v] = abs(float(sol.row_duals[r]))
        if not quad or upper - lower <= TOL / 10:
            break
        added = False
        for q_var, d_var, _k in cuts:
            dv = float(sol.x[d_var])
            if sol.x[q_var] < dv * dv - 1e-12:
                m.row([q_var, d_var], [1.0, -2.0 * dv], lo=-dv * dv)
                added = True
        if not added:
            break
    if not any(np.isfinite(inst.nd[dec])):
        upper = np.inf
    assert xs is not None and es is not None
    return float(lower), float(upper), np.clip(xs, 0, 1), es, settled, lam

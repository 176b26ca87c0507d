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

import numpy as np

from backchannel.analysis.decide import Decision, Status, lp_dual_bound
from backchannel.analysis.evaluate import check_package, margin
from backchannel.analysis.formulation import INITIAL_CUTS, TOL
from backchannel.analysis.instance import Instance
from backchannel.analysis.milp import Model

MAX_FREE = 6
EDGE = 1e-12


def fast_decide(inst: Instance) -> Decision | None:
    """The certified verdict of a unanimity instance, or None when the MILP is needed."""
    st = inst.structure
    if not st.unanimous:
        return None
    dec = list(st.deciders)
    low = inst.low[dec]
    high = inst.high[dec]
    lim = inst.has_limit[dec]
    box_lo, box_hi = low.max(axis=0), high.min(axis=0)
    amb = inst.amb
    sq = inst.sq
    can_settle = (box_lo - box_hi <= amb + EDGE) & ~inst.refuses[dec].any(axis=0)
    binds_sq = lim & ~inst.separable[dec]
    sq_ok = ~np.isnan(sq) & np.all(
        ~binds_sq | ((low <= inst.sq0 + 1e-9) & (inst.sq0 <= high + 1e-9)),
        axis=0,
    )
    can_defer = sq_ok & ~inst.requires[dec].any(axis=0)
    if np.any(~can_settle & ~can_defer):
        return _none(inst, "a red line, an agenda demand or refusal excludes every package")
    inside = (amb <= 0) & (box_lo - 1e-12 <= inst.sq0) & (inst.sq0 <= box_hi + 1e-12)
    free = np.flatnonzero(can_settle & can_defer & ~inside)
    if free.size > MAX_FREE:
        return None
    base_settled = can_settle  # free issues are set per pattern below
    best: tuple[float, float, np.ndarray, np.ndarray, np.ndarray] | None = None
    for bits in itertools.product((True, False), repeat=free.size):
        settled = base_settled.copy()
        settled[free] = bits
        res = _solve_pattern(inst, dec, settled, box_lo, box_hi)
        if res is None:
            continue
        if best is None or res[0] > best[0]:
            best = res
    if best is None:
        return _none(inst, "the red lines exclude every package (LP infeasible)")
    lower, upper, x, e, settled = best
    if lower > TOL or (not np.isfinite(lower) and lower > 0):
        status: Status = "deal"
    elif upper < -TOL:
        status = "no_deal"
    else:
        status = "razor_thin"
    possible = bool(lower >= -TOL)
    check = check_package(inst, x, e, settled)
    return Decision(
        status=status,
        deal_possible=possible,
        slack=float(lower if possible else upper),
        lower=float(lower),
        upper=float(upper),
        x=inst.to_scale(np.where(settled | np.isnan(sq), x, inst.sq0)),
        e=e * inst.span,
        settled=settled,
        certificate="compact LP per settlement pattern, LP duality checked in plain arithmetic",
        surplus=check.surplus,
    )


def _solve_pattern(
    inst: Instance,
    dec: list[int],
    settled: np.ndarray,
    box_lo: np.ndarray,
    box_hi: np.ndarray,
) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray] | None:
    """(lower, upper, x, e, settled) of the best package with this settlement pattern."""
    k_n = inst.n_issues
    quad = inst.loss == "quadratic"
    m = Model()
    x = np.full(k_n, -1)
    e = np.full(k_n, -1)
    for k in map(int, np.flatnonzero(settled)):
        if inst.amb[k] > 0:
            x[k] = m.var(0.0, float(box_hi[k]), f"x{k}")
            e[k] = m.var(0.0, float(inst.amb[k]), f"e{k}")
            m.row([x[k], e[k]], [1.0, 1.0], lo=float(box_lo[k]))
        else:
            x[k] = m.var(float(box_lo[k]), float(box_hi[k]), f"x{k}")
    finite = np.isfinite(inst.nd[dec])
    nd = inst.nd[dec]
    t_lo = float(np.min(-1.0 - nd[finite])) - 1.0 if finite.any() else -3.0
    t_hi = float(np.max(-nd[finite])) + 1.0 if finite.any() else 3.0
    tau = m.var(t_lo, t_hi, "tau")
    m.cost[tau] = 1.0
    cuts: list[tuple[int, int, int]] = []  # (q var, d var or -1, issue) for quadratic
    sq = inst.sq0
    for i, v in enumerate(dec):
        if not finite[i]:
            continue
        idx: list[int] = [tau]
        val: list[float] = [1.0]
        rhs = -float(inst.nd[v])
        for k in range(k_n):
            w = float(inst.weight[v, k])
            if w <= 0:
                continue
            p = float(inst.position[v, k])
            if not settled[k]:  # deferred: a constant loss at the status quo
                dist = abs(sq[k] - p)
                rhs -= w * (dist * dist if quad else dist)
                continue
            if e[k] < 0 and p <= box_lo[k] and not quad:
                idx.append(int(x[k]))
                val.append(w)
                rhs += w * p
                continue
            if e[k] < 0 and p >= box_hi[k] and not quad:
                idx.append(int(x[k]))
                val.append(-w)
                rhs -= w * p
                continue
            d = m.var(0.0, 1.0, f"d{v}.{k}")
            m.row([d, int(x[k])], [1.0, -1.0], lo=-p)
            hi_i, hi_v = ([int(x[k]), int(e[k])], [1.0, 1.0]) if e[k] >= 0 else ([int(x[k])], [1.0])
            m.row([d, *hi_i], [1.0, *hi_v], lo=p)
            if quad:
                q = m.var(0.0, 1.0, f"q{v}.{k}")
                for d0 in INITIAL_CUTS:
                    m.row([q, d], [1.0, -2.0 * d0], lo=-d0 * d0)
                cuts.append((q, d, k))
                idx.append(q)
            else:
                idx.append(d)
            val.append(w)
        m.row(idx, val, hi=rhs)
    lower = upper = -np.inf
    xs = es = None
    for _ in range(60):
        sol = m.solve(presolve=False)
        if sol.infeasible:
            return None
        if not sol.optimal:
            raise RuntimeError(f"the compact verdict programme was not solved: {sol.status}")
        xs = np.where(x >= 0, sol.x[np.maximum(x, 0)], sq)
        es = np.where(e >= 0, sol.x[np.maximum(e, 0)], 0.0)
        check = check_package(inst, np.clip(xs, 0, 1), es, settled)
        lower = max(lower, margin(inst, check))
        assert sol.row_duals is not None
        upper = min(sol.objective, lp_dual_bound(m, sol.row_duals))
        if not quad or upper - lower <= TOL / 10:
            break
        added = False
        for q, d, _k in cuts:
            dv = float(sol.x[d])
            if sol.x[q] < dv * dv - 1e-12:
                m.row([q, d], [1.0, -2.0 * dv], lo=-dv * dv)
                added = True
        if not added:
            break
    if not any(np.isfinite(inst.nd[dec])):
        upper = np.inf
    assert xs is not None and es is not None
    return float(lower), float(upper), np.clip(xs, 0, 1), es, settled


def _none(inst: Instance, why: str) -> Decision:
    k = inst.n_issues
    return Decision(
        status="no_deal",
        deal_possible=False,
        slack=-np.inf,
        lower=-np.inf,
        upper=-np.inf,
        x=np.full(k, np.nan),
        e=np.zeros(k),
        settled=np.zeros(k, dtype=bool),
        certificate=why,
        surplus=np.full(inst.position.shape[0], np.nan),
    )

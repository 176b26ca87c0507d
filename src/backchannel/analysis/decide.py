"""Decide one draw: the best deal, its margin, and a certificate for the verdict.

The verdict programme (:mod:`.formulation`) is solved with HiGHS; the answer is then
certified independently of the solver's objective:

* **lower bound** on the best margin: the package the solver returned, evaluated with plain
  arithmetic (:mod:`.evaluate`): the surplus of the worst-off decider a ratification needs;
* **upper bound**: for a pure LP, weak LP duality evaluated with plain arithmetic from the
  solver's dual values (valid for any dual vector); for a MILP, the branch-and-bound bound
  (HiGHS, relative gap 0); for quadratic loss the outer approximation's optimum, itself an
  upper bound, tightened by tangent cuts at each answer until the two bounds meet.

Verdict: *deal* if the lower bound exceeds ``TOL`` (1e-7 on the utility scale), *no deal*
if the upper bound is below ``-TOL``, otherwise *razor-thin* ("undecided within 1e-7"), and
``deal_possible`` is then whether the package found reaches ``-TOL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from backchannel.analysis.evaluate import check_package, margin
from backchannel.analysis.formulation import TOL, build
from backchannel.analysis.instance import Instance
from backchannel.analysis.milp import Model
from backchannel.scenario.arrays import BoolArray, FloatArray

Status = Literal["deal", "no_deal", "razor_thin"]
MAX_CUT_ROUNDS = 60
#: branch-and-bound nodes for the max-min programme before the verdict falls back to
#: feasibility programmes and a bracketed margin (a deterministic bound on the work)
MAXMIN_NODES = 50
#: with more free binaries than this the verdict goes straight to feasibility programmes
LARGE_MILP = 24
#: rounds of re-optimising the accepting coalition to raise the margin's lower end
MARGIN_STEPS = 3


@dataclass(frozen=True)
class Decision:
    """One draw's verdict. ``slack``: the certified margin of the package found (its worst
    accepting decider's surplus) when a deal exists, else the upper bound (-inf when the
    hard constraints alone exclude every deal; +inf when no decider has a no-deal value).
    ``x``/``e`` on the issues' own scales (``e``: width of an ambiguous settlement),
    ``settled``: which issues the package settles."""

    status: Status
    deal_possible: bool
    slack: float
    lower: float
    upper: float
    x: FloatArray
    e: FloatArray
    settled: BoolArray
    certificate: str
    surplus: FloatArray
    multipliers: FloatArray | None = None  # the LP's weights on the deciders (compact path)

    @property
    def razor_thin(self) -> bool:
        return self.status == "razor_thin"


def certified(
    inst: Instance,
    lower: float,
    upper: float,
    package: tuple[FloatArray, FloatArray, BoolArray],
    certificate: str,
    surplus: FloatArray,
    *,
    deal_anyway: bool = False,
    multipliers: FloatArray | None = None,
) -> Decision:
    """The verdict from a certified bracket ``lower <= margin <= upper`` of the best
    package (``lower`` from a package evaluated in plain arithmetic, ``upper`` from a
    bound): a deal above +TOL, no deal below -TOL, razor-thin between (``deal_anyway``: a
    deal whenever a package exists, as when no decider has a no-deal value).
    ``package``: ``(x, e, settled)`` on the scaled issues."""
    x, e, settled = package
    if lower > TOL or deal_anyway:
        status: Status = "deal"
    elif upper < -TOL:
        status = "no_deal"
    else:
        status = "razor_thin"
    possible = bool(lower >= -TOL)
    return Decision(
        status=status,
        deal_possible=possible,
        slack=float(lower if possible else upper),
        lower=float(lower),
        upper=float(upper),
        x=inst.to_scale(x),
        e=e * inst.span,
        settled=settled,
        certificate=certificate,
        surplus=surplus,
        multipliers=multipliers,
    )


def lp_dual_bound(model: Model, duals: FloatArray) -> float:
    """Weak-duality upper bound of a maximisation LP from any row multipliers ``duals``:
    ``c.z = y.Az + (c - A'y).z <= sum_i y_i * (row bound on the side y_i points to) +
    sum_j max over [l_j, u_j] of (c - A'y)_j z_j``, in plain arithmetic."""
    c = np.asarray(model.cost, dtype=float)
    lo, hi = np.asarray(model.lower), np.asarray(model.upper)
    lens = [len(r) for r in model.rows_idx]
    rows = np.repeat(np.arange(len(lens)), lens)
    cols = np.asarray([j for r in model.rows_idx for j in r], dtype=np.int64)
    vals = np.asarray([v for r in model.rows_val for v in r], dtype=float)
    r_lo, r_hi = np.asarray(model.rows_lo), np.asarray(model.rows_hi)
    best = np.inf
    for y in (duals, -duals):
        bound = np.where(y > 0, r_hi, np.where(y < 0, r_lo, 0.0))
        if not np.all(np.isfinite(bound)):
            continue
        red = c - np.bincount(cols, weights=vals * y[rows], minlength=c.size)
        total = float(y @ bound) + float(np.maximum(red * lo, red * hi).sum())
        best = min(best, total)
    return float(best)


def decide(inst: Instance, *, compact: bool = True) -> Decision:
    """Solve and certify the verdict programme of one draw (``compact``: use the compact
    LP of :mod:`.fastpath` where it is exact)."""
    if compact:
        from backchannel.analysis.fastpath import fast_decide

        fast = fast_decide(inst)
        if fast is not None:
            return fast
    f = build(inst)
    lower, upper = -np.inf, np.inf
    best: tuple[FloatArray, FloatArray, BoolArray] | None = None
    best_surplus = np.full(inst.position.shape[0], np.nan)
    certificate = ""
    free = sum(
        1 for j, i in enumerate(f.model.integer) if i and f.model.lower[j] != f.model.upper[j]
    )
    if free > LARGE_MILP:  # skip the max-min programme: its root alone can take seconds
        return _bracket(inst, f, f.relaxation())
    for _ in range(MAX_CUT_ROUNDS):
        sol = f.model.solve(node_limit=MAXMIN_NODES)
        if sol.infeasible:
            return no_package(inst, "the hard constraints admit no package (HiGHS: infeasible)")
        if not sol.optimal:  # a hard voting game: bracket the margin by feasibility instead
            return _bracket(inst, f, sol)
        x, e, settled = f.package(sol.x)
        check = check_package(inst, x, e, settled)
        m = margin(inst, check)
        if m > lower or best is None:
            lower, best, best_surplus = m, (x, e, settled), check.surplus
        if not f.has_surplus:
            upper = np.inf
            certificate = "no decider has a no-deal value: only hard constraints apply"
            break
        if sol.mip:
            ub, certificate = sol.bound, "branch-and-bound bound (HiGHS, gap 0)"
        else:
            assert sol.row_duals is not None
            ub = min(sol.objective, lp_dual_bound(f.model, sol.row_duals))
            certificate = "LP duality, checked in plain arithmetic"
        upper = min(upper, ub)
        if inst.loss == "linear" or upper - lower <= TOL / 10 or not f.add_cuts(sol.x):
            break
    if inst.loss == "quadratic":
        certificate += "; outer approximation of the quadratic loss by tangent cuts"
    assert best is not None
    return certified(
        inst,
        lower,
        upper,
        best,
        certificate,
        best_surplus,
        deal_anyway=not f.has_surplus and bool(np.isfinite(lower)),
    )


def _feasible_at(inst: Instance, t: float) -> tuple[bool, Any]:
    """Is there a package with margin at least ``t``? With the package found, if any."""
    g = build(inst, tau=t)
    g.model.cost = [0.0] * g.model.n_vars
    sol = g.solve()
    if sol.optimal or sol.incumbent:
        return True, g.package(sol.x)
    if sol.infeasible:
        return False, None
    raise RuntimeError(f"the verdict programme was not solved: {sol.status}")


def _reoptimise(inst: Instance, package: Any, level: float) -> Any:
    """The best package for the coalition that accepts ``package`` at margin ``level`` and
    its settlement pattern held fixed: with the binaries fixed the programme is (nearly) an
    LP, so this is cheap; its answer is at least as good as ``package``."""
    check = check_package(inst, *package)
    g = build(inst)
    m = g.model
    for v, j in g.alpha.items():
        if m.lower[j] != m.upper[j]:
            ok = check.own_ok(v) and check.surplus[v] >= level - 1e-9
            m.lower[j] = m.upper[j] = 1.0 if ok else 0.0
    for k, j in enumerate(g.y):
        if m.lower[j] != m.upper[j]:
            m.lower[j] = m.upper[j] = 1.0 if package[2][k] else 0.0
    sol = g.solve(node_limit=MAXMIN_NODES)
    return g.package(sol.x) if (sol.optimal or sol.incumbent) else None


def _bracket(inst: Instance, f: Any, sol: Any) -> Decision:
    """When the max-min programme does not finish within ``MAXMIN_NODES`` nodes (a hard
    voting game), the verdict's sign is settled by feasibility programmes (far easier:
    any package with margin at least ``2 TOL``, else at least ``-TOL``), and the margin is
    reported as a bracket: the lower end a package evaluated in plain arithmetic, the upper
    end HiGHS's branch-and-bound bound."""
    lower, best, surplus = -np.inf, None, np.full(inst.position.shape[0], np.nan)

    def take(package: Any) -> None:
        nonlocal lower, best, surplus
        check = check_package(inst, *package)
        m = margin(inst, check)
        if best is None or m > lower:
            lower, best, surplus = m, package, check.surplus

    if sol.incumbent:
        take(f.package(sol.x))
    upper = float(sol.bound) if np.isfinite(sol.bound) else float(f.model.upper[f.tau])
    for t in (2 * TOL, -TOL):
        if lower > TOL or upper < -TOL:
            break
        ok, package = _feasible_at(inst, t)
        if ok:
            take(package)
        else:
            upper = min(upper, t)
    for _ in range(MARGIN_STEPS):  # raise the lower end: re-optimise the coalition found
        if best is None:
            break
        before = lower
        improved = _reoptimise(inst, best, lower)
        if improved is not None:
            take(improved)
        if lower <= before + 1e-9:
            break
    if best is None:
        return no_package(inst, "no package reaches a margin of -1e-7 (HiGHS: infeasible)")
    return certified(
        inst,
        lower,
        upper,
        best,
        f"verdict by feasibility programmes (HiGHS); margin bracketed: at least {lower:.4g} "
        f"(a package evaluated in plain arithmetic), at most {upper:.4g} (the programme's "
        "relaxation or branch-and-bound bound)",
        surplus,
    )


def no_package(inst: Instance, why: str) -> Decision:
    """The verdict when the hard constraints admit no package at all (margin -inf)."""
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

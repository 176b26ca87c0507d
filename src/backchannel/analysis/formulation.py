"""The verdict programme: is there a deal every required ratification accepts?

Variables (every issue on [0, 1], see :mod:`.instance`):

* ``x_k``: the settlement of issue k; ``e_k`` in [0, ambiguity_k]: the width of a
  constructively ambiguous settlement ``[x_k, x_k + e_k]`` (each actor reads the point
  nearest its ideal); ``y_k`` = 1 if the deal settles issue k, 0 if it defers it, in which
  case ``x_k`` = the status quo and ``e_k`` = 0 (issues without status quo must be settled);
* ``alpha_v`` = 1 if decider v accepts (fixed to 1 for deciders every ratification needs),
  which requires: its red lines (on settled issues, and on deferred ones unless separable
  for it), its agenda constraints (required issues settled, refused ones deferred), its
  linkage conditions, and ``U_v - D_v >= tau`` (its surplus over no deal);
* ``beta_u`` = 1 if unit u (a party or a member that ratifies through members) accepts:
  some path ``gamma`` whose bodies all pass; a body passes when its members' acceptances
  reach its rule (unanimity, a weighted quota, a double majority, a blocking-minority
  clause). Every party must accept;
* ``d_vk`` >= the distance from v's ideal to the settlement, ``q_vk`` >= ``d_vk^2`` (for
  quadratic loss, by tangent cuts added until exact: outer approximation, Duran &
  Grossmann 1986);
* ``tau``: maximised. Its optimum is the verdict's slack: the surplus of the worst-off
  accepting decider at the best deal; a deal exists iff it is >= 0.

Conditional constraints ("only if alpha_v = 1", "only if y_k = 1") are big-M rows with M
from the variables' bounds (:mod:`.milp`). The same programme, with binary *relaxation*
variables on groups of constraints and ``tau`` fixed at 0, answers "which minimal sets of
constraints block a deal" (:mod:`.explain`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from backchannel.analysis.instance import Instance
from backchannel.analysis.milp import Cond, Model, Solution
from backchannel.scenario.structure import AtomSpec, negate

TOL = 1e-7
#: tangent points of the initial outer approximation of d^2 on [0, 1]
INITIAL_CUTS = (0.0, 0.25, 0.5, 0.75, 1.0)

Group = tuple[object, ...]  # ("red_line", v, k), ("no_deal", v), ("requires", v, k), ...


@dataclass(frozen=True)
class Soft:
    """Continuous concessions for what-it-takes and for inducements.

    ``widen``: red lines ``(v, k)`` that may be widened, with the cost per unit of
    widening (on [0, 1]); ``lower_nd``: deciders whose no-deal value may be lowered, cost
    per utility; ``induce``: inducements as (target deciders, deliverable utility, cost per
    utility delivered), used in a share ``z`` in [0, 1]; ``settle``: issues the deal must
    settle; ``marks``: add a binary per concession, 1 when it is used (to count
    concessions and to exclude a set of them).
    """

    widen: dict[tuple[int, int], float] = field(default_factory=dict)
    lower_nd: dict[int, float] = field(default_factory=dict)
    induce: tuple[tuple[tuple[int, ...], float, float], ...] = ()
    settle: frozenset[int] = frozenset()
    marks: bool = False
    signed: bool = False  # widenings and lowerings may be negative (tightenings)


@dataclass
class Formulation:
    """A built programme and where its variables are."""

    inst: Instance
    model: Model
    x: np.ndarray
    e: np.ndarray  # -1 where the issue has no ambiguity
    y: np.ndarray  # settled indicator variables
    alpha: dict[int, int]
    beta: dict[int, int]
    gamma: dict[tuple[int, int], int]
    tau: int
    d: dict[tuple[int, int], int] = field(default_factory=dict)
    q: dict[tuple[int, int], int] = field(default_factory=dict)
    relax: dict[Group, int] = field(default_factory=dict)
    delta: dict[tuple[int, int], int] = field(default_factory=dict)
    eps: dict[int, int] = field(default_factory=dict)
    z: list[int] = field(default_factory=list)
    marks: dict[Group, int] = field(default_factory=dict)
    has_surplus: bool = False

    def cut(self, v: int, k: int, d0: float) -> None:
        """Tangent of ``d^2`` at ``d0``: ``q >= 2 d0 d - d0^2``."""
        self.model.row([self.q[v, k], self.d[v, k]], [1.0, -2.0 * d0], lo=-d0 * d0)

    def add_cuts(self, z: np.ndarray) -> bool:
        """Tangent cuts where the outer approximation of ``d^2`` is loose at solution
        ``z``; False if it is exact there (within 1e-12)."""
        added = False
        for key, qv in self.q.items():
            d = float(z[self.d[key]])
            if z[qv] < d * d - 1e-12:
                self.cut(*key, d)
                added = True
        return added

    def solve(self, node_limit: int | None = None, max_rounds: int = 60) -> Solution:
        """Solve; with quadratic loss, add tangent cuts until the answer is exact."""
        sol = self.model.solve(node_limit=node_limit)
        for _ in range(max_rounds):
            if not sol.optimal or self.inst.loss != "quadratic" or not self.add_cuts(sol.x):
                break
            sol = self.model.solve(node_limit=node_limit)
        return sol

    def relaxation(self) -> Solution:
        """The LP relaxation (binaries continuous in [0, 1]): its optimum bounds ``tau``
        from above. With quadratic loss, tangent cuts are added until exact."""
        saved = list(self.model.integer)
        self.model.integer = [False] * len(saved)
        try:
            sol = self.solve()
        finally:
            self.model.integer = saved
        return Solution(
            status=sol.status,
            optimal=False,
            incumbent=False,
            infeasible=sol.infeasible,
            x=sol.x,
            objective=sol.objective,
            bound=sol.objective if sol.optimal else np.nan,
            row_duals=None,
            mip=True,
        )

    def package(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, e, settled)`` on [0, 1] from a solution vector."""
        x = np.clip(z[self.x], 0.0, 1.0)
        e = np.where(self.e >= 0, np.clip(z[np.maximum(self.e, 0)], 0.0, None), 0.0)
        settled = z[self.y] > 0.5
        x = np.where(settled | np.isnan(self.inst.sq), x, self.inst.sq0)
        e = np.where(settled, np.minimum(e, self.inst.amb), 0.0)
        return x, e, settled


def _settling_dominates(inst: Instance) -> np.ndarray:
    """Issues a deal may as well settle (K,): no status quo, or nobody refuses to negotiate
    it, no linkage mentions whether it is settled, and its status quo lies inside every
    decider's red line, so a settlement at the status quo is worth exactly what deferring
    is, and settling can only do better. Fixing these settled drops their binaries."""
    st = inst.structure
    dec = list(st.deciders)
    sq = inst.sq0
    inside = np.all(
        ~inst.has_limit[dec] | ((inst.low[dec] <= sq + 1e-12) & (sq <= inst.high[dec] + 1e-12)),
        axis=0,
    )
    linked = np.zeros(inst.n_issues, dtype=bool)
    for li in st.links:
        for a in (li.when, li.then):
            if a.kind in ("settled", "deferred"):
                linked[a.issue] = True
    free = inside & ~inst.refuses[dec].any(axis=0) & ~linked
    return np.asarray(np.isnan(inst.sq) | free)


def build(
    inst: Instance,
    *,
    relax: Mapping[Group, float] | None = None,
    relaxed: Iterable[Group] = (),
    tau: float | None = None,
    fix_forced: bool = True,
    soft: Soft | None = None,
    model: Model | None = None,
    presolve: bool = True,
) -> Formulation:
    """Build the programme for ``inst``.

    Default: maximise ``tau``. ``tau`` given: fix it (feasibility at that margin). ``relax``
    maps constraint groups to the cost of dropping them (binary relaxation variables,
    objective: minimise the total cost); groups in ``relaxed`` are dropped outright;
    ``soft`` adds continuous concessions and inducements (:class:`Soft`), whose costs join
    the minimised objective.
    ``fix_forced``: fix the acceptance of deciders every ratification needs (faster; off
    when ratification rules themselves may be relaxed).
    ``model``: add the programme's variables and rows to this model instead of a new one
    (to couple several verdict programmes in one, as staged agreements do); the caller
    then sets the objective. ``presolve``: fix settled the issues that settling dominates
    (off where whether an issue is settled means more than its value, as in a staged
    agreement's first step).
    """
    st = inst.structure
    n_k = inst.n_issues
    m = Model() if model is None else model
    relaxed_set = set(relaxed)
    relax = dict(relax or {})
    rv: dict[Group, int] = {}
    for g, c in relax.items():
        if g in relaxed_set:
            continue
        rv[g] = m.binary(f"relax{g}")
        m.cost[rv[g]] = c
    soft = soft or Soft()
    minimise = bool(relax) or bool(soft.widen or soft.lower_nd or soft.induce)
    if minimise:
        m.maximize = False

    def group_cond(g: Group) -> list[Cond] | None:
        """The condition that keeps group ``g`` active (None: the group is dropped)."""
        if g in relaxed_set:
            return None
        return [(rv[g], 0)] if g in rv else []

    # -- issues ------------------------------------------------------------------------
    x = np.array([m.var(0.0, 1.0, f"x{k}") for k in range(n_k)])
    e = np.array(
        [m.var(0.0, float(inst.amb[k]), f"e{k}") if inst.amb[k] > 0 else -1 for k in range(n_k)]
    )
    # relaxations and widenings only loosen constraints, so the dominance holds under them;
    # signed (tightening) concessions are the exception
    dominance = presolve and not (soft is not None and soft.signed)
    settle = _settling_dominates(inst) if dominance else np.isnan(inst.sq)
    y = np.array([m.binary(f"y{k}", fixed=1 if settle[k] else None) for k in range(n_k)])
    for k in range(n_k):
        if np.isnan(inst.sq[k]):
            continue
        sq = float(inst.sq[k])
        m.row([x[k]], [1.0], lo=sq, hi=sq, when=[(int(y[k]), 0)])
        if e[k] >= 0:
            m.row([e[k], y[k]], [1.0, -float(inst.amb[k])], hi=0.0)

    def high_end(k: int) -> tuple[list[int], list[float]]:
        return ([int(x[k]), int(e[k])], [1.0, 1.0]) if e[k] >= 0 else ([int(x[k])], [1.0])

    def atom_row(a: AtomSpec, when: list[Cond]) -> None:
        k = a.issue
        if a.kind == "settled":
            m.row([y[k]], [1.0], lo=1.0, when=when)
        elif a.kind == "deferred":
            m.row([y[k]], [1.0], hi=0.0, when=when)
        elif a.kind == "at_least":
            m.row([x[k]], [1.0], lo=float(inst.link_value[a.slot]), when=when)
        else:
            i, v = high_end(k)
            m.row(i, v, hi=float(inst.link_value[a.slot]), when=when)

    # -- acceptance structure ----------------------------------------------------------
    forced = set(st.forced) if fix_forced else set()
    alpha = {d: m.binary(f"alpha{d}", fixed=1 if d in forced else None) for d in st.deciders}
    units = {u.actor: u for u in st.units}
    beta = {u: m.binary(f"beta{u}", fixed=1 if u in st.parties else None) for u in sorted(units)}
    for p in st.parties:
        if p not in units:  # a party that decides alone
            m.fix(alpha[p], 1)
    gamma: dict[tuple[int, int], int] = {}
    for u, spec in units.items():
        if len(spec.paths) == 1:
            gamma[u, 0] = beta[u]
        else:
            for p_i in range(len(spec.paths)):
                gamma[u, p_i] = m.binary(f"gamma{u}.{p_i}")
            m.row(
                [beta[u], *(gamma[u, p] for p in range(len(spec.paths)))],
                [1.0] + [-1.0] * len(spec.paths),
                hi=0.0,
            )

    def member_var(body_unit: int, member: int) -> int:
        if member == body_unit or member not in units:
            return alpha[member]
        return beta[member]

    in_paths = [
        (b_i, u, p_i)
        for u, spec in units.items()
        for p_i, path in enumerate(spec.paths)
        for b_i in path
    ]
    for b_i, u, p_i in in_paths:
        body = st.bodies[b_i]
        cond = group_cond(("body", b_i))
        if cond is None:
            continue
        on = [(gamma[u, p_i], 1), *cond]
        mv = [member_var(body.unit, mm) for mm in body.members]
        n_m = len(mv)
        bw = inst.body_weight[list(body.slots)]
        bw = bw / bw.sum()
        if body.rule == "unanimity" and body.min_blocking is None:
            for j in mv:
                m.row([j], [1.0], lo=1.0, when=on)
            continue
        crit = on
        if body.min_blocking is not None:
            zeta = m.binary(f"zeta{b_i}")
            crit = [*on, (zeta, 1)]
            m.row(mv, [1.0] * n_m, lo=n_m - body.min_blocking + 1, when=[*on, (zeta, 0)])
        need = body.share + (1e-9 if body.strict else 0.0)
        m.row(mv, list(bw), lo=need, when=crit)
        if body.count_share is not None:
            m.row(mv, [1.0] * n_m, lo=float(np.ceil(body.count_share * n_m - 1e-9)), when=crit)

    # -- deciders' own constraints -----------------------------------------------------
    t_lo, t_hi = -3.0, 3.0
    nd = inst.nd
    finite = np.isfinite(nd)
    if finite.any():
        t_lo = float(np.min(-1.0 - nd[finite])) - 1.0
        t_hi = float(np.max(-nd[finite])) + 1.0
    tau_var = m.var(t_lo, t_hi, "tau")
    if tau is not None:
        m.fix(tau_var, tau)
    elif not minimise:
        m.cost[tau_var] = 1.0
    f = Formulation(inst, m, x, e, y, alpha, beta, gamma, tau_var, relax=rv)
    for k in soft.settle:
        m.lower[int(y[k])] = 1.0

    def mark(g: Group, var: int, big: float) -> None:
        """Binary ``s`` with ``var <= big * s`` (1 when the concession is used)."""
        if soft.marks:
            s = m.binary(f"mark{g}")
            f.marks[g] = s
            m.row([var, s], [1.0, -big], hi=0.0)

    for g, j in rv.items():
        if soft.marks:
            f.marks[g] = j
    induced: dict[int, list[tuple[int, float]]] = {}
    for j_i, (targets, amount, c) in enumerate(soft.induce):
        zj = m.var(0.0, 1.0, f"z{j_i}")
        f.z.append(zj)
        m.cost[zj] = c * amount
        mark(("inducement", j_i), zj, 1.0)
        for t in targets:
            induced.setdefault(t, []).append((zj, amount))
    for v in st.deciders:
        own: list[Cond] = [(alpha[v], 1)]
        for k in range(n_k):
            if inst.has_limit[v, k]:
                cond = group_cond(("red_line", v, k))
                if cond is not None:
                    defer = rv.get(("defer", v, k))
                    settled_only = inst.separable[v, k] or defer is not None
                    whens = [own + cond + ([(int(y[k]), 1)] if settled_only else [])]
                    if defer is not None:  # binds the status quo unless the actor concedes
                        whens.append(own + cond + [(int(y[k]), 0), (defer, 0)])
                    i, val = high_end(k)
                    dk = None
                    if (v, k) in soft.widen:
                        dk = m.var(-1.0 if soft.signed else 0.0, 1.0, f"delta{v}.{k}")
                        f.delta[v, k] = dk
                        m.cost[dk] = soft.widen[v, k]
                        mark(("red_line", v, k), dk, 1.0)
                    for when in whens:
                        if dk is None:
                            m.row(i, val, lo=float(inst.low[v, k]), when=when)
                            m.row([x[k]], [1.0], hi=float(inst.high[v, k]), when=when)
                        else:
                            m.row([*i, dk], [*val, 1.0], lo=float(inst.low[v, k]), when=when)
                            m.row([x[k], dk], [1.0, -1.0], hi=float(inst.high[v, k]), when=when)
            if inst.requires[v, k]:
                cond = group_cond(("requires", v, k))
                if cond is not None:
                    m.row([y[k]], [1.0], lo=1.0, when=own + cond)
            if inst.refuses[v, k]:
                cond = group_cond(("refuses", v, k))
                if cond is not None:
                    m.row([y[k]], [1.0], hi=0.0, when=own + cond)
        for li, link in enumerate(st.links):
            if link.actor != v:
                continue
            cond = group_cond(("linkage", li))
            if cond is None:
                continue
            lam = m.binary(f"lambda{li}")
            atom_row(negate(link.when), [*own, *cond, (lam, 1)])
            atom_row(link.then, [*own, *cond, (lam, 0)])
        if not np.isfinite(nd[v]):
            continue
        cond = group_cond(("no_deal", v))
        if cond is None:
            continue
        idx, val = [tau_var], [1.0]
        for k in range(n_k):
            w = float(inst.weight[v, k])
            if w <= 0:
                continue
            pos = float(inst.position[v, k])
            dv = m.var(0.0, 1.0, f"d{v}.{k}")
            f.d[v, k] = dv
            m.row([dv, x[k]], [1.0, -1.0], lo=-pos)
            i, vv = high_end(k)
            m.row([dv, *i], [1.0, *vv], lo=pos)
            if inst.loss == "quadratic":
                qv = m.var(0.0, 1.0, f"q{v}.{k}")
                f.q[v, k] = qv
                for d0 in INITIAL_CUTS:
                    f.cut(v, k, d0)
                idx.append(qv)
            else:
                idx.append(dv)
            val.append(w)
        if v in soft.lower_nd:
            ev = m.var(-3.0 if soft.signed else 0.0, 3.0, f"eps{v}")
            f.eps[v] = ev
            m.cost[ev] = soft.lower_nd[v]
            mark(("no_deal", v), ev, 3.0)
            idx.append(ev)
            val.append(-1.0)
        for zj, amount in induced.get(v, []):
            idx.append(zj)
            val.append(-amount)
        m.row(idx, val, hi=-float(nd[v]), when=own + cond)
        f.has_surplus = True
    return f

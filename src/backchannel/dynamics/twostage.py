"""The two-stage programme behind :func:`backchannel.dynamics.stages.find_stages`.

One mixed-integer programme holds two copies of the verdict programme
(:mod:`backchannel.analysis.formulation`, built into one model): the interim stage on the
scenario now, the final stage on the scenario as the interim agreement leaves it (the
``timeline.interim`` block, :class:`~backchannel.scenario.timeline.Interim`):

* interim stage: it settles at least one of the issues an interim agreement may touch,
  within its bounds; every ratifier a ratification needs gains over its no-deal value now;
  agenda demands, refusals, linkage and ratification rules hold; red lines bind the final
  agreement only (``red_lines: final``, the default) or both stages;
* final stage: it settles every issue the interim one settled; its status quo is the
  status quo plus the persisting share of the interim move, ``s1 = s0 + rho (x1 - s0)``,
  and each decider's no-deal value is ``U(s1) + adjustment + trend x months + declared
  effects``. The final stage's no-deal values enter through the ``eps`` shift variables of
  :class:`~backchannel.analysis.formulation.Soft`, tied by equality rows to the first
  stage's package; ``U(s1)`` is made exact by a piecewise-linear interpolation of the loss
  over breakpoints at every decider's ideal point, one segment binary per interval (SOS2;
  exact for linear loss; for quadratic loss an over-estimate refined at each answer, while
  the stages' own losses are outer-approximated by tangent cuts as in
  :meth:`~backchannel.analysis.formulation.Formulation.solve`, until the certified bounds
  meet);
* objective: the smallest surplus over both stages of the ratifiers each needs (max-min),
  then, with that kept, the final stage's margin.

Each answer is certified like :func:`~backchannel.analysis.decide.decide`: both packages
are evaluated with plain arithmetic (:mod:`backchannel.analysis.evaluate`), the final one
against the no-deal values its interim package gives; the lower bound is the smaller
margin, the upper bound the branch-and-bound bound.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backchannel.analysis.evaluate import EDGE, check_package, margin, utilities
from backchannel.analysis.explain import candidate_groups
from backchannel.analysis.formulation import TOL, Formulation, Group, Soft, build
from backchannel.analysis.instance import Instance, make_instance
from backchannel.analysis.milp import Model
from backchannel.analysis.words import Namer
from backchannel.scenario.arrays import BoolArray, FloatArray, ScenarioArrays, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario
from backchannel.scenario.timeline import (
    ChangeError,
    Interim,
    apply_change,
    base_data,
    drift,
    validated,
)

#: rounds of tangent cuts and breakpoints for quadratic loss
MAX_ROUNDS = 40


# -- the problem -----------------------------------------------------------------------
@dataclass(frozen=True)
class TwoStage:
    """Both stages' instances and how the first stage's package moves the second's
    no-deal values (all on the scaled issues of :mod:`backchannel.analysis.instance`)."""

    sc: Scenario
    final_sc: Scenario
    arrays: ScenarioArrays
    final_arrays: ScenarioArrays
    inst1: Instance
    inst2: Instance
    allowed: BoolArray  # issues an interim agreement may settle
    low: FloatArray  # (K,) where it may settle them (scaled)
    high: FloatArray
    rho: FloatArray  # persisting share of the interim move, per issue
    shift: FloatArray  # (N,) declared no-deal shift at the final stage
    per_unit: FloatArray  # (N, K) declared no-deal change per scaled unit of interim move
    sq_based: BoolArray  # (N,) whose no-deal value follows the status quo

    @property
    def loss(self) -> str:
        return self.inst1.loss

    def sigma(self, x1: FloatArray) -> FloatArray:
        """The final stage's status quo given the interim package (scaled)."""
        return np.asarray(self.inst2.sq + self.rho * (x1 - self.inst1.sq))

    def final_no_deal(self, x1: FloatArray) -> FloatArray:
        """Each decider's no-deal value at the final stage after interim package ``x1``,
        in plain arithmetic."""
        zero = np.zeros_like(x1)
        moved = utilities(self.inst2, self.sigma(x1), zero) - utilities(
            self.inst2, self.inst2.sq, zero
        )
        nd = self.inst2.nd + np.where(self.sq_based, moved, 0.0)
        return np.asarray(nd + self.shift + self.per_unit @ (x1 - self.inst1.sq))

    def grid(self, k: int) -> list[float]:
        """Initial breakpoints of the final stage's status quo on issue ``k``: the ends of
        its range and every decider's ideal point inside it."""
        sq1, sq2 = float(self.inst1.sq[k]), float(self.inst2.sq[k])
        ends = sorted(sq2 + float(self.rho[k]) * (e - sq1) for e in (0.0, 1.0))
        pts = {ends[0], ends[1]}
        for v in self.inst2.structure.deciders:
            p = float(self.inst2.position[v, k])
            if ends[0] < p < ends[1]:
                pts.add(p)
        return sorted(pts)


def _loss(d: float, loss: str) -> float:
    return d * d if loss == "quadratic" else abs(d)


def two_stage(sc: Scenario) -> TwoStage:
    """Both stages of ``sc`` (its ``timeline.interim`` block, or an interim agreement
    without declared effects)."""
    it = sc.timeline.interim if sc.timeline is not None else None
    it = it or Interim()
    arrays = to_arrays(sc)
    if not arrays.veto_players:
        raise InputError(
            "no party holds a veto, so there is no deal to stage",
            source=sc.name,
            fix="mark the parties to the deal as states (or organisations) with `veto: true`",
        )
    inst0 = make_instance(arrays, sc.loss)
    missing = [sc.issues[k].id for k in np.flatnonzero(np.isnan(inst0.sq))]
    if missing:
        raise InputError(
            f"staged agreements need a status quo on every issue; missing on {missing}",
            source=sc.name,
            fix="give each issue a `status_quo` (an interim agreement moves it)",
        )
    final_sc = final_scenario(sc, it)
    final_arrays = to_arrays(final_sc)
    if final_arrays.actor_ids != arrays.actor_ids or final_arrays.issue_ids != arrays.issue_ids:
        raise InputError(
            "the interim effects change the scenario's actors or issues",
            source=sc.name,
            where="timeline.interim.effects",
            fix="effects may change inputs, not add or remove actors and issues",
        )
    inst2 = make_instance(final_arrays, sc.loss)
    inst1 = (
        inst0
        if it.red_lines == "both"
        else replace(inst0, has_limit=np.zeros_like(inst0.has_limit))
    )
    ids = list(arrays.issue_ids)
    allowed = np.array([it.issues is None or i in it.issues for i in ids])
    bounds = np.array(
        [it.bounds.get(i, (lo, hi)) for i, lo, hi in zip(ids, arrays.lo, arrays.hi, strict=True)]
    )
    low, high = inst0.from_scale(bounds[:, 0]), inst0.from_scale(bounds[:, 1])
    rho = np.array([it.persists.get(i, 1.0) for i in ids])
    n, k = inst0.position.shape
    shift, per_unit = np.zeros(n), np.zeros((n, k))
    for eff in it.effects:
        if eff.actor is None:
            continue
        v = arrays.index(eff.actor)
        shift[v] += eff.no_deal
        for iid, per in eff.per_unit.items():
            j = ids.index(iid)
            per_unit[v, j] += per * float(inst0.span[j])
    sq_based = np.isnan(np.asarray(final_arrays.no_deal, dtype=float))
    return TwoStage(
        sc,
        final_sc,
        arrays,
        final_arrays,
        inst1,
        inst2,
        allowed,
        low,
        high,
        rho,
        shift,
        per_unit,
        sq_based,
    )


def final_scenario(sc: Scenario, it: Interim) -> Scenario:
    """The scenario at the final stage before the interim package's own effect: the
    declared ``set`` effects applied, then each actor's trend over ``months``."""
    base = base_data(sc)
    data = copy.deepcopy(base)
    try:
        for eff in it.effects:
            apply_change(data, eff, base)
        return drifted(data, it.months)
    except ChangeError as exc:
        raise InputError(
            f"the interim effects give an invalid scenario: {exc.message}",
            source=sc.name,
            where="timeline.interim.effects",
            fix=exc.fix or "correct the effects",
        ) from None


def drifted(data: dict[str, Any], months: float) -> Scenario:
    trends: dict[str, float] = {}
    for a in data["actors"]:
        t = a.get("no_deal", {}).get("trend")
        trends[a["id"]] = float(t.get("value", 0.0) if isinstance(t, dict) else t or 0.0)
    drift(data, {aid: t * months for aid, t in trends.items()})
    return validated(data)


# -- the joint programme ---------------------------------------------------------------
@dataclass
class _Programme:
    model: Model
    f1: Formulation
    f2: Formulation
    lam: dict[int, list[int]]


def _programme(
    p: TwoStage,
    grids: Mapping[int, list[float]],
    cuts: tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]],
    *,
    relax: dict[Group, float] | None = None,
    exclude: tuple[tuple[bool, ...], ...] = (),
    final: bool = True,
    floor: float | None = None,
    final_floor: float | None = None,
) -> _Programme:
    """Both stages in one model (see the module docstring); ``final=False``: the interim
    stage alone; ``relax``: constraint groups of the last stage that may be dropped at a
    cost (objective: least cost, every stage feasible); ``floor``: keep the smaller margin
    at least this and maximise the final stage's margin instead; ``final_floor`` too: keep
    the final stage's margin at least that and settle the fewest issues in the first step."""
    m = Model()
    fixed = -TOL if relax is not None else None
    alone = None if final else relax
    f1 = build(p.inst1, model=m, tau=fixed, relax=alone, fix_forced=alone is None, presolve=False)
    deciders = [v for v in p.inst2.structure.deciders if np.isfinite(p.inst2.nd[v])]
    f2 = f1
    lam: dict[int, list[int]] = {}
    y1 = [int(j) for j in f1.y]
    for k in np.flatnonzero(~p.allowed).tolist():
        m.fix(y1[k], 0)
    m.row(y1, [1.0] * len(y1), lo=1.0)
    _scope(p, m, f1)
    for pattern in exclude:  # another interim agenda than these
        m.row(y1, [-1.0 if on else 1.0 for on in pattern], lo=1.0 - sum(pattern))
    if final:
        f2 = build(
            p.inst2,
            model=m,
            tau=fixed,
            relax=relax,
            fix_forced=relax is None,
            soft=Soft(lower_nd=dict.fromkeys(deciders, 0.0), signed=True),
            presolve=False,
        )
        for i in range(p.inst1.n_issues):
            m.row([int(f2.y[i]), y1[i]], [1.0, -1.0], lo=0.0)
        _couple(p, m, f1, f2, grids, lam)
    for f, cut in zip((f1, f2), cuts, strict=False):
        for v, k, d0 in cut:
            f.cut(v, k, d0)
    m.cost = [0.0] * m.n_vars
    if relax is not None:
        for g, j in f2.relax.items():  # f2 is f1 when the interim stage is alone
            m.cost[j] = relax[g]
        m.maximize = False
    else:
        t = m.var(-4.0, 4.0, "t")
        m.cost[t if floor is None else f2.tau] = 1.0
        m.maximize = True
        for f in {id(f1): f1, id(f2): f2}.values():
            m.row([t, f.tau], [1.0, -1.0], hi=0.0)
        if floor is not None:
            m.lower[t] = floor
        if final_floor is not None:
            m.lower[f2.tau] = final_floor
            m.cost = [0.0] * m.n_vars
            for j in y1:
                m.cost[j] = 1.0
            m.maximize = False
    return _Programme(m, f1, f2, lam)


def _scope(p: TwoStage, m: Model, f1: Formulation) -> None:
    """Where the interim agreement may settle each issue (``interim.bounds``)."""
    for k in range(p.inst1.n_issues):
        if p.low[k] > 0 or p.high[k] < 1:
            cond = [(int(f1.y[k]), 1)]
            m.row([int(f1.x[k])], [1.0], lo=float(p.low[k]), when=cond)
            ends = [int(f1.x[k])] + ([int(f1.e[k])] if f1.e[k] >= 0 else [])
            m.row(ends, [1.0] * len(ends), hi=float(p.high[k]), when=cond)


def _couple(
    p: TwoStage,
    m: Model,
    f1: Formulation,
    f2: Formulation,
    grids: Mapping[int, list[float]],
    lam: dict[int, list[int]],
) -> None:
    """The final stage's no-deal values as functions of the interim package:
    ``eps_v = nd2_v - ND2_v(x1)`` (``eps``: the final stage's no-deal shift variables)."""
    inst1, inst2 = p.inst1, p.inst2
    for k, grid in grids.items():
        lk = [m.var(0.0, 1.0, f"lambda{k}.{j}") for j in range(len(grid))]
        seg = [m.binary(f"seg{k}.{j}") for j in range(len(grid) - 1)]
        m.row(lk, [1.0] * len(lk), lo=1.0, hi=1.0)
        m.row(seg, [1.0] * len(seg), lo=1.0, hi=1.0)
        for j, lj in enumerate(lk):  # SOS2: only the two ends of the chosen segment
            near = [seg[i] for i in (j - 1, j) if 0 <= i < len(seg)]
            m.row([lj, *near], [1.0] + [-1.0] * len(near), hi=0.0)
        c = float(inst2.sq[k] - p.rho[k] * inst1.sq[k])
        m.row([*lk, int(f1.x[k])], [*grid, -float(p.rho[k])], lo=c, hi=c)
        lam[k] = lk
    for v, ev in f2.eps.items():
        idx, val = [ev], [1.0]
        rhs = -float(p.shift[v]) + float(p.per_unit[v] @ inst1.sq)
        for k in range(inst1.n_issues):
            if p.per_unit[v, k]:
                idx.append(int(f1.x[k]))
                val.append(float(p.per_unit[v, k]))
        if p.sq_based[v]:
            for k, lk in lam.items():
                w, pos = float(inst2.weight[v, k]), float(inst2.position[v, k])
                if w <= 0:
                    continue
                for lj, b in zip(lk, grids[k], strict=True):
                    idx.append(lj)
                    val.append(-w * _loss(b - pos, p.loss))
                rhs -= w * _loss(float(inst2.sq[k]) - pos, p.loss)
        m.row(idx, val, lo=rhs, hi=rhs)


# -- solving and certifying ------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    x1: FloatArray
    e1: FloatArray
    y1: BoolArray
    x2: FloatArray
    e2: FloatArray
    y2: BoolArray
    m1: float
    m2: float
    nd2: FloatArray
    upper: float
    surplus1: FloatArray
    surplus2: FloatArray

    @property
    def lower(self) -> float:
        return min(self.m1, self.m2)


def _certify(p: TwoStage, prog: _Programme, z: FloatArray, upper: float) -> Answer:
    """Evaluate both packages of solution ``z`` with plain arithmetic."""
    x1, e1, y1 = prog.f1.package(z)
    x2, e2, y2 = prog.f2.package(z)
    c1 = check_package(p.inst1, x1, e1, y1)
    nd2 = p.final_no_deal(x1)
    s1 = p.sigma(x1)
    inst2 = replace(p.inst2, sq=s1, sq0=s1, nd=nd2)
    c2 = check_package(inst2, x2, e2, y2)
    m2 = margin(inst2, c2) if bool(np.all(y2 | ~y1)) else -np.inf
    m1 = margin(p.inst1, c1)
    settled = y1.astype(bool)
    outside = (x1 < p.low - EDGE) | (x1 + e1 > p.high + EDGE)
    if np.any(settled & outside):
        m1 = -np.inf
    return Answer(x1, e1, y1, x2, e2, y2, m1, m2, nd2, upper, c1.surplus, c2.surplus)


def _tangents(f: Formulation, z: FloatArray) -> list[tuple[int, int, float]]:
    """Tangent points where the outer approximation of ``d^2`` is loose at ``z``."""
    out = []
    for (v, k), qv in f.q.items():
        d = float(z[f.d[v, k]])
        if z[qv] < d * d - 1e-12:
            out.append((v, k, d))
    return out


def solve(p: TwoStage, exclude: tuple[tuple[bool, ...], ...] = ()) -> tuple[Answer | None, str]:
    """The best path whose interim agenda is none of ``exclude`` (None: none exists): the
    largest smallest margin over both stages, then the largest final-stage margin."""
    grids = {k: p.grid(k) for k in range(p.inst1.n_issues) if p.rho[k] > 0}
    cuts: tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]] = ([], [])
    best: Answer | None = None
    for _ in range(MAX_ROUNDS):
        prog = _programme(p, grids, cuts, exclude=exclude)
        sol = prog.model.solve()
        if sol.infeasible:
            return None, "HiGHS: the hard constraints admit no pair of agreements"
        if not sol.optimal:
            raise RuntimeError(f"the staged programme was not solved: {sol.status}")
        ans = _certify(p, prog, sol.x, min(sol.bound, best.upper if best else np.inf))
        if best is None or ans.lower > best.lower:
            best = ans
        best = replace(best, upper=ans.upper)
        if p.loss == "linear" or best.upper - best.lower <= TOL / 10:
            break
        new = (_tangents(prog.f1, sol.x), _tangents(prog.f2, sol.x))
        cuts = (cuts[0] + new[0], cuts[1] + new[1])
        added = bool(new[0] or new[1])
        sigma = p.sigma(ans.x1)
        for k, grid in grids.items():
            if min(abs(b - sigma[k]) for b in grid) > 1e-9:
                grid.append(float(sigma[k]))
                grid.sort()
                added = True
        if not added:
            break
    assert best is not None
    if status_of(best) == "deal":
        # then the best final agreement after such a first step, then the smallest step
        for final_floor in (None, True):
            floor2 = None if final_floor is None else best.m2 - TOL / 10
            prog = _programme(
                p, grids, cuts, exclude=exclude, floor=best.lower - 1e-9, final_floor=floor2
            )
            sol = prog.model.solve()
            if sol.optimal:
                ans = _certify(p, prog, sol.x, best.upper)
                if ans.lower >= best.lower - TOL / 10 and ans.m2 >= best.m2 - TOL / 10:
                    best = ans
    certificate = "branch-and-bound bound (HiGHS, gap 0); packages checked in plain arithmetic"
    if p.loss == "quadratic":
        certificate += (
            "; quadratic loss by tangent cuts and a piecewise-linear over-estimate of the "
            "final stage's status-quo utility, refined until the bounds meet"
        )
    return best, certificate


def moved(p: TwoStage, ans: Answer) -> frozenset[int]:
    """The issues an interim package moves from their status quo."""
    return frozenset(np.flatnonzero(ans.y1 & (np.abs(ans.x1 - p.inst1.sq) > 1e-6)).tolist())


def status_of(ans: Answer) -> str:
    if ans.lower > TOL:
        return "deal"
    if ans.upper < -TOL:
        return "no_deal"
    return "razor_thin"


# -- explanations ----------------------------------------------------------------------
def blocking(p: TwoStage, final: bool) -> list[str]:
    """The fewest constraints that must give way for any interim agreement (``final``
    False) or for a final one after the best interim agreement (True), in words."""
    inst = p.inst2 if final else p.inst1
    cost = {g: 1.0 + 1e-3 * w for g, w in candidate_groups(inst).items()}
    grids = {k: p.grid(k) for k in range(p.inst1.n_issues) if p.rho[k] > 0 and final}
    prog = _programme(p, grids, ([], []), relax=cost, final=final)
    names = Namer(p.final_sc, p.final_arrays, inst) if final else Namer(p.sc, p.arrays, inst)
    sol = prog.model.solve()
    if not sol.optimal:
        return []
    return [names.text(g) for g, j in prog.f2.relax.items() if sol.x[j] > 0.5]


def interim_possible(p: TwoStage) -> bool:
    """Whether some interim agreement alone is acceptable now."""
    prog = _programme(p, {}, ([], []), final=False)
    sol = prog.model.solve()
    if not sol.optimal:
        return False
    x1, e1, y1 = prog.f1.package(sol.x)
    return bool(margin(p.inst1, check_package(p.inst1, x1, e1, y1)) >= -TOL)

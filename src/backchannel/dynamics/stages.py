"""Staged agreements: an interim deal now that makes a comprehensive deal feasible next.

Interim agreements ("less for less": a partial package, a freeze for limited relief) are
how adversaries who cannot agree on everything at once build the trust and change the
facts that a final agreement needs: reassurance by costly, verifiable steps (Kydd 2000,
"Trust, reassurance, and cooperation", *International Organization* 54(2); Osgood 1962,
*An Alternative to War or Surrender*, graduated reciprocation), step-by-step diplomacy
that creates a way out of a hurting stalemate (Zartman 2000, "Ripeness"), and the Joint
Plan of Action of November 2013 that preceded the JCPOA. Whether a first step helps is a
question about what it changes; :func:`find_stages` answers it exactly for two stages.

**The programme.** One mixed-integer programme holds two copies of the verdict programme
(:mod:`backchannel.analysis.formulation`): the interim stage on the scenario now, the
final stage on the scenario as the interim agreement leaves it (the ``timeline.interim``
block, :class:`~backchannel.scenario.timeline.Interim`):

* interim stage: it settles at least one of the issues an interim agreement may touch;
  every ratifier a ratification needs gains over its no-deal value now; agenda demands,
  refusals, linkage and ratification rules hold; red lines bind the final agreement only
  (``red_lines: final``, the default) or both stages;
* final stage: it settles every issue the interim one settled; its status quo is the
  status quo plus the persisting share of the interim move, ``s1 = s0 + rho (x1 - s0)``,
  and each decider's no-deal value is ``U(s1) + adjustment + trend x months + declared
  effects``, in which ``U(s1)`` is made exact by a piecewise-linear interpolation of the
  loss over breakpoints at every decider's ideal point (exact for linear loss; for
  quadratic loss an over-estimate refined at each answer, while the stages' own losses
  are outer-approximated by tangent cuts as in :meth:`Formulation.solve`, until the
  certified bounds meet);
* objective: the smallest surplus over both stages of the ratifiers each needs
  (max-min), so paths are ranked by the worst-off ratifier's surplus.

Each answer is certified like :func:`~backchannel.analysis.decide.decide`: both packages
are evaluated with plain arithmetic (:mod:`backchannel.analysis.evaluate`), the final one
against the no-deal values its interim package gives; the lower bound is the smaller
margin, the upper bound the branch-and-bound bound. Alternatives: the best path for each
other interim agenda, by excluding the agendas already found.

**When no sequence helps.** If the scenario declares no effect (every ``persists`` is 1,
no ``effects``, ``months`` 0) and no ratifier's no-deal adjustment is negative, a final
agreement reached after an interim one is acceptable in one stage (transitivity:
``U(x2) >= U(x1) + a >= U(s0) + 2a >= U(s0) + a`` for ``a >= 0``; red lines, agenda,
linkage and rules bind the final package either way), so an interim agreement can only
help through what it is declared to change, or by making a no-deal cost count again at
the final stage. Otherwise the answer says what blocks: the interim stage itself (the
fewest constraints that would have to give way for any interim agreement) or the final
stage even after the best interim agreement (likewise).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
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
#: interim agendas tried at most (alternatives included)
MAX_ALTERNATIVES = 10


@dataclass(frozen=True)
class Stage:
    """One stage's agreement: the issues it settles and where (on their scales), the
    certified margin (the worst-off required ratifier's surplus), each decider's surplus
    and no-deal value at that stage."""

    agenda: tuple[str, ...]
    point: dict[str, float]
    margin: float
    surplus: dict[str, float | None]
    no_deal: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agenda": list(self.agenda),
            "point": self.point,
            "margin": _f(self.margin),
            "surplus": self.surplus,
            "no_deal": self.no_deal,
        }


@dataclass(frozen=True)
class StagedPath:
    """An interim agreement and the final agreement it makes possible. ``margin``: the
    smaller of the two stages' certified margins; ``upper``: the programme's bound."""

    interim: Stage
    final: Stage
    status_quo_after: dict[str, float]
    margin: float
    upper: float
    status: str  # deal | no_deal | razor_thin

    def to_dict(self) -> dict[str, Any]:
        return {
            "interim": self.interim.to_dict(),
            "final": self.final.to_dict(),
            "status_quo_after": self.status_quo_after,
            "margin": _f(self.margin),
            "upper": _f(self.upper),
            "status": self.status,
        }


@dataclass(frozen=True)
class StagesResult:
    """What :func:`find_stages` found (``to_dict`` gives the JSON)."""

    scenario: str
    loss: str
    now: dict[str, Any]
    after_waiting: dict[str, Any] | None
    paths: tuple[StagedPath, ...]
    helps: bool
    verdict: str
    why: tuple[str, ...]
    declared: dict[str, Any]
    certificate: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "loss": self.loss,
            "helps": self.helps,
            "verdict": self.verdict,
            "why": list(self.why),
            "now": self.now,
            "after_waiting": self.after_waiting,
            "paths": [p.to_dict() for p in self.paths],
            "declared": self.declared,
            "certificate": self.certificate,
        }


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


# -- the problem -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Problem:
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


def _problem(sc: Scenario) -> _Problem:
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
    final_sc = _final_scenario(sc, it)
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
    return _Problem(
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


def _final_scenario(sc: Scenario, it: Interim) -> Scenario:
    """The scenario at the final stage before the interim package's own effect: the
    declared ``set`` effects applied, then each actor's trend over ``months``."""
    base = base_data(sc)
    data = copy.deepcopy(base)
    try:
        for eff in it.effects:
            apply_change(data, eff, base)
        return _drifted(data, it.months)
    except ChangeError as exc:
        raise InputError(
            f"the interim effects give an invalid scenario: {exc.message}",
            source=sc.name,
            where="timeline.interim.effects",
            fix=exc.fix or "correct the effects",
        ) from None


def _drifted(data: dict[str, Any], months: float) -> Scenario:
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
    p: _Problem,
    grids: Mapping[int, list[float]],
    cuts: tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]],
    *,
    relax: dict[Group, float] | None = None,
    exclude: tuple[tuple[bool, ...], ...] = (),
    final: bool = True,
    floor: float | None = None,
) -> _Programme:
    """Both stages in one model (see the module docstring); ``relax``: constraint groups
    of the final stage that may be dropped at a cost (objective: least cost, both stages
    feasible); ``final=False``: the interim stage alone; ``floor``: keep the smaller
    margin at least this and maximise the final stage's margin instead."""
    m = Model()
    fixed = -TOL if relax is not None else None
    f1 = build(p.inst1, model=m, tau=fixed if final else None)
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
        )
        for i in range(p.inst1.n_issues):
            m.row([int(f2.y[i]), y1[i]], [1.0, -1.0], lo=0.0)
        _couple(p, m, f1, f2, grids, lam)
    for f, cut in zip((f1, f2), cuts, strict=False):
        for v, k, d0 in cut:
            f.cut(v, k, d0)
    m.cost = [0.0] * m.n_vars
    if relax is not None:
        for g, j in f2.relax.items():
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
    return _Programme(m, f1, f2, lam)


def _scope(p: _Problem, m: Model, f1: Formulation) -> None:
    """Where the interim agreement may settle each issue (``interim.bounds``)."""
    for k in range(p.inst1.n_issues):
        if p.low[k] > 0 or p.high[k] < 1:
            cond = [(int(f1.y[k]), 1)]
            m.row([int(f1.x[k])], [1.0], lo=float(p.low[k]), when=cond)
            ends = [int(f1.x[k])] + ([int(f1.e[k])] if f1.e[k] >= 0 else [])
            m.row(ends, [1.0] * len(ends), hi=float(p.high[k]), when=cond)


def _couple(
    p: _Problem,
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
class _Answer:
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


def _certify(p: _Problem, prog: _Programme, z: FloatArray, upper: float) -> _Answer:
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
    return _Answer(x1, e1, y1, x2, e2, y2, m1, m2, nd2, upper, c1.surplus, c2.surplus)


def _tangents(f: Formulation, z: FloatArray) -> list[tuple[int, int, float]]:
    """Tangent points where the outer approximation of ``d^2`` is loose at ``z``."""
    out = []
    for (v, k), qv in f.q.items():
        d = float(z[f.d[v, k]])
        if z[qv] < d * d - 1e-12:
            out.append((v, k, d))
    return out


def _solve(p: _Problem, exclude: tuple[tuple[bool, ...], ...] = ()) -> tuple[_Answer | None, str]:
    """The best path whose interim agenda is none of ``exclude`` (None: none exists): the
    largest smallest margin over both stages, then the largest final-stage margin."""
    grids = {k: p.grid(k) for k in range(p.inst1.n_issues) if p.rho[k] > 0}
    cuts: tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]] = ([], [])
    best: _Answer | None = None
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
    if _status(best) == "deal":  # then the best final agreement after such an interim one
        prog = _programme(p, grids, cuts, exclude=exclude, floor=best.lower - 1e-9)
        sol = prog.model.solve()
        if sol.optimal:
            ans = _certify(p, prog, sol.x, best.upper)
            if ans.lower >= best.lower - TOL / 10 and ans.m2 > best.m2:
                best = ans
    certificate = "branch-and-bound bound (HiGHS, gap 0); packages checked in plain arithmetic"
    if p.loss == "quadratic":
        certificate += (
            "; quadratic loss by tangent cuts and a piecewise-linear over-estimate of the "
            "final stage's status-quo utility, refined until the bounds meet"
        )
    return best, certificate


def _moved(p: _Problem, ans: _Answer) -> frozenset[int]:
    """The issues an interim package moves from their status quo."""
    return frozenset(np.flatnonzero(ans.y1 & (np.abs(ans.x1 - p.inst1.sq) > 1e-6)).tolist())


def _status(ans: _Answer) -> str:
    if ans.lower > TOL:
        return "deal"
    if ans.upper < -TOL:
        return "no_deal"
    return "razor_thin"


def _stage(
    p: _Problem, inst: Instance, x: FloatArray, settled: BoolArray, m: float, surplus: FloatArray
) -> Stage:
    ids = p.arrays.issue_ids
    scaled = inst.to_scale(x)
    deciders = inst.structure.deciders
    return Stage(
        agenda=tuple(ids[k] for k in np.flatnonzero(settled)),
        point={ids[k]: float(scaled[k]) for k in np.flatnonzero(settled)},
        margin=m,
        surplus={p.arrays.actor_ids[v]: _f(float(surplus[v])) for v in deciders},
        no_deal={p.arrays.actor_ids[v]: _f(float(inst.nd[v])) for v in deciders},
    )


def _path(p: _Problem, ans: _Answer) -> StagedPath:
    inst2 = replace(p.inst2, nd=ans.nd2)
    s1 = p.inst2.to_scale(p.sigma(ans.x1))
    return StagedPath(
        interim=_stage(p, p.inst1, ans.x1, ans.y1, ans.m1, ans.surplus1),
        final=_stage(p, inst2, ans.x2, ans.y2, ans.m2, ans.surplus2),
        status_quo_after={i: float(v) for i, v in zip(p.arrays.issue_ids, s1, strict=True)},
        margin=ans.lower,
        upper=ans.upper,
        status=_status(ans),
    )


# -- explanations ----------------------------------------------------------------------
def _blocking(p: _Problem, final: bool) -> list[str]:
    """The fewest constraints that must give way for any interim agreement (``final``
    False) or for a final one after the best interim agreement (True), in words."""
    inst = p.inst2 if final else p.inst1
    cost = {g: 1.0 + 1e-3 * w for g, w in candidate_groups(inst).items()}
    grids = {k: p.grid(k) for k in range(p.inst1.n_issues) if p.rho[k] > 0}
    if final:
        prog = _programme(p, grids, ([], []), relax=cost)
        relaxed = prog.f2.relax
        names = Namer(p.final_sc, p.final_arrays, p.inst2)
    else:  # the interim stage alone, with its own constraints relaxable
        m = Model()
        f1 = build(inst, model=m, relax=cost, tau=-TOL, fix_forced=False)
        y1 = [int(j) for j in f1.y]
        for k in np.flatnonzero(~p.allowed).tolist():
            m.fix(y1[k], 0)
        m.row(y1, [1.0] * len(y1), lo=1.0)
        _scope(p, m, f1)
        prog = _Programme(m, f1, f1, {})
        relaxed = f1.relax
        names = Namer(p.sc, p.arrays, inst)
    sol = prog.model.solve()
    if not sol.optimal:
        return []
    return [names.text(g) for g, j in relaxed.items() if sol.x[j] > 0.5]


def _transitive(p: _Problem, it: Interim) -> bool:
    """The conditions under which an interim agreement cannot help (module docstring)."""
    adj = np.asarray(p.arrays.no_deal_adjustment)[list(p.inst1.structure.deciders)]
    return bool(not it.effects and it.months == 0 and np.all(p.rho == 1.0) and np.all(adj >= 0))


def _single(inst: Instance, ids: tuple[str, ...]) -> tuple[Decision, dict[str, Any]]:
    d = decide(inst)
    point = None
    if np.isfinite(d.x).all():
        point = {ids[k]: float(d.x[k]) for k in np.flatnonzero(d.settled)}
    return d, {
        "deal_possible": d.deal_possible,
        "status": d.status,
        "margin": _f(d.slack),
        "point": point,
    }


def find_stages(scenario: Scenario, *, alternatives: int = 3) -> StagesResult:
    """Interim agreements that make a comprehensive agreement feasible at the next stage,
    best first (see the module docstring); ``alternatives``: how many interim agendas to
    report at most."""
    if not 1 <= alternatives <= MAX_ALTERNATIVES:
        raise InputError(
            f"alternatives must be between 1 and {MAX_ALTERNATIVES}, got {alternatives}",
            source="--alternatives",
            fix="e.g. --alternatives 3",
        )
    it = scenario.timeline.interim if scenario.timeline is not None else None
    it = it or Interim()
    p = _problem(scenario)
    ids = p.arrays.issue_ids
    now_d, now = _single(make_instance(p.arrays, scenario.loss), ids)
    after = None
    if it.months > 0:
        waited = _drifted(base_data(scenario), it.months)
        _, after = _single(make_instance(to_arrays(waited), scenario.loss), ids)
        after["months"] = it.months
    best, certificate = _solve(p)
    paths: list[StagedPath] = []
    if best is not None:
        paths.append(_path(p, best))
        seen = [tuple(bool(b) for b in best.y1)]
        moved = [_moved(p, best)]
        tries = 0
        while len(paths) < alternatives and paths[-1].status == "deal" and tries < MAX_ALTERNATIVES:
            tries += 1
            ans, _ = _solve(p, exclude=tuple(seen))
            if ans is None or _status(ans) != "deal":
                break
            seen.append(tuple(bool(b) for b in ans.y1))
            if _moved(p, ans) not in moved:  # another agenda that moves the same issues is
                moved.append(_moved(p, ans))  # the same first step
                paths.append(_path(p, ans))
    feasible = [q for q in paths if q.status == "deal"]
    helps = bool(feasible) and not now_d.deal_possible
    why: list[str] = []
    if now_d.deal_possible:
        verdict = (
            f"A deal is feasible now in one stage (margin {now_d.slack:.3f}): no interim "
            "agreement is needed."
        )
        if feasible and feasible[0].margin > now_d.slack + TOL:
            verdict += (
                f" An interim agreement first would raise the worst-off ratifier's margin to "
                f"{feasible[0].margin:.3f}."
            )
    elif feasible:
        first = feasible[0]
        verdict = (
            "No deal is feasible now, but an interim agreement settling "
            f"{', '.join(first.interim.agenda)} makes a comprehensive one feasible at the next "
            f"stage (worst-off ratifier's margin {first.margin:.3f})."
        )
    else:
        verdict = "No sequence of an interim and a final agreement makes a deal feasible."
        stage1 = _solve_interim(p)
        if not stage1:
            blocked = _blocking(p, final=False)
            text = "No interim agreement is acceptable now to every ratifier it needs"
            if blocked:
                text += ": one opens only if all of these give way: " + "; ".join(blocked)
            why.append(text + ".")
        else:
            if _transitive(p, it):
                why.append(
                    "The scenario declares nothing an interim agreement changes (no effects, "
                    "no reversible moves, no months between the stages) and no ratifier's "
                    "no-deal adjustment is negative: any final agreement reached after an "
                    "interim one would be acceptable in one stage, and there is none."
                )
            blocked = _blocking(p, final=True)
            if blocked:
                why.append(
                    "Even after the best interim agreement, a final one opens only if all of "
                    "these give way: " + "; ".join(blocked) + "."
                )
    if after is not None and after["deal_possible"] and not now_d.deal_possible:
        why.append(
            f"Waiting {it.months:g} months without an interim agreement would open a deal "
            "too (the actors' trends)."
        )
    return StagesResult(
        scenario=scenario.name,
        loss=scenario.loss,
        now=now,
        after_waiting=after,
        paths=tuple(paths),
        helps=helps,
        verdict=verdict,
        why=tuple(why),
        declared=it.model_dump(mode="json", exclude_none=True),
        certificate=certificate,
    )


def _solve_interim(p: _Problem) -> bool:
    """Whether some interim agreement alone is acceptable now."""
    prog = _programme(p, {}, ([], []), final=False)
    sol = prog.model.solve()
    if not sol.optimal:
        return False
    x1, e1, y1 = prog.f1.package(sol.x)
    return bool(margin(p.inst1, check_package(p.inst1, x1, e1, y1)) >= -TOL)


def final_stage_scenario(scenario: Scenario, path: StagedPath) -> Scenario:
    """The scenario as ``path``'s interim agreement leaves it for the final stage: the
    declared effects and trends applied, the status quo moved to
    ``path.status_quo_after`` and each decider's no-deal value shifted as the effects
    declare. ``analyze`` of it is the final stage's verdict (its best final agreement may
    also defer an issue the interim one settled, so its margin is at least the path's)."""
    it = scenario.timeline.interim if scenario.timeline is not None else None
    it = it or Interim()
    base = base_data(scenario)
    data = copy.deepcopy(base)
    for eff in it.effects:
        apply_change(data, eff, base)
    for issue in data["issues"]:
        issue["status_quo"] = {"value": path.status_quo_after[issue["id"]]}
    moved = {i: path.interim.point.get(i, q) for i, q in _status_quo(scenario).items()}
    shifts: dict[str, float] = {}
    for eff in it.effects:
        if eff.actor is not None:
            delta = sum(
                per * (moved[i] - _status_quo(scenario)[i]) for i, per in eff.per_unit.items()
            )
            shifts[eff.actor] = shifts.get(eff.actor, 0.0) + eff.no_deal + delta
    drift(data, shifts)
    return _drifted(data, it.months)


def _status_quo(scenario: Scenario) -> dict[str, float]:
    return {i.id: i.status_quo.value for i in scenario.issues if i.status_quo is not None}

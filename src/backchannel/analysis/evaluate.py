"""A package judged with plain arithmetic: who accepts it, which bodies pass, by how much.

This is the independent check of every solver answer (a "deal" verdict is certified by
evaluating its package here, never by the solver's objective) and the core of
``backchannel evaluate`` (a concrete plan put to the vote). Everything is on the scaled
issues of :mod:`.instance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backchannel.analysis.instance import Instance
from backchannel.scenario.arrays import BoolArray, FloatArray
from backchannel.scenario.structure import AtomSpec

#: slack allowed on red lines and linkage thresholds ([0, 1] scale)
EDGE = 1e-9

Group = tuple[object, ...]


@dataclass(frozen=True)
class PackageCheck:
    """Each decider's view of a package: ``surplus`` (N,) (+inf: no no-deal value; NaN:
    not a decider) and the constraints of its own that the package breaks."""

    x: FloatArray
    e: FloatArray
    settled: BoolArray
    surplus: FloatArray
    broken: dict[int, tuple[Group, ...]]

    def own_ok(self, v: int) -> bool:
        return not self.broken.get(v)


@dataclass(frozen=True)
class BodyVote:
    body: int
    support: float  # share of the weight accepting
    needed: float
    strict: bool
    yes: tuple[int, ...]
    no: tuple[int, ...]
    passes: bool


@dataclass(frozen=True)
class Ratified:
    deal: bool
    units: dict[int, bool]
    bodies: tuple[BodyVote, ...]


def distance(inst: Instance, x: FloatArray, e: FloatArray) -> FloatArray:
    """(N, K) distance from each ideal point to the reading interval ``[x, x + e]`` (0 for
    actors without a position: they are not deciders)."""
    p = inst.pos0
    return np.asarray(np.maximum(0.0, np.maximum(x - p, p - (x + e))))


def utilities(inst: Instance, x: FloatArray, e: FloatArray) -> FloatArray:
    d = distance(inst, x, e)
    if inst.loss == "quadratic":
        d = d * d
    return np.asarray(-(inst.weight * d).sum(axis=1))


def atom_holds(
    inst: Instance, a: AtomSpec, x: FloatArray, e: FloatArray, settled: BoolArray
) -> bool:
    k = a.issue
    if a.kind == "settled":
        return bool(settled[k])
    if a.kind == "deferred":
        return not settled[k]
    v = inst.link_value[a.slot]
    if a.kind == "at_least":
        return bool(x[k] >= v - EDGE)
    return bool(x[k] + e[k] <= v + EDGE)


def check_package(inst: Instance, x: FloatArray, e: FloatArray, settled: BoolArray) -> PackageCheck:
    """Check every decider's own constraints and surplus at a package (scaled)."""
    st = inst.structure
    x = np.where(settled | np.isnan(inst.sq), x, inst.sq0)
    e = np.where(settled, e, 0.0)
    u = utilities(inst, x, e)
    dec = np.asarray(st.deciders, dtype=int)
    surplus = np.full(inst.position.shape[0], np.nan)
    nd = inst.nd[dec]
    surplus[dec] = np.where(np.isfinite(nd), u[dec] - nd, np.inf)
    # every decider's broken constraints at once (N, K), then listed per decider
    binds = inst.has_limit & (settled[None, :] | ~inst.separable)
    outside = (x + e < inst.low - EDGE) | (x > inst.high + EDGE)
    red = binds & outside
    req = inst.requires & ~settled[None, :]
    ref = inst.refuses & settled[None, :]
    broken: dict[int, tuple[Group, ...]] = {}
    bad = (red | req | ref)[dec].any(axis=1)
    for v in dec[bad]:
        out: list[Group] = []
        for k in map(int, np.flatnonzero(red[v] | req[v] | ref[v])):
            if red[v, k]:
                out.append(("red_line", int(v), k))
            if req[v, k]:
                out.append(("requires", int(v), k))
            if ref[v, k]:
                out.append(("refuses", int(v), k))
        broken[int(v)] = tuple(out)
    for li, link in enumerate(st.links):
        if atom_holds(inst, link.when, x, e, settled) and not atom_holds(
            inst, link.then, x, e, settled
        ):
            broken[link.actor] = (*broken.get(link.actor, ()), ("linkage", li))
    return PackageCheck(x, e, np.asarray(settled, dtype=bool), surplus, broken)


def ratify(inst: Instance, accepts: BoolArray) -> Ratified:
    """Which units accept and which bodies pass, given each decider's acceptance (N,)."""
    st = inst.structure
    units = {u.actor: u for u in st.units}
    memo: dict[int, bool] = {}
    votes: dict[int, BodyVote] = {}

    def member_ok(unit: int, m: int) -> bool:
        return bool(accepts[m]) if (m == unit or m not in units) else unit_ok(m)

    def body_passes(b_i: int) -> bool:
        body = st.bodies[b_i]
        yes = [m for m in body.members if member_ok(body.unit, m)]
        w = inst.body_weight[list(body.slots)]
        share = float(w[[body.members.index(m) for m in yes]].sum() / w.sum()) if yes else 0.0
        n_m, n_yes = len(body.members), len(yes)
        ok = share > body.share if body.strict else share >= body.share - 1e-12
        if body.rule == "unanimity":
            ok = n_yes == n_m
        if body.count_share is not None:
            ok = ok and n_yes >= body.count_share * n_m - 1e-12
        if body.min_blocking is not None:
            ok = ok or (n_m - n_yes) < body.min_blocking
        votes[b_i] = BodyVote(
            b_i,
            share,
            body.share,
            body.strict,
            tuple(yes),
            tuple(m for m in body.members if m not in yes),
            ok,
        )
        return ok

    def unit_ok(u: int) -> bool:
        if u not in memo:
            spec = units[u]
            results = [all([body_passes(b) for b in path]) for path in spec.paths]
            memo[u] = any(results)
        return memo[u]

    deal = all(unit_ok(p) if p in units else bool(accepts[p]) for p in st.parties)
    for u in units:  # every body's vote, also on units no party needed
        unit_ok(u)
    return Ratified(deal, dict(memo), tuple(votes[b] for b in sorted(votes)))


def margin(inst: Instance, check: PackageCheck) -> float:
    """The largest ``tau`` at which the package is still ratified when deciders accept iff
    their own constraints hold and their surplus is at least ``tau`` (-inf: never; +inf:
    no surplus constrains it)."""
    deciders = list(inst.structure.deciders)
    if inst.structure.unanimous:  # every decider must accept: the smallest surplus
        if check.broken:
            return -np.inf
        return float(np.min(check.surplus[deciders]))
    ok = np.zeros(inst.position.shape[0], dtype=bool)
    ok[deciders] = [check.own_ok(v) for v in deciders]
    surplus = np.where(np.isnan(check.surplus), -np.inf, check.surplus)

    def passes(t: float) -> bool:
        return ratify(inst, ok & (surplus >= t)).deal

    if not passes(-np.inf):
        return -np.inf
    cands = np.unique(check.surplus[deciders][ok[deciders]])
    cands = cands[np.isfinite(cands)]
    if passes(np.inf) or cands.size == 0:
        return np.inf
    lo, hi = 0, cands.size - 1  # passes(cands[0]) holds; find the largest index that passes
    if passes(cands[hi]):
        return float(cands[hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(cands[mid]):
            lo = mid
        else:
            hi = mid
    return float(cands[lo])

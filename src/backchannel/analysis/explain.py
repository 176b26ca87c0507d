"""Why there is no deal: minimal blocking sets and minimal conflicts, computed exactly.

The constraints an analyst wrote are grouped (a red line, a no-deal value, an agenda demand
or refusal, a linkage condition, a ratification body's rule). Two exact explanations:

* **blocking sets** (minimal correction sets): sets of constraints whose relaxation opens a
  deal, none of whose proper subsets does. Found in order of size by the verdict programme
  with a binary relaxation variable per group, minimising how many are dropped, and
  excluding supersets of the sets already found (a MILP per set; Liffiton & Sakallah 2008);
* **conflicts** (irreducible infeasible subsets): sets of constraints that cannot all hold
  together, each of whose proper subsets can. One is found by QuickXplain (Junker 2004) on
  the feasibility oracle; more by a hitting-set tree (Reiter 1987).

Every blocking set hits every conflict and vice versa (they are minimal hitting sets of
each other), so the two are consistent by construction. Both searches stop at ``limit``
sets or ``max_checks`` programmes and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from backchannel.analysis.fastpath import fast_decide
from backchannel.analysis.formulation import TOL, Group, build
from backchannel.analysis.instance import Instance

#: branch-and-bound nodes for one blocking set, and for one feasibility check (deterministic
#: bounds on the work of an explanation)
NODE_LIMIT = 300
CHECK_NODES = 200
#: above this many constraints, blocking sets skip the MILP and conflicts stay per issue
LARGE = 200


@dataclass(frozen=True)
class Explanation:
    blocking_sets: tuple[tuple[Group, ...], ...]
    conflicts: tuple[tuple[Group, ...], ...]
    complete: bool  # False when a search stopped at its limits
    checks: int


def candidate_groups(inst: Instance) -> dict[Group, float]:
    """Every relaxable constraint group with its tie-break weight (what an analyst would
    give up most easily comes first: low-salience red lines and demands)."""
    st = inst.structure
    out: dict[Group, float] = {}
    for v in st.deciders:
        for k in range(inst.n_issues):
            w = float(inst.weight[v, k])
            if inst.has_limit[v, k]:
                out["red_line", v, k] = w
            if inst.requires[v, k]:
                out["requires", v, k] = w
            if inst.refuses[v, k]:
                out["refuses", v, k] = w
        if np.isfinite(inst.nd[v]):
            out["no_deal", v] = 1.0
    for li, _ in enumerate(st.links):
        out["linkage", li] = 0.5
    for b, body in enumerate(st.bodies):
        if body.explicit and not (body.rule == "unanimity" and body.min_blocking is None):
            out["body", b] = 1.0
    return out


class OutOfChecks(Exception):
    """The oracle's budget of programmes is spent."""


class Oracle:
    """Is there a deal (margin >= -TOL) with only the groups in ``active`` enforced?"""

    def __init__(self, inst: Instance, groups: Sequence[Group], max_checks: int = 10**9) -> None:
        self.inst = inst
        self.groups = list(groups)
        self.checks = 0
        self.max_checks = max_checks
        self._memo: dict[frozenset[Group], bool] = {}
        # one programme with a relaxation switch per group, fixed per question
        self._f = build(inst, relax=dict.fromkeys(self.groups, 0.0), tau=-TOL, fix_forced=False)

    def feasible(self, active: frozenset[Group]) -> bool:
        relaxed = frozenset(self.groups) - active
        if relaxed not in self._memo:
            if self.checks >= self.max_checks:
                raise OutOfChecks
            self.checks += 1
            fast = (
                fast_decide(_without(self.inst, relaxed)) if self.inst.structure.unanimous else None
            )
            if fast is not None:
                self._memo[relaxed] = fast.lower >= -TOL
                return self._memo[relaxed]
            m = self._f.model
            for g, j in self._f.relax.items():
                m.lower[j] = m.upper[j] = 1.0 if g in relaxed else 0.0
            sol = self._f.solve(node_limit=CHECK_NODES)
            if not (sol.optimal or sol.incumbent or sol.infeasible):
                raise OutOfChecks  # undecided within the node limit
            self._memo[relaxed] = not sol.infeasible
        return self._memo[relaxed]


def _without(inst: Instance, relaxed: frozenset[Group]) -> Instance:
    """``inst`` with the constraint groups in ``relaxed`` removed (red lines, no-deal
    values, agenda demands and refusals: the groups of a unanimity structure)."""
    has_limit, low, high = inst.has_limit.copy(), inst.low.copy(), inst.high.copy()
    nd, req, ref = inst.nd.copy(), inst.requires.copy(), inst.refuses.copy()
    for g in relaxed:
        v = int(g[1])  # type: ignore[call-overload]
        if g[0] == "no_deal":
            nd[v] = np.nan
            continue
        k = int(g[2])  # type: ignore[call-overload]
        if g[0] == "red_line":
            has_limit[v, k], low[v, k], high[v, k] = False, 0.0, 1.0
        elif g[0] == "requires":
            req[v, k] = False
        else:
            ref[v, k] = False
    return replace(inst, has_limit=has_limit, low=low, high=high, nd=nd, requires=req, refuses=ref)


def _quickxplain(oracle: Oracle, background: list[Group], items: list[Group]) -> list[Group]:
    """A minimal subset of ``items`` that is infeasible together with ``background``
    (Junker 2004), given that ``background + items`` is infeasible."""

    def qx(b: list[Group], delta: bool, c: list[Group]) -> list[Group]:
        if delta and not oracle.feasible(frozenset(b)):
            return []
        if len(c) == 1:
            return c
        half = len(c) // 2
        c1, c2 = c[:half], c[half:]
        d2 = qx(b + c1, bool(c1), c2)
        d1 = qx(b + d2, bool(d2), c1)
        return d1 + d2

    return qx(background, False, items)


def _issue_of(inst: Instance, g: Group) -> int | None:
    if g[0] in ("red_line", "requires", "refuses"):
        return int(g[2])  # type: ignore[call-overload]
    return None


def _hitting_tree(
    oracle: Oracle, pool: list[Group], found: list[tuple[Group, ...]], limit: int
) -> bool:
    """Conflicts among ``pool`` (Reiter's hitting-set tree over QuickXplain), appended to
    ``found``; False if the search stopped at ``limit`` or the oracle's budget."""
    queue: list[frozenset[Group]] = [frozenset()]
    seen: set[frozenset[Group]] = set()
    new = 0
    while queue:
        if new >= limit:
            return False
        hit = queue.pop(0)
        if hit in seen:
            continue
        seen.add(hit)
        active = [g for g in pool if g not in hit]
        try:
            if oracle.feasible(frozenset(active)):
                continue
        except OutOfChecks:
            return False
        known = next((c for c in found if set(c) <= set(active)), None)
        try:
            conflict = known or tuple(_quickxplain(oracle, [], active))
        except OutOfChecks:
            return False
        if known is None:
            found.append(conflict)
            new += 1
        queue += [hit | {g} for g in conflict]
    return True


def explain(
    inst: Instance, *, limit: int = 3, per_issue: int = 2, across: int = 4, max_checks: int = 150
) -> Explanation:
    """Minimal blocking sets and conflicts of an infeasible instance.

    Conflicts are searched issue by issue first (up to ``per_issue`` each, among the
    constraints on that issue), then across issues and no-deal values (up to ``across``,
    with every conflict found so far already hit), so that every issue that blocks alone is
    named and the list stays short.
    """
    weights = candidate_groups(inst)
    order = sorted(weights, key=lambda g: (-weights[g], str(g)))  # blame the weighty last
    large = len(order) > LARGE
    oracle = Oracle(inst, order, max_checks // 3 if large else max_checks)
    if oracle.feasible(frozenset(order)):
        return Explanation((), (), True, oracle.checks)
    blocking, complete = _blocking_sets(inst, oracle, weights, limit)
    conflicts: list[tuple[Group, ...]] = []
    for k in range(inst.n_issues):
        pool = [g for g in order if _issue_of(inst, g) == k]
        try:
            blocked = bool(pool) and not oracle.feasible(frozenset(pool))
        except OutOfChecks:
            complete = False
            break
        if blocked:
            complete &= _hitting_tree(oracle, pool, conflicts, per_issue)
    # across issues: with one constraint of every local conflict relaxed
    hit = {c[-1] for c in conflicts}
    pool = [g for g in order if g not in hit]
    if large or oracle.checks >= oracle.max_checks:
        complete = False
    else:
        complete &= _hitting_tree(oracle, pool, conflicts, across)
    # smallest first; among equals, agenda and rule conflicts, then red lines, then those
    # involving no-deal values, then the weightiest
    conflicts.sort(
        key=lambda c: (
            len(c),
            sum(g[0] == "no_deal" for g in c),
            sum(g[0] == "red_line" for g in c),
            -sum(weights[g] for g in c),
        )
    )
    return Explanation(tuple(blocking), tuple(conflicts), complete, oracle.checks)


def _fastdiag(oracle: Oracle, items: list[Group], background: frozenset[Group]) -> list[Group]:
    """A minimal subset of ``items`` whose relaxation opens a deal, with ``background``
    always enforced (FastDiag, Felfernig, Schubert & Zehentner 2012); empty if none."""
    everything = frozenset(items) | background

    def fd(d: list[Group], c: list[Group], ac: frozenset[Group]) -> list[Group]:
        if d and oracle.feasible(ac):
            return []
        if len(c) == 1:
            return c
        half = len(c) // 2
        c1, c2 = c[:half], c[half:]
        d1 = fd(c1, c2, ac - frozenset(c1))
        d2 = fd(d1, c1, ac - frozenset(d1))
        return d1 + d2

    if not items or not oracle.feasible(background):
        return []
    return fd([], items, everything)


def _blocking_sets(
    inst: Instance, oracle: Oracle, weights: dict[Group, float], limit: int
) -> tuple[list[tuple[Group, ...]], bool]:
    """Minimal correction sets, fewest constraints first (ties: least weight).

    Each is the optimum of the relaxation MILP, which proves it has the fewest constraints.
    If the MILP cannot prove that within ``NODE_LIMIT`` nodes (large cases with voting
    rules), minimal sets are found by FastDiag instead (each still minimal: relaxing any
    proper subset leaves no deal), the list is ordered by size, and marked as not proved
    fewest-first.
    """
    cost = {g: 1.0 + 1e-3 * w for g, w in weights.items()}
    f = build(inst, relax=cost, tau=-TOL, fix_forced=False)
    out: list[tuple[Group, ...]] = []
    while len(out) < limit and len(weights) <= LARGE:
        sol = f.solve(node_limit=NODE_LIMIT)
        if not sol.optimal:
            break
        chosen = tuple(g for g, j in f.relax.items() if sol.x[j] > 0.5)
        if not chosen:  # feasible without relaxation, or no correction set left
            return out, True
        out.append(chosen)
        idx = [f.relax[g] for g in chosen]
        f.model.row(idx, [1.0] * len(idx), hi=len(idx) - 1.0)  # no superset of this set
    else:
        return out, True
    if len(weights) <= LARGE and sol.infeasible:
        return out, True
    # the MILP stopped at its node limit: minimal (not proved fewest) sets by FastDiag
    order = sorted(weights, key=lambda g: weights[g])  # relax the least weighty first
    try:
        queue: list[frozenset[Group]] = [frozenset()]
        while queue and len(out) < limit:
            held = queue.pop(0)
            items = [g for g in order if g not in held]
            found = next((s for s in out if not set(s) & held), None)
            if found is None:
                d = _fastdiag(oracle, items, held)
                if not d:
                    continue
                found = tuple(d)
                out.append(found)
            queue += [held | {g} for g in found if held | {g} not in queue]
    except OutOfChecks:
        pass
    out.sort(key=lambda s: (len(s), sum(weights[g] for g in s)))
    return out, False

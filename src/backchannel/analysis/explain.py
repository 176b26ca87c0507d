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
from dataclasses import dataclass

import numpy as np

from backchannel.analysis.formulation import TOL, Group, build
from backchannel.analysis.instance import Instance


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


class Oracle:
    """Is there a deal (margin >= -TOL) when the groups in ``relaxed`` are dropped?"""

    def __init__(self, inst: Instance, groups: Sequence[Group]) -> None:
        self.groups = list(groups)
        self.checks = 0
        self._memo: dict[frozenset[Group], bool] = {}
        # one programme with a relaxation switch per group, fixed per question
        self._f = build(inst, relax=dict.fromkeys(self.groups, 0.0), tau=-TOL, fix_forced=False)

    def feasible(self, active: frozenset[Group]) -> bool:
        relaxed = frozenset(self.groups) - active
        if relaxed not in self._memo:
            self.checks += 1
            m = self._f.model
            for g, j in self._f.relax.items():
                m.lower[j] = m.upper[j] = 1.0 if g in relaxed else 0.0
            self._memo[relaxed] = self._f.solve().optimal
        return self._memo[relaxed]


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
    oracle: Oracle,
    pool: list[Group],
    found: list[tuple[Group, ...]],
    limit: int,
    max_checks: int,
) -> bool:
    """Conflicts among ``pool`` (Reiter's hitting-set tree over QuickXplain), appended to
    ``found``; False if the search stopped at ``limit`` or ``max_checks``."""
    queue: list[frozenset[Group]] = [frozenset()]
    seen: set[frozenset[Group]] = set()
    new = 0
    while queue:
        if new >= limit or oracle.checks >= max_checks:
            return False
        hit = queue.pop(0)
        if hit in seen:
            continue
        seen.add(hit)
        active = [g for g in pool if g not in hit]
        if oracle.feasible(frozenset(active)):
            continue
        known = next((c for c in found if set(c) <= set(active)), None)
        conflict = known or tuple(_quickxplain(oracle, [], active))
        if known is None:
            found.append(conflict)
            new += 1
        queue += [hit | {g} for g in conflict]
    return True


def explain(
    inst: Instance, *, limit: int = 5, per_issue: int = 3, across: int = 6, max_checks: int = 400
) -> Explanation:
    """Minimal blocking sets and conflicts of an infeasible instance.

    Conflicts are searched issue by issue first (up to ``per_issue`` each, among the
    constraints on that issue), then across issues and no-deal values (up to ``across``,
    with every conflict found so far already hit), so that every issue that blocks alone is
    named and the list stays short.
    """
    weights = candidate_groups(inst)
    order = sorted(weights, key=lambda g: (-weights[g], str(g)))  # blame the weighty last
    oracle = Oracle(inst, order)
    if oracle.feasible(frozenset(order)):
        return Explanation((), (), True, oracle.checks)
    blocking, complete = _blocking_sets(inst, weights, limit)
    conflicts: list[tuple[Group, ...]] = []
    for k in range(inst.n_issues):
        pool = [g for g in order if _issue_of(inst, g) == k]
        if pool and not oracle.feasible(frozenset(pool)):
            complete &= _hitting_tree(oracle, pool, conflicts, per_issue, max_checks)
    # across issues: with one constraint of every local conflict relaxed
    hit = {c[-1] for c in conflicts}
    pool = [g for g in order if g not in hit]
    complete &= _hitting_tree(oracle, pool, conflicts, across, max_checks)
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


def _blocking_sets(
    inst: Instance, weights: dict[Group, float], limit: int
) -> tuple[list[tuple[Group, ...]], bool]:
    """Minimal correction sets, fewest constraints first (ties: least weight)."""
    cost = {g: 1.0 + 1e-3 * w for g, w in weights.items()}
    f = build(inst, relax=cost, tau=-TOL, fix_forced=False)
    out: list[tuple[Group, ...]] = []
    while len(out) < limit:
        sol = f.solve()
        if not sol.optimal:
            return out, True
        chosen = tuple(g for g, j in f.relax.items() if sol.x[j] > 0.5)
        if not chosen:  # feasible without relaxation: nothing blocks
            return out, True
        out.append(chosen)
        idx = [f.relax[g] for g in chosen]
        f.model.row(idx, [1.0] * len(idx), hi=len(idx) - 1.0)  # no superset of this set
    return out, False

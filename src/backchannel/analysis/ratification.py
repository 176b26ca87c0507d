"""Two-level games and ratifying bodies: who would ratify, and by how many votes.

* **Level 1 vs level 2** (Putnam 1988): could each party's negotiators agree if their
  domestic ratifiers did not have to? The party's ratification is replaced by the
  unanimity of its negotiators (members with ``negotiator: true``, else its first
  ratifier); a ratifier *blocks* if adding it alone to its negotiators makes the deal
  infeasible.
* **Votes** per ratifying body: at the package found, the share of the body's weight that
  accepts; without a deal, the largest share of the body that any package acceptable to
  every other required ratifier could win (the body's rule dropped, its support
  maximised: a MILP), and so how many votes it is short.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
from backchannel.analysis.evaluate import check_package, ratify
from backchannel.analysis.formulation import TOL, build
from backchannel.analysis.instance import Instance
from backchannel.scenario.arrays import ScenarioArrays
from backchannel.scenario.schema import Scenario
from backchannel.scenario.structure import BodySpec, UnitSpec


def with_members(inst: Instance, unit: int, members: list[int]) -> Instance:
    """``inst`` with ``unit`` ratifying by the unanimity of ``members`` alone."""
    st = inst.structure
    slot0 = len(inst.body_weight)
    body = BodySpec(
        id="level1",
        name="negotiators",
        unit=unit,
        path=0,
        members=tuple(members),
        slots=tuple(range(slot0, slot0 + len(members))),
        rule="unanimity",
        share=1.0,
        strict=False,
        count_share=None,
        min_blocking=None,
        explicit=False,
        describe="unanimity (every member)",
    )
    bodies = (*st.bodies, body)
    units = tuple(
        UnitSpec(u.actor, ((len(bodies) - 1,),), ("negotiators",)) if u.actor == unit else u
        for u in st.units
    )
    deciders = set(st.deciders) | {m for m in members if m == unit or st.unit(m) is None}
    structure = replace(st, units=units, bodies=bodies, deciders=tuple(sorted(deciders)), forced=())
    return replace(
        inst,
        structure=structure,
        body_weight=np.concatenate([inst.body_weight, np.ones(len(members))]),
    )


def body_support(inst: Instance, b: int) -> float:
    """The largest share of body ``b``'s weight that accepts a package every other
    requirement of the deal accepts (its own rule dropped); -inf if none exists."""
    body = inst.structure.bodies[b]
    f = build(inst, relaxed=[("body", b)], tau=-TOL, fix_forced=False)
    m = f.model
    m.cost = [0.0] * m.n_vars
    gv = f.gamma[body.unit, body.path]
    m.lower[gv] = 1.0
    w = inst.body_weight[list(body.slots)]
    w = w / w.sum()
    units = {u.actor for u in inst.structure.units}
    for member, wi in zip(body.members, w, strict=True):
        j = f.alpha[member] if (member == body.unit or member not in units) else f.beta[member]
        m.cost[j] += float(wi)
    sol = f.solve()
    return float(sol.objective) if sol.optimal else -np.inf


def votes_short(body: BodySpec, weights: np.ndarray, share: float) -> float:
    """How much more weight the body's rule needs than ``share`` of it provides: with
    whole-number weights (seats, votes) the votes missing, e.g. 1 for 1 of 3 under a simple
    majority; 0 if it passes. (The count criterion of a double majority and the blocking
    minority are not counted here.)"""
    total = float(weights.sum())
    have = share * total
    need = body.share * total
    if np.allclose(weights, np.round(weights)):
        need = np.floor(need + 1e-9) + 1 if body.strict else np.ceil(need - 1e-9)
        have = float(np.round(have))
    elif body.strict:
        need += 1e-9 * total
    return float(max(0.0, round(need - have, 9)))


def _vote(
    sc: Scenario, arrays: ScenarioArrays, inst: Instance, body: BodySpec, share: float
) -> dict[str, Any]:
    weights = inst.body_weight[list(body.slots)]
    total = float(weights.sum())
    return {
        "id": body.id,
        "name": body.name,
        "rule": body.describe,
        "needed": body.share,
        "support": None if not np.isfinite(share) else round(share, 6),
        "passes": bool(np.isfinite(share) and votes_short(body, weights, share) == 0.0),
        "votes_short": None if not np.isfinite(share) else votes_short(body, weights, share),
        "total_weight": total,
    }


def two_level(
    sc: Scenario, arrays: ScenarioArrays, inst: Instance, base: Decision
) -> dict[str, dict[str, Any]]:
    """Per party that ratifies through members: the level-1 check, the blocking ratifiers
    and every body's vote."""
    st = inst.structure
    out: dict[str, dict[str, Any]] = {}
    votes = None
    if base.deal_possible:
        scaled = inst.from_scale(base.x)
        check = check_package(inst, scaled, base.e / inst.span, base.settled)
        acc = np.zeros(inst.position.shape[0], dtype=bool)
        for v in st.deciders:
            acc[v] = check.own_ok(v) and check.surplus[v] >= base.lower - TOL
        votes = {bv.body: bv for bv in ratify(inst, acc).bodies}
    for party in sc.parties():
        p = arrays.index(party.id)
        spec = st.unit(p)
        if spec is None:
            continue
        ratifiers = sc.ratifiers(party.id)
        negotiators = [r for r in ratifiers if r.negotiator] or ratifiers[:1]
        neg_ix = [arrays.index(n.id) for n in negotiators]
        level1 = decide(with_members(inst, p, neg_ix)).deal_possible
        blocking = []
        by_veto = all(
            not st.bodies[b].explicit or st.bodies[b].rule == "unanimity"
            for path in spec.paths
            for b in path
        )
        if level1 and not base.deal_possible and by_veto:  # rules: see the bodies' votes
            for r in ratifiers:
                if r in negotiators:
                    continue
                alone = with_members(inst, p, [*neg_ix, arrays.index(r.id)])
                if not decide(alone).deal_possible:
                    blocking.append(r.id)
        bodies = []
        for b_i, body in enumerate(st.bodies):
            if body.unit != p or not body.explicit:
                continue
            if votes is not None and b_i in votes:
                share = votes[b_i].support
            else:
                share = body_support(inst, b_i)
            bodies.append(
                {"path": spec.path_names[body.path], **_vote(sc, arrays, inst, body, share)}
            )
        out[party.id] = {
            "ratifiers": [r.id for r in ratifiers],
            "negotiators": [n.id for n in negotiators],
            "negotiator_only_feasible": bool(level1),
            "ratified_feasible": bool(base.deal_possible),
            "blocking_ratifiers": blocking,
            "bodies": bodies,
        }
    return out

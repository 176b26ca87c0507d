"""What would it take: the concessions that make a deal feasible, solved exactly.

The verdict programme (:mod:`.formulation`) with its constraints made *soft*: per red line
a widening ``delta_vk`` (on [0, 1]), per decider a lowering ``eps_v`` of its no-deal value
(it accepts a deal worth less than walking away: what pressure or a change of mind must
achieve), per agenda demand, refusal or linkage condition a binary drop, per broker
inducement a share ``z_j`` in [0, 1] of what it can deliver. Costs are in the conceding
side's own utility: widening a red line by ``delta`` costs ``w_vk * delta`` (its loss at
the new limit, at the linear rate), lowering a no-deal value by ``eps`` costs ``eps``,
dropping a demand or refusal costs the actor its salience weight on that issue, a linkage
its weight on the linked issue, and a broker ``KAPPA`` per unit delivered. The deal must
hold with a margin of ``MARGIN`` utility so the concessions, once applied, leave a strictly
feasible scenario. This is goal programming (Charnes & Cooper 1961), exact as a MILP:

* ``objective="cost"``: least total cost;
* ``objective="count"``: fewest concessions (then least cost);
* ``objective="fair"``: least cost to the worst-off conceding actor (then least total);
* ``movers``: only these actors (and brokers) may concede; ``settle``: issues the deal
  must settle (so the hard issues cannot be dodged by deferring them);
* ``alternatives``: the best few *genuinely different* solutions: each next one must drop
  at least one concession of every earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from backchannel.analysis.formulation import Group, Soft, build
from backchannel.analysis.instance import Instance, make_instance
from backchannel.analysis.mediation import KAPPA
from backchannel.analysis.utility import Loss
from backchannel.display import Tabular
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario

MARGIN = 1e-5
EPS = 1e-7
Objective = Literal["cost", "count", "fair"]
OBJECTIVES: tuple[str, ...] = ("cost", "count", "fair")


@dataclass(frozen=True)
class Concession:
    """One concession: who gives what on which issue, and what it costs them (utility)."""

    actor: str
    kind: str  # red_line | no_deal_value | drop_requirement | accept_issue | defer_issue |
    #          drop_linkage | inducement
    issue: str | None
    before: float | None
    after: float | None
    cost: float
    detail: str
    target: str | None = None
    before_label: str | None = None
    after_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "kind": self.kind,
            "issue": self.issue,
            "from": self.before,
            "to": self.after,
            "from_label": self.before_label,
            "to_label": self.after_label,
            "cost": self.cost,
            "detail": self.detail,
            "target": self.target,
        }


@dataclass(frozen=True, repr=False)
class Concessions(Tabular):
    """The concessions that make a deal feasible (``method`` and ``options`` record how
    they were found; ``alternatives``: the next-best genuinely different solutions)."""

    concessions: tuple[Concession, ...]
    total_cost: float
    agenda: tuple[str, ...]
    point: dict[str, float]
    feasible_already: bool
    method: str = "MILP (HiGHS): minimal relaxation of the verdict programme"
    by_actor: dict[str, float] = field(default_factory=dict)
    objective: str = "cost"
    options: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[Concessions, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The concessions as JSON-ready data."""
        return {
            "feasible_already": self.feasible_already,
            "objective": self.objective,
            "options": self.options,
            "total_cost": self.total_cost,
            "by_actor": self.by_actor,
            "worst_off_cost": max(self.by_actor.values(), default=0.0),
            "agenda": list(self.agenda),
            "point": self.point,
            "concessions": [c.to_dict() for c in self.concessions],
            "method": self.method,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


def what_it_takes(
    scenario: Scenario,
    loss: Loss | None = None,
    *,
    objective: Objective = "cost",
    movers: Iterable[str] | None = None,
    settle: Iterable[str] | None = None,
    alternatives: int = 0,
) -> Concessions:
    """The concessions (by deciders and brokers) that make a deal possible at least cost
    (see the module docstring for ``objective``, ``movers``, ``settle``, ``alternatives``)."""
    if objective not in OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}",
            source="what-it-takes",
            fix=f"use one of {', '.join(OBJECTIVES)}",
        )
    loss = loss or scenario.loss
    arrays = to_arrays(scenario)
    if not arrays.veto_players:
        raise InputError(
            "no party holds a veto, so there is no deal to analyse",
            source="scenario",
            fix="mark the parties as states with `veto: true`",
        )
    ids = set(arrays.actor_ids)
    allowed = None if movers is None else set(movers)
    for label, given, known in (
        ("actor", allowed or set(), ids),
        ("issue", set(settle or ()), set(arrays.issue_ids)),
    ):
        bad = sorted(given - known)
        if bad:
            raise InputError(
                f"unknown {label}(s) {bad}",
                source="what-it-takes",
                fix=f"use {label} ids of the scenario: {sorted(known)}",
            )
    inst = make_instance(arrays, loss)
    st = inst.structure
    may = (lambda a: True) if allowed is None else (lambda a: arrays.actor_ids[a] in allowed)
    widen = {
        (v, k): float(inst.weight[v, k])
        for v in st.deciders
        for k in range(inst.n_issues)
        if inst.has_limit[v, k] and may(v)
    }
    lower = {v: 1.0 for v in st.deciders if np.isfinite(inst.nd[v]) and may(v)}
    drops: dict[Group, float] = {}
    for v in st.deciders:
        if not may(v):
            continue
        for k in range(inst.n_issues):
            sq = inst.sq[k]
            if inst.has_limit[v, k] and not inst.separable[v, k] and not np.isnan(sq):
                gap = max(inst.low[v, k] - sq, sq - inst.high[v, k], 0.0)
                if gap > 0:  # the status quo breaks the red line: deferring costs the gap
                    drops["defer", v, k] = float(inst.weight[v, k] * gap)
            if inst.requires[v, k]:
                drops["requires", v, k] = float(inst.weight[v, k])
            if inst.refuses[v, k]:
                drops["refuses", v, k] = float(inst.weight[v, k])
    for li, link in enumerate(st.links):
        if may(link.actor):
            drops["linkage", li] = float(inst.weight[link.actor, link.then.issue])
    inds: list[tuple[str, str, float]] = []
    induce: list[tuple[tuple[int, ...], float, float]] = []
    for b in scenario.brokers():
        if allowed is not None and b.id not in allowed:
            continue
        for ind in b.inducements:
            amount = ind.amount.value * ind.credibility.value
            if ind.aim == "deal" and amount > 0:
                targets = tuple(arrays.index(t.id) for t in scenario.recipients(ind.target))
                inds.append((b.id, ind.target, amount))
                induce.append((targets, amount, KAPPA))
    settle_ix = frozenset(arrays.issue_ids.index(i) for i in settle or ())
    soft = Soft(
        widen=widen,
        lower_nd=lower,
        induce=tuple(induce),
        settle=settle_ix,
        marks=objective == "count" or alternatives > 0,
    )
    options = {
        "movers": None if allowed is None else sorted(allowed),
        "settle": sorted(settle or ()),
        "alternatives": alternatives,
    }
    f = build(inst, relax=drops, tau=MARGIN, fix_forced=True, soft=soft)
    m = f.model
    if objective == "count":
        base_cost = list(m.cost)
        m.cost = [1e-3 * c for c in base_cost]
        for j in f.marks.values():
            m.cost[j] += 1.0
    elif objective == "fair":
        base_cost = list(m.cost)
        worst = m.var(0.0, 10.0, "worst")
        m.cost = [1e-3 * c for c in base_cost] + [1.0]
        for a in set(st.deciders) | {arrays.index(b) for b, _, _ in inds}:
            terms = _actor_terms(f, a, inds, arrays.actor_ids, base_cost)
            if terms:
                idx, val = zip(*terms, strict=True)
                m.row([*idx, worst], [*val, -1.0], hi=0.0)
    results: list[Concessions] = []
    for _ in range(alternatives + 1):
        sol = f.solve()
        if not sol.optimal:
            break
        res = _read(scenario, inst, f, sol.x, inds, objective, options)
        results.append(res)
        used = [f.marks[g] for g in _support(f, sol.x)]
        if not used:
            break
        m.row(used, [1.0] * len(used), hi=len(used) - 1.0)
    if not results:
        raise InputError(
            "no combination of the allowed concessions makes a deal possible",
            source="what-it-takes",
            fix="allow more actors to move (--mover), or settle fewer issues (--settle)",
        )
    first = results[0]
    return Concessions(
        concessions=first.concessions,
        total_cost=first.total_cost,
        agenda=first.agenda,
        point=first.point,
        feasible_already=first.feasible_already,
        by_actor=first.by_actor,
        objective=objective,
        options=options,
        alternatives=tuple(results[1:]),
    )


def _actor_terms(
    f: Any, a: int, inds: list[tuple[str, str, float]], ids: tuple[str, ...], cost: list[float]
) -> list[tuple[int, float]]:
    """(variable, cost) of every concession actor ``a`` could make."""
    out: list[tuple[int, float]] = []
    for (v, _k), j in f.delta.items():
        if v == a:
            out.append((j, cost[j]))
    if a in f.eps:
        out.append((f.eps[a], cost[f.eps[a]]))
    for g, j in f.relax.items():
        who = f.inst.structure.links[int(g[1])].actor if g[0] == "linkage" else int(g[1])
        if who == a:
            out.append((j, cost[j]))
    for (bid, _t, _amt), j in zip(inds, f.z, strict=True):
        if bid == ids[a]:
            out.append((j, cost[j]))
    return out


def _support(f: Any, z: np.ndarray) -> list[Group]:
    """The concessions a solution uses."""
    return [g for g, j in f.marks.items() if z[j] > 0.5]


def _read(
    sc: Scenario,
    inst: Instance,
    f: Any,
    z: np.ndarray,
    inds: list[tuple[str, str, float]],
    objective: str,
    options: dict[str, Any],
) -> Concessions:
    ids = [a.id for a in sc.actors]
    issues = sc.issues
    out: list[Concession] = []
    for (v, k), j in f.delta.items():
        d = float(z[j])
        if d <= EPS:
            continue
        st = sc.actors[v].positions[issues[k].id]
        lim, pos = st.limit.value if st.limit else np.nan, st.position.value
        span = float(inst.span[k])
        side = np.sign(lim - pos) or 1.0
        new = float(
            np.clip(
                pos + side * (abs(lim - pos) + d * span), issues[k].scale.min, issues[k].scale.max
            )
        )
        out.append(
            Concession(
                ids[v],
                "red_line",
                issues[k].id,
                float(lim),
                new,
                float(inst.weight[v, k] * d),
                f"{ids[v]} moves its red line on {issues[k].name} from {issues[k].label(lim)} "
                f"to {issues[k].label(new)}",
                before_label=issues[k].label(lim),
                after_label=issues[k].label(new),
            )
        )
    for v, j in f.eps.items():
        e = float(z[j])
        if e <= EPS:
            continue
        nd = float(inst.nd[v])
        out.append(
            Concession(
                ids[v],
                "no_deal_value",
                None,
                nd,
                nd - e,
                e,
                f"{ids[v]} must value no deal {e:.3f} utility lower than now (from {nd:+.3f} to "
                f"{nd - e:+.3f}): pressure, inducements or a change of mind",
            )
        )
    for g, j in f.relax.items():
        if z[j] <= 0.5:
            continue
        if g[0] == "linkage":
            link = inst.structure.links[int(g[1])]
            out.append(
                Concession(
                    ids[link.actor],
                    "drop_linkage",
                    issues[link.when.issue].id,
                    None,
                    None,
                    float(inst.weight[link.actor, link.then.issue]),
                    f"{ids[link.actor]} drops its linkage on {issues[link.when.issue].name}",
                    target=f"linkage[{link.index}]",
                )
            )
            continue
        v, k = int(g[1]), int(g[2])
        if g[0] == "defer":
            sq = float(inst.to_scale(inst.sq)[k])
            gap = max(inst.low[v, k] - inst.sq[k], inst.sq[k] - inst.high[v, k], 0.0)
            out.append(
                Concession(
                    ids[v],
                    "defer_issue",
                    issues[k].id,
                    None,
                    sq,
                    float(inst.weight[v, k] * gap),
                    f"{ids[v]} accepts a deal that leaves {issues[k].name} at its status quo "
                    f"({issues[k].label(sq)}), beyond its red line",
                    after_label=issues[k].label(sq),
                )
            )
            continue
        kind, what = (
            ("drop_requirement", f"agrees to leave {issues[k].name} unsettled")
            if g[0] == "requires"
            else ("accept_issue", f"agrees to negotiate {issues[k].name}")
        )
        out.append(
            Concession(
                ids[v], kind, issues[k].id, None, None, float(inst.weight[v, k]), f"{ids[v]} {what}"
            )
        )
    for (bid, tid, amount), j in zip(inds, f.z, strict=True):
        used = float(z[j]) * amount
        if used <= EPS:
            continue
        out.append(
            Concession(
                bid,
                "inducement",
                None,
                0.0,
                used,
                KAPPA * used,
                f"{bid} delivers {used:.3f} utility to {tid}",
                target=tid,
            )
        )
    out.sort(key=lambda c: -c.cost)
    by_actor: dict[str, float] = {}
    for c in out:
        by_actor[c.actor] = by_actor.get(c.actor, 0.0) + c.cost
    x, e, settled = f.package(z)
    point = inst.to_scale(x)
    return Concessions(
        concessions=tuple(out),
        total_cost=float(sum(c.cost for c in out)),
        agenda=tuple(i.id for i, s in zip(issues, settled, strict=True) if s),
        point={i.id: float(p) for i, p in zip(issues, point, strict=True)},
        feasible_already=not out,
        by_actor=by_actor,
        objective=objective,
        options=options,
    )


def apply_concessions(scenario: Scenario, result: Concessions) -> Scenario:
    """The scenario with the concessions made (inducements become lower no-deal values of
    the actors they reach, which is how feasibility counts them)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    actors = {a["id"]: a for a in data["actors"]}

    def lower_no_deal(aid: str, amount: float) -> None:
        nd = actors[aid].setdefault("no_deal", {})
        if nd.get("utility") is not None:
            nd["utility"]["value"] = max(-1.0, nd["utility"]["value"] - amount)
        else:
            adj = nd.setdefault("adjustment", {"value": 0.0})
            adj["value"] = adj["value"] - amount
            adj.pop("dist", None)

    for c in result.concessions:
        a = actors[c.actor]
        if c.kind == "red_line" and c.issue is not None and c.after is not None:
            a["positions"][c.issue]["limit"] = {"value": c.after}
        elif c.kind == "drop_requirement":
            a["agenda"]["requires"].remove(c.issue)
        elif c.kind == "accept_issue":
            a["agenda"]["refuses"].remove(c.issue)
        elif c.kind == "defer_issue":
            a.setdefault("agenda", {}).setdefault("separable", []).append(c.issue)
        elif c.kind == "drop_linkage" and c.target is not None:
            drop = int(c.target.removeprefix("linkage[").rstrip("]"))
            a["linkage"] = [li for j, li in enumerate(a["linkage"]) if j != drop]
        elif c.kind == "no_deal_value" and c.before is not None and c.after is not None:
            lower_no_deal(c.actor, c.before - c.after)
        elif c.kind == "inducement" and c.target is not None and c.after is not None:
            for t in scenario.recipients(c.target):
                lower_no_deal(t.id, c.after)
    return scenario_from_data(data, "<what-it-takes>")

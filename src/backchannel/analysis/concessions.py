"""What would it take: the cheapest set of concessions that makes a deal feasible.

Decision variables (per candidate agenda, all agendas solved in one convex programme):
the agreement ``x``; per veto player ``v`` and issue ``k`` a widening ``delta_vk >= 0`` of
its red line; per veto player a lowering ``eps_v >= 0`` of its no-deal value (it accepts a
deal worth less than walking away: what pressure or a change of mind must achieve); per
broker inducement ``j`` a use ``z_j`` in [0, 1] of what it can deliver; and which issues
are on the agenda (a required issue left off, or a refused issue put on, costs the actor
its salience weight ``w_vk``). Costs are in the conceding side's own utility (the scale of
:mod:`backchannel.analysis.utility`): widening a red line by ``delta`` costs
``w_vk * delta / span_k`` (its loss at the new limit, linear loss), ``eps_v`` costs itself,
and an inducement costs its deliverer ``KAPPA`` per unit delivered (cheap but not free, so
the solution uses no more than it needs). The objective is the total cost; the constraints
are those of :mod:`backchannel.analysis.feasibility` relaxed by the variables, with a small
margin so that the concessions, once applied, leave a strictly feasible scenario. The
programme is an LP for linear loss and an SOCP for quadratic loss: solved exactly (cvxpy +
Clarabel), never by search. This is a weighted-L1 minimal-relaxation (goal programming,
Charnes & Cooper 1961) of the feasibility problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backchannel.analysis.feasibility import NO_CONSTRAINT, admissible_agendas, no_deal_utility
from backchannel.analysis.utility import Loss, acceptable_interval, issue_weights
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario

KAPPA = 0.01
MARGIN = 1e-5
EPS = 1e-6


@dataclass(frozen=True)
class Concession:
    """One concession: who gives what on which issue, and what it costs them."""

    actor: str
    kind: str  # red_line | no_deal_value | drop_requirement | accept_issue | inducement
    issue: str | None
    before: float | None
    after: float | None
    cost: float
    detail: str
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "kind": self.kind,
            "issue": self.issue,
            "from": self.before,
            "to": self.after,
            "cost": self.cost,
            "detail": self.detail,
            "target": self.target,
        }


@dataclass(frozen=True)
class Concessions:
    """The cheapest concessions that make a deal feasible (``method`` records the solver)."""

    concessions: tuple[Concession, ...]
    total_cost: float
    agenda: tuple[str, ...]
    point: dict[str, float]
    feasible_already: bool
    method: str = "convex programme over all agendas (cvxpy/Clarabel), weighted-L1 relaxation"
    by_actor: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "feasible_already": self.feasible_already,
            "total_cost": self.total_cost,
            "by_actor": self.by_actor,
            "agenda": list(self.agenda),
            "point": self.point,
            "concessions": [c.to_dict() for c in self.concessions],
            "method": self.method,
        }


def what_it_takes(scenario: Scenario, loss: Loss | None = None) -> Concessions:
    """The minimum-cost concessions (by veto players and brokers) that make a deal possible."""
    import cvxpy as cp  # imported here: it is slow to import and only this solver needs it

    loss = loss or scenario.loss
    arrays = to_arrays(scenario)
    vidx = np.array(arrays.veto_players, dtype=int)
    if vidx.size == 0:
        raise InputError(
            "no party holds a veto, so there is no deal to analyse",
            source="scenario",
            fix="mark the parties as states with `veto: true`",
        )
    ids = [arrays.actor_ids[i] for i in vidx]
    pos, sal, lim = arrays.position[vidx], arrays.salience[vidx], arrays.limit[vidx]
    w = issue_weights(sal)
    span, lo, hi, sq = arrays.span, arrays.lo, arrays.hi, arrays.status_quo
    nd = no_deal_utility(arrays, loss)[vidx]
    nd = np.where(np.isnan(nd), NO_CONSTRAINT, nd)
    low, high = acceptable_interval(pos, lim, lo, hi)
    has_limit = ~np.isnan(lim)
    v_n, k_n = pos.shape
    # inducements: (J,) deliverable amounts and (V, J) incidence on veto players
    inds: list[tuple[str, str, float]] = []
    g_cols: list[np.ndarray] = []
    for b in scenario.brokers():
        for ind in b.inducements:
            tids = {r.id for r in scenario.recipients(ind.target)}
            col = np.array([1.0 if i in tids else 0.0 for i in ids])
            amount = ind.amount.value * ind.credibility.value
            if col.any() and amount > 0:
                inds.append((b.id, ind.target, amount))
                g_cols.append(col * amount)
    j_n = len(inds)
    g = np.column_stack(g_cols) if j_n else np.zeros((v_n, 0))

    # every agenda: agenda constraints are priced below, not imposed
    none = np.zeros((0, k_n), dtype=bool)
    agendas = admissible_agendas(none, none, np.asarray(~np.isnan(sq)))
    m = agendas.shape[0]
    req, ref = arrays.requires[vidx], arrays.refuses[vidx]
    # agenda cost per block: required issues left off, refused issues put on
    agenda_cost = ((req[None] & ~agendas[:, None]) * w[None]).sum(axis=(1, 2)) + (
        (ref[None] & agendas[:, None]) * w[None]
    ).sum(axis=(1, 2))
    sq0 = np.nan_to_num(sq)
    x_lo = np.where(agendas, lo, sq0)
    x_hi = np.where(agendas, hi, sq0)

    x = cp.Variable((m, k_n))
    delta = [cp.Variable((m, k_n), nonneg=True) for _ in range(v_n)]
    eps = cp.Variable((m, v_n), nonneg=True)
    z = cp.Variable((m, j_n), nonneg=True) if j_n else None
    cons: list[Any] = [x >= x_lo, x <= x_hi, eps <= 3]
    cost = cp.sum(eps) + float(agenda_cost.sum())
    big = span + (hi - lo)
    for v in range(v_n):
        on = agendas
        # red lines apply to issues on the agenda only
        lo_v = np.where(on, low[v], lo - big)
        hi_v = np.where(on, high[v], hi + big)
        cons += [x >= lo_v - delta[v], x <= hi_v + delta[v]]
        if (~has_limit[v]).any():
            cons.append(delta[v][:, ~has_limit[v]] == 0)
        cost = cost + cp.sum(delta[v] @ (w[v] / span))
        d = cp.abs(x - pos[v]) / span
        lossv = (d @ w[v]) if loss == "linear" else (cp.square(d) @ w[v])
        bonus = (z @ g[v]) if z is not None else 0
        cons.append(lossv - eps[:, v] - bonus <= -nd[v] - MARGIN)
    if z is not None:
        cons.append(z <= 1)
        cost = cost + KAPPA * cp.sum(z @ np.array([a for _, _, a in inds]))
    prob = cp.Problem(cp.Minimize(cost), cons)
    prob.solve(solver=cp.CLARABEL, canon_backend=cp.SCIPY_CANON_BACKEND)
    if x.value is None:
        raise RuntimeError(f"what-it-takes programme failed: {prob.status}")
    # the cost of each block, to pick the cheapest agenda
    dv = np.stack([np.asarray(d.value) for d in delta], axis=1)  # (M, V, K)
    ev = np.asarray(eps.value)
    zv = np.asarray(z.value) if z is not None else np.zeros((m, 0))
    amounts = np.array([a for _, _, a in inds])
    block_cost = (
        agenda_cost
        + (dv * (w / span)[None]).sum(axis=(1, 2))
        + ev.sum(axis=1)
        + KAPPA * (zv * amounts).sum(axis=1)
    )
    best = int(np.argmin(block_cost))
    xs = np.clip(np.asarray(x.value)[best], x_lo[best], x_hi[best])
    on = agendas[best]
    out: list[Concession] = []
    for v, aid in enumerate(ids):
        for k, iid in enumerate(arrays.issue_ids):
            if req[v, k] and not on[k]:
                out.append(
                    Concession(
                        aid,
                        "drop_requirement",
                        iid,
                        None,
                        None,
                        float(w[v, k]),
                        f"{aid} agrees to leave {iid} off the agenda",
                    )
                )
            if ref[v, k] and on[k]:
                out.append(
                    Concession(
                        aid,
                        "accept_issue",
                        iid,
                        None,
                        None,
                        float(w[v, k]),
                        f"{aid} agrees to negotiate {iid}",
                    )
                )
            dd = dv[best, v, k]
            if on[k] and has_limit[v, k] and dd > EPS:
                side = np.sign(lim[v, k] - pos[v, k]) or (1.0 if xs[k] > pos[v, k] else -1.0)
                new = float(
                    np.clip(
                        pos[v, k] + side * (abs(lim[v, k] - pos[v, k]) + dd + EPS), lo[k], hi[k]
                    )
                )
                out.append(
                    Concession(
                        aid,
                        "red_line",
                        iid,
                        float(lim[v, k]),
                        new,
                        float(w[v, k] * dd / span[k]),
                        f"{aid} moves its red line on {iid} from {lim[v, k]:g} to {new:.4g}",
                    )
                )
        if ev[best, v] > EPS:
            out.append(
                Concession(
                    aid,
                    "no_deal_value",
                    None,
                    float(nd[v]),
                    float(nd[v] - ev[best, v]),
                    float(ev[best, v]),
                    f"{aid} must value no deal {ev[best, v]:.3f} lower (utility) than now",
                )
            )
    for j, (bid, tid, amount) in enumerate(inds):
        if zv[best, j] > EPS:
            out.append(
                Concession(
                    bid,
                    "inducement",
                    None,
                    0.0,
                    float(zv[best, j] * amount),
                    float(KAPPA * zv[best, j] * amount),
                    f"{bid} delivers {zv[best, j] * amount:.3f} utility to {tid}",
                    target=tid,
                )
            )
    out.sort(key=lambda c: -c.cost)
    by_actor: dict[str, float] = {}
    for c in out:
        by_actor[c.actor] = by_actor.get(c.actor, 0.0) + c.cost
    return Concessions(
        concessions=tuple(out),
        total_cost=float(sum(c.cost for c in out)),
        agenda=tuple(i for i, o in zip(arrays.issue_ids, on, strict=True) if o),
        point={i: float(v) for i, v in zip(arrays.issue_ids, xs, strict=True)},
        feasible_already=not out,
        by_actor=by_actor,
    )


def apply_concessions(scenario: Scenario, result: Concessions) -> Scenario:
    """The scenario with the concessions made (inducements become lower no-deal values of
    their targets' ratifiers, which is how feasibility counts them)."""
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
            st = a["positions"][c.issue]
            st["limit"] = {"value": c.after}
        elif c.kind == "drop_requirement":
            a["agenda"]["requires"].remove(c.issue)
        elif c.kind == "accept_issue":
            a["agenda"]["refuses"].remove(c.issue)
        elif c.kind == "no_deal_value" and c.before is not None and c.after is not None:
            lower_no_deal(c.actor, c.before - c.after)
        elif c.kind == "inducement" and c.target is not None and c.after is not None:
            for t in scenario.recipients(c.target):
                lower_no_deal(t.id, c.after)
    return scenario_from_data(data, "<what-it-takes>")

"""The full analysis of a scenario: can a deal happen, why not, and what mediators can do.

:func:`analyze` composes the exact feasibility programme (:mod:`.feasibility`) into the
answers an analyst reads: the ZOPA per issue (intersection of the veto players'
acceptable intervals), the package verdict over admissible agendas, the two-level check
(could the negotiators agree if their domestic veto players did not have to?), a ranked
diagnosis of who and which issue block a deal, each broker's role, ripeness, and the
escalation risk with and without channels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backchannel.analysis.feasibility import (
    BatchFeasibility,
    feasibility_batch,
    no_deal_utility,
    surplus,
)
from backchannel.analysis.mediation import EscalationRisk, escalation_risk, inducement_shift
from backchannel.analysis.utility import Loss, acceptable_interval, issue_weights
from backchannel.scenario.arrays import ScenarioArrays, to_arrays
from backchannel.scenario.schema import Scenario

TOL = 1e-7


@dataclass(frozen=True)
class Blocker:
    actor: str
    issue: str | None
    kind: str  # agenda | red_line | no_deal_value | ratification
    score: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "issue": self.issue,
            "kind": self.kind,
            "score": round(self.score, 6),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class BrokerRole:
    id: str
    name: str
    kind: str
    role: str  # communicator | formulator | manipulator
    can_open_zopa: bool
    channel: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "can_open_zopa": self.can_open_zopa,
            "channel": self.channel,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`analyze` computes (frozen; ``to_dict`` gives the JSON)."""

    scenario: str
    loss: str
    deal_possible: bool
    verdict: str
    reasons: tuple[str, ...]
    zopa: dict[str, dict[str, Any]]
    package: dict[str, Any]
    two_level: dict[str, dict[str, Any]]
    blocking: tuple[Blocker, ...]
    mediators: tuple[BrokerRole, ...]
    ripeness: dict[str, Any]
    escalation: EscalationRisk | None
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "loss": self.loss,
            "deal_possible": self.deal_possible,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "zopa": self.zopa,
            "package": self.package,
            "two_level": self.two_level,
            "blocking": [b.to_dict() for b in self.blocking],
            "mediators": [m.to_dict() for m in self.mediators],
            "ripeness": self.ripeness,
            "escalation": None if self.escalation is None else self.escalation.to_dict(),
            "warnings": list(self.warnings),
        }


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def issue_zopas(arrays: ScenarioArrays) -> dict[str, dict[str, Any]]:
    """Per issue: each veto player's acceptable interval and their intersection."""
    v = list(arrays.veto_players)
    low, high = acceptable_interval(arrays.position[v], arrays.limit[v], arrays.lo, arrays.hi)
    out: dict[str, dict[str, Any]] = {}
    for k, iid in enumerate(arrays.issue_ids):
        zl, zh = float(low[:, k].max()), float(high[:, k].min())
        empty = zl > zh + TOL
        out[iid] = {
            "low": None if empty else zl,
            "high": None if empty else zh,
            "empty": bool(empty),
            "acceptable": {
                arrays.actor_ids[a]: [float(low[i, k]), float(high[i, k])] for i, a in enumerate(v)
            },
        }
    return out


def _red_line_blockers(arrays: ScenarioArrays, issues: np.ndarray) -> list[Blocker]:
    """Pairs of veto players whose acceptable intervals on one of ``issues`` (a mask) do
    not overlap."""
    v = np.array(arrays.veto_players)
    low, high = acceptable_interval(arrays.position[v], arrays.limit[v], arrays.lo, arrays.hi)
    w = issue_weights(arrays.salience[v])
    gap = (low[:, None, :] - high[None, :, :]) / arrays.span  # (V, V, K): a's low above b's high
    out: list[Blocker] = []
    for k in np.flatnonzero(issues):
        iid = arrays.issue_ids[k]
        g = gap[:, :, k]
        for a_i, b_i in zip(*np.nonzero(g > TOL), strict=True):
            a, b = arrays.actor_ids[v[a_i]], arrays.actor_ids[v[b_i]]
            for actor, idx in ((a, a_i), (b, b_i)):
                out.append(
                    Blocker(
                        actor,
                        iid,
                        "red_line",
                        float(g[a_i, b_i] * w[idx, k]),
                        f"red lines of {a} (accepts >= {low[a_i, k]:g}) and {b} (accepts <= "
                        f"{high[b_i, k]:g}) on {iid} leave a gap of {g[a_i, b_i] * 100:.0f}% of "
                        "the scale",
                    )
                )
    return out


def _agenda_blockers(scenario: Scenario, arrays: ScenarioArrays) -> list[Blocker]:
    v = list(arrays.veto_players)
    w = issue_weights(arrays.salience[v])
    req, ref = arrays.requires[v], arrays.refuses[v]
    out: list[Blocker] = []
    for k in np.flatnonzero(req.any(axis=0) & ref.any(axis=0)):
        iid = arrays.issue_ids[k]
        who_req = [arrays.actor_ids[v[i]] for i in np.flatnonzero(req[:, k])]
        who_ref = [arrays.actor_ids[v[i]] for i in np.flatnonzero(ref[:, k])]
        text = (
            f"{', '.join(who_req)} require(s) {scenario.issue(iid).name} on the agenda; "
            f"{', '.join(who_ref)} refuse(s) to negotiate it"
        )
        for i in np.flatnonzero(req[:, k] | ref[:, k]):
            out.append(Blocker(arrays.actor_ids[v[i]], iid, "agenda", float(w[i, k]), text))
    return out


def analyze(scenario: Scenario, loss: Loss | None = None) -> Analysis:
    """Analyse a scenario: feasibility, ZOPA, two-level game, blockers, mediators, risk."""
    loss = loss or scenario.loss
    arrays = to_arrays(scenario)
    warnings: list[str] = []
    nd = no_deal_utility(arrays, loss)
    for i in arrays.veto_players:
        if np.isnan(nd[i]):
            warnings.append(
                f"{arrays.actor_ids[i]} has no no-deal value (no status quo on every issue and "
                "no no_deal.utility): only its red lines constrain a deal"
            )
    base = feasibility_batch(arrays, loss)
    possible = bool(base.deal_possible[0])
    zopa = issue_zopas(arrays)
    package = _package(arrays, base, loss)
    two_level = _two_level(scenario, arrays, loss)
    vv = list(arrays.veto_players)
    # issues on every admissible agenda (or required, when agendas conflict)
    must_on = np.asarray(
        base.agendas.all(axis=0)
        if base.agendas.size
        else arrays.requires[vv].any(axis=0) | np.isnan(arrays.status_quo)
    )

    blocking: list[Blocker] = []
    if not possible:
        blocking += _agenda_blockers(scenario, arrays)
        blocking += _red_line_blockers(arrays, must_on)
        if np.isfinite(base.slack[0]):
            sur = surplus(arrays, base.point[0], loss)
            for i, s in zip(arrays.veto_players, sur, strict=True):
                if s < -TOL:
                    blocking.append(
                        Blocker(
                            arrays.actor_ids[i],
                            None,
                            "no_deal_value",
                            float(-s),
                            f"{arrays.actor_ids[i]} prefers no deal to the best available "
                            f"agreement by {-s:.3f} utility",
                        )
                    )
        for state, info in two_level.items():
            if info["negotiator_only_feasible"] and not info["ratified_feasible"]:
                for f in info["blocking_ratifiers"]:
                    blocking.append(
                        Blocker(
                            f,
                            None,
                            "ratification",
                            1.0,
                            f"{f} would not ratify a deal {state}'s negotiator could accept",
                        )
                    )
    strongest: dict[tuple[str, str | None, str], Blocker] = {}
    for b in blocking:  # one entry per (actor, issue, kind): its strongest reason
        key = (b.actor, b.issue, b.kind)
        if key not in strongest or b.score > strongest[key].score:
            strongest[key] = b
    blocking = sorted(strongest.values(), key=lambda b: (-b.score, b.actor, b.issue or ""))
    mediators = _brokers(scenario, arrays, base, loss)
    ripeness = _ripeness(scenario, arrays, possible, loss)
    esc = escalation_risk(scenario)
    verdict, reasons = _verdict(
        scenario, possible, package, zopa, blocking, mediators, esc, two_level
    )
    return Analysis(
        scenario=scenario.name,
        loss=loss,
        deal_possible=possible,
        verdict=verdict,
        reasons=tuple(reasons),
        zopa=zopa,
        package=package,
        two_level=two_level,
        blocking=tuple(blocking),
        mediators=tuple(mediators),
        ripeness=ripeness,
        escalation=esc,
        warnings=tuple(warnings),
    )


def _package(arrays: ScenarioArrays, res: BatchFeasibility, loss: Loss) -> dict[str, Any]:
    feasible = bool(res.deal_possible[0])
    best = int(res.agenda[0])
    agenda = (
        [i for i, o in zip(arrays.issue_ids, res.agendas[best], strict=True) if o]
        if best >= 0
        else None
    )
    point = (
        {i: float(x) for i, x in zip(arrays.issue_ids, res.point[0], strict=True)}
        if best >= 0
        else None
    )
    sur = None
    if best >= 0:
        s = surplus(arrays, res.point[0], loss)
        sur = {arrays.actor_ids[i]: float(x) for i, x in zip(arrays.veto_players, s, strict=True)}
    return {
        "feasible": feasible,
        "admissible_agendas": [
            [i for i, o in zip(arrays.issue_ids, a, strict=True) if o] for a in res.agendas
        ],
        "agenda": agenda,
        "point": point,
        "slack": _f(float(res.slack[0])),
        "surplus": sur,
        "note": "point = the agreement that maximises the smallest surplus over no deal "
        "among the veto players (best admissible agenda)",
    }


def _two_level(scenario: Scenario, arrays: ScenarioArrays, loss: Loss) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for party in scenario.parties():
        ratifiers = scenario.ratifiers(party.id)
        if ratifiers == [party]:
            continue
        negotiators = [f for f in ratifiers if f.negotiator] or ratifiers[:1]
        others = [
            i for i in arrays.veto_players if arrays.actor_ids[i] not in {r.id for r in ratifiers}
        ]
        level1 = tuple(sorted(others + [arrays.index(n.id) for n in negotiators]))
        f1 = bool(feasibility_batch(arrays, loss, veto=level1).deal_possible[0])
        full = bool(feasibility_batch(arrays, loss).deal_possible[0])
        blocking = []
        if f1 and not full:
            for r in ratifiers:
                if r in negotiators:
                    continue
                alone = tuple(sorted([*level1, arrays.index(r.id)]))
                if not feasibility_batch(arrays, loss, veto=alone).deal_possible[0]:
                    blocking.append(r.id)
        out[party.id] = {
            "ratifiers": [r.id for r in ratifiers],
            "negotiators": [n.id for n in negotiators],
            "negotiator_only_feasible": f1,
            "ratified_feasible": full,
            "blocking_ratifiers": blocking,
        }
    return out


def _brokers(
    scenario: Scenario, arrays: ScenarioArrays, base: BatchFeasibility, loss: Loss
) -> list[BrokerRole]:
    possible = bool(base.deal_possible[0])
    out = []
    for b in scenario.brokers():
        shift = inducement_shift(scenario, arrays, [b.id])
        opens = False
        if not possible and shift.any():
            opens = bool(feasibility_batch(arrays, loss, shift=shift).deal_possible[0])
        if possible:
            role, reason = "formulator", "a ZOPA exists: it can propose a point inside it"
        elif opens:
            role, reason = "manipulator", "its deliverable inducements open a ZOPA"
        else:
            role = "communicator"
            reason = (
                "no ZOPA, and its deliverable inducements cannot open one"
                if shift.any()
                else "no ZOPA, and it has no inducements to offer"
            )
            if b.channel is not None:
                reason += f"; its channel removes {b.channel.value:.0%} of escalation risk"
        out.append(
            BrokerRole(
                b.id,
                b.name,
                b.kind.value,
                role,
                opens,
                None if b.channel is None else b.channel.value,
                reason,
            )
        )
    return out


def _ripeness(
    scenario: Scenario, arrays: ScenarioArrays, possible: bool, loss: Loss
) -> dict[str, Any]:
    hurting = {}
    for p in scenario.parties():
        rats = scenario.ratifiers(p.id)
        hurting[p.id] = all(arrays.no_deal_trend[arrays.index(r.id)] < 0 for r in rats)
    mhs = bool(hurting) and all(hurting.values())
    # months until a deal becomes feasible if no-deal values keep their trends
    months = np.arange(0, 37, dtype=float)
    nd_b = months[:, None] * arrays.no_deal_trend[None, :]
    batch = replace(
        arrays,
        position=np.broadcast_to(arrays.position, (len(months), *arrays.position.shape)),
    )
    res = feasibility_batch(batch, loss, shift=nd_b)
    first = np.flatnonzero(res.deal_possible)
    return {
        "hurting": hurting,
        "mutually_hurting_stalemate": mhs,
        "way_out": possible,
        "ripe": bool(mhs and possible),
        "months_until_feasible": None if first.size == 0 else int(months[first[0]]),
        "horizon_months": int(months[-1]),
    }


def _verdict(
    scenario: Scenario,
    possible: bool,
    package: dict[str, Any],
    zopa: dict[str, dict[str, Any]],
    blocking: list[Blocker],
    mediators: list[BrokerRole],
    esc: EscalationRisk | None,
    two_level: dict[str, Any],
) -> tuple[str, list[str]]:
    reasons: list[str] = []
    if possible:
        verdict = "Deal reachable: the veto players' win-sets intersect."
        agenda = ", ".join(package["agenda"] or [])
        reasons.append(
            f"A package on [{agenda}] leaves every veto player better off than "
            f"no deal (smallest surplus {package['slack']:.3f})."
        )
    else:
        verdict = "No deal reachable: the veto players' win-sets do not intersect."
        kinds = {b.kind for b in blocking}
        if "agenda" in kinds:
            for issue in dict.fromkeys(b.issue for b in blocking if b.kind == "agenda"):
                reasons.append(
                    next(b.detail for b in blocking if b.kind == "agenda" and b.issue == issue)
                    + "."
                )
        empty = [i for i, z in zopa.items() if z["empty"]]
        if empty:
            names = ", ".join(scenario.issue(i).name for i in empty)
            reasons.append(f"The red lines leave no zone of agreement on: {names}.")
        for b in blocking:
            if b.kind in ("no_deal_value", "ratification"):
                reasons.append(b.detail + ".")
    for state, info in two_level.items():
        if info["negotiator_only_feasible"] and not info["ratified_feasible"]:
            reasons.append(
                f"Two-level game: {state}'s negotiators could agree, but "
                f"{', '.join(info['blocking_ratifiers'])} would not ratify."
            )
    roles = {m.role for m in mediators}
    if mediators:
        if possible:
            reasons.append("Mediators can act as formulators: propose a point in the ZOPA.")
        elif roles == {"communicator"}:
            reasons.append("Mediators are communicators: no one's inducements can open a ZOPA.")
        else:
            mans = [m.name for m in mediators if m.role == "manipulator"]
            reasons.append(f"Manipulators whose leverage opens a ZOPA: {', '.join(mans)}.")
    if esc is not None and not possible:
        reasons.append(
            f"What the channels can still do: lower the risk of escalation over "
            f"{esc.horizon_months:g} months from {esc.p_without_channel:.0%} to "
            f"{esc.p_with_channels:.0%}."
        )
    return verdict, reasons

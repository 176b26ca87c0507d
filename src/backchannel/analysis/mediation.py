"""Mediators and third parties, the mediated verdict, and incident-driven escalation risk.

* **Mediator roles** after Touval & Zartman (1985, *International Mediation in Theory and
  Practice*, pp. 11-13): a **communicator** passes messages and cannot change the
  bargaining space; a **formulator** proposes a point when a zone of agreement exists; a
  **manipulator** uses leverage (inducements) to create one. Computed, not asserted: a
  mediator is a manipulator if its deliverable pro-deal inducements (amount x
  credibility) make an infeasible scenario feasible. Only ``kind: mediator`` actors get a
  role.
* **Third parties** are judged by what their inducements, pressure and incidents *do*
  (Stedman 1997, "Spoiler problems in peace processes", *International Security* 22(2)): a
  **supporter** widens the zone of agreement (raises the best margin, or opens a deal), a
  **spoiler** narrows it (lowers the margin, closes a deal) or raises the risk of
  escalation; a **bystander** does neither.
* **Mediated verdict**: is a deal reachable once every deliverable inducement is used, and
  at least how much must the mediators and supporters deliver (a MILP over the share of
  each inducement used)?
* Escalation: incidents arrive as a Poisson process with rate ``lambda`` a month (plus any
  spoiler's own ``incidents``), each escalating with probability ``q``; a channel of
  communication removes a share ``c_m`` of that risk (Schelling 1960, *The Strategy of
  Conflict*, ch. 9; the 1963 hotline logic). Thinning gives
  ``P(escalation within T) = 1 - exp(-lambda q prod_m(1 - c_m) T)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
from backchannel.analysis.formulation import TOL, Soft, build
from backchannel.analysis.instance import Instance
from backchannel.scenario.arrays import FloatArray, ScenarioArrays
from backchannel.scenario.schema import Scenario

#: cost per unit of utility a broker delivers (cheap but not free: no more is used than
#: needed)
KAPPA = 0.01


def inducement_shift(
    scenario: Scenario,
    arrays: ScenarioArrays,
    brokers: Iterable[str] | None = None,
    aims: tuple[str, ...] = ("deal", "no_deal"),
) -> FloatArray:
    """No-deal utility shift (N,) from the deliverable inducements of ``brokers`` (all by
    default): a pro-deal inducement lowers its target's no-deal value relative to a deal by
    ``amount x credibility``, a spoiler's (``aim: no_deal``) raises it; an inducement to a
    party reaches the actors who decide its acceptance."""
    shift = np.zeros(arrays.n_actors)
    chosen = set(brokers) if brokers is not None else None
    for b in scenario.brokers():
        if chosen is not None and b.id not in chosen:
            continue
        for ind in b.inducements:
            if ind.aim not in aims:
                continue
            for t in scenario.recipients(ind.target):
                shift[arrays.index(t.id)] += ind.sign * ind.amount.value * ind.credibility.value
    return shift


def escalation_probability(
    rate: float, p_escalate: float, months: float, channels: Iterable[float] = ()
) -> float:
    """``1 - exp(-rate * p * prod(1 - c) * months)`` (Poisson thinning)."""
    keep = math.prod(1.0 - c for c in channels)
    return 1.0 - math.exp(-rate * p_escalate * keep * months)


@dataclass(frozen=True)
class EscalationRisk:
    horizon_months: float
    p_without_channel: float
    p_with_channels: float
    by_mediator: dict[str, float]
    spoiler_incidents: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon_months": self.horizon_months,
            "p_without_channel": self.p_without_channel,
            "p_with_channels": self.p_with_channels,
            "by_mediator": self.by_mediator,
            "spoiler_incidents": self.spoiler_incidents,
        }


def escalation_risk(scenario: Scenario, *, spoilers: bool = True) -> EscalationRisk | None:
    esc = scenario.escalation
    if esc is None:
        return None
    chans = {a.id: a.channel.value for a in scenario.brokers() if a.channel is not None}
    extra = sum(a.incidents.value for a in scenario.actors if a.incidents is not None)
    rate = esc.rate.value + (extra if spoilers else 0.0)
    p, t = esc.p_escalate.value, esc.horizon_months
    return EscalationRisk(
        horizon_months=t,
        p_without_channel=escalation_probability(rate, p, t),
        p_with_channels=escalation_probability(rate, p, t, chans.values()),
        by_mediator={m: escalation_probability(rate, p, t, [c]) for m, c in chans.items()},
        spoiler_incidents=extra,
    )


@dataclass(frozen=True)
class BrokerRole:
    """A mediator's role (Touval & Zartman 1985)."""

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
class ThirdParty:
    """What a third party's inducements, pressure and incidents do to the verdict."""

    id: str
    name: str
    effect: str  # supporter | spoiler | bystander
    slack_without: float | None
    slack_with: float | None
    opens: bool
    closes: bool
    incidents: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "effect": self.effect,
            "slack_without": self.slack_without,
            "slack_with": self.slack_with,
            "opens": self.opens,
            "closes": self.closes,
            "incidents": self.incidents,
            "reason": self.reason,
        }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def shifted(inst: Instance, shift: FloatArray) -> Instance:
    return replace(inst, nd=inst.nd + shift)


def mediator_roles(
    scenario: Scenario, arrays: ScenarioArrays, inst: Instance, base: Decision
) -> list[BrokerRole]:
    out = []
    for b in scenario.mediators():
        shift = inducement_shift(scenario, arrays, [b.id], aims=("deal",))
        opens = False
        if not base.deal_possible and shift.any():
            opens = decide(shifted(inst, shift)).deal_possible
        if base.deal_possible:
            role, reason = "formulator", "a zone of agreement exists: it can propose a point in it"
        elif opens:
            role, reason = "manipulator", "its deliverable inducements open a zone of agreement"
        else:
            role = "communicator"
            reason = (
                "no zone of agreement, and its deliverable inducements cannot open one"
                if shift.any()
                else "no zone of agreement, and it has no inducements to offer"
            )
        if b.channel is not None and role == "communicator":
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


def third_parties(
    scenario: Scenario, arrays: ScenarioArrays, inst: Instance, base: Decision
) -> list[ThirdParty]:
    out = []
    for b in scenario.third_parties():
        shift = inducement_shift(scenario, arrays, [b.id])
        incidents = 0.0 if b.incidents is None else b.incidents.value
        with_ = decide(shifted(inst, shift)) if shift.any() else base
        before, after = base.slack, with_.slack
        opens = with_.deal_possible and not base.deal_possible
        closes = base.deal_possible and not with_.deal_possible
        aims = {i.aim for i in b.inducements}
        widened = opens or (np.isfinite(before) and after > before + TOL)
        narrowed = closes or (np.isfinite(before) and after < before - TOL)
        if narrowed or incidents > 0:
            effect = "spoiler"
        elif widened:
            effect = "supporter"
        elif not np.isfinite(before) and aims:
            effect = "spoiler" if aims == {"no_deal"} else "supporter"
        else:
            effect = "bystander"
        parts = []
        if opens:
            parts.append("its inducements open a zone of agreement")
        elif closes:
            parts.append("its backing of a holdout closes the zone of agreement")
        elif widened or narrowed:
            parts.append(f"it moves the best margin from {before:+.3f} to {after:+.3f} utility")
        elif shift.any():
            parts.append(
                "its inducements do not change the verdict (red lines, agenda or rules "
                "exclude every package either way)"
                if not np.isfinite(before)
                else "its inducements do not change the best margin"
            )
        if incidents > 0:
            parts.append(f"it causes {incidents:g} extra incidents a month")
        if not parts:
            parts.append("no inducements and no incidents")
        out.append(
            ThirdParty(
                b.id,
                b.name,
                effect,
                _finite(before),
                _finite(after),
                bool(opens),
                bool(closes),
                incidents,
                "; ".join(parts),
            )
        )
    return out


def mediated(
    scenario: Scenario, arrays: ScenarioArrays, inst: Instance, base: Decision
) -> dict[str, Any]:
    """Is a deal reachable with every deliverable inducement (the spoilers' included), and
    which pro-deal inducements does it take at least?"""
    spoil = inducement_shift(scenario, arrays, aims=("no_deal",))
    names: list[tuple[str, str, float]] = []
    induce: list[tuple[tuple[int, ...], float, float]] = []
    for b in scenario.brokers():
        for ind in b.inducements:
            amount = ind.amount.value * ind.credibility.value
            if ind.aim != "deal" or amount <= 0:
                continue
            targets = tuple(arrays.index(t.id) for t in scenario.recipients(ind.target))
            names.append((b.id, ind.target, amount))
            induce.append((targets, amount, KAPPA))
    if base.deal_possible:
        return {
            "possible": True,
            "needed": False,
            "by": [],
            "delivered": {},
            "reason": "reachable on the parties' own terms",
        }
    if not induce:
        return {
            "possible": False,
            "needed": False,
            "by": [],
            "delivered": {},
            "reason": "no mediator or third party offers a deliverable inducement",
        }
    f = build(shifted(inst, spoil), tau=0.0, soft=Soft(induce=tuple(induce)))
    sol = f.solve()
    if not sol.optimal:
        return {
            "possible": False,
            "needed": True,
            "by": [],
            "delivered": {},
            "reason": "even every deliverable inducement together cannot open a zone of agreement",
        }
    delivered: dict[str, float] = {}
    for (bid, _target, amount), zj in zip(names, f.z, strict=True):
        used = float(sol.x[zj]) * amount
        if used > 1e-9:
            delivered[bid] = delivered.get(bid, 0.0) + round(used, 6)
    # certify: apply exactly what was delivered and re-decide
    shift = spoil.copy()
    for zj, (targets, amount, _) in zip(f.z, induce, strict=True):
        shift[list(targets)] -= float(sol.x[zj]) * amount
    check = decide(shifted(inst, shift))
    by = sorted(delivered)
    return {
        "possible": bool(check.deal_possible),
        "needed": True,
        "by": by,
        "delivered": delivered,
        "reason": (
            f"reachable only with {', '.join(by)} delivering "
            + ", ".join(f"{v:.3f} utility" for v in delivered.values())
            if check.deal_possible
            else "the inducements open a zone of agreement only within solver tolerance"
        ),
    }

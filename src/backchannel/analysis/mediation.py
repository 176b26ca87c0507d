"""Mediators and third parties, ripeness, and incident-driven escalation risk.

* Mediator roles after Touval & Zartman (1985, *International Mediation in Theory and
  Practice*, pp. 11-13): a **communicator** passes messages and cannot change the
  bargaining space; a **formulator** proposes a point when a ZOPA exists; a
  **manipulator** uses leverage (inducements) to create one. Computed, not asserted: a
  broker is a manipulator if applying its deliverable inducements (amount x credibility)
  makes an infeasible scenario feasible.
* Ripeness (Zartman 2000, "Ripeness: the hurting stalemate and beyond", in Stern & Druckman
  (eds), *International Conflict Resolution after the Cold War*, pp. 225-250): a mutually
  hurting stalemate (every party's no-deal value worsening: ``trend < 0`` for all its veto
  players) plus a way out (a deal is feasible).
* Escalation: incidents arrive as a Poisson process with rate ``lambda`` a month, each
  escalating with probability ``q``; a channel of communication removes a share ``c_m`` of
  that risk (Schelling 1960, *The Strategy of Conflict*, ch. 9 on accidental war and
  communication; the 1963 hotline logic). Thinning gives
  ``P(escalation within T) = 1 - exp(-lambda q prod_m(1 - c_m) T)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from backchannel.scenario.arrays import FloatArray, ScenarioArrays
from backchannel.scenario.schema import Scenario


def inducement_shift(
    scenario: Scenario, arrays: ScenarioArrays, brokers: Iterable[str] | None = None
) -> FloatArray:
    """No-deal utility shift (N,) from the deliverable inducements of ``brokers`` (all by
    default): each inducement lowers its target's no-deal value relative to a deal by
    ``amount x credibility``; a target state passes it to its ratifiers."""
    shift = np.zeros(arrays.n_actors)
    chosen = set(brokers) if brokers is not None else None
    for b in scenario.brokers():
        if chosen is not None and b.id not in chosen:
            continue
        for ind in b.inducements:
            for t in scenario.recipients(ind.target):
                shift[arrays.index(t.id)] -= ind.amount.value * ind.credibility.value
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

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon_months": self.horizon_months,
            "p_without_channel": self.p_without_channel,
            "p_with_channels": self.p_with_channels,
            "by_mediator": self.by_mediator,
        }


def escalation_risk(scenario: Scenario) -> EscalationRisk | None:
    esc = scenario.escalation
    if esc is None:
        return None
    chans = {a.id: a.channel.value for a in scenario.brokers() if a.channel is not None}
    rate, p, t = esc.rate.value, esc.p_escalate.value, esc.horizon_months
    return EscalationRisk(
        horizon_months=t,
        p_without_channel=escalation_probability(rate, p, t),
        p_with_channels=escalation_probability(rate, p, t, chans.values()),
        by_mediator={m: escalation_probability(rate, p, t, [c]) for m, c in chans.items()},
    )

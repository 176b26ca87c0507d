"""Escalation over time: incident-driven escalation as a hazard that events change.

The engine's escalation model (:mod:`backchannel.analysis.mediation`) is Poisson
thinning: incidents arrive at ``rate`` a month (plus any spoiler's own ``incidents``),
each escalates with probability ``p_escalate``, and each mediator's channel removes a
share ``channel`` of that risk (Schelling 1960, ch. 9), so escalation itself arrives at
the **hazard** ``h = rate * p_escalate * prod(1 - channel)`` a month and
``P(escalation within T) = 1 - exp(-h T)``. Over a timeline the inputs change at events
(an attack raises the incident rate; a mediator's channel lowers the hazard), so ``h`` is
piecewise constant and the probability of escalation by date ``t`` is
``1 - exp(-integral of h from the start to t)`` (the cumulative hazard of a
non-homogeneous Poisson process; e.g. Cox & Isham 1980, *Point Processes*, ch. 2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from backchannel.scenario.schema import Scenario


@dataclass(frozen=True)
class Hazard:
    """Escalations a month, with the mediators' channels and without them."""

    with_channels: float
    without_channels: float


def hazard(sc: Scenario) -> Hazard | None:
    """The scenario's escalation hazard a month (None: it models no escalation)."""
    esc = sc.escalation
    if esc is None:
        return None
    rate = esc.rate.value + sum(a.incidents.value for a in sc.actors if a.incidents is not None)
    keep = math.prod(1.0 - a.channel.value for a in sc.brokers() if a.channel is not None)
    h = rate * esc.p_escalate.value
    return Hazard(with_channels=h * keep, without_channels=h)


def cumulative(hazards: Sequence[float], months: Sequence[float]) -> list[float]:
    """P(escalation by the end of each interval) for piecewise-constant ``hazards`` over
    intervals of ``months``: ``1 - exp(-sum h_i m_i)``, running."""
    total, out = 0.0, []
    for h, m in zip(hazards, months, strict=True):
        total += h * m
        out.append(-math.expm1(-total))
    return out

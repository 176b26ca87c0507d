"""Capabilities of the DEU actors per issue: power indices of the legislative game.

The game of an issue follows from its treaty period (:func:`council.period_for`), its
Council voting rule and its procedure:

* Council: the weighted (Amsterdam/Nice) or double-majority (Lisbon) game of the period
  under QMV; under unanimity every member is a veto player.
* Commission and Parliament (documented choice, docs/decisions.md): they enter the
  game as veto players whose consent every winning coalition needs, following the
  procedure: the Commission in both procedures (its proposal monopoly: the Council can only
  amend a proposal by unanimity, Art. 250(1) TEC / Art. 293(1) TFEU); the Parliament only
  under codecision (Art. 251 TEC / Art. 294 TFEU); under consultation its opinion does not
  bind and it has no power (index 0).

The capability of an actor on an issue is its Shapley-Shubik (default) or normalised
Banzhaf index in that game, or ``equal``: 1/n for each of the game's n players (members
and institutional veto players alike; a reference specification without voting weights);
non-members get 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from backchannel.data.council import Period, period_for
from backchannel.data.deu import DeuData
from backchannel.data.power import (
    PowerIndices,
    double_majority_game,
    unanimity_game,
    weighted_game,
)
from backchannel.scenario.arrays import FloatArray

PowerIndex = Literal["shapley_shubik", "banzhaf", "equal"]
POWER_INDICES: tuple[PowerIndex, ...] = ("shapley_shubik", "banzhaf", "equal")


def institutions_for(procedure: str) -> tuple[str, ...]:
    """Institutional veto players of a procedure (COD: Commission and Parliament;
    otherwise the Commission)."""
    return ("com", "ep") if procedure.upper() == "COD" else ("com",)


_CACHE: dict[tuple[str, str, str], PowerIndices] = {}


def game_power(period: Period, rule: str, procedure: str) -> PowerIndices:
    """Power indices of the legislative game of a period, voting rule and procedure
    (cached per process)."""
    key = (period.name, rule.upper()[:1], ",".join(institutions_for(procedure)))
    if key not in _CACHE:
        _CACHE[key] = _game_power(period, rule, procedure)
    return _CACHE[key]


def _game_power(period: Period, rule: str, procedure: str) -> PowerIndices:
    required = institutions_for(procedure)
    members = period.members
    if rule.upper().startswith("U"):
        return unanimity_game(members, required)
    if period.kind == "weighted":
        return weighted_game(
            period.quota,
            [period.weights[m] for m in members],
            members,
            min_members=period.min_members,
            required=required,
        )
    return double_majority_game(
        [period.population[m] for m in members],
        members,
        member_share=period.member_share,
        min_members=period.min_members,
        pop_share=period.pop_share,
        min_blocking=period.min_blocking,
        required=required,
    )


def issue_periods(data: DeuData) -> tuple[Period, ...]:
    """The treaty period of every issue."""
    has = data.has_position()
    return tuple(
        period_for(day, [a for a, h in zip(data.actors, has[:, k], strict=True) if h])
        for k, day in enumerate(data.intro)
    )


def capabilities(data: DeuData, index: PowerIndex = "shapley_shubik") -> FloatArray:
    """(A actors, K issues) capability = power index of each actor in the issue's game."""
    periods = issue_periods(data)
    cap = np.zeros((len(data.actors), data.n_issues))
    pos = {a: i for i, a in enumerate(data.actors)}
    for k, (per, rule, proc) in enumerate(zip(periods, data.rule, data.procedure, strict=True)):
        pi = game_power(per, rule, proc)
        if index == "equal":
            vals = np.full(len(pi.players), 1.0 / len(pi.players))
        else:
            vals = pi.shapley_shubik if index == "shapley_shubik" else pi.banzhaf
        for name, v in zip(pi.players, vals, strict=True):
            if name in pos:
                cap[pos[name], k] = v
    return cap

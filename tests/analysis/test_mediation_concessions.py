"""Mediator roles, escalation risk and what-it-takes on hand-checkable cases."""

from __future__ import annotations

import math

import pytest

from backchannel.analysis import analyze, apply_concessions, feasibility_batch, what_it_takes
from backchannel.analysis.mediation import escalation_probability
from backchannel.scenario import to_arrays

from .conftest import build, issue, state


def short_of_deal(payment: float | None = None, credibility: float = 1.0):
    """a needs x <= 30, b needs x >= 40: together 0.1 utility short (see test_feasibility)."""
    actors = [
        state("a", {"x": {"position": 0}}, no_deal={"utility": -0.3}),
        state("b", {"x": {"position": 100}}, no_deal={"utility": -0.6}),
        {"id": "m", "name": "Mediator", "kind": "mediator", "channel": 0.5},
    ]
    if payment is not None:
        actors[2]["inducements"] = [
            {"target": "a", "kind": "side_payment", "amount": payment, "credibility": credibility}
        ]
    return build(
        [issue("x")], actors, escalation={"rate": 2, "p_escalate": 0.1, "horizon_months": 6}
    )


def role(sc):
    (m,) = analyze(sc).mediators
    return m.role, m.can_open_zopa


def test_mediator_roles_follow_from_leverage() -> None:
    assert role(short_of_deal()) == ("communicator", False)
    assert role(short_of_deal(0.08)) == ("communicator", False)  # 0.08 < 0.1 shortfall
    assert role(short_of_deal(0.12)) == ("manipulator", True)  # enough to open a ZOPA
    assert role(short_of_deal(0.12, credibility=0.5)) == ("communicator", False)  # 0.06


def test_formulator_when_a_zopa_exists() -> None:
    sc = build(
        [issue("x")],
        [
            state("a", {"x": {"position": 0}}, no_deal={"utility": -0.6}),
            state("b", {"x": {"position": 100}}, no_deal={"utility": -0.6}),
            {"id": "m", "name": "M", "kind": "mediator"},
        ],
    )
    assert role(sc) == ("formulator", False)


def test_escalation_risk_with_and_without_channel() -> None:
    res = analyze(short_of_deal())
    esc = res.escalation
    assert esc is not None
    assert esc.p_without_channel == pytest.approx(1 - math.exp(-2 * 0.1 * 6))
    assert esc.p_with_channels == pytest.approx(1 - math.exp(-2 * 0.1 * 0.5 * 6))
    assert escalation_probability(1, 0.2, 10, [0.5, 0.5]) == pytest.approx(1 - math.exp(-0.5))


def test_what_it_takes_is_minimal_and_feasible_when_applied() -> None:
    sc = short_of_deal()
    res = what_it_takes(sc)
    assert not res.feasible_already
    # the two no-deal values must come down by 0.1 in total (any split is optimal)
    assert res.total_cost == pytest.approx(0.1, abs=1e-4)
    assert {c.kind for c in res.concessions} == {"no_deal_value"}
    fixed = apply_concessions(sc, res)
    assert feasibility_batch(to_arrays(fixed)).deal_possible[0]


def test_what_it_takes_uses_inducements_before_concessions() -> None:
    sc = short_of_deal(0.12)
    res = what_it_takes(sc)
    kinds = [c.kind for c in res.concessions]
    assert kinds == ["inducement"]
    assert res.concessions[0].after == pytest.approx(0.1, abs=1e-4)
    assert feasibility_batch(to_arrays(apply_concessions(sc, res))).deal_possible[0]


def test_what_it_takes_moves_red_lines_at_their_cost() -> None:
    # a accepts [0, 60], b accepts [70, 100]; no-deal values slack: close the 10-point gap
    # no status quo: both issues must be on the agenda (else leaving x off would do)
    sc = build(
        [issue("x", sq=None), issue("y", sq=None)],
        [
            state(
                "a",
                {
                    "x": {"position": 0, "limit": 60, "salience": 80},
                    "y": {"position": 0, "salience": 20},
                },
                no_deal={"utility": -1},
            ),
            state(
                "b",
                {
                    "x": {"position": 100, "limit": 70, "salience": 20},
                    "y": {"position": 100, "salience": 80},
                },
                no_deal={"utility": -1},
            ),
        ],
    )
    res = what_it_takes(sc)
    # the cheaper side (b, weight 0.2 on x) moves its red line by 10 points: cost 0.2 * 0.1
    assert [(c.actor, c.kind, c.issue) for c in res.concessions] == [("b", "red_line", "x")]
    assert res.total_cost == pytest.approx(0.02, abs=1e-4)
    assert feasibility_batch(to_arrays(apply_concessions(sc, res))).deal_possible[0]


def test_what_it_takes_with_quadratic_loss_is_feasible_when_applied() -> None:
    sc = build(
        [issue("x")],
        [
            state("a", {"x": {"position": 0, "limit": 30}}, no_deal={"utility": -0.05}),
            state("b", {"x": {"position": 100, "limit": 60}}, no_deal={"utility": -0.1}),
        ],
        loss="quadratic",
    )
    assert not feasibility_batch(to_arrays(sc), "quadratic").deal_possible[0]
    res = what_it_takes(sc)
    assert not res.feasible_already
    fixed = apply_concessions(sc, res)
    assert feasibility_batch(to_arrays(fixed), "quadratic").deal_possible[0]

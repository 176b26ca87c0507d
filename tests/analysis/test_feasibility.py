"""Exact win-sets, ZOPAs and verdicts on hand-checkable cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.analysis import analyze, feasibility_batch
from backchannel.scenario import to_arrays

from .conftest import build, issue, state


def two_actors(limit_b: float = 40.0, nd_a: float = -0.7, nd_b: float = -0.7, loss="linear"):
    return build(
        [issue("x")],
        [
            state("a", {"x": {"position": 0, "limit": 60}}, no_deal={"utility": nd_a}),
            state("b", {"x": {"position": 100, "limit": limit_b}}, no_deal={"utility": nd_b}),
        ],
        loss=loss,
    )


def test_two_actor_zopa_and_maxmin_point() -> None:
    # a accepts [0, 60], b accepts [40, 100]: ZOPA [40, 60]; U_a = -x/100, U_b = -(100-x)/100
    res = analyze(two_actors())
    assert res.deal_possible
    assert res.zopa["x"]["low"] == pytest.approx(40) and res.zopa["x"]["high"] == pytest.approx(60)
    assert res.package["point"]["x"] == pytest.approx(50)
    assert res.package["slack"] == pytest.approx(0.2)  # -0.5 - (-0.7)
    assert res.blocking == ()


def test_two_actor_quadratic_loss() -> None:
    res = analyze(two_actors(loss="quadratic"))
    assert res.package["point"]["x"] == pytest.approx(50, abs=1e-4)
    assert res.package["slack"] == pytest.approx(0.7 - 0.25, abs=1e-6)


def test_disjoint_red_lines_block_and_name_both_actors() -> None:
    # b now accepts only [70, 100]; a accepts [0, 60]: a 10-point gap
    res = analyze(two_actors(limit_b=70))
    assert not res.deal_possible
    assert res.zopa["x"]["empty"]
    kinds = {(b.actor, b.issue, b.kind) for b in res.blocking}
    assert kinds == {("a", "x", "red_line"), ("b", "x", "red_line")}
    assert [c["text"] for c in res.conflicts] == [
        "a's red line on X (accepts 0 to 60) and b's red line on X (accepts 70 to 100; "
        "its status quo 50 is beyond it) cannot both hold."
    ]
    assert sorted(len(s["constraints"]) for s in res.blocking_sets) == [1, 1]


def test_no_deal_values_block_with_exact_slack() -> None:
    # no red lines; a needs x <= 30 (U_a >= -0.3), b needs x >= 40 (U_b >= -0.6)
    sc = build(
        [issue("x")],
        [
            state("a", {"x": {"position": 0}}, no_deal={"utility": -0.3}),
            state("b", {"x": {"position": 100}}, no_deal={"utility": -0.6}),
        ],
    )
    res = feasibility_batch(to_arrays(sc))
    assert not res.deal_possible[0]
    assert res.slack[0] == pytest.approx(-0.05)  # x = 35 balances the two shortfalls
    assert res.point[0, 0] == pytest.approx(35)
    an = analyze(sc)
    assert {b.actor for b in an.blocking if b.kind == "no_deal_value"} == {"a", "b"}


def test_status_quo_no_deal_value() -> None:
    # no explicit utility: the no-deal value is the utility of the status quo (x = 20)
    sc = build(
        [issue("x", sq=20)],
        [
            state("a", {"x": {"position": 0}}),
            state("b", {"x": {"position": 100}}),
        ],
    )
    res = feasibility_batch(to_arrays(sc))
    # a wants x <= 20, b wants x >= 20: exactly one point, slack 0
    assert res.deal_possible[0]
    assert res.slack[0] == pytest.approx(0, abs=1e-9)


def test_three_actors_box_intersection() -> None:
    sc = build(
        [issue("x")],
        [
            state("a", {"x": {"position": 0, "limit": 70}}, no_deal={"utility": -1}),
            state("b", {"x": {"position": 100, "limit": 30}}, no_deal={"utility": -1}),
            state("c", {"x": {"position": 50, "limit": 40}}, no_deal={"utility": -1}),
        ],
    )
    res = analyze(sc)
    # a [0,70], b [30,100], c [40,60] -> ZOPA [40, 60]
    assert res.zopa["x"]["low"] == pytest.approx(40)
    assert res.zopa["x"]["high"] == pytest.approx(60)
    assert res.deal_possible


def test_agenda_conflict_blocks_and_dropping_it_flips() -> None:
    def sc(require: bool):
        a_agenda = {"requires": ["y"]} if require else {}
        return build(
            [issue("x"), issue("y", sq=100)],
            [
                state(
                    "a",
                    {"x": {"position": 0}, "y": {"position": 0}},
                    agenda=a_agenda,
                    no_deal={"utility": -0.9},
                ),
                state(
                    "b",
                    {"x": {"position": 100}, "y": {"position": 100}},
                    agenda={"refuses": ["y"]},
                    no_deal={"utility": -0.9},
                ),
            ],
        )

    blocked = analyze(sc(True))
    assert not blocked.deal_possible
    assert {(b.actor, b.kind) for b in blocked.blocking} >= {("a", "agenda"), ("b", "agenda")}
    assert blocked.conflicts[0]["text"] == (
        "a's demand that the deal settle Y and b's refusal to negotiate Y cannot both hold."
    )
    open_ = analyze(sc(False))
    assert open_.deal_possible
    assert open_.package["agenda"] == ["x"]


def two_level(hardliner_veto: bool):
    return build(
        [issue("x")],
        [
            state("t", {"x": {"position": 0, "limit": 50}}, no_deal={"utility": -1}),
            {"id": "s", "name": "S", "kind": "state"},
            {
                "id": "dove",
                "name": "Dove",
                "kind": "faction",
                "parent": "s",
                "veto": True,
                "negotiator": True,
                "positions": {"x": {"position": 100, "limit": 40}},
                "no_deal": {"utility": -1},
            },
            {
                "id": "hawk",
                "name": "Hawk",
                "kind": "faction",
                "parent": "s",
                "veto": hardliner_veto,
                "positions": {"x": {"position": 100, "limit": 70}},
                "no_deal": {"utility": -1},
            },
        ],
    )


def test_two_level_ratification_changes_the_verdict() -> None:
    res = analyze(two_level(True))
    assert not res.deal_possible
    info = res.two_level["s"]
    assert info["negotiator_only_feasible"] and not info["ratified_feasible"]
    assert info["blocking_ratifiers"] == ["hawk"]
    assert any(b.kind == "red_line" and b.actor == "hawk" for b in res.blocking)
    assert analyze(two_level(False)).deal_possible


def test_batch_equals_single_draws() -> None:
    base = to_arrays(two_actors())
    limits = np.array([30.0, 40.0, 59.0, 61.0, 80.0])
    lim = np.repeat(base.limit[None], len(limits), axis=0)
    lim[:, 1, 0] = limits
    batch = dataclasses.replace(
        base,
        limit=lim,
        position=np.repeat(base.position[None], len(limits), axis=0),
        salience=np.repeat(base.salience[None], len(limits), axis=0),
    )
    res = feasibility_batch(batch)
    # b's red line at l admits [l, 100] (position 100): a deal iff l <= 60
    assert res.deal_possible.tolist() == [True, True, True, False, False]
    for i in range(len(limits)):
        single = dataclasses.replace(base, limit=lim[i])
        assert feasibility_batch(single).slack[0] == pytest.approx(res.slack[i])


@settings(max_examples=30, deadline=None)
@given(
    pa=st.floats(0, 100),
    pb=st.floats(0, 100),
    la=st.floats(0, 100),
    lb=st.floats(0, 100),
    nda=st.floats(-1, 0),
    ndb=st.floats(-1, 0),
    scale=st.floats(0.1, 10),
    shift=st.floats(-50, 50),
    swap=st.booleans(),
)
def test_invariant_to_actor_order_and_issue_units(pa, pb, la, lb, nda, ndb, scale, shift, swap):
    def sc(f, order):
        actors = [
            state("a", {"x": {"position": f(pa), "limit": f(la)}}, no_deal={"utility": nda}),
            state("b", {"x": {"position": f(pb), "limit": f(lb)}}, no_deal={"utility": ndb}),
        ]
        iss = {"id": "x", "name": "X", "scale": {"min": f(0), "max": f(100)}}
        return build([iss], actors[::-1] if order else actors)

    ref = feasibility_batch(to_arrays(sc(lambda v: v, False)))
    other = feasibility_batch(to_arrays(sc(lambda v: v * scale + shift, swap)))
    assert ref.deal_possible[0] == other.deal_possible[0] or abs(ref.slack[0]) < 1e-6
    if np.isfinite(ref.slack[0]):
        assert other.slack[0] == pytest.approx(ref.slack[0], abs=1e-6)
    else:
        assert not np.isfinite(other.slack[0])


@settings(max_examples=30, deadline=None)
@given(
    p=st.lists(st.floats(0, 100), min_size=2, max_size=4),
    nd=st.lists(st.floats(-1, 0), min_size=4, max_size=4),
)
def test_point_lies_inside_the_range_of_positions(p, nd):
    actors = [
        state(f"a{i}", {"x": {"position": v}}, no_deal={"utility": nd[i]}) for i, v in enumerate(p)
    ]
    res = feasibility_batch(to_arrays(build([issue("x")], actors)))
    assert min(p) - 1e-6 <= res.point[0, 0] <= max(p) + 1e-6

"""Ratification rules, linkage, separability, ambiguity and spoilers on hand-checkable cases.

Every case has one issue ``x`` on 0-100 (or two) and no-deal values low enough that only red
lines, agendas and rules decide, unless the case is about no-deal values; the expected
verdicts and blocking sets follow from the intervals by hand (written next to each case).
"""

from __future__ import annotations

from typing import Any

import pytest

from backchannel.analysis import analyze
from backchannel.analysis.proposal import evaluate_proposal, parse_package

from .conftest import build, issue, state

LOW = {"utility": -1.0}  # a no-deal value no package can fall below


def member(aid: str, parent: str, pos: float, limit: float | None = None, **kw: Any) -> dict:
    stance: dict[str, Any] = {"position": pos}
    if limit is not None:
        stance["limit"] = limit
    return {
        "id": aid,
        "name": aid.upper(),
        "kind": kw.pop("kind", "faction"),
        "parent": parent,
        "positions": {"x": stance},
        "no_deal": kw.pop("no_deal", LOW),
        **kw,
    }


def with_body(body: dict[str, Any], members: list[dict], q_limit: float = 60) -> Any:
    """Party q (accepts [0, q_limit]) and party p ratifying through ``body``."""
    return build(
        [issue("x")],
        [
            state("q", {"x": {"position": 0, "limit": q_limit}}, no_deal=LOW),
            {"id": "p", "name": "P", "kind": "state", "ratification": body},
            *members,
        ],
    )


MAJORITY_MEMBERS = [
    member("m1", "p", 100, 40),  # accepts [40, 100]
    member("m2", "p", 100, 70),  # accepts [70, 100]
    member("m3", "p", 100, 50),  # accepts [50, 100]
]


def test_simple_majority_of_three() -> None:
    # q accepts [0, 60]: at x in [50, 60] m1 and m3 accept: 2 of 3, a majority
    res = analyze(with_body({"members": ["m1", "m2", "m3"], "rule": "majority"}, MAJORITY_MEMBERS))
    assert res.deal_possible
    assert 50 - 1e-6 <= res.package["point"]["x"] <= 60 + 1e-6
    body = res.two_level["p"]["bodies"][0]
    assert body["passes"] and body["support"] == pytest.approx(2 / 3)
    # under unanimity m2 ([70, 100]) cannot meet q ([0, 60])
    unanimous = analyze(with_body({"members": ["m1", "m2", "m3"]}, MAJORITY_MEMBERS))
    assert not unanimous.deal_possible
    assert unanimous.conflicts[0]["text"] == (
        "q's red line on X (accepts 0 to 60) and m2's red line on X (accepts 70 to 100; "
        "its status quo 50 is beyond it) cannot both hold."
    )


def test_majority_one_vote_short_names_the_body() -> None:
    # q accepts [0, 45]: only m1 ([40, 100]) can accept: 1 of 3 votes, 2 needed
    res = analyze(
        with_body({"members": ["m1", "m2", "m3"], "rule": "majority"}, MAJORITY_MEMBERS, 45)
    )
    assert not res.deal_possible
    body = res.two_level["p"]["bodies"][0]
    assert body["support"] == pytest.approx(1 / 3) and not body["passes"]
    assert body["votes_short"] == pytest.approx(1.0)
    # relaxing the majority rule alone opens a deal (p then ratifies regardless); so does q's
    # red line alone
    sets = {tuple(c["kind"] for c in s["constraints"]) for s in res.blocking_sets}
    assert ("ratification",) in sets and ("red_line",) in sets


def test_weighted_quota() -> None:
    members = [
        member("big", "p", 100, 40),  # 50 seats, accepts [40, 100]
        member("mid", "p", 100, 90),  # 30 seats, accepts [90, 100]
        member("small", "p", 100, 55),  # 20 seats, accepts [55, 100]
    ]
    body = {"members": {"big": 50, "mid": 30, "small": 20}, "rule": "quota", "quota": 0.7}
    # q accepts [0, 60]: at most big + small = 70 seats: exactly the quota
    assert analyze(with_body(body, members)).deal_possible
    body["quota"] = 0.71
    res = analyze(with_body(body, members))
    assert not res.deal_possible
    assert res.two_level["p"]["bodies"][0]["votes_short"] == pytest.approx(1.0)


def double_majority(min_blocking: int | None, q_limit: float) -> Any:
    # five members with populations 40, 25, 15, 12, 8 (%): 55% of members and 65% of
    # population, as the EU Council; red lines put them in order along x
    pops = {"a": 40, "b": 25, "c": 15, "d": 12, "e": 8}
    limits = {"a": 70, "b": 65, "c": 30, "d": 20, "e": 10}  # each accepts [limit, 100]
    members = [member(m, "p", 100, limits[m]) for m in pops]
    body: dict[str, Any] = {
        "members": pops,
        "rule": "double_majority",
        "quota": 0.55,
        "second_quota": 0.65,
    }
    if min_blocking is not None:
        body["min_blocking"] = min_blocking
    return with_body(body, members, q_limit)


def test_double_majority() -> None:
    # q accepts [0, 35]: c, d, e accept (3 of 5 = 60% of members, 35% of population): fails
    res = analyze(double_majority(None, 35))
    assert not res.deal_possible
    assert res.two_level["p"]["bodies"][0]["support"] == pytest.approx(0.35)
    # q accepts [0, 70]: everyone can accept at x = 70: passes
    assert analyze(double_majority(None, 70)).deal_possible
    # q accepts [0, 66]: b, c, d, e (80% of members, 60% of population): fails on population
    assert not analyze(double_majority(None, 66)).deal_possible
    # with a blocking minority of at least 2 members, one rejecting member (a) cannot block
    assert analyze(double_majority(2, 66)).deal_possible
    # but two can (a and b at x <= 35... c, d, e accept; a, b reject): blocked
    assert not analyze(double_majority(2, 35)).deal_possible


def referendum(q_limit: float) -> Any:
    # blocs by vote share; the status quo is 0; a bloc accepts a deal it prefers to no deal;
    # q accepts [20, q_limit] (so the status quo itself is no deal)
    blocs = [
        member("pro", "p", 100, kind="electorate", no_deal=None),  # prefers any x > 0
        member("anti", "p", 0, kind="electorate", no_deal=None),  # prefers the status quo
        # the swing bloc needs U(x) >= U(0) + 0.45: -|x - 60|/100 >= -0.15: x in [45, 75]
        member("swing", "p", 60, kind="electorate", no_deal={"adjustment": 0.45}),
    ]
    for b in blocs:
        if b["no_deal"] is None:
            del b["no_deal"]
    return build(
        [issue("x", sq=0)],
        [
            state("q", {"x": {"position": (20 + q_limit) / 2, "limit": 20}}, no_deal=LOW),
            {
                "id": "p",
                "name": "P",
                "kind": "state",
                "ratification": {
                    "members": {"pro": 0.30, "anti": 0.45, "swing": 0.25},
                    "rule": "majority",
                },
            },
            *blocs,
        ],
    )


def test_referendum_of_voter_blocs() -> None:
    # q accepts [20, 40]: the swing bloc never says yes: 30% < 50%
    res = analyze(referendum(40))
    assert not res.deal_possible
    assert res.two_level["p"]["bodies"][0]["support"] == pytest.approx(0.30)
    # q accepts [20, 50]: at x in [45, 50] pro and swing say yes: 55%
    ok = analyze(referendum(50))
    assert ok.deal_possible
    assert 45 - 1e-6 <= ok.package["point"]["x"] <= 50 + 1e-6
    # the same plan put to the vote with plain arithmetic
    sc = referendum(50)
    plan = evaluate_proposal(sc, parse_package(sc, {"x": 48}, "test"))
    assert plan.ratified and plan.bodies[0]["support"] == pytest.approx(0.55)
    assert not evaluate_proposal(sc, parse_package(sc, {"x": 30}, "test")).ratified


def test_alternative_paths() -> None:
    # an executive agreement (the president alone) or a treaty (president and a senate
    # that needs two thirds): the president accepts [40, 100], q accepts [0, 60]
    senate = [member("d", "p", 100, 90), member("r", "p", 100, 95)]
    president = member("pres", "p", 100, 40)
    paths = {
        "paths": [
            {"id": "executive", "bodies": [{"id": "president", "members": ["pres"]}]},
            {
                "id": "treaty",
                "bodies": [
                    {"id": "president", "members": ["pres"]},
                    {"id": "senate", "members": {"d": 47, "r": 53}, "rule": "two_thirds"},
                ],
            },
        ]
    }
    res = analyze(with_body(paths, [president, *senate]))
    assert res.deal_possible
    treaty_only = {"paths": [paths["paths"][1]]}
    assert not analyze(with_body(treaty_only, [president, *senate])).deal_possible


def linkage(linked: bool) -> Any:
    # n: US accepts [0, 40], Iran [30, 100]; s: US accepts [0, 55], Iran [20, 100];
    # Iran accepts nuclear at most 50 only if sanctions relief is at least 60
    iran: dict[str, Any] = {
        "n": {"position": 100, "limit": 30},
        "s": {"position": 100, "limit": 20},
    }
    extra = {}
    if linked:
        extra["linkage"] = [
            {"when": {"issue": "n", "at_most": 50}, "then": {"issue": "s", "at_least": 60}}
        ]
    return build(
        [issue("n"), issue("s")],
        [
            state(
                "us",
                {"n": {"position": 0, "limit": 40}, "s": {"position": 0, "limit": 55}},
                no_deal=LOW,
            ),
            state("iran", iran, no_deal=LOW, **extra),
        ],
    )


def test_linkage_blocks_and_its_conflict_has_three_members() -> None:
    assert analyze(linkage(False)).deal_possible
    res = analyze(linkage(True))
    assert not res.deal_possible
    [conflict] = res.conflicts
    kinds = sorted((c["actor"], c["kind"], c["issue"]) for c in conflict["constraints"])
    assert kinds == [
        ("iran", "linkage", "n"),
        ("us", "red_line", "n"),
        ("us", "red_line", "s"),
    ]
    # relaxing any one of the three opens a deal: three blocking sets of one
    assert sorted(len(s["constraints"]) for s in res.blocking_sets) == [1, 1, 1]


def separable(sep: bool, amb: float | None = None) -> Any:
    # y: a accepts [0, 40], its status quo is 90, b refuses to negotiate y
    y = issue("y", sq=90)
    if sep:
        y["separable"] = True
    z = issue("z")
    if amb is not None:
        z["ambiguity"] = amb
    return build(
        [issue("x"), y, z],
        [
            state(
                "a",
                {
                    "x": {"position": 0},
                    "y": {"position": 0, "limit": 40},
                    "z": {"position": 0, "limit": 40},
                },
                no_deal=LOW,
            ),
            state(
                "b",
                {
                    "x": {"position": 100},
                    "y": {"position": 100},
                    "z": {"position": 100, "limit": 60},
                },
                agenda={"refuses": ["y"]},
                no_deal=LOW,
            ),
        ],
    )


def test_red_lines_bind_the_status_quo_unless_separable() -> None:
    # z: a accepts [0, 40], b [60, 100]: no point agreement on z either; with ambiguity
    # 30 an interval [40, 60] (width 20) lets each read its own point
    blocked = analyze(separable(False, 30))
    assert not blocked.deal_possible
    assert {
        "actor": "a",
        "issue": "y",
        "status_quo": 90.0,
        "accepts": [0.0, 40.0],
        "separable": False,
    } in blocked.red_lines_at_status_quo
    open_ = analyze(separable(True, 30))
    assert open_.deal_possible
    assert open_.package["deferred"] == ["y"]
    assert open_.package["relies_on_deferral"] == [{"issue": "y", "separable_for": ["a"]}]
    lo, hi = open_.package["ambiguous"]["z"]
    assert lo <= 40 + 1e-6 and hi >= 60 - 1e-6 and hi - lo <= 30 + 1e-6
    # too little ambiguity: no deal on z
    assert not analyze(separable(True, 15)).deal_possible


def brokered(aim: str, amount: float, kind: str = "third_party") -> Any:
    # a at 0, b at 100, one issue, status quo 50: b's no-deal value is 0.05 above the
    # status quo, a's 0.3 below: the max-min point x* balances -x/100 + 0.8 = -(100-x)/100 +
    # 0.45: b's surplus at best... a broker's inducement on b moves b's no-deal value
    return build(
        [issue("x", sq=50)],
        [
            state("a", {"x": {"position": 0}}, no_deal={"adjustment": -0.3}),
            state("b", {"x": {"position": 100}}, no_deal={"adjustment": 0.05}),
            {
                "id": "t",
                "name": "T",
                "kind": kind,
                "inducements": [
                    {"target": "b", "kind": "side_payment", "aim": aim, "amount": amount}
                ],
            },
        ],
    )


def test_supporters_spoilers_and_the_mediated_verdict() -> None:
    # own terms: U_a = -x/100 >= -0.8, U_b = -(100-x)/100 >= -0.45: x <= 80, x >= 55: deal
    own = analyze(brokered("no_deal", 0.3))
    assert own.deal_possible and own.verdict_class == "own_terms"
    [spoiler] = own.third_parties
    # backing b to hold out (+0.3): b needs x >= 85 > 80: the spoiler closes the zone
    assert spoiler.effect == "spoiler" and spoiler.closes
    assert own.mediators == ()
    # a supporter's side payment to b cannot hurt: with b's value 0.4 higher (needs
    # x >= 95) there is no deal; a mediator paying b 0.2 opens one (x in [75, 80])
    hard = build(
        [issue("x", sq=50)],
        [
            state("a", {"x": {"position": 0}}, no_deal={"adjustment": -0.3}),
            state("b", {"x": {"position": 100}}, no_deal={"adjustment": 0.45}),
            {
                "id": "m",
                "name": "M",
                "kind": "mediator",
                "inducements": [{"target": "b", "kind": "side_payment", "amount": 0.2}],
            },
        ],
    )
    res = analyze(hard)
    assert not res.deal_possible
    assert res.verdict_class == "mediated"
    assert res.mediated["by"] == ["m"]
    # it needs to deliver 0.15: b's shortfall at x = 80 (-0.2 vs -0.05)
    assert res.mediated["delivered"]["m"] == pytest.approx(0.15, abs=1e-6)
    assert res.mediators[0].role == "manipulator"


def test_every_problem_at_once() -> None:
    from backchannel.scenario.errors import InputError
    from backchannel.scenario.load import parse_scenario

    text = """
name: t
issues: [{id: x, name: X}, {id: y, name: Y}]
actors:
  - {id: a, name: A, kind: state, positions: {x: {position: 1}}}
  - {id: b, name: B, kind: state, positions: {y: {position: 1}}}
  - {id: c, name: C, kind: state, positions: {x: {position: 1}, zz: {position: 1}}}
"""
    with pytest.raises(InputError) as info:
        parse_scenario(text, "f.yaml")
    msg = info.value.render()
    assert "4 problem(s) found" in msg
    for frag in ("actor 'a'", "missing: ['y']", "actor 'b'", "missing: ['x']", "'zz'"):
        assert frag in msg

"""Procedural models: exact win-sets and outcomes on hand-checkable 3- and 5-member cases
under each Council rule, against brute force on random games, and their invariants."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise, product
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.data.council import PERIODS
from backchannel.data.legislative import NEVER, LegislativeRule, eu_rule, eu_rule_for_actors
from backchannel.models import forecast, get_model
from backchannel.models.procedural import (
    agenda_setter,
    compromise_winset,
    council_winset,
    feasible_set,
    nash_on_line,
    winset_bargain,
)
from backchannel.scenario.errors import InputError

LO, HI = np.zeros(1), np.full(1, 100.0)


def council(
    votes: list[float] | None = None,
    *,
    quota: float = 0,
    min_members: float = 0,
    population: list[float] | None = None,
    pop_quota: float = 0,
    count_wins: float = NEVER,
    unanimity: bool = False,
    procedure: str = "CNS",
    absent: tuple[float, float, float] = (0, 0, 0),
    members: int | None = None,
) -> LegislativeRule:
    """A one-issue rule with the Commission in row 0, the Parliament in row 1 and the
    members after them."""
    m = members or len(votes or population or [])
    n = m + 2
    member = np.zeros((n, 1), dtype=bool)
    member[2:] = True
    v = np.zeros((n, 1))
    p = np.zeros((n, 1))
    if votes:
        v[2:, 0] = votes
    if population:
        p[2:, 0] = population
    return LegislativeRule(
        procedure=(procedure,),
        council_rule=("UNAN" if unanimity else "QMV",),
        period=("test",),
        setter=np.array([0]),
        chamber=np.array([1 if procedure == "COD" else -1]),
        member=member,
        votes=v,
        population=p,
        absent_members=np.array([absent[0]]),
        absent_votes=np.array([absent[1]]),
        absent_population=np.array([absent[2]]),
        n_members=np.array([m + absent[0]]),
        quota_votes=np.array([quota]),
        quota_population=np.array([pop_quota]),
        min_members=np.array([m + absent[0] if unanimity else min_members]),
        count_wins=np.array([count_wins]),
    )


def run(
    model: Any,
    com: float,
    ep: float,
    members: list[float],
    rule: LegislativeRule,
    q: float | None = 0.0,
    **kw: Any,
) -> float:
    pos = np.array([[com], [ep], *[[x] for x in members]])
    sal = np.full_like(pos, 50.0)
    ref = None if q is None else np.array([q])
    out = model(pos, sal, np.ones_like(pos), lo=LO, hi=HI, reference=ref, rule=rule, **kw)
    return float(out.outcome[0])


# three members at 10, 40, 80 with 2, 2 and 3 votes; q = 0
THREE = [10.0, 40.0, 80.0]


def test_three_members_weighted_quota() -> None:
    # quota 5 of 7: from the top 80 (3 votes), + 40 (2) = 5 wins: pivot 40, W = [0, 80]
    r = council([2, 2, 3], quota=5)
    assert council_winset(
        np.array([[100.0], [50.0], [10], [40], [80]]), np.zeros(1), r, lo=LO, hi=HI
    ) == (0.0, 80.0)
    # the Commission at 100 gets the edge of W within the members' hull [10, 80]
    assert run(agenda_setter, 100, 50, THREE, r) == 80.0
    # inside W ∩ U the Commission gets its own position
    assert run(agenda_setter, 55, 50, THREE, r) == 55.0
    # quota 6: 80 + 40 = 5 < 6, + 10 wins: pivot 10, W = [0, 20]
    assert run(agenda_setter, 100, 50, THREE, council([2, 2, 3], quota=6)) == 20.0
    # a Commission below q keeps q (everyone prefers moves up)
    assert run(agenda_setter, 0, 50, THREE, r, q=5.0) == 5.0
    # q = 60 (members on both sides): moves down need 10 and 40 (4 votes) + 80: the pivot
    # from below is 80 > 60, so no move down; moves up need 80 and 40: pivot 40 < 60
    assert run(agenda_setter, 0, 50, THREE, r, q=60.0) == 60.0
    assert run(agenda_setter, 100, 50, THREE, r, q=60.0) == 60.0


def test_three_members_unanimity() -> None:
    r = council([2, 2, 3], unanimity=True)
    # every member must agree: the pivot is the member nearest q (10), W = [0, 20]
    assert run(agenda_setter, 100, 50, THREE, r) == 20.0
    assert run(agenda_setter, 15, 50, THREE, r) == 15.0
    # q inside the members' range: someone loses from any move, so q stays
    assert run(agenda_setter, 100, 50, THREE, r, q=30.0) == 30.0
    # an absent member never blocks unanimity, even when absent members "abstain"
    ra = council([2, 2, 3], unanimity=True, absent=(1, 0, 0))
    assert run(agenda_setter, 100, 50, THREE, ra, absent="abstain") == 20.0


def test_three_members_codecision() -> None:
    r = council([2, 2, 3], quota=5, procedure="COD")
    # the Parliament at 30 accepts [0, 60]: W = [0, 60]; hull of members and EP [10, 80]
    assert run(agenda_setter, 100, 30, THREE, r) == 60.0
    # the Parliament at q vetoes every change
    assert run(agenda_setter, 100, 0, THREE, r) == 0.0
    # consultation: the Parliament's position does not matter
    assert run(agenda_setter, 100, 0, THREE, council([2, 2, 3], quota=5)) == 80.0


def test_commission_must_stay_in_the_members_hull() -> None:
    # members 10, 40, 80 and a unanimous Council could amend anything beyond 80: with a
    # Council that accepts up to 100, the Commission at 100 still only gets 80
    r = council([2, 2, 3], quota=3)  # 80 alone wins: W = [0, 100] (160 clipped)
    assert run(agenda_setter, 100, 50, THREE, r) == 80.0


FIVE = [10.0, 20.0, 30.0, 60.0, 90.0]
POP = [40.0, 25.0, 15.0, 12.0, 8.0]  # population shares, total 100


def test_five_members_double_majority_and_blocking_clause() -> None:
    # 55 % of 5 members = 3, 65 % of the population; a blocking minority needs 4 members,
    # so with 5 members any 2 win (their complement has only 3)
    lisbon = council(population=POP, min_members=3, pop_quota=65, count_wins=5 - 4 + 1)
    no_clause = council(population=POP, min_members=3, pop_quota=65)
    # without the clause, from the top: 90 (8), 60 (20), 30 (35), 20 (60) lose, + 10 (100)
    # wins: pivot 10, W = [0, 20]
    assert run(agenda_setter, 100, 50, FIVE, no_clause) == 20.0
    # with it the top two (90, 60) already win: pivot 60, W = [0, 100]; hull [10, 90]
    assert run(agenda_setter, 100, 50, FIVE, lisbon) == 90.0
    # moves down from q = 100 without the clause: 10 (40), 20 (65 %, only 2 members),
    # + 30 (3 members, 80 %) wins: pivot 30, W = [-40, 100] -> [0, 100]; Commission at 0
    # gets the hull's edge 10
    assert run(agenda_setter, 0, 50, FIVE, no_clause, q=100.0) == 10.0
    # q = 50: up needs 90, 60, 30 ... (pivot 10 < 50): no; down: 10, 20, 30 is 3 members
    # and 80 %: pivot 30 < 50, W = [10, 50]
    assert run(agenda_setter, 0, 50, FIVE, no_clause, q=50.0) == 10.0
    assert run(agenda_setter, 25, 50, FIVE, no_clause, q=50.0) == 25.0


def test_three_members_double_majority() -> None:
    # populations 50, 30, 20 % at 10, 40, 80; two members and 65 % of the population
    dm = council(population=[50, 30, 20], min_members=2, pop_quota=65)
    # from the top: 80 (20 %), + 40 (50 %), + 10 (100 %): pivot 10, W = [0, 20]
    assert run(agenda_setter, 100, 50, THREE, dm) == 20.0
    # a blocking minority of at least two members (complement of one member cannot block):
    # 80 and 40 win as two members: pivot 40, W = [0, 80]
    clause = council(population=[50, 30, 20], min_members=2, pop_quota=65, count_wins=2)
    assert run(agenda_setter, 100, 50, THREE, clause) == 80.0


def test_five_members_unanimity() -> None:
    r = council([1] * 5, unanimity=True)
    assert run(agenda_setter, 100, 50, FIVE, r) == 20.0  # the member at 10 is the pivot
    assert run(agenda_setter, 0, 50, FIVE, r, q=100.0) == 80.0  # from above: 90 is
    assert run(agenda_setter, 0, 50, FIVE, r, q=50.0) == 50.0  # members on both sides
    rc = council([1] * 5, unanimity=True, procedure="COD")
    assert run(agenda_setter, 100, 5, FIVE, rc) == 10.0  # EP at 5 accepts [0, 10]


def test_five_members_weighted_with_member_threshold() -> None:
    # Nice-style: votes and a majority of members; quota 10 of 14 votes and 3 members
    r = council([5, 4, 2, 2, 1], quota=10, min_members=3)
    # from the top: 90 (1), 60 (3), 30 (5), 20 (9), 10 (14): pivot 10, W = [0, 20]
    assert run(agenda_setter, 100, 50, FIVE, r) == 20.0
    r2 = council([1, 2, 2, 4, 5], quota=9, min_members=3)
    # from the top: 90 (5), 60 (9) has the votes but only 2 members; 30 (11, 3): pivot 30
    assert run(agenda_setter, 100, 50, FIVE, r2) == 60.0
    # codecision with the Parliament at 40: W = [0, 60] ∩ [0, 80] = [0, 60]
    r3 = council([1, 2, 2, 4, 5], quota=9, min_members=3, procedure="COD")
    assert run(agenda_setter, 100, 40, FIVE, r3) == 60.0


def test_absent_members() -> None:
    # two absent members with 4 votes of 11, quota 8: supporting, they make 80 (3) + 40
    # (2) = 9 winning (pivot 40); abstaining, the pivot is 10 (7 + 0 < 8: no move at all)
    r = council([2, 2, 3], quota=8, absent=(2, 4, 0))
    assert run(agenda_setter, 100, 50, THREE, r, absent="support") == 80.0
    assert run(agenda_setter, 100, 50, THREE, r, absent="abstain") == 0.0
    # absent members who alone win leave the Council without a constraint on that side
    r2 = council([2, 2, 3], quota=4, absent=(2, 4, 0))
    assert run(agenda_setter, 100, 50, THREE, r2) == 80.0  # only the hull binds


def test_without_reference_point_the_core() -> None:
    r = council([2, 2, 3], quota=5)
    # core: pivot from the top 40, from the bottom 10 + 40 = 4, + 80: 80 -> [40, 80]
    assert run(agenda_setter, 100, 50, THREE, r, q=None) == 80.0
    assert run(agenda_setter, 0, 50, THREE, r, q=None) == 40.0
    assert run(agenda_setter, 55, 50, THREE, r, q=None) == 55.0
    # codecision widens the core to the Parliament: [20, 80]
    rc = council([2, 2, 3], quota=5, procedure="COD")
    assert run(agenda_setter, 0, 20, THREE, rc, q=None) == 20.0


def test_bargain_and_hybrid_by_hand() -> None:
    r = council([2, 2, 3], quota=5)
    # q = 0, Commission at 60, Council pivot 40 (W = [0, 80]): quadratic Nash of players
    # at 60 and 40: 2 t^2 - 3 (A + B) t + 4 A B = 0 -> t = (300 - sqrt(90000 - 76800))/4
    t = (300 - np.sqrt(300.0**2 - 32 * 60 * 40)) / 4
    assert run(winset_bargain, 60, 50, THREE, r) == pytest.approx(t, abs=1e-9)
    # equal distances: the common ideal point
    assert run(winset_bargain, 40, 50, THREE, r) == pytest.approx(40.0, abs=1e-9)
    # codecision adds the Parliament at 30: three players 60, 40, 30
    rc = council([2, 2, 3], quota=5, procedure="COD")
    x = run(winset_bargain, 60, 30, THREE, rc)
    assert 3 / x == pytest.approx(sum(1 / (2 * a - x) for a in (60, 40, 30)), rel=1e-9)
    # a veto player who prefers q to any move up keeps q
    assert run(winset_bargain, 60, 0, THREE, rc) == 0.0
    # hybrid: the compromise of the five positions (equal weights) 100, 50, 10, 40, 80 is
    # 56, inside W ∩ U = [10, 80]; under unanimity W = [0, 20]: 20
    assert run(compromise_winset, 100, 50, THREE, r) == pytest.approx(56.0)
    ru = council([2, 2, 3], unanimity=True)
    assert run(compromise_winset, 100, 50, THREE, ru) == pytest.approx(20.0)


def test_nash_on_line_single_player_and_two() -> None:
    np.testing.assert_allclose(nash_on_line(np.array([[7.0, 3.0]])), [7.0, 3.0], atol=1e-9)
    a, b = 60.0, 40.0
    t = (3 * (a + b) - np.sqrt(9 * (a + b) ** 2 - 32 * a * b)) / 4
    np.testing.assert_allclose(nash_on_line(np.array([[a], [b], [np.nan]])), [t], atol=1e-9)


def test_lisbon_blocking_clause_with_real_populations() -> None:
    # EU28-Lisbon: Germany, France and Italy (3 members, about 41 % of the population) at
    # q = 0 cannot block alone: a blocking minority needs four members
    per = next(p for p in PERIODS if p.name == "EU28-Lisbon")
    actors = ("com", *per.members)
    pos = np.array([[100.0]] + [[0.0] if m in ("de", "fr", "it") else [100.0] for m in per.members])
    rule = eu_rule(actors, np.ones_like(pos, dtype=bool), [per], ["QMV"], ["CNS"])
    sal = np.ones_like(pos)
    out = agenda_setter(pos, sal, sal, lo=LO, hi=HI, reference=np.zeros(1), rule=rule)
    assert out.outcome[0] == 100.0
    # with Spain too (four members, about 50 %) the minority blocks
    pos2 = pos.copy()
    pos2[1 + per.members.index("es")] = 0.0
    out2 = agenda_setter(pos2, sal, sal, lo=LO, hi=HI, reference=np.zeros(1), rule=rule)
    assert out2.outcome[0] == 0.0


# ---------------------------------------------------------------- brute force references


def brute_wins(rule: LegislativeRule, support: np.ndarray, absent: str) -> bool:
    """Winning by counting the supporters' totals directly."""
    unan = rule.council_rule[0] == "UNAN"
    c = support.sum() + (rule.absent_members[0] if absent == "support" or unan else 0)
    v = rule.votes[support, 0].sum() + (rule.absent_votes[0] if absent == "support" else 0)
    p = rule.population[support, 0].sum() + (
        rule.absent_population[0] if absent == "support" else 0
    )
    return bool(rule.wins(np.array([c]), np.array([v]), np.array([p]))[0])


def brute_outcome(pos: np.ndarray, q: float, rule: LegislativeRule, absent: str) -> float:
    """Agenda setter by enumerating candidate points (every breakpoint and midpoints)."""
    p = pos[:, 0]
    members = np.flatnonzero(rule.member[:, 0])
    e = p[1] if rule.chamber[0] >= 0 else None
    cand = {q, 0.0, 100.0, p[0]} | {float(x) for x in p} | {float(2 * x - q) for x in p}
    pts = sorted(x for x in cand if 0 <= x <= 100)
    pts += [(a + b) / 2 for a, b in pairwise(pts)]
    hull_pts = [p[i] for i in members] + ([e] if e is not None else [])
    lo_u, hi_u = (min(hull_pts), max(hull_pts)) if hull_pts else (0.0, 100.0)
    best, best_d = q, abs(q - p[0])
    for x in sorted(pts):
        sup = np.zeros(len(p), dtype=bool)
        sup[members] = np.abs(x - p[members]) <= np.abs(q - p[members])
        ok = brute_wins(rule, sup, absent) and lo_u <= x <= hi_u
        if e is not None:
            ok = ok and abs(x - e) <= abs(q - e)
        if ok and abs(x - p[0]) < best_d - 1e-12:
            best, best_d = x, abs(x - p[0])
    return best


def setter(pos: np.ndarray, q: float, rule: LegislativeRule, absent: str = "support") -> float:
    ones = np.ones_like(pos)
    out = agenda_setter(
        pos, ones, ones, lo=LO, hi=HI, reference=np.array([q]), rule=rule, absent=absent
    )
    return float(out.outcome[0])


@st.composite
def games(draw: st.DrawFn) -> tuple[np.ndarray, float, LegislativeRule, str]:
    m = draw(st.integers(1, 6))
    grid = st.integers(0, 20).map(lambda x: 5.0 * x)
    pos = np.array([[draw(grid)] for _ in range(m + 2)])
    q = draw(grid)
    kind = draw(st.sampled_from(["weighted", "double", "unanimity"]))
    absent_n = draw(st.integers(0, 2))
    votes = [draw(st.integers(1, 9)) for _ in range(m)]
    pops = [draw(st.integers(1, 50)) for _ in range(m)]
    av, ap = draw(st.integers(0, 9)) * absent_n, draw(st.integers(0, 50)) * absent_n
    n = m + absent_n
    if kind == "weighted":
        total = sum(votes) + av
        rule = council(
            votes,
            quota=draw(st.integers(total // 2 + 1, total)),
            min_members=draw(st.integers(0, n)),
            absent=(absent_n, av, 0),
        )
    elif kind == "double":
        total = sum(pops) + ap
        rule = council(
            population=pops,
            min_members=draw(st.integers(0, n)),
            pop_quota=draw(st.integers(total // 2 + 1, total)),
            count_wins=draw(st.integers(1, n + 1)),
            absent=(absent_n, 0, ap),
        )
    else:
        rule = council(votes, unanimity=True, absent=(absent_n, av, 0))
    if draw(st.booleans()):
        rule = LegislativeRule(**{**rule.__dict__, "procedure": ("COD",), "chamber": np.array([1])})
    return pos, q, rule, draw(st.sampled_from(["support", "abstain"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(games())
def test_agenda_setter_matches_brute_force(case: tuple[Any, ...]) -> None:
    pos, q, rule, absent = case
    assert setter(pos, q, rule, absent) == pytest.approx(
        brute_outcome(pos, q, rule, absent), abs=1e-9
    )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(games())
def test_winset_matches_brute_force(case: tuple[Any, ...]) -> None:
    pos, q, rule, absent = case
    left, right = council_winset(pos, np.array([q]), rule, lo=LO, hi=HI, absent=absent)
    members = np.flatnonzero(rule.member[:, 0])
    for x in np.linspace(0, 100, 201):
        sup = np.zeros(len(pos), dtype=bool)
        sup[members] = np.abs(x - pos[members, 0]) <= np.abs(q - pos[members, 0])
        inside = left[0] - 1e-9 <= x <= right[0] + 1e-9
        assert inside == (x == q or brute_wins(rule, sup, absent)), (x, left, right)


# ---------------------------------------------------------------- invariants and wiring

PROCEDURAL = [agenda_setter, winset_bargain, compromise_winset]


@pytest.mark.parametrize("model", PROCEDURAL)
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    case=games(),
    data=st.data(),
    shift=st.integers(-100, 100),
    scale=st.sampled_from([0.5, 2.0, 7.0]),
    with_q=st.booleans(),
)
def test_invariants(
    model: Any, case: tuple[Any, ...], data: st.DataObject, shift: int, scale: float, with_q: bool
) -> None:
    """Row permutation (with the rule), affine maps of the scale, outcome within the range of
    positions and q."""
    pos, q, rule, absent = case
    sal = np.array([[data.draw(st.integers(0, 100))] for _ in range(len(pos))], dtype=float)
    cap = np.array([[data.draw(st.integers(1, 5))] for _ in range(len(pos))], dtype=float)
    ref = np.array([q]) if with_q else None

    def go(
        p: np.ndarray,
        s: np.ndarray,
        c: np.ndarray,
        r: LegislativeRule,
        a: float = 0.0,
        b: float = 1.0,
    ) -> float:
        out = model(
            a + b * p,
            s,
            c,
            lo=a + b * LO,
            hi=a + b * HI,
            reference=None if ref is None else a + b * ref,
            rule=r,
            absent=absent,
        )
        return float(out.outcome[0])

    x = go(pos, sal, cap, rule)
    everything = np.append(pos[:, 0], q if with_q else pos[0, 0])
    assert everything.min() - 1e-9 <= x <= everything.max() + 1e-9
    perm = np.array(data.draw(st.permutations(range(len(pos)))))
    assert go(pos[perm], sal[perm], cap[perm], rule.permuted(perm)) == pytest.approx(x, abs=1e-9)
    assert go(pos, sal, cap, rule, shift, scale) == pytest.approx(shift + scale * x, abs=1e-7)
    assert go(pos, sal, 3.7 * cap, rule) == pytest.approx(x, abs=1e-9)


def test_registered_and_need_a_rule() -> None:
    for name in ("agenda_setter", "winset_bargain", "compromise_winset"):
        assert get_model(name).needs_rule
    pos = np.array([[10.0], [20.0]])
    with pytest.raises(InputError, match="legislative rule"):
        agenda_setter(pos, pos, pos, lo=LO, hi=HI, reference=None)


def test_eu_rule_for_actors() -> None:
    pos = np.array([[80.0], [60.0], [10.0], [90.0]])
    r = eu_rule_for_actors(
        ("com", "ep", "de", "fr"),
        pos,
        procedure="cod",
        council_rule="qmv",
        date=dt.date(2005, 3, 1),
    )
    assert r.period == ("EU25-Nice",) and r.procedure == ("COD",)
    assert r.setter[0] == 0 and r.chamber[0] == 1
    assert r.votes[2, 0] == 29 and r.absent_members[0] == 23 and r.absent_votes[0] == 321 - 58
    with pytest.raises(InputError, match="not EU institutions"):
        eu_rule_for_actors(("com", "usa"), pos[:2], procedure="cod", council_rule="qmv", date=None)
    with pytest.raises(InputError, match="procedure"):
        eu_rule_for_actors(("com",), pos[:1], procedure="ord", council_rule="qmv", date=None)


def test_feasible_set_diagnostics() -> None:
    r = council([2, 2, 3], quota=5)
    pos = np.array([[100.0], [50.0], [10], [40], [80]])
    f = feasible_set(pos, np.zeros(1), r, lo=LO, hi=HI)
    assert (f.w[0][0], f.w[1][0]) == (0.0, 80.0) and (f.u[0][0], f.u[1][0]) == (10.0, 80.0)
    assert bool(f.nonempty[0])


def test_every_model_on_brute_force_grid_small() -> None:
    """All rule kinds on every 3-member position triple on a coarse grid (exhaustive)."""
    rules = [
        council([2, 2, 3], quota=5),
        council([2, 2, 3], unanimity=True),
        council(population=[50, 30, 20], min_members=2, pop_quota=65, count_wins=3),
    ]
    for rule, (a, b, c, com, q) in product(rules, product([0.0, 30.0, 60.0, 100.0], repeat=5)):
        pos = np.array([[com], [50.0], [a], [b], [c]])
        assert setter(pos, q, rule) == pytest.approx(
            brute_outcome(pos, q, rule, "support"), abs=1e-9
        )


def test_forecast_interface_records_the_rule() -> None:
    from backchannel.scenario.arrays import ScenarioArrays

    pos = np.array([[80.0], [60.0], [10.0], [90.0]])
    rule = eu_rule_for_actors(
        ("com", "ep", "de", "fr"),
        pos,
        procedure="cns",
        council_rule="unanimity",
        date=dt.date(2000, 1, 1),
    )
    arrays = ScenarioArrays(
        actor_ids=("com", "ep", "de", "fr"),
        issue_ids=("x",),
        kinds=("state",) * 4,  # type: ignore[arg-type]
        position=pos,
        salience=np.full((4, 1), 50.0),
        capability=np.ones((4, 1)),
        limit=np.full((4, 1), np.nan),
        lo=LO,
        hi=HI,
        status_quo=np.zeros(1),
        no_deal=np.full(4, np.nan),
        no_deal_adjustment=np.zeros(4),
        no_deal_trend=np.zeros(4),
        requires=np.zeros((4, 1), dtype=bool),
        refuses=np.zeros((4, 1), dtype=bool),
    )
    fc = forecast(arrays, "agenda_setter", rule=rule)
    # unanimity with 13 absent EU15 members who never block: pivot 10 -> W = [0, 20]
    assert fc.outcome[0] == 20.0
    assert fc.to_dict()["params"]["rule"]["council_rule"] == ["UNAN"]

"""Timelines: windows of opportunity that open and close at known dates for known reasons,
P(deal) over uncertain events, escalation as a hazard, agreement with ``analyze``."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from backchannel.analysis.verdict import analyze
from backchannel.dynamics.hazard import cumulative
from backchannel.dynamics.timeline import run_timeline
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import load_embedded
from backchannel.scenario.timeline import MONTH_DAYS, scenario_at

from .cases import toy

D = dt.date


WINDOW = {
    "start": "2020-01-01",
    "end": "2020-12-31",
    "initial": {"set": {"y.positions.a.limit": 20}, "note": "Y accepts at most 20"},
    "events": [
        {"date": "2020-02-01", "name": "Y softens", "set": {"y.positions.a.limit": 40}},
        {"date": "2020-06-15", "name": "X hardens", "set": {"x.positions.a.limit": 50}},
    ],
}


def test_a_window_opens_and_closes_at_known_dates_with_the_known_binding_constraint() -> None:
    res = run_timeline(toy(**WINDOW))
    assert len(res.windows) == 1
    w = res.windows[0]
    assert (w.opens, w.opened_by) == (D(2020, 2, 1), ("Y softens",))
    assert (w.closes, w.closed_by) == (D(2020, 6, 15), ("X hardens",))
    # X's red line moved to 50 and is what binds; Y's (unchanged) is not "new"
    assert [(c["actor"], c["kind"]) for c in w.binding] == [("x", "red_line")]
    assert "accepts 50 to 100" in w.binding[0]["text"]
    assert any("y's red line" in c for c in w.conflicts)
    # inside the window the best package is X's red line (30): Y's surplus -0.3+0.5
    inside = next(p for p in res.points if p.date == D(2020, 3, 1))
    assert inside.analysis.margin["slack"] == pytest.approx(0.2)
    assert inside.to_dict()["zone"] == {"a": [30.0, 40.0]}


def test_every_date_is_exactly_analyze_of_that_dates_scenario() -> None:
    sc = toy(**WINDOW)
    res = run_timeline(sc)
    assert {p.date for p in res.points} >= {D(2020, 1, 1), D(2020, 2, 1), D(2020, 6, 15)}
    for p in res.points:
        direct = analyze(scenario_at(sc, p.date)).to_dict()
        assert p.analysis.to_dict() == {**direct, "scenario": direct["scenario"]}


def test_a_trend_closes_the_window_on_the_day_found_by_bisection() -> None:
    """X's no-deal value rises 0.1 a month from 2020-03-01 (-1 then); its best package in
    the zone is 40 (utility -0.6), so the window closes after 4 months."""
    res = run_timeline(toy(trend=0.1, end="2020-12-31"))
    (w,) = res.windows
    assert w.closed_by == ("trend",)
    expect = D(2020, 3, 1) + dt.timedelta(days=4 * MONTH_DAYS)
    assert w.closes is not None and abs((w.closes - expect).days) <= 1
    assert [c["kind"] for c in w.binding] == ["no_deal_value"]
    closing = next(p for p in res.points if p.date == w.closes)
    assert "trend" in closing.kinds and not closing.deal_possible


def test_p_deal_weighs_uncertain_events_exactly() -> None:
    sc = toy(
        end="2020-12-31",
        events=[
            {
                "date": "2020-05-01",
                "name": "maybe",
                "probability": 0.3,
                "set": {"x.positions.a.limit": 50},
            },
            {
                "date": "2020-08-01",
                "name": "perhaps",
                "probability": 0.6,
                "set": {"y.positions.a.limit": 60},
            },
        ],
    )
    res = run_timeline(sc)
    by_date = {p.date: p for p in res.points}
    assert by_date[D(2020, 3, 1)].p_deal is None  # nothing uncertain yet, no draws
    # after "maybe": a deal unless it happens
    assert by_date[D(2020, 6, 1)].p_deal == {"estimate": pytest.approx(0.7), "combinations": 2}
    # after "perhaps" too: no deal only if "maybe" happens and "perhaps" does not
    assert by_date[D(2020, 9, 1)].p_deal["estimate"] == pytest.approx(1 - 0.3 * 0.4)  # type: ignore[index]
    # the central path: "maybe" does not happen, "perhaps" does
    assert all(p.deal_possible for p in res.points)
    assert [e["central"] for e in res.to_dict()["events"]] == [False, True]


def test_p_deal_with_draws_goes_through_the_sweep() -> None:
    sc = toy(end="2020-04-01")
    res = run_timeline(sc, draws=50, seed=3)
    assert all(
        p.p_deal == {"estimate": 1.0, "combinations": 1, "se": 0.0, "draws": 50} for p in res.points
    )


def test_escalation_is_a_hazard_that_events_change() -> None:
    sc = toy(
        end="2020-12-31",
        events=[
            {"date": "2020-04-01", "name": "attack", "set": {"escalation.rate": 3.0}},
            {
                "date": "2020-07-01",
                "name": "a channel",
                "add": {"actors": [{"id": "m", "name": "M", "kind": "mediator", "channel": 0.5}]},
            },
        ],
    )
    res = run_timeline(sc)
    by_date = {p.date: p for p in res.points}
    assert by_date[D(2020, 3, 1)].hazard.with_channels == pytest.approx(0.1)  # type: ignore[union-attr]
    assert by_date[D(2020, 4, 1)].hazard.with_channels == pytest.approx(0.3)  # type: ignore[union-attr]
    assert by_date[D(2020, 7, 1)].hazard.with_channels == pytest.approx(0.15)  # type: ignore[union-attr]
    assert by_date[D(2020, 7, 1)].hazard.without_channels == pytest.approx(0.3)  # type: ignore[union-attr]
    m = lambda a, b: (b - a).days / MONTH_DAYS  # noqa: E731
    total = 0.1 * m(D(2020, 3, 1), D(2020, 4, 1)) + 0.3 * m(D(2020, 4, 1), D(2020, 7, 1))
    total += 0.15 * m(D(2020, 7, 1), D(2020, 12, 31))
    assert res.points[-1].p_escalation == pytest.approx(1 - math.exp(-total))
    assert cumulative([0.2, 0.1], [1.0, 2.0]) == pytest.approx(
        [1 - math.exp(-0.2), 1 - math.exp(-0.4)]
    )


def test_a_scenario_without_a_timeline_is_refused_with_a_fix() -> None:
    sc = load_embedded("jcpoa_2015")
    with pytest.raises(InputError, match="no timeline"):
        run_timeline(sc)


def test_2019_no_window_in_2018_and_2019_and_what_blocked() -> None:
    res = run_timeline(load_embedded("iran_us_2019"))
    assert res.windows == ()
    assert not any(p.deal_possible for p in res.points)
    by_date = {p.date: p for p in res.points}
    # before Pompeo's 12 demands the missiles blocked; after them the regional agenda too
    first = by_date[D(2018, 1, 1)].analysis.conflicts[0]["text"]
    assert "Ballistic missiles" in first and "iran_leader's refusal" in first
    later = by_date[D(2018, 5, 21)].analysis.conflicts[0]["text"]
    assert "Regional behaviour" in later
    # the go-betweens lower the hazard on the days they arrive
    h = {
        d: by_date[d].hazard.with_channels for d in (D(2019, 5, 12), D(2019, 5, 20), D(2019, 6, 12))
    }  # type: ignore[union-attr]
    assert h[D(2019, 5, 12)] > h[D(2019, 5, 20)] > h[D(2019, 6, 12)]
    assert (
        by_date[D(2019, 6, 13)].analysis.to_dict()
        == analyze(load_embedded("iran_us_2019")).to_dict()
    )


def test_2013_the_window_opens_with_the_joint_plan_of_action() -> None:
    res = run_timeline(load_embedded("iran_p5_2013"))
    (w,) = res.windows
    assert (w.opens, w.opened_by, w.closes) == (
        D(2013, 11, 24),
        ("Joint Plan of Action agreed",),
        None,
    )
    assert not res.points[0].deal_possible


def test_a_what_if_on_the_scenario_shows_from_its_date_and_is_noted() -> None:
    """The history keeps Y at 20 (no deal); the scenario as written says 40 (a what-if)."""
    res = run_timeline(toy(start="2020-01-01", initial={"set": {"y.positions.a.limit": 20}}))
    (w,) = res.windows
    assert (w.opens, w.opened_by) == (
        D(2020, 3, 1),
        ("the scenario as written (it differs from its history)",),
    )
    assert len(res.notes) == 1 and "y.positions.a.limit is 20" in res.notes[0]

"""Timelines in the scenario format: validation with every problem placed, and the
scenario as of a date (history before the scenario's date, events and trends after it)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from backchannel.scenario.errors import InputError, ManyErrors
from backchannel.scenario.load import load_embedded, parse_scenario, scenario_from_data
from backchannel.scenario.timeline import scenario_at
from backchannel.scenario.timeline_checks import arrival_gaps

from .cases import toy_data

D = dt.date


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ManyErrors) as info:
        scenario_from_data(data, "toy.yaml")
    return [(e.where or "", e.problem) for e in info.value.errors]


def test_every_problem_of_a_timeline_is_reported_with_its_place() -> None:
    data = toy_data(
        trend=0.1,
        start="2020-01-01",
        end="2020-12-31",
        initial={"set": {"y.positions.a.limit": 20}},
        events=[
            {"date": "2019-12-01", "name": "too early"},
            {"date": "2020-02-01", "name": "guess", "probability": 0.5},
            {"date": "2020-06-01", "name": "typo", "set": {"z.positions.a.limit": 10}},
        ],
        interim={
            "issues": ["b"],
            "bounds": {"a": [0, 200]},
            "effects": [{"actor": "x", "per_unit": {"a": 0.02}}],
        },
    )
    found = problems(data)
    text = "\n".join(f"{w}: {p}" for w, p in found)
    assert "timeline.events[0].date" in text and "before the timeline's start" in text
    assert "timeline.events[1].probability" in text and "has happened" in text
    assert "timeline.events[2]" in text and "'z' is neither an actor" in text
    assert "timeline.interim.issues[0]" in text and "unknown issue 'b'" in text
    assert "bounds [0, 200]" in text
    assert "up to 2 utility" in text  # 0.02 per unit over a 0-100 scale
    assert len(found) == 6


def test_a_timeline_needs_the_scenario_date() -> None:
    data = toy_data(trend=0.1, events=[{"date": "2020-06-01", "name": "e"}])
    data["date"] = "spring 2020"
    assert any("YYYY-MM-DD" in p for _, p in problems(data))


def test_changes_that_break_the_scenario_are_placed_at_their_event() -> None:
    data = toy_data(
        trend=0.1,
        events=[
            {"date": "2020-04-01", "name": "gone", "remove": {"actors": ["x"]}},
            {"date": "2020-05-01", "name": "again", "add": {"actors": ["y"]}},
        ],
    )
    found = problems(data)
    assert any("events[0]" in w and "valid" in p for w, p in found) or any(
        "events[1]" in w and "already present" in p for w, p in found
    )


def test_errors_name_the_line_of_the_yaml_file() -> None:
    text = """
name: toy
date: "2020-03-01"
issues: [{id: a, name: A, status_quo: 0}]
actors:
  - {id: x, name: X, kind: state, positions: {a: {position: 100}}}
  - {id: y, name: Y, kind: state, positions: {a: {position: 0}}}
timeline:
  events:
    - date: "2020-06-01"
      name: bad path
      set: {x.positions.b.limit: 5}
"""
    with pytest.raises(InputError) as info:
        parse_scenario(text, "toy.yaml")
    text = info.value.render()
    assert "toy.yaml, line 10, timeline.events[0]" in text
    assert "x.positions.b.position is required" in text


def test_history_before_the_scenario_date_and_events_after_it() -> None:
    data = toy_data(
        trend=0.1,
        start="2020-01-01",
        initial={"set": {"y.positions.a.limit": 20}},
        events=[
            {"date": "2020-02-01", "name": "y softens", "set": {"y.positions.a.limit": 40}},
            {"date": "2020-06-15", "name": "x hardens", "set": {"x.positions.a.limit": 50}},
        ],
    )
    sc = scenario_from_data(data)
    assert scenario_at(sc, D(2020, 1, 15)).actor("y").positions["a"].limit.value == 20  # type: ignore[union-attr]
    assert scenario_at(sc, D(2020, 2, 1)).actor("y").positions["a"].limit.value == 40  # type: ignore[union-attr]
    at = scenario_at(sc, D(2020, 3, 1))
    assert at.date == "2020-03-01" and at.timeline is None
    # as written on its own date (no drift yet)
    assert at.actor("x").no_deal.adjustment.value == 0  # type: ignore[union-attr]
    # after it: the event, and x's trend of +0.1 a month since 2020-03-01
    later = scenario_at(sc, D(2020, 7, 1))
    assert later.actor("x").positions["a"].limit.value == 50  # type: ignore[union-attr]
    months = (D(2020, 7, 1) - D(2020, 3, 1)).days / (365.2425 / 12)
    assert later.actor("x").no_deal.adjustment.value == pytest.approx(0.1 * months)  # type: ignore[union-attr]
    # an event that does not happen
    assert scenario_at(sc, D(2020, 7, 1), happened=()).actor("x").positions["a"].limit.value == 30  # type: ignore[union-attr]


def test_trends_set_by_events_change_the_drift_from_their_date() -> None:
    data = toy_data(
        trend=0.1, events=[{"date": "2020-05-01", "name": "stop", "set": {"x.no_deal.trend": 0.0}}]
    )
    sc = scenario_from_data(data)
    got = scenario_at(sc, D(2020, 9, 1)).actor("x").no_deal.adjustment.value  # type: ignore[union-attr]
    assert got == pytest.approx(0.1 * (D(2020, 5, 1) - D(2020, 3, 1)).days / (365.2425 / 12))


def test_removing_an_issue_takes_its_positions_and_agenda_entries_with_it() -> None:
    data = toy_data(
        trend=0.1,
    )
    data["issues"].append({"id": "b", "name": "B", "status_quo": 50})
    for a in data["actors"]:
        a["positions"]["b"] = {"position": 50}
    data["actors"][0]["agenda"] = {"requires": ["b"]}
    data["timeline"] = {
        "events": [{"date": "2020-05-01", "name": "drop b", "remove": {"issues": ["b"]}}]
    }
    sc = scenario_at(scenario_from_data(data), D(2020, 6, 1))
    assert [i.id for i in sc.issues] == ["a"]
    assert sc.actor("x").agenda.requires == [] and "b" not in sc.actor("y").positions


def test_actors_come_back_by_id_with_the_scenarios_definition() -> None:
    sc = load_embedded("iran_us_2019")
    before = scenario_at(sc, D(2019, 5, 19))
    after = scenario_at(sc, D(2019, 5, 20))
    assert "oman" not in [a.id for a in before.actors]
    assert after.actor("oman") == sc.actor("oman")


def test_the_embedded_timelines_arrive_at_the_scenarios_as_written() -> None:
    for name in ("iran_us_2019", "iran_p5_2013"):
        sc = load_embedded(name)
        assert sc.timeline is not None and arrival_gaps(sc) == []
        at = scenario_at(sc, D.fromisoformat(sc.date or ""))
        assert at.model_dump(exclude={"timeline"}) == sc.model_dump(exclude={"timeline"})
    # the day before, the history: Japan has not arrived yet
    sc = load_embedded("iran_us_2019")
    assert "japan" not in [a.id for a in scenario_at(sc, D(2019, 6, 11)).actors]


def test_a_history_that_misses_the_scenario_is_said_and_a_what_if_still_runs() -> None:
    data = toy_data(trend=0.1, start="2020-01-01", initial={"set": {"y.positions.a.limit": 20}})
    sc = scenario_from_data(data)  # valid: y's limit stays 20 until the scenario's date
    (gap,) = arrival_gaps(sc)
    assert "y.positions.a.limit is 20" in gap and "timeline.initial" in gap and "says 40" in gap
    # the essay's counterfactual on the 2019 case: a what-if on inputs the history sets
    from backchannel.scenario.overrides import COUNTERFACTUAL_2019, apply_overrides

    what_if = apply_overrides(load_embedded("iran_us_2019"), list(COUNTERFACTUAL_2019))
    gaps = arrival_gaps(what_if)
    assert any("usa.positions.nuclear.limit is 5" in g and "Pompeo" in g for g in gaps)


def test_a_scenario_with_a_timeline_survives_yaml_round_trip() -> None:
    from backchannel.scenario.load import scenario_to_yaml

    sc = load_embedded("iran_us_2019")
    again = parse_scenario(scenario_to_yaml(sc))
    assert again.timeline == sc.timeline
    assert copy.deepcopy(again) == again

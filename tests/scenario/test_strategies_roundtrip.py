"""Generated scenarios survive the YAML round trip and give consistent arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.load import parse_scenario, scenario_to_yaml
from backchannel.scenario.schema import Scenario
from backchannel.scenario.strategies import scenarios

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenarios(max_actors=5, max_issues=4, with_mediators=True))
def test_veto_scenarios_round_trip_through_yaml(sc: Scenario) -> None:
    again = parse_scenario(scenario_to_yaml(sc), "<roundtrip>")
    assert again == sc


@FAST
@given(scenarios(min_actors=1, max_actors=4, with_vetoes=False))
def test_forecast_only_scenarios_round_trip_through_yaml(sc: Scenario) -> None:
    assert parse_scenario(scenario_to_yaml(sc), "<roundtrip>") == sc
    assert sc.parties() == []


@FAST
@given(scenarios(min_actors=2, max_actors=4, min_issues=2, max_issues=3))
def test_generated_veto_scenarios_have_full_positions(sc: Scenario) -> None:
    arr = to_arrays(sc)
    states = [i for i, a in enumerate(sc.actors) if a.kind == "state"]
    assert 2 <= len(states) <= 4 and 2 <= arr.n_issues <= 3
    assert set(arr.veto_players) == set(states)
    assert not np.isnan(arr.position[states]).any()
    inside = (arr.position[states] >= arr.lo) & (arr.position[states] <= arr.hi)
    assert inside.all()

"""Scenario model: schema, safe loading, arrays view, importers, embedded scenarios and
the library of coded historical cases."""

from backchannel.scenario.arrays import ScenarioArrays, to_arrays
from backchannel.scenario.errors import InputError, ScenarioError
from backchannel.scenario.load import (
    case_names,
    embedded_names,
    load_case,
    load_embedded,
    load_scenario,
    parse_scenario,
    scenario_to_yaml,
)
from backchannel.scenario.schema import Actor, ActorKind, Issue, Quantity, Scenario, Stance

__all__ = [
    "Actor",
    "ActorKind",
    "InputError",
    "Issue",
    "Quantity",
    "Scenario",
    "ScenarioArrays",
    "ScenarioError",
    "Stance",
    "case_names",
    "embedded_names",
    "load_case",
    "load_embedded",
    "load_scenario",
    "parse_scenario",
    "scenario_to_yaml",
    "to_arrays",
]

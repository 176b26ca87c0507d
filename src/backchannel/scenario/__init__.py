"""Scenario model: schema, safe loading, arrays view, importers, embedded scenarios and
the library of coded historical cases.

Names are imported on first use, so that ``backchannel.scenario.errors`` (which the CLI
needs before any command runs) does not pull in pydantic and numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel._lazy import attach

if TYPE_CHECKING:
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

_NAMES = {
    "ScenarioArrays": "backchannel.scenario.arrays",
    "to_arrays": "backchannel.scenario.arrays",
    "InputError": "backchannel.scenario.errors",
    "ScenarioError": "backchannel.scenario.errors",
    "case_names": "backchannel.scenario.load",
    "embedded_names": "backchannel.scenario.load",
    "load_case": "backchannel.scenario.load",
    "load_embedded": "backchannel.scenario.load",
    "load_scenario": "backchannel.scenario.load",
    "parse_scenario": "backchannel.scenario.load",
    "scenario_to_yaml": "backchannel.scenario.load",
    "Actor": "backchannel.scenario.schema",
    "ActorKind": "backchannel.scenario.schema",
    "Issue": "backchannel.scenario.schema",
    "Quantity": "backchannel.scenario.schema",
    "Scenario": "backchannel.scenario.schema",
    "Stance": "backchannel.scenario.schema",
}
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
__getattr__, __dir__ = attach(__name__, _NAMES)

"""The compact programme for unanimity scenarios gives the MILP's verdict and margin."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from backchannel.analysis.decide import decide
from backchannel.analysis.instance import make_instance
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.load import scenario_from_data

from .test_bruteforce import scenarios


def both(data: dict[str, Any]) -> tuple[Any, Any]:
    sc = scenario_from_data(data)
    inst = make_instance(to_arrays(sc), sc.loss)
    return decide(inst, compact=True), decide(inst, compact=False)


def agree(data: dict[str, Any]) -> None:
    fast, milp = both(data)
    assert fast.deal_possible == milp.deal_possible or abs(milp.lower) < 1e-6
    if np.isfinite(milp.lower):
        assert fast.lower == pytest.approx(milp.lower, abs=1e-7)
    else:
        assert not np.isfinite(fast.lower)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios("linear", quota=False))
def test_compact_equals_milp_linear(data: dict[str, Any]) -> None:
    agree(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios("quadratic", quota=False))
def test_compact_equals_milp_quadratic(data: dict[str, Any]) -> None:
    agree(data)

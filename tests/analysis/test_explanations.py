"""Blocking sets and conflicts are minimal, on random no-deal scenarios.

A blocking set: relaxing all its constraints opens a deal, relaxing all but any one does
not. A conflict: its constraints alone admit no deal, and dropping any one of them does.
Checked by re-deciding the scenario with those constraints removed (the compact LP, a
different programme from the MILP that found them).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from backchannel.analysis.decide import decide
from backchannel.analysis.explain import _without, candidate_groups, explain
from backchannel.analysis.formulation import TOL
from backchannel.analysis.instance import make_instance
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.load import scenario_from_data

from .test_bruteforce import scenarios


def deal(inst: Any, relaxed: set) -> bool:
    return decide(_without(inst, frozenset(relaxed))).lower >= -TOL


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios("linear", quota=False))
def test_blocking_sets_and_conflicts_are_minimal(data: dict[str, Any]) -> None:
    sc = scenario_from_data(data)
    inst = make_instance(to_arrays(sc), sc.loss)
    assume(not decide(inst).deal_possible)
    ex = explain(inst)
    everything = set(candidate_groups(inst))
    assert ex.blocking_sets or ex.conflicts or not ex.complete
    for s in ex.blocking_sets:
        assert deal(inst, set(s))
        for g in s:
            assert not deal(inst, set(s) - {g})
    for c in ex.conflicts:
        assert not deal(inst, everything - set(c))  # the conflict alone blocks
        for g in c:
            assert deal(inst, (everything - set(c)) | {g})  # any one less does not
    # every blocking set hits every conflict
    for s in ex.blocking_sets:
        for c in ex.conflicts:
            assert set(s) & set(c)

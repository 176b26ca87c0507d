"""The worked example of docs/coding-a-case.md, checked by hand.

The conservatives' red line on transitional justice (80 and above) and the commanders' (45
and below) cannot meet, so the government ratifies with liberals and left (60 of 100
seats); the hardline base rejects anything with disarmament, the moderate base (60% of the
vote) carries the referendum; the liberals' red line (disarmament 60 and above) triggers
the commanders' linkage, so participation must be at least 50.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel.analysis import analyze
from backchannel.analysis.proposal import evaluate_proposal, parse_package
from backchannel.scenario.load import load_scenario

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "peace_referendum.yaml"


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_scenario(EXAMPLE)


def test_verdict_and_package(scenario) -> None:  # type: ignore[no-untyped-def]
    res = analyze(scenario)
    assert res.verdict_class == "own_terms"
    point = res.package["point"]
    assert point["justice"] <= 45 + 1e-6 and point["disarmament"] >= 60 - 1e-6
    assert point["participation"] >= 50 - 1e-6  # the linkage
    gov = res.two_level["government"]["bodies"][0]
    assert gov["support"] == pytest.approx(0.60) and gov["passes"]
    assert res.package["surplus"]["conservatives"] < 0


def test_the_plan_in_the_docs(scenario) -> None:  # type: ignore[no-untyped-def]
    plan = {"disarmament": 70, "justice": 40, "participation": 60}
    res = evaluate_proposal(scenario, parse_package(scenario, plan, "test"))
    assert res.ratified
    no = {a["actor"] for a in res.actors if not a["accepts"]}
    assert no == {"conservatives"}
    # without participation the linkage fails: the commanders reject, the group cannot ratify
    res2 = evaluate_proposal(
        scenario, parse_package(scenario, {"disarmament": 70, "justice": 40}, "test")
    )
    assert not res2.ratified and not res2.parties["group"]
    commanders = next(a for a in res2.actors if a["actor"] == "commanders")
    assert any(m["constraint"]["kind"] == "linkage" for m in commanders["must_move"])

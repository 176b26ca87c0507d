"""Staged agreements: exact interim packages on hand-checkable cases, cases where no
sequence helps and why, agreement with ``analyze`` and ``evaluate``, and the two-stage
programme against a brute-force grid that shares no code with it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backchannel.analysis.proposal import evaluate_proposal
from backchannel.analysis.verdict import analyze
from backchannel.dynamics.stages import final_stage_scenario, find_stages
from backchannel.scenario.load import load_embedded, scenario_from_data
from backchannel.scenario.overrides import apply_overrides


def one_issue(
    b_no_deal: dict[str, Any], interim: dict[str, Any] | None = None, loss: str = "linear"
) -> Any:
    """A (ideal 0, accepts at most 50) and B (ideal 100) on one issue whose status quo is
    B's ideal, 100: a single-stage deal needs B to accept 50 or less."""
    return scenario_from_data(
        {
            "name": "one issue",
            "loss": loss,
            "issues": [{"id": "x", "name": "X", "status_quo": 100}],
            "actors": [
                {
                    "id": "a",
                    "name": "A",
                    "kind": "state",
                    "positions": {"x": {"position": 0, "limit": 50, "limit_side": "one_sided"}},
                },
                {
                    "id": "b",
                    "name": "B",
                    "kind": "state",
                    "positions": {"x": {"position": 100}},
                    "no_deal": b_no_deal,
                },
            ],
            **({"timeline": {"interim": interim}} if interim is not None else {}),
        }
    )


def test_the_ladder_exact_interim_package() -> None:
    """No deal costs B 0.3 beyond the status quo, so B accepts 70 or less now, and after an
    interim agreement at x1 it accepts x1 - 0.3: stage 1 margin min(1 - x1, x1 - 0.7), stage
    2 at A's red line 50: min(x1 - 0.5, 0.8 - x1); the best path is x1 = 75, x2 = 50, with
    margin 0.05 (by hand). No single-stage deal: B's surplus at 50 is -0.2."""
    res = find_stages(one_issue({"adjustment": -0.3}))
    assert not res.now["deal_possible"] and res.now["margin"] == pytest.approx(-0.2)
    assert res.helps
    best = res.paths[0]
    assert best.interim.point["x"] == pytest.approx(75, abs=1e-5)
    assert best.final.point["x"] == pytest.approx(50)
    assert best.margin == pytest.approx(0.05, abs=1e-8) and best.status == "deal"
    assert best.status_quo_after == {"x": pytest.approx(75, abs=1e-5)}
    assert best.final.no_deal["b"] == pytest.approx(-0.25 - 0.3, abs=1e-7)


def test_a_declared_effect_exact_interim_package() -> None:
    """B's no-deal utility is a fixed -0.3 (it does not follow the status quo), and an interim
    agreement lowers it by 0.4 (walking away after one costs more). Stage 1: B accepts
    x1 >= 70, margin min(1 - x1, x1 - 0.7), best at 85 (0.15); stage 2 then gives both at
    least 0.15 at A's red line (B: -0.5 + 0.7 = 0.2, A: 0.85 - 0.5 = 0.35)."""
    res = find_stages(one_issue({"utility": -0.3}, {"effects": [{"actor": "b", "no_deal": -0.4}]}))
    assert res.helps and not res.now["deal_possible"]
    best = res.paths[0]
    assert best.interim.point["x"] == pytest.approx(85, abs=1e-5)
    assert best.margin == pytest.approx(0.15, abs=1e-8)
    assert best.final.point["x"] == pytest.approx(50)  # the best final after that interim
    assert best.final.margin == pytest.approx(0.2)


def test_no_sequence_helps_without_declared_effects_and_says_why() -> None:
    res = find_stages(one_issue({"utility": -0.3}))
    assert not res.helps and not any(p.status == "deal" for p in res.paths)
    assert "No sequence" in res.verdict
    assert "declares nothing an interim agreement changes" in res.why[0]
    assert "a's red line on X" in res.why[1] or "b's no-deal value" in res.why[1]


def test_2019_no_interim_agreement_is_acceptable_and_why() -> None:
    res = find_stages(load_embedded("iran_us_2019"))
    assert not res.helps and not res.now["deal_possible"]
    assert res.why[0].startswith("No interim agreement is acceptable now")
    # the US's demand that any agreement settle the regional file is among what must give way
    assert "usa's demand that the deal settle Regional behaviour" in res.why[0]


def test_2013_the_interim_first_path_to_a_jcpoa_like_deal() -> None:
    sc = load_embedded("iran_p5_2013")
    res = find_stages(sc)
    assert res.helps and not res.now["deal_possible"]
    assert res.after_waiting is not None and not res.after_waiting["deal_possible"]
    best = res.paths[0]
    # a first step of the JPOA's kind: the programme halted, limited relief, oil held
    assert "nuclear" in best.interim.agenda and best.interim.point["nuclear"] <= 80 + 1e-6
    assert 5 < best.interim.point["sanctions"] <= 12 + 1e-6
    assert best.interim.point.get("oil", 40) <= 40 + 1e-6
    # then a JCPOA-like agreement: controlled programme, nuclear-related relief
    final = best.final.point
    assert 45 - 1e-6 <= final["nuclear"] <= 55 + 1e-6 and 45 <= final["sanctions"] <= 70 + 1e-6
    assert set(best.final.agenda) == {"nuclear", "sanctions", "oil"}
    assert best.margin > 0


@pytest.mark.parametrize("name", ["ladder", "effect", "2013"])
def test_stages_agree_with_analyze_and_evaluate(name: str) -> None:
    sc = {
        "ladder": lambda: one_issue({"adjustment": -0.3}),
        "effect": lambda: one_issue(
            {"utility": -0.3}, {"effects": [{"actor": "b", "no_deal": -0.4}]}
        ),
        "2013": lambda: load_embedded("iran_p5_2013"),
    }[name]()
    best = find_stages(sc).paths[0]
    # the final stage is analyze of the scenario as the interim agreement leaves it
    after = analyze(final_stage_scenario(sc, best))
    assert after.deal_possible and after.margin["slack"] == pytest.approx(
        best.final.margin, abs=1e-7
    )
    # the interim package, put to the vote now with red lines binding the final stage only
    no_lines = [
        f"{a.id}.positions.{i}.limit=null"
        for a in sc.actors
        for i, st_ in a.positions.items()
        if st_.limit
    ]
    plan: dict[str, Any] = {i.id: "defer" for i in sc.issues}
    plan.update(best.interim.point)
    vote = evaluate_proposal(apply_overrides(sc, no_lines), plan)
    assert vote.ratified and vote.margin == pytest.approx(best.interim.margin, abs=1e-7)


def test_quadratic_loss_is_certified_and_matches_the_grid() -> None:
    sc = one_issue({"adjustment": -0.1}, {"persists": {"x": 0.5}}, loss="quadratic")
    res = find_stages(sc)
    best = res.paths[0]
    assert best.upper - best.margin <= 1e-7
    assert best.margin == pytest.approx(
        _brute(0.0, 50, 100, 0.0, -0.1, 0.5, 0.0, "quadratic"), abs=2e-3
    )


# -- against brute force ----------------------------------------------------------------
def _brute(
    pa: float,
    la: float,
    pb: float,
    adj_a: float,
    adj_b: float,
    rho: float,
    shift_b: float,
    loss: str,
) -> float:
    """Best max-min margin over a grid of interim and final packages, in plain arithmetic:
    A (ideal pa, one-sided red line la > pa above which it refuses) and B (ideal pb) on one
    issue with status quo 100 (scale 0-100); B's final no-deal value moves by shift_b."""
    f = (lambda d: d * d) if loss == "quadratic" else abs
    grid = np.linspace(0.0, 1.0, 801)
    u_a = lambda x: -f(x - pa / 100)  # noqa: E731
    u_b = lambda x: -f(x - pb / 100)  # noqa: E731
    s0 = 1.0
    nd_a, nd_b = u_a(s0) + adj_a, u_b(s0) + adj_b
    ok2 = grid[grid <= la / 100 + 1e-12]
    best = -np.inf
    for x1 in grid:
        t1 = min(u_a(x1) - nd_a, u_b(x1) - nd_b)
        s1 = s0 + rho * (x1 - s0)
        nd2_a, nd2_b = u_a(s1) + adj_a, u_b(s1) + adj_b + shift_b
        t2 = np.max(np.minimum(u_a(ok2) - nd2_a, u_b(ok2) - nd2_b))
        best = max(best, min(t1, t2))
    return float(best)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pa=st.integers(0, 40),
    la=st.integers(30, 70),
    pb=st.integers(60, 100),
    adj_b=st.sampled_from([-0.3, -0.1, 0.0]),
    rho=st.sampled_from([0.0, 0.5, 1.0]),
    shift_b=st.sampled_from([-0.2, 0.0]),
)
@example(pa=30, la=30, pb=60, adj_b=-0.3, rho=0.0, shift_b=0.0)  # a single-stage deal exists
def test_the_two_stage_programme_matches_a_brute_force_grid(
    pa: int, la: int, pb: int, adj_b: float, rho: float, shift_b: float
) -> None:
    interim: dict[str, Any] = {"persists": {"x": rho}}
    if shift_b:
        interim["effects"] = [{"actor": "b", "no_deal": shift_b}]
    sc = scenario_from_data(
        {
            "name": "random",
            "issues": [{"id": "x", "name": "X", "status_quo": 100}],
            "actors": [
                {
                    "id": "a",
                    "name": "A",
                    "kind": "state",
                    "positions": {
                        "x": {"position": pa, "limit": max(la, pa + 5), "limit_side": "one_sided"}
                    },
                },
                {
                    "id": "b",
                    "name": "B",
                    "kind": "state",
                    "positions": {"x": {"position": pb}},
                    "no_deal": {"adjustment": adj_b},
                },
            ],
            "timeline": {"interim": interim},
        }
    )
    res = find_stages(sc, alternatives=1)
    best = res.paths[0] if res.paths else None
    grid = _brute(pa, max(la, pa + 5), pb, 0.0, adj_b, rho, shift_b, "linear")
    if best is None:  # no pair of agreements at all: the grid finds none either
        assert grid == -np.inf
        return
    assert best.margin >= grid - 1e-7  # the programme misses nothing the grid finds
    assert best.margin <= grid + 2 * 1.0 / 800 + 1e-7  # and invents nothing


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sq=st.integers(0, 100),
    pa=st.integers(0, 100),
    pb=st.integers(0, 100),
    la=st.integers(0, 100),
    lb=st.integers(0, 100),
    adj_a=st.sampled_from([0.0, 0.1]),
    adj_b=st.sampled_from([0.0, 0.05]),
)
def test_without_declared_effects_an_interim_agreement_never_helps(
    sq: int, pa: int, pb: int, la: int, lb: int, adj_a: float, adj_b: float
) -> None:
    """The transitivity proposition of :mod:`backchannel.dynamics.stages`: no effects,
    everything persists, no months, no negative adjustment -> a path exists only if a
    single-stage deal does."""
    sc = scenario_from_data(
        {
            "name": "random",
            "issues": [
                {"id": "x", "name": "X", "status_quo": sq},
                {"id": "z", "name": "Z", "status_quo": 50},
            ],
            "actors": [
                {
                    "id": "a",
                    "name": "A",
                    "kind": "state",
                    "positions": {"x": {"position": pa, "limit": la}, "z": {"position": 0}},
                    "no_deal": {"adjustment": adj_a},
                },
                {
                    "id": "b",
                    "name": "B",
                    "kind": "state",
                    "positions": {"x": {"position": pb, "limit": lb}, "z": {"position": 100}},
                    "no_deal": {"adjustment": adj_b},
                },
            ],
        }
    )
    res = find_stages(sc, alternatives=1)
    assert not res.helps


def test_the_first_step_touches_only_the_issues_it_may() -> None:
    """A second issue z that both sides would trade on, but that the interim block keeps
    out of the first step: it stays at its status quo until the final agreement."""
    sc = one_issue({"adjustment": -0.3}, {"issues": ["x"]})
    data = sc.model_dump(mode="json", exclude_none=True)
    data["issues"].append({"id": "z", "name": "Z", "status_quo": 50})
    data["actors"][0]["positions"]["z"] = {"position": 0, "salience": 20}
    data["actors"][1]["positions"]["z"] = {"position": 100, "salience": 20}
    res = find_stages(scenario_from_data(data))
    best = res.paths[0]
    assert best.interim.agenda == ("x",) and "z" not in best.interim.point
    assert best.status_quo_after["z"] == pytest.approx(50)
    # the programme's bound is the certified margin: z was held at its status quo in it too
    assert best.upper - best.margin <= 1e-7 and best.margin > 0.1

"""Asymmetric Nash bargaining solution: hand-checkable cases, solver agreement, no-deal rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.models import forecast
from backchannel.models.nash import nash_bargaining
from backchannel.scenario.errors import InputError

ONE = {"lo": np.zeros(1), "hi": np.full(1, 10.0)}


def _nbs(pos: list[float], cap: list[float], ref: float | None = None, **kw: object):  # type: ignore[no-untyped-def]
    p = np.array(pos, dtype=float)[:, None]
    reference = None if ref is None else np.array([ref])
    return nash_bargaining(
        p,
        np.full_like(p, 50.0),
        np.array(cap, dtype=float)[:, None],
        reference=reference,
        **ONE,
        **kw,
    )  # type: ignore[arg-type]


def test_linear_two_actors_no_reference() -> None:
    # no reference: each actor's disagreement is its worst point (the far end), gains
    # 1 - x and x on the unit scale; max 1/4 log(1 - x) + 3/4 log(x) -> x = 3/4
    out = _nbs([0.0, 10.0], [1.0, 3.0], loss="linear")
    assert out.outcome[0] == pytest.approx(7.5, abs=1e-9)
    assert out.diagnostics["agreement"] is True


def test_quadratic_symmetric_two_actors_meet_halfway() -> None:
    out = _nbs([0.0, 10.0], [2.0, 2.0])
    assert out.outcome[0] == pytest.approx(5.0, abs=1e-9)


def test_linear_status_quo_on_one_side() -> None:
    # A at 0 (weight 2/3), B at 4 (1/3), status quo 10. Unit scale: gains 1 - x and
    # 0.2 + x on [0, 0.4]; 2/(1 - x) = 1/(0.2 + x) -> x = 0.2, i.e. 2 on the scale
    out = _nbs([0.0, 4.0], [2.0, 1.0], ref=10.0, loss="linear")
    assert out.outcome[0] == pytest.approx(2.0, abs=1e-9)


def test_quadratic_status_quo_closed_form() -> None:
    # A at 0, B at 4, d = 10, equal weights: g_A = 1 - x^2, g_B = 0.36 - (x - 0.4)^2;
    # check the first-order condition at the solution
    x = _nbs([0.0, 4.0], [1.0, 1.0], ref=10.0).outcome[0] / 10.0
    foc = -2 * x / (1 - x * x) - 2 * (x - 0.4) / (0.36 - (x - 0.4) ** 2)
    assert abs(foc) < 1e-8 and 0.0 < x < 0.4


def test_actors_on_both_sides_of_the_status_quo_means_no_deal() -> None:
    out = _nbs([0.0, 10.0], [1.0, 1.0], ref=5.0)
    assert out.outcome[0] == 5.0
    assert out.diagnostics["agreement"] is False
    assert out.diagnostics["blocking"].size == 0  # nobody alone: the pair blocks


def test_actor_at_the_status_quo_blocks() -> None:
    out = _nbs([0.0, 10.0], [1.0, 1.0], ref=10.0)
    assert out.outcome[0] == 10.0
    assert out.diagnostics["blocking"].tolist() == [1]


def test_disagreement_parameter_overrides_reference() -> None:
    out = _nbs([0.0, 4.0], [2.0, 1.0], ref=3.0, loss="linear", disagreement=[10.0])
    assert out.outcome[0] == pytest.approx(2.0, abs=1e-9)
    assert out.diagnostics["disagreement"] == [10.0]


def test_no_agreement_pins_issues_with_status_quo_and_bargains_on_the_rest() -> None:
    # A cares only about issue 1 and the status quo there is its ideal: A cannot gain, so
    # there is no agreement; issue 1 stays at the status quo, and issue 2 (no status quo)
    # is bargained over by B and C alone
    pos = np.array([[0.0, 5.0], [10.0, 10.0], [6.0, 2.0]])
    sal = np.array([[50.0, 0.0], [50.0, 50.0], [50.0, 50.0]])
    cap = np.ones((3, 2))
    out = nash_bargaining(
        pos, sal, cap, reference=np.array([0.0, np.nan]), lo=np.zeros(2), hi=np.full(2, 10.0)
    )
    assert out.diagnostics["agreement"] is False
    assert out.diagnostics["blocking"].tolist() == [0]
    assert out.outcome[0] == 0.0
    alone = nash_bargaining(pos[1:, 1:], sal[1:, 1:], cap[1:, 1:], reference=None, **ONE)
    assert out.outcome[1] == pytest.approx(alone.outcome[0], abs=1e-6)
    assert 2.0 < out.outcome[1] < 10.0
    assert out.diagnostics["disagreement"] == [0.0, None]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_one_issue_bisection_equals_convex_solver(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8))
    pos = np.array(data.draw(st.lists(st.floats(0, 10), min_size=n, max_size=n)))[:, None]
    sal = np.array(data.draw(st.lists(st.floats(5, 100), min_size=n, max_size=n)))[:, None]
    cap = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=n, max_size=n)))[:, None]
    ref = data.draw(st.none() | st.floats(0, 10))
    loss = data.draw(st.sampled_from(["quadratic", "linear"]))
    kw = {"reference": None if ref is None else np.array([ref]), "loss": loss, **ONE}
    a = nash_bargaining(pos, sal, cap, solver="bisection", **kw)  # type: ignore[arg-type]
    b = nash_bargaining(pos, sal, cap, solver="conic", **kw)  # type: ignore[arg-type]
    assert a.diagnostics["agreement"] == b.diagnostics["agreement"]
    # the interior-point solver is accurate to ~1e-4 of the scale at the kinks of the
    # linear loss (the optimum often sits exactly at an actor's position)
    assert a.outcome[0] == pytest.approx(b.outcome[0], abs=1e-3 if loss == "linear" else 1e-5)


def test_salience_does_not_move_a_one_issue_solution() -> None:
    # the NBS is invariant to positive rescaling of a player's utility (Nash 1950)
    pos, cap = np.array([[1.0], [6.0], [9.0]]), np.array([[1.0], [2.0], [3.0]])
    a = nash_bargaining(pos, np.array([[10.0], [50.0], [90.0]]), cap, reference=None, **ONE)
    b = nash_bargaining(pos, np.array([[90.0], [20.0], [40.0]]), cap, reference=None, **ONE)
    assert a.outcome[0] == pytest.approx(b.outcome[0], abs=1e-12)


def test_multi_issue_solution_is_a_local_maximum() -> None:
    rng = np.random.default_rng(2)
    n, k = 7, 3
    pos, sal, cap = rng.random((n, k)) * 10, rng.random((n, k)) * 90 + 10, rng.random((n, k))
    out = nash_bargaining(pos, sal, cap, reference=None, lo=np.zeros(k), hi=np.full(k, 10.0))
    z, s = pos / 10, sal / 100
    delta = np.maximum(z, 1 - z)
    c = out.diagnostics["weights"]

    def objective(x: np.ndarray) -> float:
        return float(c @ np.log((s * (delta**2 - (x - z) ** 2)).sum(axis=1)))

    x = out.outcome / 10
    best = objective(x)
    for e in np.vstack([np.eye(k), -np.eye(k)]) * 1e-4:
        assert objective(x + e) <= best + 1e-12
    assert out.diagnostics["method"] == "newton"


def test_bad_loss_is_an_input_error() -> None:
    with pytest.raises(InputError):
        _nbs([0.0, 1.0], [1.0, 1.0], loss="cubic")


def test_embedded_scenario_forecast_is_json_clean() -> None:
    from backchannel.scenario import load_embedded

    fc = forecast(load_embedded("iran_us_2019"), model="nash")
    text = json.dumps(fc.to_dict(), allow_nan=False)
    assert "nuclear" in text

"""Sampling of uncertain inputs: columns, truncation, distributions, copula."""

from __future__ import annotations

import numpy as np
import pytest
from _sweep_cases import two_party
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from backchannel.engine.sampling import chunk_seeds, chunk_sizes, sampling_plan
from backchannel.scenario import InputError, load_embedded, parse_scenario


def test_embedded_columns_map_to_the_right_cells() -> None:
    sc = load_embedded("iran_us_2019")
    plan = sampling_plan(sc)
    names = plan.names
    assert "iran_leader.nuclear.limit" in names
    assert "usa.no_deal.adjustment" in names
    assert "escalation.p_escalate" in names
    d = plan.draw(64, 3)
    a = d.arrays
    assert a.limit.shape == (64, a.n_actors, a.n_issues)
    assert a.status_quo.shape == (64, a.n_issues)
    assert a.no_deal_adjustment.shape == (64, a.n_actors)
    for j, c in enumerate(plan.columns):
        if c.field == "limit":
            i_a, i_k = c.cells[0]
            np.testing.assert_array_equal(a.limit[:, i_a, i_k], d.x[:, j])
            assert np.all((d.x[:, j] >= c.low) & (d.x[:, j] <= c.high))
        if not c.in_arrays:
            np.testing.assert_array_equal(d.extras[c.name], d.x[:, j])
    # inputs without uncertainty keep their central values in every draw
    usa, sanc = a.index("usa"), a.issue_index("sanctions")
    assert np.all(a.limit[:, usa, sanc] == plan.base.limit[usa, sanc])
    np.testing.assert_array_equal(a.position, np.broadcast_to(plan.base.position, a.position.shape))


def test_uniform_is_truncated_to_the_issue_scale() -> None:
    sc = two_party("{value: 90, range: [80, 130]}")
    plan = sampling_plan(sc)
    x = plan.draw(20_000, 1).x[:, 0]
    assert x.min() >= 80 and x.max() <= 100
    # uniform on the intersection [80, 100]
    assert abs(x.mean() - 90) < 0.3


def test_triangular_takes_the_value_as_mode() -> None:
    sc = two_party("{value: 30, dist: {dist: triangular, low: 20, high: 60}}")
    x = sampling_plan(sc).draw(50_000, 2).x[:, 0]
    assert abs(x.mean() - (20 + 60 + 30) / 3) < 0.2
    ks = stats.kstest(x, stats.triang(c=(30 - 20) / 40, loc=20, scale=40).cdf)
    assert ks.pvalue > 1e-3


def test_normal_is_truncated_to_the_admissible_range() -> None:
    # salience is admissible in [0, 100]: normal(95, 10) truncated there
    sc = two_party("40", salience_a="{value: 95, dist: {dist: normal, sd: 10}}")
    plan = sampling_plan(sc)
    (col,) = plan.columns
    assert col.field == "salience" and col.bounds == (0.0, 100.0)
    x = plan.draw(50_000, 5).x[:, 0]
    assert x.max() <= 100.0
    ref = stats.truncnorm((0 - 95) / 10, (100 - 95) / 10, loc=95, scale=10)
    assert abs(x.mean() - ref.mean()) < 0.1
    assert stats.kstest(x, ref.cdf).pvalue > 1e-3


def test_actor_capability_writes_every_issue_without_its_own_value() -> None:
    text = """
name: capability
issues:
  - {id: x, name: X}
  - {id: y, name: Y}
actors:
  - id: a
    name: A
    kind: state
    capability: {value: 5, range: [1, 9]}
    positions:
      x: {position: 10}
      y: {position: 20, capability: 3}
  - id: b
    name: B
    kind: state
    positions: {x: {position: 90}, y: {position: 80}}
"""
    plan = sampling_plan(parse_scenario(text, "<test>"))
    (col,) = plan.columns
    assert col.cells == ((0, 0),)
    d = plan.draw(10, 0)
    np.testing.assert_array_equal(d.arrays.capability[:, 0, 0], d.x[:, 0])
    assert np.all(d.arrays.capability[:, 0, 1] == 3)


def test_range_outside_the_admissible_range_is_an_input_error() -> None:
    sc = two_party("{value: 100, dist: {dist: normal, sd: 5, low: 101, high: 120}}")
    with pytest.raises(InputError, match="admissible"):
        sampling_plan(sc)


def test_gaussian_copula_gives_the_requested_rank_correlation() -> None:
    sc = two_party("{value: 40, range: [20, 60]}", limit_b="{value: 40, range: [20, 60]}")
    plan = sampling_plan(sc)
    u = plan.uniforms(np.random.default_rng(0), 40_000, rho=0.6)
    rs = stats.spearmanr(u[:, 0], u[:, 1]).statistic
    assert abs(rs - 6 / np.pi * np.arcsin(0.3)) < 0.02
    assert abs(u.mean() - 0.5) < 0.01
    with pytest.raises(InputError):
        plan.uniforms(np.random.default_rng(0), 10, rho=1.0)


@settings(max_examples=30, deadline=None)
@given(low=st.floats(-2, 102), width=st.floats(0, 50), mode=st.floats(0, 1), u=st.floats(0, 1))
def test_every_draw_lies_in_the_admissible_range(
    low: float, width: float, mode: float, u: float
) -> None:
    high = low + width
    if max(low, 0) > min(high, 100):
        return
    value = min(max(low + mode * width, 0.0), 100.0)
    for dist in (
        f"{{dist: uniform, low: {low}, high: {high}}}",
        f"{{dist: triangular, low: {low}, high: {high}}}",
        f"{{dist: normal, sd: {max(width, 0.5)}}}",
    ):
        if "triangular" in dist and not low <= value <= high:
            continue
        plan = sampling_plan(two_party(f"{{value: {value}, dist: {dist}}}"))
        x = plan.transform(np.array([[u], [0.0], [1.0], [0.5]]))
        assert np.all((x >= 0) & (x <= 100)), (dist, x)
        assert np.all(np.isfinite(x))


def test_normal_inverse_cdf_matches_scipy() -> None:
    sc = two_party("{value: 45, dist: {dist: normal, sd: 10}}")
    u = np.linspace(0.01, 0.99, 9)[:, None]
    x = sampling_plan(sc).transform(u)[:, 0]
    lo, hi = special.ndtr(-4.5), special.ndtr(5.5)
    np.testing.assert_allclose(x, 45 + 10 * special.ndtri(lo + u[:, 0] * (hi - lo)))


def test_chunk_seeds_and_sizes() -> None:
    assert chunk_sizes(5000, 2048) == [2048, 2048, 904]
    assert chunk_sizes(4096, 2048) == [2048, 2048]
    a, b = chunk_seeds(7, 2), chunk_seeds(7, 5)[:2]
    assert [s.spawn_key for s in a] == [s.spawn_key for s in b]

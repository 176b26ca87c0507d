"""Stokman's exchange model (equal gain): hand-checkable cases, invariants, and agreement
with the decide-exchange-model reference implementation on COP21 (values fixed below)."""

from __future__ import annotations

import numpy as np
import pytest
from exchange_spatial_cases import COP21, read_decide
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.models import models
from backchannel.models.exchange import candidate_exchanges, exchange_model, greedy_by_gain

LO2, HI2 = np.zeros(2), np.full(2, 100.0)


def two_actor_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # i cares about q, j about p; opposite sides on both issues
    x = np.array([[20.0, 20.0], [80.0, 80.0]])
    s = np.array([[0.2, 0.8], [0.8, 0.2]])
    c = np.ones((2, 2))
    return x, s, c


def test_registered_with_rounds() -> None:
    spec = models()["exchange"]
    assert spec.has_rounds and "Stokman" in spec.citation


def test_two_actor_exchange_by_hand() -> None:
    """Weights c*s: O_p = (20*.2 + 80*.8)/1 = 68, O_q = 32. Actor 0 (s_p/s_q = .25) supplies
    on p, actor 1 on q. Full move of 1 on q to 20 shifts O_q by 60*.2/1 = 12 (cap |32-20| =
    12); equal gain needs dO_p = dO_q (s_0q + s_1q)/(s_0p + s_1p) = 12; a full move of 0 on p
    shifts O_p by 60*.2 = 12 (cap |68-80| = 12). Gain = 12*.8 - 12*.2 = 7.2 each."""
    x, s, c = two_actor_case()
    cand = candidate_exchanges(x, s, c)
    assert len(cand.gain) == 1
    assert (cand.i[0], cand.p[0], cand.j[0], cand.q[0]) == (0, 0, 1, 1)
    assert cand.gain[0] == pytest.approx(7.2)
    assert cand.y_i[0] == pytest.approx(80.0) and cand.y_j[0] == pytest.approx(20.0)
    out = exchange_model(x, s, c, lo=LO2, hi=HI2)
    assert out.rounds is not None
    np.testing.assert_allclose(out.rounds[1], np.array([[80.0, 20.0], [80.0, 20.0]]))
    np.testing.assert_allclose(out.outcome, [80.0, 20.0])
    assert out.diagnostics["stopped"] == "no exchange"


def test_equal_gain_both_sides() -> None:
    """Each realised exchange gives both actors the same utility gain, computed from the
    outcome shifts on the two issues."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, (12, 4))
    s = rng.uniform(0.1, 1, (12, 4))
    c = rng.uniform(0.5, 2, (12, 4))
    cand = candidate_exchanges(x, s, c)
    w = c * s
    wsum = w.sum(axis=0)
    d_p = np.abs(cand.y_i - x[cand.i, cand.p]) * w[cand.i, cand.p] / wsum[cand.p]
    d_q = np.abs(cand.y_j - x[cand.j, cand.q]) * w[cand.j, cand.q] / wsum[cand.q]
    eu_i = d_q * s[cand.i, cand.q] - d_p * s[cand.i, cand.p]
    eu_j = d_p * s[cand.j, cand.p] - d_q * s[cand.j, cand.q]
    assert len(cand.gain) > 10
    np.testing.assert_allclose(eu_i, cand.gain, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(eu_j, cand.gain, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 9), st.integers(2, 5))
def test_invariants(seed: int, n: int, k: int) -> None:
    """Voting positions stay between the two partners' positions (so within bounds); an
    actor-issue cell moves at most once per round; greedy equals the sequential scan."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (n, k)).round()
    s = rng.uniform(0, 1, (n, k)).round(2)
    c = rng.uniform(0, 3, (n, k)).round(1)
    cand = candidate_exchanges(x, s, c)
    lo_i = np.minimum(x[cand.i, cand.p], x[cand.j, cand.p]) - 1e-9
    hi_i = np.maximum(x[cand.i, cand.p], x[cand.j, cand.p]) + 1e-9
    assert np.all((cand.y_i >= lo_i) & (cand.y_i <= hi_i))
    assert np.all(cand.gain > 0)
    chosen = greedy_by_gain(cand, n, k)
    # sequential reference: scan in order of gain, skip used supply cells
    used: set[tuple[int, int]] = set()
    expect = np.zeros(len(cand.gain), dtype=bool)
    key = np.round(cand.gain / cand.gain.max(), 9) if len(cand.gain) else cand.gain
    for e in np.lexsort((np.arange(len(cand.gain)), -key)):
        a, b = (int(cand.i[e]), int(cand.p[e])), (int(cand.j[e]), int(cand.q[e]))
        if a not in used and b not in used:
            used |= {a, b}
            expect[e] = True
    np.testing.assert_array_equal(chosen, expect)
    out = exchange_model(x, s, c, lo=np.zeros(k), hi=np.full(k, 100.0), max_rounds=4)
    assert out.rounds is not None
    assert np.all((out.rounds >= -1e-9) & (out.rounds <= 100 + 1e-9))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(3, 7),
    st.sampled_from([0.01, 3.0, 100.0]),
    st.sampled_from([(1.0, 0.01), (-5.0, 7.0)]),
)
def test_invariant_to_units_with_ties(
    seed: int, n: int, cap_scale: float, affine: tuple[float, float]
) -> None:
    """Coarse grids make actors sit exactly on the expected outcome and gains tie exactly;
    scaling all capabilities or mapping the issue scale affinely must not change which side
    they are on or how ties break (sides and gain ties are decided with a tolerance)."""
    rng = np.random.default_rng(seed)
    x = rng.choice([0.0, 0.5, 1.0], (n, 2))
    s = rng.choice([5.0, 6.0, 7.0], (n, 2))
    c = rng.choice([1.0, 2.0, 3.0], (n, 2))
    lo, hi = np.zeros(2), np.ones(2)
    base = exchange_model(x, s, c, lo=lo, hi=hi).outcome
    scaled = exchange_model(x, s, c * cap_scale, lo=lo, hi=hi).outcome
    np.testing.assert_allclose(scaled, base, atol=1e-6)
    a, b = affine
    moved = exchange_model(a + b * x, s, c, lo=a + b * lo, hi=a + b * hi).outcome
    np.testing.assert_allclose((moved - a) / b, base, atol=1e-6)


def test_scale_and_salience_units() -> None:
    """Positions on another scale and saliences x100 give the same exchanges."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, (8, 3))
    s = rng.uniform(0.1, 1, (8, 3))
    c = rng.uniform(0.5, 2, (8, 3))
    lo, hi = np.array([0.0, 4.0, -1.0]), np.array([100.0, 10.0, 1.0])
    a = exchange_model(x, s, c, lo=np.zeros(3), hi=np.full(3, 100.0))
    b = exchange_model(lo + x / 100 * (hi - lo), s * 100, c, lo=lo, hi=hi)
    np.testing.assert_allclose(lo + a.outcome / 100 * (hi - lo), b.outcome, atol=1e-9)


# decide-exchange-model 2022.1.28, EqualGainModel, p = 0, on cop21_decide_format.tsv:
# the first 17 exchanges it realises in round 1 (supplier, supply issue, voting position,
# partner, partner's supply issue, partner's voting position, equal gain).
DECIDE_COP21_ROUND1 = [
    ("USA", "eaa", 0.000000, "China", "finance_vol", 10.786082, 2.190721649),
    ("USA", "finance_who", 0.000000, "China", "differentiation", 29.514759, 1.795604267),
    ("Arab_states", "finance_vol", 0.000000, "USA", "adapt_legal", 78.677958, 1.387259858),
    ("USA", "adapt_inst", 90.000000, "LDCs_BGD", "legal", 42.457542, 1.355787070),
    ("LDCs_BGD", "eaa", 0.000000, "China", "adapt_finance", 89.179035, 1.214784038),
    ("EU28", "eaa", 23.182401, "India", "mrv", 100.000000, 1.127406049),
    ("Japan", "finance_who", 8.592159, "Arab_states", "differentiation", 25.000000, 1.119467002),
    ("Russia", "adapt_legal", 80.000000, "LDCs_BGD", "differentiation", 16.414395, 1.088767721),
    ("AOSIS", "finance_who", 0.000000, "Arab_states", "legal", 89.654647, 1.074940916),
    ("USA", "amb2050", 78.663360, "AOSIS", "ld", 0.000000, 0.979799202),
    ("EU28", "adapt_legal", 80.000000, "Arab_states", "mrv", 55.521628, 0.966921120),
    ("India", "ld", 0.000000, "USA", "adapt_finance", 44.131507, 0.964933283),
    ("AILAC", "eaa", 32.300981, "China", "adapt_legal", 80.000000, 0.961832061),
    ("USA", "progress", 85.454945, "AOSIS", "legal", 40.000000, 0.942857143),
    ("China", "ld", 0.000000, "USA", "mrv", 20.731019, 0.908834321),
    ("Russia", "adapt_finance", 100.000000, "India", "differentiation", 58.907790, 0.800154104),
    ("AILAC", "ld", 28.102847, "Japan", "adapt_legal", 80.000000, 0.758094235),
]
DECIDE_COP21_START = {
    "differentiation": 49.255404,
    "mrv": 57.211274,
    "legal": 57.96875,
    "adapt_legal": 59.51145,
    "adapt_inst": 59.64036,
    "finance_vol": 47.644085,
    "finance_who": 38.097126,
    "adapt_finance": 55.121727,
    "ld": 40.105843,
    "progress": 45.596171,
    "amb2050": 67.877517,
    "amb2100": 85.708583,
    "eaa": 57.100515,
}


@pytest.mark.skipif(not COP21.exists(), reason="shared data not present")
def test_candidate_set_agrees_with_decide_on_cop21() -> None:
    """decide's initial exchange set on COP21 (2094 pairings, 2051 valid; sum of equal gains
    563.6974618402687, largest 2.1907216494845363, smallest 0.000685899567675424): ours has
    the same 2051 exchanges; the sums agree to floating-point rounding (1e-9)."""
    _, _, x, s, c = read_decide(COP21)
    cand = candidate_exchanges(x, s, c)
    assert len(cand.gain) == 2051
    assert cand.gain.sum() == pytest.approx(563.6974618402687, abs=1e-9)
    assert cand.gain.max() == pytest.approx(2.1907216494845363, abs=1e-12)
    assert cand.gain.min() == pytest.approx(0.000685899567675424, abs=1e-12)


@pytest.mark.skipif(not COP21.exists(), reason="shared data not present")
def test_agrees_with_decide_on_cop21_round1() -> None:
    """Where the two implementations share their rules they agree to rounding (1e-6): the
    initial expected outcome, and the 17 largest realised exchanges of round 1 (same
    partners, issues, voting positions and gains, in the same order). decide's 18th exchange
    moves India again on differentiation (it continues an actor on an issue it has already
    moved on in the same direction); our model commits a cell after one move, so the
    sequences part there (docs/peer-comparison.md)."""
    actors, issues, x, s, c = read_decide(COP21)
    k = len(issues)
    out = exchange_model(
        x, s, c, lo=np.zeros(k), hi=np.full(k, 100.0), carryover="decide", salience_max=1.0
    )
    start = out.diagnostics["outcome_by_round"][0]
    np.testing.assert_allclose(start, [DECIDE_COP21_START[i] for i in issues], atol=1e-6)
    ours = [
        (
            actors[e["i"]],
            issues[e["p"]],
            e["y_i"],
            actors[e["j"]],
            issues[e["q"]],
            e["y_j"],
            e["gain"],
        )
        for e in out.diagnostics["first_exchanges"][: len(DECIDE_COP21_ROUND1)]
    ]
    for got, want in zip(ours, DECIDE_COP21_ROUND1, strict=True):
        # decide names the pair the other way round when the larger relative salience is
        # the first actor's; compare as unordered pairs of (actor, issue, voting position)
        g = dict([((got[0], got[1]), got[2]), ((got[3], got[4]), got[5])])
        w = dict([((want[0], want[1]), want[2]), ((want[3], want[4]), want[5])])
        assert g.keys() == w.keys()
        for cell, y in w.items():
            assert g[cell] == pytest.approx(y, abs=1e-5)
        assert got[6] == pytest.approx(want[6], abs=1e-6)


@pytest.mark.skipif(not COP21.exists(), reason="shared data not present")
def test_cop21_runs_on_schema_units() -> None:
    """On the 0-100 salience scale of our schema the model keeps the outcome inside the range
    of positions; rounds have the (R+1, N, K) shape."""
    _, _, x, s, c = read_decide(COP21)
    n, k = x.shape
    out = exchange_model(x, s * 100, c, lo=np.zeros(k), hi=np.full(k, 100.0))
    assert out.rounds is not None and out.rounds.shape[1:] == (n, k)
    assert len(out.diagnostics["exchanges_per_round"]) == out.rounds.shape[0] - 1
    assert np.all(out.outcome >= x.min(axis=0) - 1e-9)
    assert np.all(out.outcome <= x.max(axis=0) + 1e-9)


def test_forecast_interface_on_embedded_scenario() -> None:
    """Through ``forecast``: outcome within each issue's scale, rounds (R+1, N, K), and a
    JSON-ready record."""
    import json

    from backchannel.models import forecast
    from backchannel.scenario import load_embedded

    f = forecast(load_embedded("iran_us_2019"), model="exchange", max_rounds=5)
    assert f.rounds is not None and f.rounds.shape[1:] == (len(f.actor_ids), len(f.issue_ids))
    assert f.rounds.shape[0] - 1 == len(f.diagnostics["exchanges_per_round"])
    json.dumps(f.to_dict())

"""Bueno de Mesquita's expected-utility model: exact cases, replication, fast = reference."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eum_reference import (  # type: ignore[import-not-found]
    expected_utilities_1d,
    reference_eum,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.models import eum as eum_mod
from backchannel.models import eum_pairs, forecast
from backchannel.models.eum import expected_utility
from backchannel.models.eum_votes import condorcet_median, vote_table, win_probability
from backchannel.scenario.errors import InputError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
EC_CSV = DATA / "cases" / "ec_emissions" / "ec_car_emissions_1994.csv"


def _ec() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not EC_CSV.exists():
        pytest.skip("shared data not present (../shared/data beside the repository)")
    rows = list(csv.DictReader(EC_CSV.open()))

    def col(name: str) -> np.ndarray:
        return np.array([[float(r[name])] for r in rows])

    return col("Position"), col("Salience"), col("Capability")


def _run(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, **kw: object):  # type: ignore[no-untyped-def]
    k = pos.shape[1]
    return expected_utility(pos, sal, cap, lo=np.full(k, 4.0), hi=np.full(k, 10.0), **kw)


# ---------------------------------------------------------------- votes and the median


def _brute_prob(u: np.ndarray, w: np.ndarray, i: int, j: int) -> float:
    v = w * (np.abs(u - u[j]) - np.abs(u - u[i]))
    snap = 1e-13 * w.sum()  # rounding noise is no vote (VOTE_SNAP)
    pos, neg = v[v > 0].sum(), -v[v < 0].sum()
    pos, neg = (0.0 if pos <= snap else pos), (0.0 if neg <= snap else neg)
    return 0.5 if pos + neg == 0 else float(pos / (pos + neg))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_win_probability_matches_brute_force(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 9))
    grid = data.draw(st.booleans())
    elem = (
        st.integers(0, 6).map(lambda x: x / 6)
        if grid
        else st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 4))
    )
    # (pairs closer than ~1e-8 of the scale lose relative precision in P; their P is
    # multiplied by U_s - U_f ~ 4 d in the expected utility, so it does not matter there)
    u = np.array([data.draw(st.lists(elem, min_size=n, max_size=n)) for _ in range(2)])
    # weights (capability x salience) without subnormal floats: below ~1e-308 a vote is
    # rounding noise on both sides (the snap is relative to the total weight, which
    # underflows), so ties and wins there are not a property of the model
    weights = st.floats(0, 5, allow_subnormal=False)
    w = np.array([data.draw(st.lists(weights, min_size=n, max_size=n)) for _ in range(2)])
    p = win_probability(vote_table(u, w), u, slice(None), slice(None))
    for k in range(2):
        brute = np.array([[_brute_prob(u[k], w[k], i, j) for j in range(n)] for i in range(n)])
        np.testing.assert_allclose(p[k], brute, atol=1e-9)


def test_probabilities_of_a_pair_sum_to_one() -> None:
    rng = np.random.default_rng(3)
    u, w = rng.random((1, 30)), rng.random((1, 30))
    p = win_probability(vote_table(u, w), u, slice(None), slice(None))[0]
    off = ~np.eye(30, dtype=bool)
    np.testing.assert_allclose((p + p.T)[off], 1.0, atol=1e-12)


def test_condorcet_median_hand_cases() -> None:
    u = np.array([[0.0, 0.5, 1.0], [0.0, 0.5, 1.0], [0.2, 0.2, 0.9]])
    w = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    # equal weights -> the middle; an exact half split -> the midpoint of the tied interval;
    # no weight at all -> every position ties -> midpoint of the positions
    np.testing.assert_allclose(condorcet_median(u, w), [0.5, 0.5, 0.55])


# ---------------------------------------------------------------- EC car emissions 1994


def test_ec_round0_median_is_seven_years() -> None:
    # weights c*s: at 4 years 24.8, at 7 years 9.3, at 10 years 33.6 (total 67.7): the
    # cumulative weight passes half (33.85) at 7 years
    out = _run(*_ec())
    assert out.diagnostics["median"][0, 0] == pytest.approx(7.0)
    assert out.diagnostics["mean"][0, 0] == pytest.approx(500.3 / 67.7)


def test_ec_risk_exponents_match_public_replication() -> None:
    # default ("net") probability rule: the first-round risk exponents equal those of the
    # public replication of Scholz et al. (dmasad/BDM_DecisionModel_Replication, Testing
    # notebook): Luxembourg the most risk-acceptant (0.5), the UK the most averse (2.0)
    out = _run(*_ec(), rounds=1)
    expected = [
        1.127198,
        0.780918,
        0.5,
        1.127198,
        1.077892,
        1.077892,
        2.0,
        0.524782,
        1.471697,
        1.140479,
    ]
    np.testing.assert_allclose(out.diagnostics["risk"][0, :, 0], expected, atol=1e-6)


# Output of the public replication (github dmasad/BDM_DecisionModel_Replication, head of
# master, GroupDecisionModel.Model.run_model called 10 times on this CSV with Q = T = 1,
# xmin 4, xmax 10, salience / 100; run outside this repo, see docs/decisions.md).
# Its median is Model.vote(), its mean Model.find_mean(); Ireland is the only actor whose
# position is not on a bloc: it is listed per round; Luxembourg alternates 4 -> 10 -> 4.
PORT_MEDIAN = [
    7.0,
    10.0,
    7.123687964,
    10.0,
    7.153747411,
    10.0,
    7.180411409,
    10.0,
    7.204045046,
    10.0,
    7.224985021,
]
PORT_MEAN = [
    7.389955687,
    7.444520171,
    7.390869187,
    7.442884232,
    7.391091192,
    7.44306829,
    7.39128812,
    7.443232046,
    7.391462667,
    7.443377585,
    7.391617319,
]
PORT_IRELAND = [
    7.0,
    7.188031156,
    7.123687964,
    6.96652506,
    7.153747411,
    6.991446453,
    7.180411409,
    7.013619059,
    7.204045046,
    7.033324972,
    7.224985021,
]
PORT_RISK_LAST = [
    1.266190878,
    0.79257765,
    0.513216329,
    1.266190878,
    1.111062728,
    1.111062728,
    2.0,
    0.5,
    1.858574827,
    1.226983922,
]


def test_ec_round_by_round_equals_public_replication() -> None:
    out = _run(*_ec(), accept="strongest_challenge", probability="net", rounds=10)
    d = out.diagnostics
    assert out.rounds is not None and d["rounds_run"] == 10
    np.testing.assert_allclose(d["median"][:, 0], PORT_MEDIAN, atol=1e-8)
    np.testing.assert_allclose(d["forecast_per_round"][:, 0], PORT_MEDIAN, atol=1e-8)
    np.testing.assert_allclose(d["mean"][:, 0], PORT_MEAN, atol=1e-8)
    np.testing.assert_allclose(out.rounds[:, 7, 0], PORT_IRELAND, atol=1e-8)
    np.testing.assert_allclose(out.rounds[:, 2, 0], [4.0, 10.0] * 5 + [4.0])
    others = [0, 1, 3, 4, 5, 6, 8, 9]  # never move
    np.testing.assert_allclose(out.rounds[:, others, 0], out.rounds[:1, others, 0].repeat(11, 0))
    np.testing.assert_allclose(d["risk"][-1, :, 0], PORT_RISK_LAST, atol=1e-8)


# E^i(U_ij) of the first round, printed in the public replication's Testing notebook
# (Belgium's and the UK's challenges to every other state; Luxembourg -> France).
PORT_EU_BELGIUM = {
    "Denmark": -0.3751669542544107,
    "France": -0.12290936745034992,
    "Germany": -0.1055122924983457,
    "Greece": 0.0,
    "Ireland": 0.0,
    "Italy": -0.12290936745034992,
    "Luxembourg": 0.7034516927698495,
    "Netherlands": -0.1055122924983457,
    "UK": -0.6709172284384823,
}
PORT_EU_UK = {
    "Belgium": -0.05,
    "Denmark": -2.397260273972604,
    "France": 0.0,
    "Germany": -1.7178082191780832,
    "Greece": -0.65,
    "Ireland": 0.55,
    "Italy": 0.0,
    "Luxembourg": 0.3205479452054789,
    "Netherlands": -1.7178082191780832,
}


def test_ec_first_round_expected_utilities_equal_public_replication() -> None:
    # the plain reference (which the fast model equals to 1e-9) against the port's printed
    # expected utilities: same votes (net rule), utilities, security levels and risk
    pos, sal, cap = _ec()
    names = [r["Actor"] for r in csv.DictReader(EC_CSV.open())]
    u = [(x - 4.0) / 6.0 for x in pos[:, 0]]
    s = list(sal[:, 0] / 100.0)
    w = list(cap[:, 0] * sal[:, 0] / 100.0)
    w = [x / sum(w) for x in w]
    _, e, _ = expected_utilities_1d(u, w, s, 1.0, 1.0, "net")
    for who, table in (("Belgium", PORT_EU_BELGIUM), ("UK", PORT_EU_UK)):
        i = names.index(who)
        for other, value in table.items():
            assert e[i][names.index(other)] == pytest.approx(value, abs=1e-9), (who, other)
    lux, fra = names.index("Luxembourg"), names.index("France")
    assert e[lux][fra] == pytest.approx(0.42842712474618994, abs=1e-9)


EC_PUBLISHED_FIRST, EC_PUBLISHED_LAST, EC_ACTUAL = 8.35, 9.05, 8.833
EC_TOL_FIRST, EC_TOL_LAST = 0.1, 0.2
"""Years. BdM's published forecasts carry two decimals (8.35, 9.05); 0.1 year (1.7% of the
6-year scale) for the first-round figure and 0.2 for the final one (several rounds of
compounding differences) is the agreement a replication of the method should reach."""


@pytest.mark.xfail(
    strict=True,
    reason=(
        "not reproduced: no public reconstruction of BdM's model (dmasad port, jmckib's "
        "reading of Scholz et al.'s code) forecasts 8.35 -> 9.05 on this data; see "
        "docs/decisions.md"
    ),
)
@pytest.mark.parametrize(
    "variant",
    [
        {},  # defaults
        {"accept": "strongest_challenge"},  # the public replication's rule
        {"forecast": "mean"},
    ],
)
def test_ec_forecast_matches_published_figures(variant: dict[str, object]) -> None:
    out = _run(*_ec(), **variant)
    f = out.diagnostics["forecast_per_round"][:, 0]
    assert abs(f[1] - EC_PUBLISHED_FIRST) <= EC_TOL_FIRST
    assert abs(out.outcome[0] - EC_PUBLISHED_LAST) <= EC_TOL_LAST


def test_ec_exact_numbers_recorded() -> None:
    # regression lock on the numbers recorded in docs/decisions.md (defaults)
    out = _run(*_ec())
    d = out.diagnostics
    assert d["rounds_run"] == 10 and d["forecast"] == "median"
    np.testing.assert_allclose(d["median"][:, 0], 7.0)
    np.testing.assert_allclose(d["forecast_per_round"], d["median"])
    assert out.outcome[0] == 7.0
    np.testing.assert_allclose(
        d["mean"][:, 0],
        [
            7.389956,
            7.309201,
            7.277874,
            7.263128,
            7.255932,
            7.25237,
            7.250541,
            7.249556,
            7.249001,
            7.248675,
            7.248479,
        ],
        atol=1e-6,
    )
    assert out.rounds is not None
    np.testing.assert_allclose(
        out.rounds[-1, :, 0],
        [4.0, 4.0003, 4.038, 4.0, 10.0, 10.0, 10.0, 6.9962, 4.0, 7.0],
        atol=1e-4,
    )
    assert d["offers"]["moved"][:, 0].tolist() == [3] * 10
    # the mean as the forecast quantity
    mean = _run(*_ec(), forecast="mean")
    np.testing.assert_allclose(mean.diagnostics["forecast_per_round"], d["mean"])
    assert mean.outcome[0] == pytest.approx(7.248479, abs=1e-6)


# ---------------------------------------------------------------- fast == reference


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 2))
    grid = draw(st.booleans())
    elem = (
        st.integers(0, 8).map(float)
        if grid
        else st.floats(0, 8, allow_nan=False).map(lambda x: round(x, 3))
    )
    pos = np.array(draw(st.lists(st.lists(elem, min_size=k, max_size=k), min_size=n, max_size=n)))
    sal = np.array(
        draw(
            st.lists(
                st.lists(st.sampled_from([0, 10, 35, 50, 80, 100]), min_size=k, max_size=k),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=float,
    )
    cap = np.array(
        draw(st.lists(st.lists(st.floats(0.1, 10), min_size=k, max_size=k), min_size=n, max_size=n))
    )
    return {
        "position": pos,
        "salience": sal,
        "capability": cap,
        "lo": np.zeros(k),
        "hi": np.full(k, 8.0),
        "rounds": draw(st.integers(1, 4)),
        "Q": draw(st.sampled_from([1.0, 0.5, 0.8])),
        "T": draw(st.sampled_from([1.0, 0.3])),
        "accept": draw(st.sampled_from(["nearest", "strongest", "strongest_challenge"])),
        "probability": draw(st.sampled_from(["share", "net"])),
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_fast_model_agrees_with_plain_reference(case: dict[str, object]) -> None:
    _assert_as_reference(expected_utility(**case), case)  # type: ignore[arg-type]


def _assert_as_reference(out: Any, case: dict[str, object]) -> None:
    """Positions, medians and risk exponents of every round equal the reference's (1e-9)."""
    ref = reference_eum(**case)  # type: ignore[arg-type]
    assert out.rounds is not None
    assert out.rounds.shape == ref["rounds"].shape
    np.testing.assert_allclose(out.rounds, ref["rounds"], atol=1e-9)
    np.testing.assert_allclose(out.diagnostics["median"], ref["median"], atol=1e-9)
    np.testing.assert_allclose(out.diagnostics["risk"], ref["risk"], atol=1e-9)


def test_random_medium_case_agrees_with_reference() -> None:
    rng = np.random.default_rng(11)
    n = 25
    case = {
        "position": rng.random((n, 1)) * 100,
        "salience": rng.integers(1, 101, (n, 1)) * 1.0,
        "capability": rng.random((n, 1)) + 0.1,
        "lo": np.zeros(1),
        "hi": np.full(1, 100.0),
        "rounds": 3,
    }
    ref = reference_eum(**case)  # type: ignore[arg-type]
    out = expected_utility(**case)  # type: ignore[arg-type]
    np.testing.assert_allclose(out.rounds, ref["rounds"], atol=1e-9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases(), st.sampled_from([1, 2, 3, 64]))
def test_tiled_round_agrees_with_plain_reference(case: dict[str, object], tile: int) -> None:
    """The round for many actors (tiles, offers resolved from per-tile states, near ties
    computed again) forced onto small cases, where grid positions make ties common."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(eum_mod, "SMALL_N", 0)
        mp.setattr(eum_pairs, "TILE", tile)
        out = expected_utility(**case)  # type: ignore[arg-type]
    _assert_as_reference(out, case)


@pytest.mark.parametrize("tile", [3, 64])
@pytest.mark.parametrize("accept", ["nearest", "strongest", "strongest_challenge"])
def test_tiled_round_settles_ties_as_the_reference(
    monkeypatch: pytest.MonkeyPatch, accept: str, tile: int
) -> None:
    """A mirror-symmetric case: the actor in the middle (index 3) gets offers from both
    sides that tie (the same move and strength) with different targets, which tiles
    cannot settle alone: they are computed again, and the rule gives the mean, 2."""
    pos = np.array([[0.0], [0.0], [1.0], [2.0], [3.0], [4.0], [4.0]])
    sal = np.array([[80.0], [50.0], [40.0], [20.0], [40.0], [80.0], [50.0]])
    cap = np.array([[3.0], [1.0], [1.0], [0.5], [1.0], [3.0], [1.0]])
    case = {"position": pos, "salience": sal, "capability": cap, "rounds": 3, "accept": accept}
    again: list[list[int]] = []
    spy = eum_pairs._offers_of

    def counted(*args: object, **kw: object) -> np.ndarray:
        again.append([int(j) for j in args[6]])  # type: ignore[attr-defined]
        return spy(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(eum_pairs, "_offers_of", counted)
    monkeypatch.setattr(eum_mod, "SMALL_N", 0)
    monkeypatch.setattr(eum_pairs, "TILE", tile)
    out = expected_utility(**case, lo=np.zeros(1), hi=np.full(1, 4.0))  # type: ignore[arg-type]
    assert again and all(cols == [3] for cols in again)
    ref = reference_eum(**case, lo=np.zeros(1), hi=np.full(1, 4.0))  # type: ignore[arg-type]
    np.testing.assert_allclose(out.rounds, ref["rounds"], atol=1e-12)
    assert out.rounds is not None and np.all(out.rounds[:, 3, 0] == 2.0)


@pytest.mark.parametrize(
    ("budget", "tile", "cells"),
    [
        (300, 7, 4000),  # chunks of issues; many tiles per issue
        (None, 16, 4000),  # tiles on and off the diagonal
        (None, 1000, 2000),  # one tile per issue, several issues per tile
    ],
)
@pytest.mark.parametrize("probability", ["share", "net"])
@pytest.mark.parametrize("n_threads", ["1", "3"])
def test_tiled_computation_equals_reference_for_any_tiling(
    monkeypatch: pytest.MonkeyPatch,
    budget: int | None,
    tile: int,
    cells: int,
    probability: str,
    n_threads: str,
) -> None:
    rng = np.random.default_rng(5)
    n, k = 40, 3
    args = (rng.random((n, k)) * 10, rng.integers(1, 101, (n, k)) * 1.0, rng.random((n, k)) + 0.05)
    kw = {"lo": np.zeros(k), "hi": np.full(k, 10.0), "rounds": 4, "probability": probability}
    whole = expected_utility(*args, **kw)  # type: ignore[arg-type]
    if budget is not None:
        monkeypatch.setattr(eum_mod, "_BUDGET", budget)
    monkeypatch.setattr(eum_pairs, "TILE", tile)
    monkeypatch.setattr(eum_pairs, "TILE_CELLS", cells)
    monkeypatch.setattr(eum_pairs, "THREADED_CELLS", 0)
    monkeypatch.setenv("BACKCHANNEL_THREADS", n_threads)
    tiled = expected_utility(*args, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(tiled.rounds, whole.rounds, atol=1e-12)
    ref = reference_eum(*args, **kw)  # type: ignore[misc]
    np.testing.assert_allclose(tiled.rounds, ref["rounds"], atol=1e-9)
    for kind in ("offers", "conflict", "compromise", "capitulation", "moved"):
        np.testing.assert_array_equal(
            tiled.diagnostics["offers"][kind], whole.diagnostics["offers"][kind]
        )


def test_issues_are_independent_batch_of_draws() -> None:
    rng = np.random.default_rng(8)
    n, k = 12, 5
    pos, sal, cap = rng.random((n, k)) * 10, rng.integers(1, 101, (n, k)) * 1.0, rng.random((n, k))
    kw = {"lo": np.zeros(k), "hi": np.full(k, 10.0), "rounds": 6, "stop_when_stable": False}
    batch = expected_utility(pos, sal, cap, **kw)  # type: ignore[arg-type]
    for kk in range(k):
        one = expected_utility(
            pos[:, [kk]],
            sal[:, [kk]],
            cap[:, [kk]],
            lo=np.zeros(1),
            hi=np.full(1, 10.0),
            rounds=6,
            stop_when_stable=False,
        )
        np.testing.assert_allclose(batch.rounds[:, :, kk], one.rounds[:, :, 0], atol=1e-12)


@pytest.mark.parametrize("accept", ["nearest", "strongest_challenge"])
def test_small_batch_equals_each_issue_alone_bit_for_bit(accept: str) -> None:
    """Sweeps pass draws as extra issues: each must get exactly its one-issue result."""
    rng = np.random.default_rng(21)
    n, k = 10, 60
    pos, sal = rng.random((n, k)) * 6 + 4, rng.integers(1, 101, (n, k)) * 1.0
    cap = rng.random((n, k))
    kw: dict[str, object] = {"rounds": 8, "accept": accept, "stop_when_stable": False}
    batch = expected_utility(pos, sal, cap, lo=np.full(k, 4.0), hi=np.full(k, 10.0), **kw)
    for kk in range(0, k, 7):
        one = expected_utility(
            pos[:, [kk]],
            sal[:, [kk]],
            cap[:, [kk]],
            lo=np.array([4.0]),
            hi=np.array([10.0]),
            **kw,
        )
        np.testing.assert_array_equal(batch.rounds[:, :, kk], one.rounds[:, :, 0])


# ---------------------------------------------------------------- small exact cases


def test_two_actors_hand_computed() -> None:
    # A at 0 (capability 1), B at 10 (capability 3), both salience 50 (s = 0.5), dx = 10.
    # Votes: P_A = 1/4, P_B = 3/4; the median is B's position.
    # Pass 1 (r = 1: U_s = 2, U_f = -2, U_sq = 0): E^A(U_AB) = 2 - 0.5*0.75*4 = 0.5,
    # E^B(U_BA) = 2 - 0.5*0.25*4 = 1.5, so A is the more exposed (security 1.5 vs 0.5):
    # R_A = 1 -> r_A = 0.5, R_B = -1 -> r_B = 2.
    # Pass 2: U_sq(A) = 2 - 4*0.5**0.5, E^A = 2 - 1.5 - U_sq(A) = 1.3284;
    # U_sq(B) = 1, E^B = 2 - 0.5 - 1 = 0.5. Both positive: conflict, A's E is larger, so B
    # loses and moves to 0 (the risk-acceptant weaker actor prevails).
    out = expected_utility(
        np.array([[0.0], [10.0]]),
        np.array([[50.0], [50.0]]),
        np.array([[1.0], [3.0]]),
        lo=np.zeros(1),
        hi=np.full(1, 10.0),
        probability="share",
    )
    d = out.diagnostics
    assert d["median"][0, 0] == 10.0
    np.testing.assert_allclose(d["risk"][0, :, 0], [0.5, 2.0])
    np.testing.assert_allclose(d["risk_index"][0, :, 0], [1.0, -1.0])
    assert out.rounds is not None
    np.testing.assert_allclose(out.rounds[1, :, 0], [0.0, 0.0])
    assert d["offers"]["conflict"][0, 0] == 2
    assert out.outcome[0] == 0.0


def test_actor_without_stance_neither_votes_nor_moves() -> None:
    pos = np.array([[0.0], [10.0], [5.0]])
    out = expected_utility(
        pos,
        np.array([[50.0], [60.0], [0.0]]),
        np.ones((3, 1)),
        lo=np.zeros(1),
        hi=np.full(1, 10.0),
        rounds=5,
    )
    assert out.rounds is not None
    np.testing.assert_allclose(out.rounds[:, 2, 0], 5.0)


def test_zero_rounds_returns_the_input_median() -> None:
    pos, sal, cap = _ec()
    out = _run(pos, sal, cap, rounds=0)
    assert out.rounds is not None and out.rounds.shape == (1, 10, 1)
    assert out.outcome[0] == pytest.approx(7.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"Q": 1.5},
        {"T": -0.1},
        {"accept": "x"},
        {"probability": "x"},
        {"forecast": "x"},
        {"rounds": -1},
    ],
)
def test_bad_parameters_are_input_errors(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        _run(*_ec(), **bad)


def test_registered_and_runs_on_embedded_scenario() -> None:
    from backchannel.scenario import load_embedded

    fc = forecast(load_embedded("iran_us_2019"), model="eum", rounds=5)
    assert fc.rounds is not None and fc.rounds.shape[1:] == (len(fc.actor_ids), 6)
    assert set(fc.to_dict()["outcome"]) == set(fc.issue_ids)


def test_diagnostics_shapes_and_variants_on_ec_case() -> None:
    out = _run(*_ec(), rounds=3)
    d = out.diagnostics
    assert out.rounds is not None and out.rounds.shape == (4, 10, 1)
    assert d["median"].shape == (4, 1) and d["mean"].shape == (4, 1)
    assert d["risk"].shape == (3, 10, 1) and d["risk_index"].shape == (3, 10, 1)
    assert all(v.shape == (3, 1) for v in d["offers"].values())
    assert np.all((d["risk"] >= 0.5) & (d["risk"] <= 2.0))
    # "strongest" with eq. 7 as printed: the 10-year bloc prevails and the model converges
    strong = _run(*_ec(), accept="strongest", probability="share")
    assert strong.diagnostics["rounds_run"] == 4
    assert bool(strong.diagnostics["converged"][0])
    np.testing.assert_allclose(strong.diagnostics["median"][:, 0], [7.0, 10, 10, 10, 10])

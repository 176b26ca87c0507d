"""Power indices: known small games, brute force on random games, Council periods."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.data.capability import capabilities, game_power, issue_periods
from backchannel.data.council import PERIODS, period_for
from backchannel.data.deu import DeuData
from backchannel.data.power import (
    double_majority_game,
    power_indices,
    unanimity_game,
    weighted_game,
)


def brute_force(n: int, win, required: int = 0) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Shapley-Shubik by permutations' formula over subsets, Banzhaf by swings."""
    total = n + required
    ss = np.zeros(total)
    sw = np.zeros(total)
    for mask in range(1 << total):
        members = [i for i in range(total) if mask >> i & 1]
        for i in range(total):
            if mask >> i & 1:
                continue
            if win([*members, i]) and not win(members):
                s = len(members)
                ss[i] += math.factorial(s) * math.factorial(total - s - 1) / math.factorial(total)
                sw[i] += 1
    return ss, sw


def test_known_games() -> None:
    r = weighted_game(51, [50, 49, 1])
    np.testing.assert_allclose(r.shapley_shubik, [2 / 3, 1 / 6, 1 / 6])
    np.testing.assert_allclose(r.banzhaf, [3 / 5, 1 / 5, 1 / 5])
    np.testing.assert_allclose(r.banzhaf_absolute, [3 / 4, 1 / 4, 1 / 4])
    # EEC Council 1958 (Treaty of Rome Art. 148): FR DE IT 4, BE NL 2, LU 1, quota 12
    eec = weighted_game(12, [4, 4, 4, 2, 2, 1])
    np.testing.assert_allclose(eec.shapley_shubik * 60, [14, 14, 14, 9, 9, 0])
    np.testing.assert_allclose(eec.banzhaf * 21, [5, 5, 5, 3, 3, 0])
    np.testing.assert_allclose(eec.banzhaf_absolute * 32, [10, 10, 10, 6, 6, 0])
    u = unanimity_game(["a", "b", "c"], required=["com"])
    np.testing.assert_allclose(u.shapley_shubik, [0.25] * 4)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=6),
    st.floats(0.3, 0.9),
    st.integers(0, 2),
    st.integers(0, 4),
)
def test_matches_brute_force(
    weights: list[int], share: float, required: int, min_members: int
) -> None:
    n = len(weights)
    quota = max(1, math.ceil(share * sum(weights)))

    def win(members: list[int]) -> bool:
        core = [i for i in members if i < n]
        return (
            all(n + j in members for j in range(required))
            and sum(weights[i] for i in core) >= quota
            and len(core) >= min_members
        )

    ss, sw = brute_force(n, win, required)
    r = weighted_game(
        quota, weights, min_members=min_members, required=[f"r{j}" for j in range(required)]
    )
    np.testing.assert_allclose(r.shapley_shubik, ss, atol=1e-12)
    np.testing.assert_allclose(r.banzhaf_absolute, sw / 2 ** (n + required - 1), atol=1e-12)


def test_double_majority_brute_force() -> None:
    pop = [80.0, 65.0, 60.0, 45.0, 38.0, 20.0, 11.0, 10.0, 5.0, 1.0]
    n = len(pop)

    def win(members: list[int]) -> bool:
        c = len(members)
        return (c >= 6 and sum(pop[i] for i in members) >= 0.65 * sum(pop)) or c > n - 4

    ss, sw = brute_force(n, win)
    r = double_majority_game(
        pop,
        [str(i) for i in range(n)],
        member_share=0.55,
        min_members=5,
        pop_share=0.65,
        min_blocking=4,
    )
    assert r.exact
    np.testing.assert_allclose(r.shapley_shubik, ss, atol=1e-12)
    np.testing.assert_allclose(r.banzhaf_absolute, sw / 2 ** (n - 1), atol=1e-12)


def test_double_majority_matches_generating_functions() -> None:
    """Integer populations: the DP over (members, population) is exact too; both agree."""
    rng = np.random.default_rng(5)
    pop = rng.integers(1, 200, 13).astype(float)
    n, quota = 13, math.ceil(0.65 * pop.sum())

    def win(c, v):  # type: ignore[no-untyped-def]
        return ((c >= 8) & (v >= quota)) | (c > n - 4)

    gf = power_indices(pop.astype(int), win, required=["com", "ep"])
    mitm = double_majority_game(
        pop.tolist(),
        [str(i) for i in range(n)],
        member_share=0.55,
        min_members=8,
        pop_share=0.65,
        min_blocking=4,
        required=["com", "ep"],
        decimals=0,
    )
    np.testing.assert_allclose(mitm.shapley_shubik, gf.shapley_shubik, atol=1e-12)
    np.testing.assert_allclose(mitm.banzhaf_absolute, gf.banzhaf_absolute, atol=1e-12)


def test_lisbon_eu28() -> None:
    p = next(x for x in PERIODS if x.name == "EU28-Lisbon")
    r = game_power(p, "QMV", "COD").as_dict()
    assert sum(r.values()) == pytest.approx(1.0)
    assert r["de"] > r["fr"] > r["uk"] > r["it"] > r["es"] > r["pl"] > r["ro"] > r["nl"]
    assert r["com"] == pytest.approx(r["ep"])
    assert min(r[m] for m in p.members) > 0


def test_generic_rule_efficiency() -> None:
    r = power_indices([3, 2, 2, 1], lambda c, w: (w >= 5) & (c >= 2), required=["x"])
    assert r.shapley_shubik.sum() == pytest.approx(1.0)
    assert r.banzhaf.sum() == pytest.approx(1.0)


def test_periods_and_council_games() -> None:
    assert period_for(dt.date(1999, 1, 1), ["de", "com"]).name == "EU15-Amsterdam"
    assert period_for(dt.date(2003, 12, 23), ["pl"]).name == "EU25-Nice"
    assert period_for(dt.date(2004, 7, 14), ["pl"]).name == "EU25-transition"
    assert period_for(dt.date(2005, 12, 1), ["bu", "ro"]).name == "EU27-Nice"
    assert period_for(dt.date(2016, 9, 14), ["cr"]).name == "EU28-Lisbon"
    weights = {p.name: (sum(p.weights.values()), p.quota) for p in PERIODS if p.weights}
    assert weights == {
        "EU15-Amsterdam": (87, 62),
        "EU25-transition": (124, 88),
        "EU25-Nice": (321, 232),
        "EU27-Nice": (345, 255),
        "EU28-Nice": (352, 260),
    }
    ams = game_power(PERIODS[0], "QMV", "CNS").as_dict()
    assert ams["de"] == pytest.approx(ams["fr"]) and ams["de"] > ams["es"] > ams["be"]
    unan = game_power(PERIODS[0], "UNAN", "COD").as_dict()
    assert set(np.round(list(unan.values()), 12)) == {round(1 / 17, 12)}
    cns = game_power(PERIODS[2], "QMV", "CNS")
    assert "ep" not in cns.players and sum(cns.shapley_shubik) == pytest.approx(1.0)


def test_issue_capabilities(deu_dev: DeuData) -> None:
    cap = capabilities(deu_dev)
    np.testing.assert_allclose(cap.sum(axis=0), 1.0)  # Council + institutions share 1
    per = issue_periods(deu_dev)
    assert {p.name for p in per} == {"EU15-Amsterdam", "EU25-transition", "EU25-Nice", "EU27-Nice"}
    # every state with a position is a member in its issue's period
    has = deu_dev.has_position()
    for k, p in enumerate(per):
        states = {a for a, h in zip(deu_dev.actors, has[:, k], strict=True) if h} - {"com", "ep"}
        assert states <= set(p.members)

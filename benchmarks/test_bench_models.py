"""Speed of every registered forecasting model at N = 10 ... 10,000 actors.

Run: ``.venv/bin/pytest benchmarks/test_bench_models.py --benchmark-only -q``.

One issue per model (the exchange model needs two: it trades positions between issues),
random positions on [0, 100], salience 1-100, capability 0.1-1.1, status quo 50; the
expected-utility model plays exactly 10 rounds. Combinations that would take more than a
few seconds per round are skipped with the measured reason (see ``SKIP``). Models
registered later are benchmarked too, at N up to 1,000 unless listed in ``LARGE_OK``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backchannel.models import models

SIZES = (10, 100, 1_000, 10_000)

PARAMS: dict[str, dict[str, Any]] = {
    "eum": {"rounds": 10, "stop_when_stable": False},
}
ISSUES: dict[str, int] = {"exchange": 2}

LARGE_OK = {"compromise", "median", "nash", "eum", "spatial", "exchange"}
"""Models measured at N = 10,000 (directly or by a recorded skip in ``SKIP``)."""

SKIP: dict[tuple[str, int], str] = {
    ("eum", 10_000): "one round is 9.6 s of CPU (test_bench_growth.py times it): 10 rounds"
    " x 3 runs would take minutes",
    ("spatial", 1_000): "measured 39 s for two turns (~20 s per turn): over the limit",
    ("spatial", 10_000): "~100x the N = 1,000 cost per turn",
    ("exchange", 10_000): "measured 27 s for one round (O(N^2) candidate exchanges)",
}
"""Skipped combinations, with the time measured on the 2-core development machine."""


def _inputs(n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return (
        rng.random((n, k)) * 100.0,
        rng.integers(1, 101, (n, k)).astype(float),
        rng.random((n, k)) + 0.1,
    )


CASES = [(name, n) for name in sorted(models()) for n in SIZES]


@pytest.mark.parametrize(("name", "n"), CASES, ids=[f"{m}-N{n}" for m, n in CASES])
def test_model_speed(benchmark: Any, name: str, n: int) -> None:
    if (name, n) in SKIP:
        pytest.skip(SKIP[(name, n)])
    if n > 1_000 and name not in LARGE_OK:
        pytest.skip("not known to be fast at N = 10,000")
    spec = models()[name]
    k = ISSUES.get(name, 1)
    pos, sal, cap = _inputs(n, k)
    lo, hi, ref = np.zeros(k), np.full(k, 100.0), np.full(k, 50.0)

    def run() -> Any:
        return spec.core(pos, sal, cap, lo=lo, hi=hi, reference=ref, **PARAMS.get(name, {}))

    slow = n >= 1_000
    out = benchmark.pedantic(
        run, rounds=3 if slow else 10, iterations=1, warmup_rounds=0 if slow else 1
    )
    assert np.all(np.isfinite(out.outcome))
    if name == "eum":
        assert out.rounds.shape == (11, n, 1)


def test_eum_batch_of_draws(benchmark: Any) -> None:
    """EUM on 10 actors x 10,000 Monte Carlo draws passed as issues, 10 rounds."""
    spec = models()["eum"]
    k = 10_000
    pos, sal, cap = _inputs(10, k)
    lo, hi = np.zeros(k), np.full(k, 100.0)
    out = benchmark.pedantic(
        lambda: spec.core(pos, sal, cap, lo=lo, hi=hi, reference=None, **PARAMS["eum"]),
        rounds=3,
        iterations=1,
    )
    assert out.rounds.shape == (11, 10, k)

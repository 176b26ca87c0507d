"""How cost grows: fitted exponents (slope of log time against log size, least squares)
of the expected-utility model with the number of actors, and of a whole Monte Carlo sweep
with actors, issues and draws; and the EUM target of issue 11 (N = 3,000, 10 rounds,
< 4 s on 2 cores).

Each size is run twice and the smaller CPU time of this process (all its threads,
``time.process_time``) kept: on a machine shared with other jobs the CPU time a run needs
moves far less than its wall time. The times, the sizes and the exponent are in each
benchmark's ``extra_info`` (``--benchmark-json``) and printed with ``-s``.
For reference, N^2 log N has local exponents 2 + 1/ln N: 2.14 at N = 1,000, 2.11 at 10,000.

Sweeps: synthetic scenarios (``tests/engine/_sweep_cases.synthetic_scenario``: two veto
states, ranges on every input), compromise and EUM on every draw, feasibility, no Sobol'
design, on this process (one core) so that the exponents are not blurred by a pool's
start-up.

Run: ``.venv/bin/pytest benchmarks/test_bench_growth.py --benchmark-only -s``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
from _sweep_cases import synthetic_scenario

from backchannel.engine.sampling import sampling_plan
from backchannel.engine.sweep import run_sweep
from backchannel.models.eum import expected_utility


def _eum(n: int, rounds: int) -> Callable[[], Any]:
    rng = np.random.default_rng(n)
    pos, sal = rng.random((n, 1)) * 100.0, rng.integers(1, 101, (n, 1)).astype(float)
    cap = rng.random((n, 1)) + 0.1
    kw = {"lo": np.zeros(1), "hi": np.full(1, 100.0), "rounds": rounds, "stop_when_stable": False}
    return lambda: expected_utility(pos, sal, cap, **kw)  # type: ignore[arg-type]


def _best_of_two(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(2):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def _fit(benchmark: Any, what: str, sizes: Sequence[int], make: Callable[[int], Any]) -> None:
    """Time ``make(size)()`` at each size, fit the exponent, benchmark the largest size."""
    times = [_best_of_two(make(s)) for s in sizes]
    slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
    benchmark.extra_info.update(sizes=list(sizes), seconds=times, exponent=slope)
    print(
        f"\n{what} (CPU): "
        + ", ".join(f"{s:,}: {t:.3g} s" for s, t in zip(sizes, times, strict=True))
    )
    print(f"{what}: fitted exponent {slope:.2f}")
    benchmark.pedantic(make(sizes[-1]), rounds=1, iterations=1)


def test_eum_target_n3000_10_rounds(benchmark: Any) -> None:
    """Target: N = 3,000 actors, one issue, 10 rounds in < 4 s on 2 cores."""
    run = _eum(3000, 10)
    run()  # warm-up (threads, caches)
    out = benchmark.pedantic(run, rounds=3, iterations=1)
    assert out.rounds.shape == (11, 3000, 1)


def test_eum_growth_with_actors(benchmark: Any) -> None:
    """One round of one issue at N = 1,000 ... 10,000."""
    _fit(benchmark, "eum, one round", (1000, 2000, 4000, 10_000), lambda n: _eum(n, 1))


def _sweep(n_actors: int, n_issues: int, draws: int) -> Callable[[], Any]:
    plan = sampling_plan(synthetic_scenario(n_actors, n_issues, seed=1))
    return lambda: run_sweep(plan, draws, seed=0, models=("compromise", "eum"), n_base=None)


def test_sweep_growth_with_draws(benchmark: Any) -> None:
    _fit(
        benchmark,
        "sweep, 10 actors x 4 issues",
        (1000, 2000, 4000, 8000),
        lambda b: _sweep(10, 4, b),
    )


def test_sweep_growth_with_actors(benchmark: Any) -> None:
    _fit(benchmark, "sweep, 4 issues, 500 draws", (10, 20, 40, 80), lambda n: _sweep(n, 4, 500))


def test_sweep_growth_with_issues(benchmark: Any) -> None:
    _fit(benchmark, "sweep, 10 actors, 500 draws", (2, 4, 8, 16), lambda k: _sweep(10, k, 500))

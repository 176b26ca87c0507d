"""Verdict engine at size: 30 actors x 40 issues with a majority ratification rule.

A seeded random scenario: one state deciding alone, one ratifying through a parliament of
28 parties (seats 1-30, simple majority), a third state; 40 issues with a status quo, red
lines on each actor's three most salient issues, two agenda demands. ``analyze`` must run in
under 2 s on 2 cores (issue 9's target), and the programme behind the verdict alone is timed
too.

Run: ``.venv/bin/pytest benchmarks/test_bench_verdict.py --benchmark-only``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backchannel.analysis import analyze
from backchannel.analysis.decide import decide
from backchannel.analysis.instance import make_instance
from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario

N_ISSUES = 40
N_PARTIES = 28


def large_majority_scenario(seed: int = 0, n_issues: int = N_ISSUES) -> Scenario:
    rng = np.random.default_rng(seed)
    issues = [
        {"id": f"i{k}", "name": f"Issue {k}", "status_quo": float(rng.integers(20, 80))}
        for k in range(n_issues)
    ]

    def stances(centre: float) -> dict[str, Any]:
        """Positions around ``centre``; red lines on the actor's three most salient issues
        (as analysts code them: where there is a public line), 40-70 points from its ideal."""
        out: dict[str, Any] = {}
        sal = rng.integers(10, 100, size=n_issues)
        for k in range(n_issues):
            pos = float(np.clip(rng.normal(centre, 20), 0, 100))
            out[f"i{k}"] = {"position": pos, "salience": float(sal[k])}
        for k in np.argsort(-sal)[:3]:
            pos = out[f"i{k}"]["position"]
            side = -1.0 if pos > 50 else 1.0
            out[f"i{k}"]["limit"] = float(np.clip(pos + side * rng.uniform(40, 70), 0, 100))
        return out

    actors: list[dict[str, Any]] = [
        {
            "id": "a",
            "name": "A",
            "kind": "state",
            "positions": stances(30),
            "no_deal": {"adjustment": -0.02},
            "agenda": {"requires": ["i0", "i1"]},
        },
        {
            "id": "c",
            "name": "C",
            "kind": "state",
            "positions": stances(50),
            "no_deal": {"adjustment": -0.02},
        },
        {
            "id": "b",
            "name": "B",
            "kind": "state",
            "ratification": {
                "members": {f"p{j}": float(rng.integers(1, 30)) for j in range(N_PARTIES)},
                "rule": "majority",
            },
        },
    ]
    for j in range(N_PARTIES):
        actors.append(
            {
                "id": f"p{j}",
                "name": f"Party {j}",
                "kind": "party",
                "parent": "b",
                "positions": stances(float(rng.uniform(40, 90))),
                "no_deal": {"adjustment": float(rng.uniform(-0.05, 0.05))},
            }
        )
    return scenario_from_data(
        {"name": "30 actors x 40 issues, majority", "issues": issues, "actors": actors}
    )


def ranged_scenario(seed: int = 0, n: int = 12, k: int = 12, nd: float = -0.1) -> Scenario:
    """``n`` states on ``k`` issues with a range on every input (status quo, positions,
    saliences, red lines on each actor's two most salient issues, no-deal adjustments):
    the sweep target's "any scenario up to 12 actors and 12 issues". Positions cluster
    around the middle, so most draws have a deal and every one needs its own programme
    unless a recent package still works."""
    rng = np.random.default_rng(seed)

    def rng_around(v: float, d: float, lo: float = 0.0, hi: float = 100.0) -> dict[str, Any]:
        return {"value": v, "range": [max(lo, v - d), min(hi, v + d)]}

    issues = [
        {
            "id": f"i{j}",
            "name": f"Issue {j}",
            "status_quo": rng_around(float(rng.integers(30, 70)), 10),
        }
        for j in range(k)
    ]
    actors = []
    for a in range(n):
        sal = rng.integers(10, 90, size=k)
        pos: dict[str, Any] = {}
        for j in range(k):
            p = float(np.clip(rng.normal(50, 20), 0, 100))
            pos[f"i{j}"] = {
                "position": rng_around(p, 10),
                "salience": rng_around(float(sal[j]), 10),
            }
        for j in np.argsort(-sal)[:2]:
            p = pos[f"i{j}"]["position"]["value"]
            lim = float(np.clip(p + (-1 if p > 50 else 1) * rng.uniform(45, 70), 0, 100))
            pos[f"i{j}"]["limit"] = rng_around(lim, 10)
        actors.append(
            {
                "id": f"a{a}",
                "name": f"A{a}",
                "kind": "state",
                "positions": pos,
                "no_deal": {"adjustment": {"value": nd, "range": [nd - 0.1, nd + 0.1]}},
            }
        )
    return scenario_from_data({"name": f"{n} x {k}, ranges", "issues": issues, "actors": actors})


@pytest.mark.parametrize("nd", [-0.1, 0.0, 0.1], ids=["mostly-deal", "boundary", "mostly-no-deal"])
def test_bench_sweep_feasibility_12x12(benchmark: Any, nd: float) -> None:
    """10,000 draws of a 12 x 12 scenario with a range on every input, feasibility only,
    on every core (issue 11's target: under 10 s on 2 cores), in three regimes of the
    no-deal adjustment: most draws a deal, P(deal) near 1/4, most draws no deal."""
    from backchannel.engine.executors import ProcessExecutor
    from backchannel.engine.sampling import sampling_plan
    from backchannel.engine.sweep import run_sweep

    plan = sampling_plan(ranged_scenario(nd=nd))

    def run() -> Any:
        with ProcessExecutor() as ex:
            return run_sweep(plan, 10_000, seed=0, models=(), n_base=None, executor=ex)

    res = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["p_deal"] = res.p_deal
    assert 0.0 <= res.p_deal <= 1.0


def test_bench_sweep_100k_streamed_memory(benchmark: Any) -> None:
    """100,000 draws of the 12 x 12 scenario (mostly no deal), streamed: the peak of the
    main process's allocations (tracemalloc) against 10,000 draws; issue 11's target is
    memory that does not grow with the draws."""
    import tracemalloc

    from backchannel.engine.executors import ProcessExecutor
    from backchannel.engine.sampling import sampling_plan
    from backchannel.engine.sweep import run_sweep

    plan = sampling_plan(ranged_scenario(nd=0.1))
    peaks: dict[int, float] = {}

    def run(draws: int) -> Any:
        tracemalloc.start()
        try:
            with ProcessExecutor() as ex:
                res = run_sweep(
                    plan, draws, seed=0, models=(), n_base=None, executor=ex, keep_draws=False
                )
            peaks[draws] = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
        return res

    run(10_000)
    benchmark.pedantic(run, args=(100_000,), rounds=1, iterations=1)
    benchmark.extra_info.update({f"peak_mb_{d}": round(p, 1) for d, p in peaks.items()})
    print(f"\npeak traced memory: {peaks}")
    assert peaks[100_000] < 1.2 * peaks[10_000]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return large_majority_scenario()


def test_bench_analyze_30x40_majority(benchmark: Any, scenario: Scenario) -> None:
    res = benchmark.pedantic(analyze, args=(scenario,), rounds=3, iterations=1)
    assert res.verdict_class in ("own_terms", "mediated", "none", "razor_thin")
    assert benchmark.stats.stats.median < 2.0


def test_bench_decide_30x40_majority(benchmark: Any, scenario: Scenario) -> None:
    inst = make_instance(to_arrays(scenario), scenario.loss)
    benchmark.pedantic(decide, args=(inst,), rounds=5, iterations=1)

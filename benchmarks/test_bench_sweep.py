"""Monte Carlo sweep timings: 10,000 draws of the embedded Iran-US 2019 scenario
(feasibility + compromise + EUM) on one core, on the local pool of 2 worker processes and
on a 2-worker local Dask cluster, plus a variant in which the US accepts a partial deal
(7 admissible agendas, so every draw solves feasibility) and the per-draw cost of the
sweep machinery alone (sampling + arrays).

The bound on cost (issue 11): a 200-actor, 30-issue synthetic scenario with ranges on
every input (12,062 uncertain inputs) with ``--draws 4`` (the Sobol' design, 256 x 12,064
evaluations before, is now bounded by the draws: none) and with a budget of 10 s for
10,000 draws.

Run: ``.venv/bin/pytest benchmarks/test_bench_sweep.py --benchmark-only``.
Target: 10,000 draws of the embedded scenario in under 5 s locally on 2 cores.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backchannel.engine.executors import DaskExecutor, LocalExecutor, ProcessExecutor
from backchannel.engine.sampling import SamplingPlan, sampling_plan
from backchannel.engine.sweep import run_sweep
from backchannel.models import models
from backchannel.scenario import load_embedded

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
from _sweep_cases import synthetic_scenario

DRAWS = 10_000
MODELS = tuple(m for m in ("compromise", "eum") if m in models())


def _embedded() -> SamplingPlan:
    return sampling_plan(load_embedded("iran_us_2019"))


def _partial() -> SamplingPlan:
    plan = _embedded()
    base = dataclasses.replace(plan.base, requires=np.zeros_like(plan.base.requires))
    return dataclasses.replace(plan, base=base)


PLANS = {"embedded": _embedded, "partial_deal": _partial}


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    t0 = time.perf_counter()
    with DaskExecutor(workers=2) as ex:
        ex.startup_seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
        # warm the workers (imports) so the timings below are steady-state
        run_sweep(_embedded(), 2000, seed=0, models=MODELS, executor=ex, n_base=None)
        yield ex


def _run(plan: SamplingPlan, executor: Any) -> Any:
    return run_sweep(plan, DRAWS, seed=1, models=MODELS, executor=executor, n_base=None)


@pytest.mark.parametrize("case", sorted(PLANS))
def test_sweep_local(benchmark: Any, case: str) -> None:
    plan = PLANS[case]()
    _run(plan, LocalExecutor())  # warm-up (imports)
    result = benchmark.pedantic(_run, args=(plan, LocalExecutor()), rounds=3, iterations=1)
    benchmark.extra_info["draws"] = DRAWS
    benchmark.extra_info["models"] = list(MODELS)
    benchmark.extra_info["us_per_draw"] = 1e6 * benchmark.stats.stats.mean / DRAWS
    assert result.draws == DRAWS


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    with ProcessExecutor(workers=2) as ex:
        run_sweep(_embedded(), 2000, seed=0, models=MODELS, executor=ex, n_base=None)
        yield ex


@pytest.mark.parametrize("case", sorted(PLANS))
def test_sweep_local_pool(benchmark: Any, case: str, pool: ProcessExecutor) -> None:
    """The local engine's pool of 2 worker processes (started once, outside the timing)."""
    plan = PLANS[case]()
    result = benchmark.pedantic(_run, args=(plan, pool), rounds=3, iterations=1)
    benchmark.extra_info["us_per_draw"] = 1e6 * benchmark.stats.stats.mean / DRAWS
    np.testing.assert_array_equal(result.slack, _run(plan, LocalExecutor()).slack)


@pytest.fixture(scope="module")
def big() -> SamplingPlan:
    return sampling_plan(synthetic_scenario(200, 30, seed=0))


def test_draws_bound_the_design_200_actors_30_issues(benchmark: Any, big: SamplingPlan) -> None:
    """``sweep --draws 4`` (default --sobol 256) on 200 actors x 30 issues."""
    result = benchmark.pedantic(
        lambda: run_sweep(big, 4, seed=0, models=MODELS), rounds=1, iterations=1
    )
    assert result.design is not None and result.design.n_base == 0
    benchmark.extra_info["inputs"] = big.n_inputs


def test_budget_10s_200_actors_30_issues(benchmark: Any, big: SamplingPlan) -> None:
    """``sweep --draws 10000 --budget 10`` on 200 actors x 30 issues, one core."""
    result = benchmark.pedantic(
        lambda: run_sweep(big, 10_000, seed=0, models=MODELS, budget=10.0),
        rounds=1,
        iterations=1,
    )
    assert result.budget is not None
    benchmark.extra_info.update(draws=result.draws, elapsed=result.budget["elapsed"])


@pytest.mark.parametrize("case", sorted(PLANS))
def test_sweep_dask(benchmark: Any, case: str, dask_executor: DaskExecutor) -> None:
    plan = PLANS[case]()
    result = benchmark.pedantic(_run, args=(plan, dask_executor), rounds=3, iterations=1)
    benchmark.extra_info["draws"] = DRAWS
    benchmark.extra_info["workers"] = 2
    benchmark.extra_info["cluster_startup_s"] = dask_executor.startup_seconds  # type: ignore[attr-defined]
    benchmark.extra_info["us_per_draw"] = 1e6 * benchmark.stats.stats.mean / DRAWS
    local = _run(plan, LocalExecutor())
    np.testing.assert_array_equal(result.slack, local.slack)


def test_sampling_overhead_per_draw(benchmark: Any) -> None:
    """The sweep machinery alone: draw uniforms, transform, write (B, N, K) arrays."""
    plan = _embedded()
    draws = benchmark(plan.draw, DRAWS, 1)
    benchmark.extra_info["us_per_draw"] = 1e6 * benchmark.stats.stats.mean / DRAWS
    assert draws.x.shape == (DRAWS, plan.n_inputs)

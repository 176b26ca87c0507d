"""Monte Carlo sweep timings: 10,000 draws of the embedded Iran-US 2019 scenario
(feasibility + compromise + EUM), locally and on a 2-worker local Dask cluster, plus a
variant in which the US accepts a partial deal (7 admissible agendas, so every draw solves
feasibility LPs) and the per-draw cost of the sweep machinery alone (sampling + arrays).

Run: ``.venv/bin/pytest benchmarks/test_bench_sweep.py --benchmark-only``.
Target: 10,000 draws of the embedded scenario in under 5 s locally on 2 cores.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from backchannel.engine.executors import DaskExecutor, LocalExecutor
from backchannel.engine.sampling import SamplingPlan, sampling_plan
from backchannel.engine.sweep import run_sweep
from backchannel.models import models
from backchannel.scenario import load_embedded

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

"""Monte Carlo sweeps: the probability of a deal, the distribution of forecast outcomes
and which inputs drive them.

:func:`run_sweep` draws ``draws`` scenarios from the uncertain inputs
(:mod:`.sampling`), evaluates feasibility and forecast models on them in chunks of
:data:`CHUNK_SIZE` draws (:mod:`.batch`), on an executor (:mod:`.executors`), then runs a
Sobol' sensitivity design (:mod:`.sensitivity`) of at most as many evaluations as draws;
a time budget lowers the draws (:mod:`.budget`).

Determinism: chunk ``i`` draws from ``SeedSequence(seed).spawn(n_chunks)[i]`` and the
chunk size is fixed, so the result depends only on (scenario, draws, seed, correlation,
models, n_base): never on the engine, the number of workers or the order chunks finish.
The sensitivity design is a scrambled Sobol' sequence seeded with ``seed``. (With a time
budget the number of draws depends on the machine's speed; the result records it.)

Statistics: ``p_deal`` is the share of draws with a feasible deal; its Monte Carlo
standard error is ``sqrt(p (1 - p) / n)`` and its 95% interval the Wilson score interval
(Wilson 1927, *JASA* 22, p. 209; Agresti & Coull 1998, *Am. Stat.* 52, eq. 2). Outcome
quantiles are numpy's default (linear interpolation, Hyndman & Fan 1996 type 7).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backchannel.engine.batch import (
    PER_ISSUE_MODELS,
    ChunkResult,
    ChunkTask,
    evaluate_chunk,
)
from backchannel.engine.budget import DesignSize, design_size, fit_draws
from backchannel.engine.executors import Executor, LocalExecutor
from backchannel.engine.sampling import InputColumn, SamplingPlan, chunk_seeds, chunk_sizes
from backchannel.engine.sensitivity import SensitivityResult, analyse, sobol_design
from backchannel.scenario.arrays import BoolArray, FloatArray
from backchannel.scenario.errors import InputError

#: draws per chunk (fixed: results must not depend on the engine or the worker count).
#: One chunk of the Iran-US scenario (feasibility + compromise + EUM) is ~0.1-0.6 s of
#: numpy work, large against Dask's ~1-5 ms per task, and 10,000 draws make 10 chunks to
#: spread over workers.
CHUNK_SIZE = 1000
#: slack where red lines or the agenda exclude every deal (-inf) counts as this in the
#: sensitivity analysis (surpluses of utilities in [-1, 0] rarely fall below it)
SLACK_FLOOR = -1.0
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
Z95 = 1.959963984540054

ProgressHook = Callable[[str, int, int], Callable[[int], None]]
"""``hook(phase, total_chunks, total_draws) -> advance(n_chunks)`` for progress bars."""


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


@dataclass(frozen=True)
class Stacked:
    """Per-draw results of all chunks, in draw order."""

    u: FloatArray
    x: FloatArray
    deal: BoolArray
    slack: FloatArray
    outcomes: dict[str, FloatArray]
    deal_induced: BoolArray | None


def _stack(results: Sequence[ChunkResult], models: Sequence[str], d: int, k: int) -> Stacked:
    if not results:
        return Stacked(
            np.empty((0, d)),
            np.empty((0, d)),
            np.empty(0, dtype=bool),
            np.empty(0),
            {m: np.empty((0, k)) for m in models},
            None,
        )
    induced = [r.deal_induced for r in results]
    return Stacked(
        u=np.concatenate([r.u for r in results]),
        x=np.concatenate([r.x for r in results]),
        deal=np.concatenate([r.deal for r in results]),
        slack=np.concatenate([r.slack for r in results]),
        outcomes={m: np.concatenate([r.outcomes[m] for r in results]) for m in models},
        deal_induced=None
        if any(i is None for i in induced)
        else np.concatenate([i for i in induced if i is not None]),
    )


def _proportion(deal: BoolArray) -> dict[str, Any]:
    n, k = len(deal), int(deal.sum())
    p = k / n if n else math.nan
    lo, hi = wilson_interval(k, n)
    return {
        "estimate": p,
        "se": math.sqrt(p * (1 - p) / n) if n else math.nan,
        "wilson95": [lo, hi],
        "deals": k,
    }


def _summary(y: FloatArray) -> dict[str, float]:
    qs = np.quantile(y, QUANTILES)
    return {
        **{f"q{round(100 * p):02d}": float(v) for p, v in zip(QUANTILES, qs, strict=True)},
        "mean": float(np.mean(y)),
    }


@dataclass(frozen=True)
class SweepResult:
    """Per-draw results of a sweep and its summary statistics.

    ``deal`` (B,), ``slack`` (B,), ``outcomes`` model -> (B, K), ``u``/``x`` (B, D) the
    uniforms and values of the inputs ``inputs``; ``deal_with_inducements`` (B,) when
    brokers offer inducements; ``escalation`` (B,) and ``escalation_with_channels`` (B,),
    the probability of escalation within the horizon, when the scenario models it.
    ``design``: how the Sobol' design was sized; ``budget``: what a time budget chose.
    """

    scenario: str
    draws: int
    seed: int
    chunk_size: int
    correlation: float
    models: tuple[str, ...]
    issue_ids: tuple[str, ...]
    inputs: tuple[InputColumn, ...]
    u: FloatArray
    x: FloatArray
    deal: BoolArray
    slack: FloatArray
    outcomes: Mapping[str, FloatArray]
    feasibility: bool
    sensitivity: SensitivityResult | None
    deal_with_inducements: BoolArray | None = None
    escalation: FloatArray | None = None
    escalation_with_channels: FloatArray | None = None
    escalation_horizon: float | None = None
    engine: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    design: DesignSize | None = None
    budget: Mapping[str, Any] | None = None

    @property
    def p_deal(self) -> float:
        return float(self.deal.mean()) if self.draws else math.nan

    @property
    def p_deal_se(self) -> float:
        p = self.p_deal
        return math.sqrt(p * (1 - p) / self.draws) if self.draws else math.nan

    def p_deal_interval(self, z: float = Z95) -> tuple[float, float]:
        return wilson_interval(int(self.deal.sum()), self.draws, z)

    def quantiles(self, model: str) -> dict[str, dict[str, float]]:
        """Outcome quantiles per issue: ``{issue: {"q05": .., ..., "q95": .., "mean": ..}}``."""
        out = self.outcomes[model]
        return {iss: _summary(out[:, k]) for k, iss in enumerate(self.issue_ids)}

    def slack_quantiles(self) -> dict[str, float | None] | None:
        """Quantiles of the slack (None: -inf, no admissible agenda or red lines apart;
        inverted-CDF quantiles, Hyndman & Fan type 1, since the slack can be -inf)."""
        if not self.feasibility:
            return None
        s = np.where(np.isfinite(self.slack), self.slack, -np.inf)
        qs = np.quantile(s, QUANTILES, method="inverted_cdf")
        out: dict[str, float | None] = {
            f"q{round(100 * p):02d}": (float(v) if np.isfinite(v) else None)
            for p, v in zip(QUANTILES, qs, strict=True)
        }
        out["p_excluded"] = float(np.mean(~np.isfinite(self.slack)))
        return out

    def to_dict(self) -> dict[str, Any]:
        esc = None
        if self.escalation is not None and self.escalation_with_channels is not None:
            esc = {
                "horizon_months": self.escalation_horizon,
                "without_channel": _summary(self.escalation),
                "with_channels": _summary(self.escalation_with_channels),
            }
        return {
            "scenario": self.scenario,
            "draws": self.draws,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "correlation": self.correlation,
            "p_deal": _proportion(self.deal) if self.feasibility else None,
            "p_deal_with_inducements": (
                None
                if self.deal_with_inducements is None
                else _proportion(self.deal_with_inducements)
            ),
            "slack": self.slack_quantiles(),
            "outcomes": {m: self.quantiles(m) for m in self.models},
            "escalation": esc,
            "models": list(self.models),
            "inputs": [c.to_dict() for c in self.inputs],
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
            "sensitivity_design": None if self.design is None else self.design.to_dict(),
            "budget": None if self.budget is None else dict(self.budget),
            "engine": dict(self.engine),
            "notes": list(self.notes),
        }


def run_sweep(
    plan: SamplingPlan,
    draws: int,
    *,
    seed: int = 0,
    models: Sequence[str] = ("compromise",),
    executor: Executor | None = None,
    correlation: float = 0.0,
    n_base: int | None = 256,
    run_feasibility: bool = True,
    chunk_size: int = CHUNK_SIZE,
    progress: ProgressHook | None = None,
    budget: float | None = None,
) -> SweepResult:
    """Monte Carlo sweep of ``plan`` (see the module docstring).

    ``n_base``: the largest base sample of the Sobol' design (a power of 2; ``None`` or 0
    skips the sensitivity analysis); the design uses the largest power of 2 up to it whose
    evaluations do not exceed the draws (:mod:`.budget`). ``run_feasibility``: False for
    forecast-only scenarios. ``budget``: seconds the sweep may take; the draws (at most
    ``draws``) and the design are sized to fit (:mod:`.budget`).
    """
    start = time.perf_counter()
    if draws < 1:
        raise InputError(
            f"--draws must be at least 1, got {draws}",
            source="--draws",
            fix="ask for e.g. --draws 10000",
        )
    if seed < 0:
        raise InputError(
            f"--seed must be a non-negative integer, got {seed}",
            source="--seed",
            fix="give e.g. --seed 0",
        )
    if not 0.0 <= correlation < 1.0:
        raise InputError(
            f"correlation {correlation} is outside [0, 1)",
            source="--correlation",
            fix="give a correlation between 0 (independent) and 0.99",
        )
    if budget is not None and not (math.isfinite(budget) and budget > 0.0):
        raise InputError(
            f"--budget must be a positive number of seconds, got {budget}",
            source="--budget",
            fix="give e.g. --budget 30, or leave it out to run all --draws",
        )
    executor = executor or LocalExecutor()
    models = tuple(dict.fromkeys(models))
    active = plan.active()
    notes: list[str] = []
    spent: dict[str, Any] | None = None
    reuse = None  # the pilot's result, when it is the sweep's
    if budget is not None:
        workers = int(_describe(executor).get("workers") or 1)
        # half the time goes to the design, if one could run at all within the draws
        want_design = bool(n_base and active) and 2 * (len(active) + 2) <= draws
        spent, reuse = fit_draws(
            plan,
            models,
            seed,
            correlation,
            run_feasibility,
            draws,
            chunk_size,
            workers,
            budget - (time.perf_counter() - start),
            want_design,
        )
        spent["seconds"] = budget
        if spent["draws"] < draws:
            notes.append(
                f"--budget {budget:g} s: ran {spent['draws']:,} of the {draws:,} draws asked "
                f"for (pilot: {spent['pilot']['seconds_per_draw'] * 1e3:.3g} ms a draw on one "
                "worker)"
            )
        draws = spent["draws"]
    sizes = chunk_sizes(draws, chunk_size)
    seeds = chunk_seeds(seed, len(sizes))
    tasks = [
        ChunkTask(
            index=i,
            plan=plan,
            models=models,
            seed=s,
            size=n,
            rho=correlation,
            run_feasibility=run_feasibility,
        )
        for i, (s, n) in enumerate(zip(seeds, sizes, strict=True))
    ]
    advance = progress("draws", len(tasks), draws) if progress else None
    t_mc = time.perf_counter()
    if reuse is not None and len(tasks) == 1:
        results = [reuse]
        if advance is not None:
            advance(1)
    else:
        results = executor.map(evaluate_chunk, tasks, advance)
    mc = _stack(results, models, plan.n_inputs, plan.base.n_issues)
    looped = [m for m in models if m not in PER_ISSUE_MODELS]
    if looped:
        notes.append(f"models {looped} couple issues and ran once per draw")
    cap = draws
    if spent is not None and budget is not None:  # the design gets what is left at the
        # rate the draws ran (the pilot's, when its result was the draws')
        ran = spent["pilot"]["seconds"] if results[0] is reuse else time.perf_counter() - t_mc
        rate = max(ran, 1e-9) / draws
        cap = min(draws, int(max(0.0, budget - (time.perf_counter() - start)) / rate))
    design = design_size(n_base, len(active), cap)
    sens = None
    if design.n_base:
        sens = _sensitivity(
            plan,
            active,
            design.n_base,
            seed,
            models,
            executor,
            run_feasibility,
            chunk_size,
            progress,
            mc,
        )
    elif n_base:
        notes.append(design.reason)
    if spent is not None:
        spent["elapsed"] = time.perf_counter() - start
    esc = plan.escalation_risk(mc.x)
    return SweepResult(
        scenario=plan.scenario_name,
        draws=draws,
        seed=seed,
        chunk_size=chunk_size,
        correlation=correlation,
        models=models,
        issue_ids=plan.base.issue_ids,
        inputs=plan.columns,
        u=mc.u,
        x=mc.x,
        deal=mc.deal,
        slack=mc.slack,
        outcomes=mc.outcomes,
        feasibility=run_feasibility,
        sensitivity=sens,
        deal_with_inducements=mc.deal_induced,
        escalation=None if esc is None else esc[0],
        escalation_with_channels=None if esc is None else esc[1],
        escalation_horizon=None if plan.escalation is None else plan.escalation.horizon_months,
        engine=_describe(executor),
        notes=tuple(notes),
        design=design,
        budget=spent,
    )


def _describe(executor: Executor) -> dict[str, Any]:
    describe = getattr(executor, "describe", None)
    return dict(describe()) if describe is not None else {"engine": executor.name}


def _outputs(
    plan: SamplingPlan, models: Sequence[str], st: Stacked, feasible: bool
) -> tuple[dict[str, FloatArray], dict[str, str]]:
    """The scalar outputs the sensitivity analysis explains, per draw."""
    ys: dict[str, FloatArray] = {}
    labels: dict[str, str] = {}
    if feasible:
        ys["deal"] = st.deal.astype(float)
        labels["deal"] = "P(deal)"
        ys["slack"] = np.maximum(np.nan_to_num(st.slack, nan=SLACK_FLOOR), SLACK_FLOOR)
        labels["slack"] = f"slack (max-min surplus of the veto players, floored at {SLACK_FLOOR})"
        if st.deal_induced is not None:
            ys["deal_with_inducements"] = st.deal_induced.astype(float)
            labels["deal_with_inducements"] = "P(deal) with the brokers' inducements"
    esc = plan.escalation_risk(st.x)
    if esc is not None:
        ys["escalation"], ys["escalation_with_channels"] = esc
        labels["escalation"] = "P(escalation) without a channel"
        labels["escalation_with_channels"] = "P(escalation) with the mediators' channels"
    for m in models:
        for k, iss in enumerate(plan.base.issue_ids):
            ys[f"{m}.{iss}"] = st.outcomes[m][:, k]
            labels[f"{m}.{iss}"] = f"{m} outcome on {iss}"
    return ys, labels


def _sensitivity(
    plan: SamplingPlan,
    active: tuple[int, ...],
    n_base: int,
    seed: int,
    models: tuple[str, ...],
    executor: Executor,
    run_feasibility: bool,
    chunk_size: int,
    progress: ProgressHook | None,
    mc: Stacked,
) -> SensitivityResult:
    names = [plan.columns[i].name for i in active]
    design = sobol_design(names, n_base, seed)
    full = np.full((design.shape[0], plan.n_inputs), 0.5)
    full[:, list(active)] = design
    sizes = chunk_sizes(full.shape[0], chunk_size)
    seeds = np.random.SeedSequence(seed, spawn_key=(1,)).spawn(len(sizes))
    starts = np.cumsum([0, *sizes])
    tasks = [
        ChunkTask(
            index=i,
            plan=plan,
            models=models,
            seed=s,
            size=n,
            u=full[starts[i] : starts[i] + n],
            run_feasibility=run_feasibility,
        )
        for i, (s, n) in enumerate(zip(seeds, sizes, strict=True))
    ]
    advance = progress("sensitivity", len(tasks), full.shape[0]) if progress else None
    res = executor.map(evaluate_chunk, tasks, advance)
    design_st = _stack(res, models, plan.n_inputs, plan.base.n_issues)
    design_y, labels = _outputs(plan, models, design_st, run_feasibility)
    mc_y, _ = _outputs(plan, models, mc, run_feasibility)
    return analyse(names, design_y, mc.u[:, list(active)], mc_y, labels, n_base=n_base, seed=seed)

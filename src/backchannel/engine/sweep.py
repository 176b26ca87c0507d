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
from typing import Any, TypeVar, cast

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
from backchannel.engine.stream import BINS, Folder, Histogram
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

Arr = TypeVar("Arr", bound=np.ndarray)

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


def _cat(parts: Sequence[Arr | None]) -> Arr | None:
    """The parts end to end, or None when any is None (an output the sweep does not have)."""
    if any(p is None for p in parts):
        return None
    return cast(Arr, np.concatenate([p for p in parts if p is not None]))


def _stack(results: Sequence[ChunkResult], models: Sequence[str], d: int, k: int) -> ChunkResult:
    """Every chunk's per-draw results end to end, in draw order."""
    if not results:
        return ChunkResult(
            0,
            np.empty((0, d)),
            np.empty((0, d)),
            np.empty(0, dtype=bool),
            np.empty(0),
            {m: np.empty((0, k)) for m in models},
        )
    return ChunkResult(
        index=0,
        u=np.concatenate([r.u for r in results]),
        x=np.concatenate([r.x for r in results]),
        deal=np.concatenate([r.deal for r in results]),
        slack=np.concatenate([r.slack for r in results]),
        outcomes={m: np.concatenate([r.outcomes[m] for r in results]) for m in models},
        deal_induced=_cat([r.deal_induced for r in results]),
        escalation=_cat([r.escalation for r in results]),
        escalation_with_channels=_cat([r.escalation_with_channels for r in results]),
    )


def _proportion(k: int, n: int) -> dict[str, Any]:
    p = k / n if n else math.nan
    lo, hi = wilson_interval(k, n)
    return {
        "estimate": p,
        "se": math.sqrt(p * (1 - p) / n) if n else math.nan,
        "wilson95": [lo, hi],
        "deals": k,
    }


def _named(qs: Sequence[float] | FloatArray) -> dict[str, float]:
    return {f"q{round(100 * p):02d}": float(v) for p, v in zip(QUANTILES, qs, strict=True)}


def _summary(y: FloatArray) -> dict[str, float]:
    return {**_named(np.quantile(y, QUANTILES)), "mean": float(np.mean(y))}


@dataclass(frozen=True)
class SweepResult:
    """Per-draw results of a sweep and its summary statistics.

    ``deal`` (B,), ``slack`` (B,), ``outcomes`` model -> (B, K), ``u``/``x`` (B, D) the
    uniforms and values of the inputs ``inputs``; ``deal_with_inducements`` (B,) when
    brokers offer inducements; ``escalation`` (B,) and ``escalation_with_channels`` (B,),
    the probability of escalation within the horizon, when the scenario models it. A
    streamed sweep (``keep_draws=False``) keeps none of these per-draw arrays (they are
    None): its counts are exact and its quantiles come from ``histograms``
    (:mod:`.stream`). ``deals``/``deals_induced``: how many draws have a deal (with the
    inducements). ``design``: how the Sobol' design was sized; ``budget``: what a time
    budget chose.
    """

    scenario: str
    draws: int
    seed: int
    chunk_size: int
    correlation: float
    models: tuple[str, ...]
    issue_ids: tuple[str, ...]
    inputs: tuple[InputColumn, ...]
    u: FloatArray | None
    x: FloatArray | None
    deal: BoolArray | None
    slack: FloatArray | None
    outcomes: Mapping[str, FloatArray] | None
    feasibility: bool
    sensitivity: SensitivityResult | None
    deals: int = 0
    deals_induced: int | None = None
    deal_with_inducements: BoolArray | None = None
    escalation: FloatArray | None = None
    escalation_with_channels: FloatArray | None = None
    escalation_horizon: float | None = None
    engine: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    design: DesignSize | None = None
    budget: Mapping[str, Any] | None = None
    histograms: Mapping[str, Histogram] | None = None

    @property
    def streamed(self) -> bool:
        """True when the per-draw arrays were not kept (quantiles from histograms)."""
        return self.histograms is not None

    @property
    def p_deal(self) -> float:
        return self.deals / self.draws if self.draws else math.nan

    @property
    def p_deal_se(self) -> float:
        p = self.p_deal
        return math.sqrt(p * (1 - p) / self.draws) if self.draws else math.nan

    def p_deal_interval(self, z: float = Z95) -> tuple[float, float]:
        return wilson_interval(self.deals, self.draws, z)

    def summary(self, output: str) -> dict[str, float] | None:
        """Quantiles and mean of ``output`` over the draws: ``MODEL.ISSUE``, ``escalation``
        or ``escalation_with_channels`` (None when the sweep has no such output)."""
        if self.histograms is not None:
            h = self.histograms.get(output)
            if h is None:
                return None
            qs = [h.quantile(p) for p in QUANTILES]
            return {**_named(qs), "mean": h.mean()}
        y: FloatArray | None
        if output in ("escalation", "escalation_with_channels"):
            y = getattr(self, output)
        else:
            model, _, issue = output.partition(".")
            outs = self.outcomes or {}
            y = (
                outs[model][:, self.issue_ids.index(issue)]
                if model in outs and issue in self.issue_ids
                else None
            )
        return None if y is None else _summary(y)

    def quantiles(self, model: str) -> dict[str, dict[str, float]]:
        """Outcome quantiles per issue: ``{issue: {"q05": .., ..., "q95": .., "mean": ..}}``."""
        out = {iss: self.summary(f"{model}.{iss}") for iss in self.issue_ids}
        return {iss: v for iss, v in out.items() if v is not None}

    def slack_quantiles(self) -> dict[str, float | None] | None:
        """Quantiles of the slack (None: -inf, no admissible agenda or red lines apart;
        inverted-CDF quantiles, Hyndman & Fan type 1, since the slack can be -inf)."""
        if not self.feasibility:
            return None
        if self.histograms is not None:
            h = self.histograms.get("slack")
            if h is None:
                return None
            qs = np.array([h.quantile(p, "inverted_cdf") for p in QUANTILES])
            excluded = h.minus_inf / max(h.n + h.minus_inf, 1)
        else:
            assert self.slack is not None
            s = np.where(np.isfinite(self.slack), self.slack, -np.inf)
            qs = np.quantile(s, QUANTILES, method="inverted_cdf")
            excluded = float(np.mean(~np.isfinite(self.slack)))
        out: dict[str, float | None] = {
            k: (v if math.isfinite(v) else None) for k, v in _named(qs).items()
        }
        out["p_excluded"] = excluded
        return out

    def to_dict(self) -> dict[str, Any]:
        esc = None
        without, with_ = self.summary("escalation"), self.summary("escalation_with_channels")
        if without is not None and with_ is not None:
            esc = {
                "horizon_months": self.escalation_horizon,
                "without_channel": without,
                "with_channels": with_,
            }
        return {
            "scenario": self.scenario,
            "draws": self.draws,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "correlation": self.correlation,
            "p_deal": _proportion(self.deals, self.draws) if self.feasibility else None,
            "p_deal_with_inducements": (
                None if self.deals_induced is None else _proportion(self.deals_induced, self.draws)
            ),
            "slack": self.slack_quantiles(),
            "outcomes": {m: self.quantiles(m) for m in self.models},
            "escalation": esc,
            "quantiles": (
                f"histogram of {BINS:,} bins per output (streamed; within one bin of exact)"
                if self.streamed
                else "exact"
            ),
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
    keep_draws: bool = True,
    sink: Callable[[ChunkResult], None] | None = None,
) -> SweepResult:
    """Monte Carlo sweep of ``plan`` (see the module docstring).

    ``n_base``: the largest base sample of the Sobol' design (a power of 2; ``None`` or 0
    skips the sensitivity analysis); the design uses the largest power of 2 up to it whose
    evaluations do not exceed the draws (:mod:`.budget`). ``run_feasibility``: False for
    forecast-only scenarios. ``budget``: seconds the sweep may take; the draws (at most
    ``draws``) and the design are sized to fit (:mod:`.budget`). ``keep_draws``: False
    streams the draws (:mod:`.stream`: memory that does not grow with ``draws``, no
    per-draw arrays, quantiles from histograms); ``sink(chunk)`` sees every chunk's
    per-draw results in draw order (e.g. to write them to a file).
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
    want_sens = bool(n_base and active)
    folder = Folder(
        plan,
        models,
        (lambda r: _outputs(plan, models, r, run_feasibility)[0]) if want_sens else _none,
        active,
        keep=keep_draws,
        sink=sink,
    )
    if reuse is not None and len(tasks) == 1:
        folder.add(reuse)
        if advance is not None:
            advance(1)
    else:
        for r in executor.imap(evaluate_chunk, tasks, advance):
            folder.add(r)
    mc = _stack(folder.kept, models, plan.n_inputs, plan.base.n_issues) if keep_draws else None
    looped = [m for m in models if m not in PER_ISSUE_MODELS]
    if looped:
        notes.append(f"models {looped} couple issues and ran once per draw")
    cap = draws
    if spent is not None and budget is not None:  # the design gets what is left at the
        # rate the draws ran (the pilot's, when its result was the draws')
        reused = reuse is not None and len(tasks) == 1
        ran = spent["pilot"]["seconds"] if reused else time.perf_counter() - t_mc
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
            folder,
        )
    elif n_base:
        notes.append(design.reason)
    if spent is not None:
        spent["elapsed"] = time.perf_counter() - start
    return SweepResult(
        scenario=plan.scenario_name,
        draws=draws,
        seed=seed,
        chunk_size=chunk_size,
        correlation=correlation,
        models=models,
        issue_ids=plan.base.issue_ids,
        inputs=plan.columns,
        u=None if mc is None else mc.u,
        x=None if mc is None else mc.x,
        deal=None if mc is None else mc.deal,
        slack=None if mc is None else mc.slack,
        outcomes=None if mc is None else mc.outcomes,
        feasibility=run_feasibility,
        sensitivity=sens,
        deals=folder.deals,
        deals_induced=folder.deals_induced,
        deal_with_inducements=None if mc is None else mc.deal_induced,
        escalation=None if mc is None else mc.escalation,
        escalation_with_channels=None if mc is None else mc.escalation_with_channels,
        escalation_horizon=None if plan.escalation is None else plan.escalation.horizon_months,
        engine=_describe(executor),
        notes=tuple(notes),
        design=design,
        budget=spent,
        histograms=None if keep_draws else folder.hist,
    )


def _none(_: ChunkResult) -> dict[str, FloatArray]:
    return {}


def _describe(executor: Executor) -> dict[str, Any]:
    describe = getattr(executor, "describe", None)
    return dict(describe()) if describe is not None else {"engine": executor.name}


def _outputs(
    plan: SamplingPlan, models: Sequence[str], st: ChunkResult, feasible: bool
) -> tuple[dict[str, FloatArray], dict[str, str]]:
    """The scalar outputs the sensitivity analysis explains, per draw (of a chunk or of
    every chunk stacked)."""
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
    if st.escalation is not None and st.escalation_with_channels is not None:
        ys["escalation"] = st.escalation
        ys["escalation_with_channels"] = st.escalation_with_channels
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
    mc: Folder,
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
    parts: list[dict[str, FloatArray]] = []
    labels: dict[str, str] = {}
    for r in executor.imap(evaluate_chunk, tasks, advance):
        ys, labels = _outputs(plan, models, r, run_feasibility)
        parts.append(ys)
    design_y = {k: np.concatenate([p[k] for p in parts]) for k in (parts[0] if parts else {})}
    return analyse(names, design_y, mc.tail_means(), labels, n_base=n_base, seed=seed)

"""Evaluate one chunk of draws: feasibility and forecasts over a leading draw axis.

A chunk is the unit of work the executors ship (:mod:`.executors`): B draws made from the
chunk's own seed (or given uniforms, for a sensitivity design), written into batched
arrays, then

* feasibility: ``feasibility_batch(arrays, loss)`` from
  :mod:`backchannel.analysis.feasibility` (``deal_possible`` (B,) and ``slack`` (B,)); when
  brokers offer inducements, once more with
  ``shift=`` their deliverable amount x credibility on the targets' no-deal utilities;
* forecasts: the per-issue models are one-dimensional on each issue, so B draws of an
  (N, K) scenario are one (N, B*K) scenario of B*K independent issues and a model core runs
  once per chunk (:data:`PER_ISSUE_MODELS`). Models that couple issues (exchange, spatial
  and any model not known to be per-issue) run once per draw, which is correct but slow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backchannel.analysis.feasibility import feasibility_batch
from backchannel.engine.sampling import SamplingPlan
from backchannel.models.base import forecast, get_model
from backchannel.scenario.arrays import BoolArray, FloatArray, ScenarioArrays

#: models whose outcome on an issue depends only on that issue's column (vectorised by
#: treating B draws x K issues as B*K issues)
PER_ISSUE_MODELS: frozenset[str] = frozenset({"compromise", "median", "eum"})


@dataclass(frozen=True)
class ChunkTask:
    """What a worker needs to evaluate one chunk (picklable)."""

    index: int
    plan: SamplingPlan
    models: tuple[str, ...]
    seed: np.random.SeedSequence
    size: int
    rho: float = 0.0
    u: FloatArray | None = None
    run_feasibility: bool = True


@dataclass(frozen=True)
class ChunkResult:
    """Per-draw results of a chunk: uniforms ``u`` and values ``x`` (B, D), ``deal`` (B,)
    and ``slack`` (B,) (NaN when feasibility was not run), ``outcomes`` model -> (B, K),
    ``deal_induced`` (B,): feasibility once the brokers' inducements are applied (None when
    the scenario has none); ``escalation``/``escalation_with_channels`` (B,): the
    probability of escalation within the horizon without and with the channels (None when
    the scenario does not model escalation)."""

    index: int
    u: FloatArray
    x: FloatArray
    deal: BoolArray
    slack: FloatArray
    outcomes: Mapping[str, FloatArray] = field(default_factory=dict)
    deal_induced: BoolArray | None = None
    escalation: FloatArray | None = None
    escalation_with_channels: FloatArray | None = None


def model_seed(seq: np.random.SeedSequence) -> int:
    """A seed for a stochastic model, derived from (not consuming) a chunk's sequence."""
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 1))
    return int(child.generate_state(1)[0])


def batch_forecast(
    arrays: ScenarioArrays, model: str, *, seed: int | None = None, **params: Any
) -> FloatArray:
    """Outcome (B, K) of ``model`` on arrays with a leading draw axis B."""
    spec = get_model(model)
    b, _, k = arrays.position.shape
    if model in PER_ISSUE_MODELS:
        keep = ~np.all(np.isnan(arrays.position[0]), axis=1)
        pos = arrays.position[:, keep]
        sal = arrays.salience[:, keep].copy()
        cap = arrays.capability[:, keep]
        missing = np.isnan(pos)  # same neutralisation as models.base.prepare
        mid = np.broadcast_to((arrays.lo + arrays.hi) / 2, pos.shape)
        pos = np.where(missing, mid, pos)
        sal[missing] = 0.0

        def flat(a: FloatArray) -> FloatArray:  # (B, N, K) -> (N, B*K)
            return np.ascontiguousarray(a.transpose(1, 0, 2).reshape(a.shape[1], b * k))

        sq = np.broadcast_to(arrays.status_quo, (b, k))
        reference = None if np.all(np.isnan(sq)) else sq.reshape(b * k)
        if spec.stochastic:
            params = {**params, "seed": seed}
        out = spec.core(
            flat(pos),
            flat(sal),
            flat(cap),
            lo=np.tile(arrays.lo, b),
            hi=np.tile(arrays.hi, b),
            reference=reference,
            **params,
        )
        return np.asarray(out.outcome, dtype=float).reshape(b, k)
    res = np.empty((b, k))
    for i in range(b):  # models that couple issues: one call per draw
        res[i] = forecast(draw_slice(arrays, i), model, seed=seed, **params).outcome
    return res


_BATCHED = (
    "position",
    "salience",
    "capability",
    "limit",
    "status_quo",
    "no_deal",
    "no_deal_adjustment",
    "no_deal_trend",
)


def draw_slice(arrays: ScenarioArrays, i: int) -> ScenarioArrays:
    """Draw ``i`` of batched arrays as ordinary (unbatched) arrays."""
    out = {name: np.asarray(getattr(arrays, name))[i] for name in _BATCHED}
    return dataclasses.replace(arrays, **out)


def take_draws(arrays: ScenarioArrays, idx: NDArray[np.intp]) -> ScenarioArrays:
    """The draws ``idx`` of batched arrays (still batched)."""
    out = {name: np.asarray(getattr(arrays, name))[idx] for name in _BATCHED}
    return dataclasses.replace(arrays, **out)  # type: ignore[arg-type]


#: margin on the bound below (the LP's slack is exact to ~1e-9; feasibility uses -1e-7)
_BOUND_MARGIN = 1e-6


def _induced(
    plan: SamplingPlan,
    arrays: ScenarioArrays,
    x: FloatArray,
    deal: BoolArray,
    slack: FloatArray,
) -> BoolArray:
    """Feasibility once the brokers' inducements move their targets' no-deal utilities.

    Moving no-deal utilities by ``s_v`` changes the max-min slack by at most ``max_v s_v``
    down (a spoiler raising them) and ``max_v -s_v`` up (a pro-deal inducement lowering
    them): for every agreement, ``min_v (U_v - D_v - s_v)`` lies within those bounds of
    ``min_v (U_v - D_v)``; and no shift undoes an exclusion by red lines or the agenda
    (slack -inf). ``slack`` is a certified lower bound on a deal draw's margin and an upper
    bound on a no-deal draw's, so only draws within reach of the boundary are solved again;
    the rest keep their verdict.
    """
    shift = plan.inducement_shift(x)
    up = np.maximum(shift, 0.0).max(axis=1)
    down = np.maximum(-shift, 0.0).max(axis=1)
    induced = deal.copy()
    near = np.where(deal, slack - up <= _BOUND_MARGIN, slack + down >= -_BOUND_MARGIN)
    todo = np.flatnonzero(np.isfinite(slack) & near)
    if todo.size:
        res = feasibility_batch(take_draws(arrays, todo), loss=plan.loss, shift=shift[todo])
        induced[todo] = np.asarray(res.deal_possible, dtype=bool).reshape(todo.size)
    return induced


def evaluate_chunk(task: ChunkTask) -> ChunkResult:
    """Draw (or take) a chunk's inputs and evaluate feasibility and the models on it."""
    plan = task.plan
    if task.u is None:
        draws = plan.draw(task.size, task.seed, task.rho)
    else:
        draws = plan.from_uniforms(task.u)
    b = draws.x.shape[0]
    if task.run_feasibility:
        feas = feasibility_batch(draws.arrays, loss=plan.loss)
        deal = np.asarray(feas.deal_possible, dtype=bool).reshape(b)
        slack = np.asarray(feas.slack, dtype=float).reshape(b)
        induced = None
        if plan.inducements:
            induced = _induced(plan, draws.arrays, draws.x, deal, slack)
    else:
        deal = np.zeros(b, dtype=bool)
        slack = np.full(b, np.nan)
        induced = None
    mseed = model_seed(task.seed)
    outcomes = {m: batch_forecast(draws.arrays, m, seed=mseed) for m in task.models}
    esc = plan.escalation_risk(draws.x)
    return ChunkResult(
        index=task.index,
        u=draws.u,
        x=draws.x,
        deal=deal,
        slack=slack,
        outcomes=outcomes,
        deal_induced=induced,
        escalation=None if esc is None else esc[0],
        escalation_with_channels=None if esc is None else esc[1],
    )

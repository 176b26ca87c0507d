"""One interface for every forecasting model.

Each model is a pure function over arrays (N actors x K issues)::

    core(position, salience, capability, *, lo, hi, reference, **params) -> ModelOutput

and is registered with :func:`register`. :func:`forecast` takes a scenario (or its arrays),
runs a registered model and returns a frozen :class:`Forecast` that records the model, its
parameters and seed (after pygambit's result objects).

Cells where an actor takes no position (NaN) are passed to the core with the issue's
midpoint as position and salience 0, so they carry no weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from backchannel.display import Tabular
from backchannel.models.params import ROUNDS, Param, check_params, describe
from backchannel.scenario.arrays import FloatArray, ScenarioArrays, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario


@dataclass(frozen=True)
class ModelOutput:
    """What a model core returns: ``outcome`` (K,), optional ``rounds`` (R+1, N, K) of
    actor positions (round 0 = the input positions), and model-specific diagnostics."""

    outcome: FloatArray
    rounds: FloatArray | None = None
    diagnostics: Mapping[str, Any] = field(default_factory=dict)


class ModelCore(Protocol):
    def __call__(
        self,
        position: FloatArray,
        salience: FloatArray,
        capability: FloatArray,
        *,
        lo: FloatArray,
        hi: FloatArray,
        reference: FloatArray | None,
        **params: Any,
    ) -> ModelOutput: ...


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: ``name``, ``title``, ``citation``, its ``core`` function, whether
    it reports rounds and whether it is stochastic (takes a seed)."""

    name: str
    title: str
    citation: str
    core: ModelCore
    has_rounds: bool = False
    stochastic: bool = False
    needs_rule: bool = False
    """The core needs ``rule=`` (a :class:`backchannel.data.legislative.LegislativeRule`
    aligned with the actor rows): the procedural models."""

    @property
    def params(self) -> tuple[Param, ...]:
        """The model's own parameters with type, default and meaning."""
        return describe(self.name, self.core)

    @property
    def rounds_param(self) -> str | None:
        """The parameter that bounds the number of rounds (None: the model has none)."""
        return ROUNDS.get(self.name) if self.has_rounds else None

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (``backchannel models --json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "citation": self.citation,
            "rounds": self.has_rounds,
            "stochastic": self.stochastic,
            "params": [p.to_dict() for p in self.params],
        }


@dataclass(frozen=True, repr=False)
class Forecast(Tabular):
    """A model's forecast for a scenario: outcome per issue, rounds, diagnostics.

    ``outcome`` (K,) per issue (``issue_ids``); ``rounds`` (R+1, N, K) the actors'
    (``actor_ids``) positions per round, round 0 the input, or None for models without
    rounds; ``params`` and ``seed`` as run. ``to_frame()`` gives the rounds as a table
    (model, round, actor, issue, position), ``to_frame("outcome")`` the outcome.
    """

    model: str
    citation: str
    issue_ids: tuple[str, ...]
    actor_ids: tuple[str, ...]
    outcome: FloatArray
    rounds: FloatArray | None
    params: Mapping[str, Any]
    seed: int | None
    diagnostics: Mapping[str, Any]

    def outcome_by_issue(self) -> dict[str, float]:
        """The outcome as ``{issue id: value}``."""
        return {i: float(v) for i, v in zip(self.issue_ids, self.outcome, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``backchannel forecast --json``): model, citation, outcome per
        issue, rounds as ``[{actor: {issue: position}}]``, params, seed, diagnostics."""
        rounds = None
        if self.rounds is not None:
            rounds = [
                {
                    a: {i: float(r[ai, ii]) for ii, i in enumerate(self.issue_ids)}
                    for ai, a in enumerate(self.actor_ids)
                }
                for r in self.rounds
            ]
        return {
            "model": self.model,
            "citation": self.citation,
            "outcome": self.outcome_by_issue(),
            "rounds": rounds,
            "params": _jsonable(dict(self.params)),
            "seed": self.seed,
            "diagnostics": _jsonable(dict(self.diagnostics)),
        }


def _jsonable(x: Any) -> Any:
    if hasattr(x, "to_dict"):
        return _jsonable(x.to_dict())
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    return x


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the registry (each model module registers itself on import)."""
    _REGISTRY[spec.name] = spec
    return spec


def models() -> Mapping[str, ModelSpec]:
    """All registered models by name (importing :mod:`backchannel.models` registers them)."""
    return MappingProxyType(_REGISTRY)


def get_model(name: str) -> ModelSpec:
    """The registered model ``name``, or an :class:`InputError` listing the valid names."""
    if name not in _REGISTRY:
        raise InputError(
            f"unknown model {name!r}",
            source="--model",
            fix=f"use one of {sorted(_REGISTRY)} (see `backchannel models`)",
        )
    return _REGISTRY[name]


def prepare(arrays: ScenarioArrays) -> tuple[ScenarioArrays, FloatArray, FloatArray, FloatArray]:
    """Actors with positions, and their (position, salience, capability) with NaN cells
    neutralised (midpoint, salience 0)."""
    keep = arrays.with_positions()
    pos = arrays.position[keep]
    sal = arrays.salience[keep].copy()
    cap = arrays.capability[keep]
    missing = np.isnan(pos)
    mid = np.broadcast_to((arrays.lo + arrays.hi) / 2, pos.shape)
    pos = np.where(missing, mid, pos)
    sal[missing] = 0.0
    return arrays, pos, sal, cap


def forecast(
    scenario: Scenario | ScenarioArrays,
    model: str = "compromise",
    *,
    seed: int | None = None,
    **params: Any,
) -> Forecast:
    """Run a registered model on a scenario and return its :class:`Forecast`.

    ``params`` are the model's own parameters (:attr:`ModelSpec.params`); an unknown name
    or a value of the wrong type raises an :class:`InputError` that lists the valid ones.
    """
    spec = get_model(model)
    params = check_params(spec.name, spec.core, params)
    arrays = scenario if isinstance(scenario, ScenarioArrays) else to_arrays(scenario)
    keep = arrays.with_positions()
    if not keep.any():
        raise InputError(
            "no actor takes a position on any issue",
            source="scenario",
            fix="give actors positions before forecasting",
        )
    _, pos, sal, cap = prepare(arrays)
    reference = None if np.all(np.isnan(arrays.status_quo)) else arrays.status_quo
    if spec.stochastic:
        params = {**params, "seed": seed}
    out = spec.core(pos, sal, cap, lo=arrays.lo, hi=arrays.hi, reference=reference, **params)
    actor_ids = tuple(a for a, k in zip(arrays.actor_ids, keep, strict=True) if k)
    return Forecast(
        model=spec.name,
        citation=spec.citation,
        issue_ids=arrays.issue_ids,
        actor_ids=actor_ids,
        outcome=np.asarray(out.outcome, dtype=float),
        rounds=out.rounds,
        params=MappingProxyType(dict(params)),
        seed=seed,
        diagnostics=MappingProxyType(dict(out.diagnostics)),
    )

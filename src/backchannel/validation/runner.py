"""Run every registered forecasting model on the issues of a DEU file, one proposal at a time.

Each proposal becomes one actors x issues problem (the actors with a position on any of its
issues), so models that need several issues (the exchange model) see the proposal's issues
together and per-issue models get the same answer as issue by issue. Inputs, as
:func:`backchannel.models.base.prepare` does for scenarios: missing positions -> the scale
midpoint with salience 0; capability = the actor's power index in the issue's legislative
game (:mod:`backchannel.data.capability`); scale 0-100; the reference point is passed
only when every issue of the proposal has one (else ``None``). Procedural models
(``needs_rule``) get it per issue (NaN where blank) and the proposal's legislative rule
(:func:`backchannel.data.legislative.eu_rule`: the treaty period, Council voting rule and
procedure of each issue) and the keyword parameters in ``params``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backchannel.data.capability import issue_periods
from backchannel.data.deu import DeuData
from backchannel.data.legislative import eu_rule
from backchannel.scenario.arrays import FloatArray


@dataclass(frozen=True)
class ModelRun:
    """Forecasts of one model for every issue (NaN where it failed), with timing."""

    name: str
    title: str
    citation: str
    forecast: FloatArray
    seconds: float
    failures: int
    error: str | None = None


def registered_models() -> dict[str, tuple[str, str]]:
    """Names -> (title, citation) of the models registered at run time."""
    import backchannel.models  # noqa: F401  (registers every model that exists)
    from backchannel.models.base import models

    return {n: (s.title, s.citation) for n, s in models().items()}


def run_models(
    data: DeuData,
    capability: FloatArray,
    names: Sequence[str] | None = None,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, ModelRun]:
    """Run the named registered models (all when ``names`` is None) on every proposal;
    ``params``: extra keyword parameters per model name."""
    import backchannel.models  # noqa: F401
    from backchannel.models.base import get_model, models

    chosen = list(models()) if names is None else list(names)
    _, group = data.proposal_index()
    blocks = [np.flatnonzero(group == g) for g in range(int(group.max()) + 1)]
    has_all = data.has_position()
    periods = issue_periods(data)
    runs: dict[str, ModelRun] = {}
    for name in chosen:
        spec = get_model(name)
        out = np.full(data.n_issues, np.nan)
        failures = 0
        first_error: str | None = None
        t0 = time.perf_counter()
        for b_idx, cols in enumerate(blocks):
            pos = data.position[:, cols]
            keep = ~np.all(np.isnan(pos), axis=1)
            if not keep.any():
                continue
            pos = pos[keep]
            missing = np.isnan(pos)
            sal = np.where(missing, 0.0, data.salience[keep][:, cols])
            pos = np.where(missing, 50.0, pos)
            cap = capability[keep][:, cols]
            k = len(cols)
            ref = data.reference[cols]
            kw: dict[str, Any] = dict((params or {}).get(name, {}))
            if spec.stochastic:
                kw["seed"] = seed + b_idx
            if spec.needs_rule:
                kw["rule"] = eu_rule(
                    [a for a, h in zip(data.actors, keep, strict=True) if h],
                    has_all[keep][:, cols],
                    [periods[c] for c in cols],
                    [data.rule[c] for c in cols],
                    [data.procedure[c] for c in cols],
                )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = spec.core(
                        pos,
                        sal,
                        cap,
                        lo=np.zeros(k),
                        hi=np.full(k, 100.0),
                        reference=ref.copy()
                        if spec.needs_rule or not np.isnan(ref).any()
                        else None,
                        **kw,
                    )
                vals = np.asarray(res.outcome, dtype=float).reshape(k)
                out[cols] = vals
            except Exception as exc:  # a failing model must not stop the backtest
                failures += 1
                if first_error is None:
                    first_error = f"{type(exc).__name__}: {exc}"
        runs[name] = ModelRun(
            name=name,
            title=spec.title,
            citation=spec.citation,
            forecast=out,
            seconds=time.perf_counter() - t0,
            failures=failures,
            error=first_error,
        )
    return runs

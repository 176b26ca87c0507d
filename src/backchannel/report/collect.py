"""Gather everything a report (or the dashboard) shows about one scenario.

Each piece (feasibility analysis, what-it-takes, forecasts, sweep) is computed; a piece
that rejects the scenario with an :class:`InputError` (e.g. the feasibility analysis of a
forecast-only scenario without veto players) is recorded as ``not available`` with the
reason, so a report always renders. Errors that are bugs propagate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario

PREFERRED_ROUND_MODELS = ("eum", "spatial", "exchange")


@dataclass(frozen=True)
class Piece:
    """A computed result (``data``), or why it is not available (``missing``)."""

    data: Any = None
    missing: str | None = None

    @property
    def ok(self) -> bool:
        return self.missing is None


#: the timeline piece when it was not asked for
NO_TIMELINE = Piece(missing="no timeline was computed (backchannel report --timeline)")


@dataclass(frozen=True)
class ReportData:
    """Inputs to the report: the scenario and each computed piece, with the settings."""

    scenario: Scenario
    analysis: Piece
    concessions: Piece
    forecast: Piece
    outcomes: Piece
    sweep: Piece
    settings: Mapping[str, Any] = field(default_factory=dict)
    timeline: Piece = NO_TIMELINE


def _call(fn: Callable[..., Any], what: str, *args: Any, **kw: Any) -> Piece:
    try:
        return Piece(data=fn(*args, **kw))
    except InputError as exc:
        return Piece(missing=f"{what} could not run: {exc.render()}")


def run_analysis(scenario: Scenario) -> tuple[Piece, Piece]:
    """``analyze(scenario).to_dict()`` and ``what_it_takes(scenario).to_dict()``."""
    from backchannel.analysis import analyze, what_it_takes

    a = _call(analyze, "The feasibility analysis", scenario, robustness=True)
    if a.ok:
        a = Piece(data=a.data.to_dict())
    c = _call(what_it_takes, "The what-it-takes analysis", scenario)
    if c.ok:
        c = Piece(data=c.data.to_dict())
    return a, c


def round_model(preferred: str | None = None) -> str | None:
    """The model to draw positions per round with: ``preferred`` if it has rounds, else
    the first registered of EUM, spatial, exchange, else any model with rounds."""
    from backchannel.models import models

    specs = models()
    order = [preferred] if preferred else []
    order += [m for m in PREFERRED_ROUND_MODELS if m not in order]
    order += sorted(m for m in specs if m not in order)
    for m in order:
        if m in specs and specs[m].has_rounds:
            return m
    return None


def run_forecast(scenario: Scenario, model: str | None = None, seed: int = 0) -> Piece:
    """A forecast with round-by-round positions (a :class:`Forecast`)."""
    from backchannel.models import forecast

    m = round_model(model)
    if m is None:
        return Piece(
            missing="no forecasting model with round-by-round positions is "
            "available in this version of backchannel"
        )
    return _call(forecast, f"The {m} forecast", scenario, model=m, seed=seed)


def run_outcomes(scenario: Scenario, seed: int = 0) -> Piece:
    """Outcome per issue of every registered model: ``{model: {issue: value}}`` (the
    procedural models, which need an EU legislative rule the scenario does not state, are
    left out)."""
    from backchannel.models import forecast, models

    out: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    for name in sorted(n for n, s in models().items() if not s.needs_rule):
        try:
            out[name] = forecast(scenario, model=name, seed=seed).outcome_by_issue()
        except InputError as exc:
            problems.append(f"{name}: {exc.problem}")
    if not out:
        return Piece(missing="no model could forecast this scenario: " + "; ".join(problems))
    return Piece(data={"outcomes": out, "problems": problems})


Progress = Callable[[float, str], None]
"""``progress(fraction_done, phase)``; it may raise to cancel a run."""


def run_sweep(
    scenario: Scenario, draws: int, seed: int, progress: Progress | None = None, n_base: int = 256
) -> Piece:
    """A Monte Carlo sweep's ``to_dict()`` (p_deal, outcome quantiles per model and issue,
    Sobol' sensitivity) from :func:`backchannel.engine.sweep.run_sweep`, with the
    compromise and EUM models."""
    if draws <= 0:
        return Piece(missing="no sweep was run (use --sweep-draws N)")
    from backchannel.engine.sampling import sampling_plan
    from backchannel.engine.stream import KEEP_DRAWS
    from backchannel.engine.sweep import run_sweep as engine_sweep

    def hook(phase: str, total: int, n: int) -> Callable[[int], None]:
        done = [0]

        def advance(k: int) -> None:
            done[0] += k
            if progress is not None:
                progress(done[0] / max(total, 1), f"{phase} ({n:,} evaluations)")

        if progress is not None:
            progress(0.0, f"{phase} ({n:,} evaluations)")
        return advance

    try:
        plan = sampling_plan(scenario)
        res = engine_sweep(
            plan,
            draws,
            seed=seed,
            models=("compromise", "eum"),
            n_base=n_base or None,
            run_feasibility=bool(plan.base.veto_players),
            progress=hook,
            keep_draws=draws <= KEEP_DRAWS,
        )
    except InputError as exc:
        return Piece(missing=f"The Monte Carlo sweep could not run: {exc.render()}")
    return Piece(data=res.to_dict())


def run_timeline(scenario: Scenario) -> Piece:
    """``run_timeline(scenario).to_dict()`` (:mod:`backchannel.dynamics.timeline`)."""
    from backchannel.dynamics.timeline import run_timeline as timeline

    if scenario.timeline is None:
        return Piece(missing="the scenario has no timeline")
    return _call(lambda s: timeline(s).to_dict(), "The timeline", scenario)


def collect(
    scenario: Scenario,
    *,
    model: str | None = None,
    sweep_draws: int = 0,
    seed: int = 0,
    timeline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ReportData:
    """Compute every piece of the report for ``scenario`` (``timeline``: also the analysis
    at every date of its timeline); ``progress(step)`` is called as each step starts."""

    def step(what: str) -> None:
        if progress is not None:
            progress(what)

    step("feasibility analysis and what-it-takes")
    analysis, concessions = run_analysis(scenario)
    step("forecasts")
    fc = run_forecast(scenario, model, seed)
    outcomes = run_outcomes(scenario, seed)
    step(f"Monte Carlo sweep ({sweep_draws:,} draws)" if sweep_draws else "no sweep")
    sweep = run_sweep(scenario, sweep_draws, seed)
    if timeline:
        step("the timeline")
    return ReportData(
        scenario=scenario,
        analysis=analysis,
        concessions=concessions,
        forecast=fc,
        outcomes=outcomes,
        sweep=sweep,
        settings={"model": model, "sweep_draws": sweep_draws, "seed": seed},
        timeline=run_timeline(scenario) if timeline else NO_TIMELINE,
    )

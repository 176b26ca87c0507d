"""The public Python API: the one face that notebooks, the CLI and the web app call.

Everything here is re-exported at the top level, so ``import backchannel as bc`` gives::

    sc = bc.load("iran_us_2019")                     # or a YAML file, or bc.loads(text)
    verdict = bc.analyze(sc)                         # can a deal happen, and why not?
    plan = bc.what_it_takes(sc)                      # the cheapest concessions that open one
    fc = bc.forecast(sc, "eum", rounds=5)            # what will it look like?
    mc = bc.sweep(sc, draws=2000, seed=0)            # P(deal), outcome spread, sensitivity
    tl = bc.timeline(sc)                             # the verdict at every dated event
    st = bc.stages("iran_p5_2013")                   # an interim deal that opens a final one
    fc.to_frame()                                    # pandas (the [pandas] extra)

Functions take a :class:`~backchannel.scenario.schema.Scenario` or anything :func:`load`
reads (a file path or an embedded scenario's name). Bad input raises
:class:`~backchannel.scenario.errors.InputError`, whose message names the place and the
fix; a missing optional package raises :class:`~backchannel._extras.MissingExtra`, whose
message names the extra to install.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from backchannel.scenario.embedded import DEFAULT_SCENARIO
from backchannel.scenario.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from backchannel import tables
    from backchannel.analysis import Analysis, Concessions
    from backchannel.analysis.proposal import ProposalResult
    from backchannel.dynamics.stages import StagesResult
    from backchannel.dynamics.timeline import TimelineResult
    from backchannel.engine.batch import ChunkResult
    from backchannel.engine.sampling import SamplingPlan
    from backchannel.engine.sweep import ProgressHook, SweepResult
    from backchannel.models.base import Forecast, ModelSpec
    from backchannel.scenario.schema import Scenario
    from backchannel.validation.backtest import BacktestResult
    from backchannel.validation.cases import CaseBacktest

SWEEP_MODELS = ("compromise", "eum")
"""The forecast models a sweep runs on every draw unless told otherwise."""

Engine = Literal["local", "dask"]
PowerIndex = Literal["shapley_shubik", "banzhaf", "equal"]


# -- scenarios ------------------------------------------------------------------------------
def load(
    source: Scenario | str | os.PathLike[str] | None = None, *, overrides: Sequence[str] = ()
) -> Scenario:
    """A validated scenario from a YAML file, an embedded scenario's name (default: the
    2019 Iran-US case, ``iran_us_2019``), ``"-"`` for YAML on standard input, or a
    :class:`Scenario` itself; ``overrides`` are what-if assignments as in :func:`what_if`.

    >>> load("iran_us_2019").name
    'Iran-US back-channel diplomacy, mid-2019'
    """
    from backchannel.scenario.load import load_scenario, parse_scenario
    from backchannel.scenario.schema import Scenario

    if isinstance(source, Scenario):
        sc = source
    elif source is not None and str(source) == "-":
        sc = parse_scenario(sys.stdin.read(), "<stdin>")
    else:
        sc = load_scenario(os.fspath(source) if source is not None else DEFAULT_SCENARIO)
    return what_if(sc, *overrides) if overrides else sc


def loads(text: str, *, source: str = "<text>") -> Scenario:
    """A validated scenario from YAML text (``source`` names it in error messages)."""
    from backchannel.scenario.load import parse_scenario

    return parse_scenario(text, source)


def dumps(scenario: Scenario) -> str:
    """A scenario as YAML text (notes and ranges kept; plain numbers where there are none)."""
    from backchannel.scenario.load import scenario_to_yaml

    return scenario_to_yaml(scenario)


def scenarios() -> list[str]:
    """The names of the embedded scenarios (each loads with :func:`load`)."""
    from backchannel.scenario.load import embedded_names

    return embedded_names()


def cases() -> list[str]:
    """The names of the coded historical negotiations shipped with backchannel (each
    loads with :func:`load`; ``backchannel cases``)."""
    from backchannel.scenario.load import case_names

    return case_names()


def what_if(scenario: Scenario | str | os.PathLike[str], *assignments: str) -> Scenario:
    """A new scenario with ``PATH=VALUE`` assignments applied in order, as ``--set`` on the
    command line: ``what_if(sc, "usa.positions.nuclear.limit=55",
    "usa.agenda.requires=[nuclear]")``. A number set on a quantity keeps its note and
    drops its uncertainty."""
    from backchannel.scenario.overrides import apply_overrides

    return apply_overrides(load(scenario), list(assignments))


def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format (``backchannel schema``)."""
    from backchannel.scenario.schema import Scenario

    return Scenario.model_json_schema()


def import_file(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    name: str | None = None,
    scale: tuple[float, float] | None = None,
    issue: str | None = None,
    proposal: str | None = None,
) -> Scenario:
    """A scenario from a decide exchange-model file, a KTAB SMP CSV, an actor table or a
    DEU TSV (``fmt``: ``decide``, ``ktab``, ``table``, ``deu``; default: detected; ``"-"``
    reads standard input). DEU files need ``issue`` or ``proposal``; actor tables take
    ``scale=(min, max)``."""
    from backchannel.scenario import importers

    kw: dict[str, Any] = {
        "fmt": fmt,
        "name": name,
        "scale": scale,
        "issue": issue,
        "proposal": proposal,
    }
    if str(path) == "-":
        return importers.import_text(sys.stdin.read(), "<stdin>", **kw)
    return importers.import_file(Path(path), **kw)


def scenario_from_frame(
    frame: Any,
    *,
    name: str | None = None,
    base: Scenario | None = None,
    issues: Mapping[str, Mapping[str, Any]] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
) -> Scenario:
    """A scenario from an actor x issue table (one row per actor and issue: columns
    ``actor``, ``issue``, ``position`` and optionally ``salience``, ``capability``,
    ``limit``, ``name``, ``kind``, ``veto``); ``base=`` edits an existing scenario. See
    :mod:`backchannel.scenario.frames`."""
    from backchannel.scenario.frames import scenario_from_frame as run

    return run(frame, name=name, base=base, issues=issues, scale=scale)


# -- analysis --------------------------------------------------------------------------------
def analyze(
    scenario: Scenario | str | os.PathLike[str] | None = None, *, robustness: bool | int = False
) -> Analysis:
    """Can a deal happen? The verdict (on the parties' own terms, only with a mediator's
    inducements, or not at all) with its reasons and margin, the ZOPA per issue, conflicts
    and blockers, mediator roles, ripeness and escalation risk (``backchannel analyze``).
    ``robustness``: also find where each input flips the verdict (True, or a budget of
    programmes)."""
    from backchannel.analysis import analyze as run

    return run(load(scenario), robustness=robustness)


def what_it_takes(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    objective: Literal["cost", "count", "fair"] = "cost",
    movers: Sequence[str] | None = None,
    settle: Sequence[str] | None = None,
    alternatives: int = 0,
) -> Concessions:
    """The concessions (red lines, no-deal values, agenda constraints, deferrals,
    third-party inducements) that make a deal feasible, by whom and at what cost
    (``backchannel what-it-takes``). ``objective``: least total cost, fewest concessions
    or least cost to the worst-off conceding actor; ``movers``: only these actors may
    concede; ``settle``: issues the deal must settle; ``alternatives``: also find N
    different solutions."""
    from backchannel.analysis import what_it_takes as run

    return run(
        load(scenario),
        objective=objective,
        movers=movers,
        settle=settle,
        alternatives=alternatives,
    )


def evaluate(
    scenario: Scenario | str | os.PathLike[str] | None,
    package: Mapping[str, Any],
    *,
    source: str = "package",
) -> ProposalResult:
    """Put a concrete plan to the vote: ``package`` maps issue ids to a value, a
    ``[low, high]`` range or ``"defer"``; the result says who accepts it, which bodies
    ratify it and by how much (``backchannel evaluate``). ``source`` names the package in
    error messages."""
    from backchannel.analysis.proposal import evaluate_proposal, parse_package

    sc = load(scenario)
    return evaluate_proposal(sc, parse_package(sc, package, source))


# -- time ------------------------------------------------------------------------------------
def timeline(
    scenario: Scenario | str | os.PathLike[str] | None = None, *, draws: int = 0, seed: int = 0
) -> TimelineResult:
    """The scenario at every date of its ``timeline`` (``backchannel timeline``): the
    verdict, zone, blockers, P(deal) (over uncertain events; over the inputs' ranges with
    ``draws``), escalation hazard and ripeness at each event and month, windows of
    opportunity and what closed them. ``to_dict()`` is the JSON the dashboard draws (with
    :func:`backchannel.report.figures.timeline_figure`)."""
    from backchannel.dynamics.timeline import run_timeline

    return run_timeline(load(scenario), draws=draws, seed=seed)


def stages(
    scenario: Scenario | str | os.PathLike[str] | None = None, *, alternatives: int = 3
) -> StagesResult:
    """Interim agreements ("less for less") that make a comprehensive agreement feasible
    at the next stage, ranked by the worst-off ratifier's surplus, or why no sequence
    helps (``backchannel stages``); what an interim agreement does comes from the
    scenario's ``timeline.interim`` block."""
    from backchannel.dynamics.stages import find_stages

    return find_stages(load(scenario), alternatives=alternatives)


# -- forecasts -------------------------------------------------------------------------------
def forecast_models() -> Mapping[str, ModelSpec]:
    """The forecasting models by name, each with its title, citation and parameters
    (``ModelSpec.params``: name, type, default, meaning)."""
    from backchannel.models import models as registry

    return registry()


def forecast(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    model: str = "compromise",
    *,
    rounds: int | None = None,
    seed: int | None = None,
    procedure: str | None = None,
    council: str | None = None,
    **params: Any,
) -> Forecast:
    """Forecast each issue's outcome with ``model`` (see :func:`forecast_models`): the outcome per
    issue and, for models with rounds, every actor's position per round.

    ``rounds`` bounds the rounds of models that have them (``eum``, ``exchange``,
    ``spatial``); ``params`` are the model's own parameters. An unknown parameter or model,
    or ``rounds`` for a model without rounds, raises :class:`InputError` naming the valid
    ones: ``forecast(sc, "eum", round=3)`` raises rather than running 10 rounds.

    The procedural models of EU legislation (``agenda_setter``, ``winset_bargain``,
    ``compromise_winset``) need the ``procedure`` (``cod`` or ``cns``) and the Council's
    voting rule ``council`` (``qmv`` or ``unanimity``) of a scenario that is one EU
    proposal (actors named by their DEU codes)."""
    from backchannel.models import forecast as run
    from backchannel.models import get_model

    spec = get_model(model)
    sc = load(scenario)
    if spec.needs_rule:
        if procedure is None or council is None:
            raise InputError(
                f"model {model!r} needs the EU legislative procedure and the Council's voting rule",
                source="procedure/council",
                fix="give procedure='cod'|'cns' and council='qmv'|'unanimity' "
                "(--procedure, --council)",
            )
        from backchannel.data.legislative import eu_rule_for_scenario

        params["rule"] = eu_rule_for_scenario(sc, procedure, council)
    elif procedure is not None or council is not None:
        raise InputError(
            f"model {model!r} does not use the EU legislative rule",
            source="procedure/council",
            fix="drop them, or use a procedural model (agenda_setter, winset_bargain, "
            "compromise_winset)",
        )
    if rounds is not None:
        if spec.rounds_param is None:
            raise InputError(
                f"model {model!r} has no rounds",
                source="rounds",
                fix="leave rounds out, or use a model with rounds (eum, exchange, spatial)",
            )
        if spec.rounds_param in params:
            raise InputError(
                f"rounds and {spec.rounds_param} both given",
                source="rounds",
                fix=f"give one of them ({spec.rounds_param} is model {model!r}'s own name)",
            )
        params[spec.rounds_param] = rounds
    return run(sc, model=model, seed=seed, **params)


# -- uncertainty -----------------------------------------------------------------------------
def sweep(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    draws: int = 10_000,
    *,
    seed: int = 0,
    models: Sequence[str] = SWEEP_MODELS,
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    sobol: int = 256,
    correlation: float = 0.0,
    progress: ProgressHook | None = None,
    budget: float | None = None,
    keep_draws: bool | None = None,
    draws_out: str | os.PathLike[str] | None = None,
) -> SweepResult:
    """Monte Carlo over every input that carries a range: P(deal) with its interval, the
    distribution of each model's outcome, and Sobol' sensitivity indices
    (``backchannel sweep``).

    ``engine``: ``local`` (a pool of ``workers`` processes on this machine, default every
    usable core; one process for ``workers=1`` or a one-chunk sweep) or ``dask`` (the
    scheduler at ``address``, or a local cluster of ``workers``); the result is the same
    for a seed on any engine. ``sobol``: largest base sample of the sensitivity design (a
    power of 2; 0 skips it); the design uses the largest power of 2 up to it whose
    evaluations stay within ``draws``. ``budget``: seconds the sweep may take (draws and
    design cut to fit). ``correlation``: between every pair of inputs (Gaussian copula),
    in [0, 1). ``progress(phase, total_chunks, draws)`` returns a callback advanced per
    chunk. ``keep_draws``: keep the per-draw arrays (exact quantiles, the ``draws`` table);
    False streams the sweep in memory that does not grow with ``draws`` (quantiles from
    histograms, :mod:`backchannel.engine.stream`); default: keep up to
    :data:`backchannel.engine.stream.KEEP_DRAWS` (20,000) draws. ``draws_out``: write one
    row per draw to this file (.csv or .parquet) as the draws are made."""
    import contextlib

    from backchannel import tables
    from backchannel._cores import usable_cores
    from backchannel.engine.executors import DaskExecutor, LocalExecutor, ProcessExecutor
    from backchannel.engine.sampling import sampling_plan
    from backchannel.engine.stream import BINS, KEEP_DRAWS
    from backchannel.engine.sweep import CHUNK_SIZE, run_sweep
    from backchannel.models import get_model

    sc = load(scenario)
    chosen = tuple(models)
    for m in chosen:
        get_model(m)
    if sobol and (sobol < 2 or sobol & (sobol - 1)):
        raise InputError(
            f"sobol must be a power of 2 (or 0), got {sobol}",
            source="--sobol",
            fix="use e.g. --sobol 256",
        )
    if workers is not None and workers < 1:
        raise InputError(
            f"workers must be at least 1, got {workers}",
            source="--workers",
            fix="use e.g. --workers 2, or leave it out to use every core",
        )
    if engine not in ("local", "dask"):
        raise InputError(f"unknown engine {engine!r}", source="--engine", fix="use local or dask")
    plan = sampling_plan(sc)
    has_veto = bool(plan.base.veto_players)
    n_workers = workers or usable_cores()
    several = draws > CHUNK_SIZE  # one chunk (and a design no larger) runs in one process
    notes: list[str] = []
    if not has_veto:
        notes.append("no veto players: forecasts only, no probability of a deal")
    executor: LocalExecutor | ProcessExecutor | DaskExecutor
    if engine == "dask" and address is None and not several:
        notes.append(
            f"ran locally: {draws:,} draws make one chunk of up to {CHUNK_SIZE} draws, which "
            "does not pay for starting a Dask cluster"
        )
        executor = LocalExecutor()
    elif engine == "dask":
        from backchannel._extras import require

        require("distributed", "dask", "sweeps on Dask (--engine dask)")
        executor = DaskExecutor(address=address, workers=n_workers)
    elif several and n_workers > 1:
        executor = ProcessExecutor(n_workers)
    else:
        executor = LocalExecutor()
    keep = draws <= KEEP_DRAWS if keep_draws is None else bool(keep_draws)
    if not keep:
        notes.append(
            f"streamed: the {draws:,} draws were folded into the summaries as they came, "
            f"not kept; quantiles from histograms, within 1/{BINS:,} of each output's range"
        )
    with contextlib.ExitStack() as stack:
        stack.enter_context(executor)
        sink = None
        if draws_out is not None:
            sink = _draw_sink(
                plan, chosen, has_veto, stack.enter_context(tables.DrawWriter(Path(draws_out)))
            )
        result = run_sweep(
            plan,
            draws,
            seed=seed,
            models=chosen,
            executor=executor,
            correlation=correlation,
            n_base=sobol or None,
            run_feasibility=has_veto,
            progress=progress,
            budget=budget,
            keep_draws=keep,
            sink=sink,
        )
    if notes:
        import dataclasses

        result = dataclasses.replace(result, notes=(*result.notes, *notes))
    return result


def _draw_sink(
    plan: SamplingPlan, models: tuple[str, ...], feasibility: bool, writer: tables.DrawWriter
) -> Callable[[ChunkResult], None]:
    """Writes each chunk's rows of the ``draws`` table as the chunk arrives."""
    import types

    from backchannel import tables

    meta = types.SimpleNamespace(
        feasibility=feasibility, inputs=plan.columns, models=models, issue_ids=plan.base.issue_ids
    )

    def sink(r: ChunkResult) -> None:
        extra = {
            "deal_with_inducements": r.deal_induced,
            "escalation": r.escalation,
            "escalation_with_channels": r.escalation_with_channels,
        }
        writer.write(
            tables.draw_columns(meta, writer.rows, r.deal, r.slack, r.x, r.outcomes, extra)
        )

    return sink


# -- validation ------------------------------------------------------------------------------
def backtest(
    path: str | os.PathLike[str],
    models: Sequence[str] | None = None,
    *,
    power: PowerIndex = "shapley_shubik",
    bootstrap: int = 2000,
    seed: int = 0,
    folds: int = 10,
    repeats: int = 5,
    ensemble: bool = True,
    tuned: bool = True,
    calibrated_cv: bool = True,
    calibration: str | os.PathLike[str] | None = None,
) -> BacktestResult:
    """Score the forecasting models (all when ``models`` is None) and the baselines on a
    DEU file of real EU negotiations: mean absolute error per model and subset with
    proposal-bootstrap intervals, a cross-validated stack, a tuned compromise model and the
    calibration procedure scored by nested cross-validation (``calibrated_cv``); or a
    saved ``calibration`` (from ``backchannel calibrate deu``) scored without refitting
    (``backchannel backtest deu``)."""
    from backchannel.validation.backtest import run_backtest
    from backchannel.validation.runner import registered_models

    if power not in ("shapley_shubik", "banzhaf", "equal"):
        raise InputError(
            f"unknown power index {power!r}",
            source="--power",
            fix="use shapley_shubik, banzhaf or equal",
        )
    if bootstrap < 1 or folds < 2 or repeats < 1:
        raise InputError(
            "--bootstrap and --repeats must be >= 1, --folds >= 2",
            source="options",
            fix="give positive counts",
        )
    if models:
        known = registered_models()
        bad = [m for m in models if m not in known]
        if bad:
            raise InputError(
                f"unknown model(s) {bad}",
                source="--model",
                fix=f"use one of {sorted(known)} (see `backchannel models`)",
            )
    from backchannel.validation.calibration import Calibration

    return run_backtest(
        Path(path),
        list(models) if models else None,
        power=power,
        n_boot=bootstrap,
        seed=seed,
        folds=folds,
        repeats=repeats,
        ensemble=ensemble,
        tuned=tuned,
        calibrated_cv=calibrated_cv,
        calibration=None if calibration is None else Calibration.load(Path(calibration)),
    )


def backtest_cases(
    directory: str | os.PathLike[str] | None = None,
    *,
    draws: int = 200,
    seed: int = 0,
    bootstrap: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> CaseBacktest:
    """Score the verdict engine on the coded historical negotiations (or the case YAML
    files in ``directory``): verdict against history, P(deal) from ``draws`` Monte Carlo
    draws per case, blockers and mediator roles; accuracy, balanced accuracy, Brier score
    and log loss with bootstrap intervals against three baselines (``backchannel
    backtest cases``). ``progress(case)`` is called as each case starts."""
    from backchannel.validation.cases import run_case_backtest

    return run_case_backtest(
        None if directory is None else Path(directory),
        draws=draws,
        seed=seed,
        n_boot=bootstrap,
        progress=progress,
    )


# -- output ----------------------------------------------------------------------------------
def html_report(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    model: str | None = None,
    sweep_draws: int = 0,
    seed: int = 0,
    timeline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> str:
    """One self-contained HTML report (verdict, positions, ZOPA, concessions, forecast
    rounds, sweep; with ``timeline``, the timeline chart and windows) with charts inline;
    written to ``path`` if given, and returned. Needs the ``[report]`` extra.
    ``progress(step)`` is called as each section starts."""
    from backchannel._extras import require

    require("plotly", "report", "the HTML report")
    require("jinja2", "report", "the HTML report")
    from backchannel.report import build_report
    from backchannel.scenario.load import atomic_write

    html, _ = build_report(
        load(scenario),
        model=model,
        sweep_draws=sweep_draws,
        seed=seed,
        timeline=timeline,
        progress=progress,
    )
    if path is not None:
        atomic_write(Path(path), html)
    return html


def to_frame(result: Any, table: str | None = None) -> pd.DataFrame:
    """Any result (forecast, sweep, analysis, what-it-takes, backtest, scenario) as a
    pandas DataFrame; ``table`` picks one of the result's tables (default: the first; see
    :mod:`backchannel.tables`). Needs the ``[pandas]`` extra."""
    from backchannel.frames import to_frame as run

    return run(result, table)

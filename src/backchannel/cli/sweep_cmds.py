"""``backchannel sweep``: Monte Carlo probability of a deal, outcome distributions and a
sensitivity ranking, locally or on Dask."""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from backchannel.cli.common import (
    FormatOpt,
    JsonOpt,
    ScenarioArg,
    SetOpt,
    Settings,
    TableOpt,
    app,
    console,
    emit,
    err_console,
    load,
    note,
    output_format,
)

if TYPE_CHECKING:
    from backchannel.engine.sweep import SweepResult


class Engine(StrEnum):
    local = "local"
    dask = "dask"


class Draws(StrEnum):
    keep = "keep"
    stream = "stream"


@app.command()
def sweep(
    scenario: ScenarioArg = None,
    draws: Annotated[
        int, typer.Option("--draws", "-n", help="Number of Monte Carlo draws.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed (same seed -> same result on any engine).")] = 0,
    engine: Annotated[
        Engine, typer.Option(help="Where to run the chunks of draws.")
    ] = Engine.local,
    address: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://HOST:8786); default: start a local cluster."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes, local or of the local Dask cluster (default: every core "
            "this process may use; 1 runs the local engine in this process)."
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Forecast model(s) to run on every draw (repeatable; default: compromise and "
            "eum; see `backchannel models`).",
        ),
    ] = None,
    sobol: Annotated[
        int,
        typer.Option(
            help="Largest base sample of the Sobol' sensitivity design (a power of 2; 0 skips "
            "it). The design uses the largest power of 2 up to it whose n x (inputs + 2) "
            "evaluations stay within --draws."
        ),
    ] = 256,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Seconds the sweep may take: a pilot measures the cost of a draw and the "
            "draws (at most --draws) and the Sobol' design are cut to fit."
        ),
    ] = None,
    correlation: Annotated[
        float,
        typer.Option(help="Correlation between every pair of inputs (Gaussian copula), in [0, 1)."),
    ] = 0.0,
    draws_out: Annotated[
        Path | None,
        typer.Option(
            "--draws-out",
            help="Also write one row per draw (inputs, verdict, outcomes) to this file, as "
            "the draws are made: .csv, or .parquet (the [parquet] extra).",
        ),
    ] = None,
    keep: Annotated[
        Draws | None,
        typer.Option(
            "--draws-in-memory",
            help="keep: hold every draw in memory (exact quantiles, --table draws); stream: "
            "fold them into summaries as they come (memory does not grow with --draws; "
            "quantiles from 16,384-bin histograms). Default: keep up to 20,000 draws.",
        ),
    ] = None,
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    set_: SetOpt = None,
) -> None:
    """Monte Carlo sweep: P(deal), outcome quantiles per model and a sensitivity ranking
    (CSV tables: outcomes, sensitivity, draws)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from backchannel import api

    out = output_format(fmt, json_out)
    sc = load(scenario, set_)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=Settings.quiet or not err_console.is_terminal,
    ) as bar:

        def hook(phase: str, total: int, n: int) -> Callable[[int], None]:
            task = bar.add_task(f"{phase} ({n:,} evaluations)", total=total)
            return lambda k: bar.advance(task, k)

        result = api.sweep(
            sc,
            draws,
            seed=seed,
            models=tuple(model) if model else api.SWEEP_MODELS,
            engine=engine.value,
            address=address,
            workers=workers,
            sobol=sobol,
            correlation=correlation,
            progress=hook,
            budget=budget,
            keep_draws=None if keep is None else keep.value == "keep",
            draws_out=draws_out,
        )
    if draws_out is not None:
        note(f"wrote {result.draws:,} draws to {draws_out}")
    emit(result, out, table, lambda: _print(result))


def _fmt(v: float | None, digits: int = 3) -> str:
    return "-inf" if v is None else f"{v:.{digits}f}"


def _print(r: SweepResult) -> None:

    from backchannel.engine.sweep import wilson_interval

    workers = r.engine.get("workers")
    console.print(
        f"[bold]{r.scenario}[/]: {r.draws:,} draws, seed {r.seed}, "
        f"{len(r.inputs)} uncertain inputs, engine {r.engine.get('engine')}"
        + (f" ({workers} workers)" if workers else "")
    )
    if r.budget is not None:
        b = r.budget
        console.print(
            f"budget {b['seconds']:g} s: {b['draws']:,} of {b['draws_requested']:,} draws "
            f"(pilot {b['pilot']['seconds_per_draw'] * 1e3:.3g} ms a draw on one worker), "
            f"took {b['elapsed']:.1f} s"
        )
    if r.feasibility:
        lo, hi = r.p_deal_interval()
        console.print(
            f"P(deal) = [bold]{r.p_deal:.4f}[/] (MC s.e. {r.p_deal_se:.4f}; "
            f"95% Wilson interval [{lo:.4f}, {hi:.4f}])"
        )
        if r.deals_induced is not None:
            k, n = r.deals_induced, r.draws
            ilo, ihi = wilson_interval(k, n)
            console.print(
                f"P(deal) with the brokers' inducements = [bold]{k / n:.4f}[/] "
                f"(95% Wilson interval [{ilo:.4f}, {ihi:.4f}])"
            )
        sq = r.slack_quantiles() or {}
        console.print(
            "slack quantiles 5/25/50/75/95%: "
            + ", ".join(_fmt(sq.get(k)) for k in ("q05", "q25", "q50", "q75", "q95"))
            + f"  (no admissible deal at all in {100 * float(sq.get('p_excluded') or 0):.1f}%"
            " of draws)"
        )
    e0, e1 = r.summary("escalation"), r.summary("escalation_with_channels")
    if e0 is not None and e1 is not None:
        console.print(
            f"P(escalation within {r.escalation_horizon:g} months), median [5%, 95%]: "
            f"without a channel {e0['q50']:.3f} [{e0['q05']:.3f}, {e0['q95']:.3f}], with the "
            f"mediators' channels {e1['q50']:.3f} [{e1['q05']:.3f}, {e1['q95']:.3f}]"
        )
    for m in r.models:
        t = Table(title=f"{m}: outcome per issue (median [5%, 95%])")
        t.add_column("issue")
        t.add_column("median", justify="right")
        t.add_column("5%", justify="right")
        t.add_column("95%", justify="right")
        for iss, qs in r.quantiles(m).items():
            t.add_row(iss, f"{qs['q50']:.1f}", f"{qs['q05']:.1f}", f"{qs['q95']:.1f}")
        console.print(t)
    if r.sensitivity is not None:
        for out in ("deal", "slack", "deal_with_inducements", "escalation_with_channels"):
            if out not in r.sensitivity.outputs:
                continue
            o = r.sensitivity.outputs[out]
            if o.constant:
                console.print(
                    f"sensitivity of {o.label}: the same in every draw, so it is "
                    "fixed by inputs without uncertainty (e.g. agenda constraints "
                    "or red lines far apart)"
                )
                continue
            t = Table(title=f"What drives {o.label} (Sobol' indices, top 8)")
            for col in ("input", "S1", "ST", "low 20%", "high 20%"):
                t.add_column(col, justify="left" if col == "input" else "right")
            for row in o.ranking()[:8]:
                t.add_row(
                    row["input"],
                    f"{row['S1']:.3f}",
                    f"{row['ST']:.3f}",
                    _fmt(row["low"]) if math.isfinite(row["low"]) else "-",
                    _fmt(row["high"]) if math.isfinite(row["high"]) else "-",
                )
            console.print(t)
    if r.design is not None and r.design.n_base:
        console.print(f"[dim]Sobol' design: {r.design.reason}[/]")
    for text in r.notes:
        console.print(f"[dim]note: {text}[/]")

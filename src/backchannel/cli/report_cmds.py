"""Report command: ``backchannel report [SCENARIO] -o report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backchannel.cli.common import ScenarioArg, SetOpt, app, console, err_console, load, status
from backchannel.scenario.errors import InputError


@app.command()
def report(
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path(
        "report.html"
    ),
    sweep_draws: Annotated[
        int,
        typer.Option(
            "--sweep-draws", min=0, help="Monte Carlo draws for the uncertainty section (0: none)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for forecasts and the sweep.")] = 0,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Model for the positions-per-round chart (default: eum if present)."
        ),
    ] = None,
    set_: SetOpt = None,
    timeline: Annotated[
        bool,
        typer.Option(
            "--timeline", help="Add the timeline section (the verdict at every dated event)."
        ),
    ] = False,
) -> None:
    """Write ONE self-contained HTML report (charts inline, no network needed; needs the
    [report] extra)."""
    from backchannel._extras import require

    require("plotly", "report", "the HTML report")
    require("jinja2", "report", "the HTML report")
    from backchannel.report import build_report
    from backchannel.scenario.load import atomic_write

    if output.exists() and output.is_dir():
        raise InputError("is a folder", source=str(output), fix="give a file name, e.g. -o r.html")
    sc = load(scenario, set_)
    with status("report") as step:
        html, data = build_report(
            sc, model=model, sweep_draws=sweep_draws, seed=seed, timeline=timeline, progress=step
        )
    atomic_write(output, html)
    for name, piece in (
        ("analysis", data.analysis),
        ("what-it-takes", data.concessions),
        ("forecast", data.forecast),
        ("sweep", data.sweep),
        ("timeline", data.timeline),
    ):
        skipped = (name == "sweep" and sweep_draws == 0) or (name == "timeline" and not timeline)
        if not piece.ok and not skipped:
            err_console.print(
                f"[yellow]note:[/] {name} section not available: {piece.missing}",
                highlight=False,
                markup=False,
            )
    console.print(f"[green]wrote[/] {output} ({output.stat().st_size / 1e6:.1f} MB)")

"""Backtest commands: ``backtest deu PATH`` scores every registered model and the baselines
on real EU legislative negotiations (DEU data); ``backtest cases`` scores the verdict engine
on the library of coded historical negotiations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from backchannel.cli.common import (
    FormatOpt,
    JsonOpt,
    TableOpt,
    app,
    console,
    emit,
    emit_json,
    output_format,
    status,
)

backtest_app = typer.Typer(
    help="Score the forecasting models on real negotiations.", no_args_is_help=True
)
app.add_typer(backtest_app, name="backtest")


@backtest_app.command("deu")
def deu(
    path: Annotated[Path, typer.Argument(help="DEU issue table (.tsv).")],
    json_out: JsonOpt = False,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="Registered model to score (repeat; default: all)."),
    ] = None,
    power: Annotated[
        str, typer.Option(help="Capability index: shapley_shubik, banzhaf or equal.")
    ] = "shapley_shubik",
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of bootstrap and folds.")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (by proposal).")] = 10,
    repeats: Annotated[int, typer.Option(help="Cross-validation repeats.")] = 5,
    ensemble: Annotated[bool, typer.Option(help="Fit the cross-validated stack.")] = True,
    tuned: Annotated[
        bool, typer.Option(help="Score the compromise model tuned by nested cross-validation.")
    ] = True,
    chart: Annotated[
        Path | None,
        typer.Option(help="Save a bar chart of the MAE (.png or .svg; needs the [report] extra)."),
    ] = None,
    calibrated_cv: Annotated[
        bool, typer.Option(help="Score the calibration procedure by nested cross-validation.")
    ] = True,
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="Score this calibration (from `calibrate deu`) without refitting; no stack, "
            "tuning or nested calibration is fitted on PATH."
        ),
    ] = None,
    fmt: FormatOpt = None,
    table: TableOpt = None,
) -> None:
    """Backtest every registered model (or --model ...) on a DEU file: MAE per model and
    subset with proposal-bootstrap intervals, baselines, and a cross-validated stack
    (CSV tables: models, subsets)."""
    from backchannel import api

    out = output_format(fmt, json_out)
    if chart is not None:
        from backchannel._extras import require

        require("matplotlib", "report", "the backtest chart (--chart)")
    with status(f"scoring the models on {path.name}"):
        res = api.backtest(
            path,
            model,
            power=power,  # type: ignore[arg-type]
            bootstrap=bootstrap,
            seed=seed,
            folds=folds,
            repeats=repeats,
            ensemble=ensemble,
            tuned=tuned,
            calibrated_cv=calibrated_cv,
            calibration=calibration,
        )
    d = res.to_dict()
    if chart is not None:
        from backchannel.validation.chart import plot_mae

        plot_mae(
            d["models"],
            chart,
            f"DEU backtest: {Path(d['source']).name}, "
            f"{d['data']['scoreable_issues']} scoreable issues",
        )
    emit(res, out, table, lambda: _print(d))


def _print(d: dict[str, Any]) -> None:
    data = d["data"]
    console.print(
        f"[bold]{d['source']}[/]: {data['scoreable_issues']} scoreable issues of "
        f"{data['issues']}, {data['scoreable_proposals']} proposals"
    )
    for k, v in data["problems"].items():
        console.print(f"  note: {v} {k}")
    table = Table(title="Mean absolute error (0-100), 95% interval by proposal")
    for c in ("model", "kind", "MAE", "95% CI", "n"):
        table.add_column(c, justify="left" if c in ("model", "kind") else "right")
    for name, v in sorted(d["models"].items(), key=lambda kv: kv[1]["mae"] or 1e9):
        lo, hi = v["ci95"]
        ci = "" if lo is None else f"{lo:.1f}-{hi:.1f}"
        mae = "n/a" if v["mae"] is None else f"{v['mae']:.2f}"
        table.add_row(name, v["kind"], mae, ci, str(v["n"]))
    console.print(table)
    e = d["ensemble"]
    if e:
        console.print(
            f"stack (CV by proposal, {e['folds']} folds): MAE {e['cv']['mae']:.2f} "
            f"[{e['cv']['ci95'][0]:.2f}, {e['cv']['ci95'][1]:.2f}]"
        )
        if "compromise_same_issues" in e:
            c, df = e["compromise_same_issues"], e["difference_stack_minus_compromise"]
            console.print(
                f"compromise on the same issues: {c['mae']:.2f}; difference "
                f"{df['mae']:+.2f} [{df['ci95'][0]:+.2f}, {df['ci95'][1]:+.2f}]: "
                f"{e['verdict']}"
            )
    t = d.get("tuned")
    if t:
        console.print(
            f"tuned compromise (nested CV by proposal, {t['folds']} folds, "
            f"{t['grid_size']} specifications): MAE {t['cv']['mae']:.2f} "
            f"[{t['cv']['ci95'][0]:.2f}, {t['cv']['ci95'][1]:.2f}]"
        )
        if "difference_tuned_minus_compromise" in t:
            df = t["difference_tuned_minus_compromise"]
            console.print(
                f"  minus compromise: {df['mae']:+.2f} [{df['ci95'][0]:+.2f}, "
                f"{df['ci95'][1]:+.2f}]: {t['verdict']}"
            )
    _print_calibrated(d)


def _print_calibrated(d: dict[str, Any]) -> None:
    c = d.get("calibrated")
    if not c:
        return
    if "selected" in c:
        console.print(
            f"calibrated on {escape(c['training_data']['source'])} "
            f"({c['training_data']['scoreable_issues']} issues): {escape(c['selected'])}, "
            "no refit"
        )
        if c["in_sample"]:
            console.print(
                "[yellow]warning:[/] this is the calibration's own training file: "
                "the figure is in-sample"
            )
    else:
        console.print(
            f"calibration procedure, nested CV ({c['folds']} folds): chosen per fold "
            + escape(", ".join(sorted(set(c["chosen_per_fold"]))))
        )
    for key in ("compromise", "mean"):
        df = c.get(f"difference_minus_{key}")
        if df and df["mae"] is not None:
            lo, hi = df["ci95"]
            verdict = (
                "beats it"
                if c[f"beats_{key}"]
                else "interval includes 0"
                if (df["mae"] < 0)
                else "does not beat it"
            )
            console.print(f"  minus {key}: {df['mae']:+.2f} [{lo:+.2f}, {hi:+.2f}]: {verdict}")


@backtest_app.command("cases")
def cases(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Folder of case YAML files (default: the shipped case library)."),
    ] = None,
    json_out: JsonOpt = False,
    draws: Annotated[
        int, typer.Option(help="Monte Carlo draws per case for P(deal) (0: the verdict's 1 or 0).")
    ] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the draws and of the bootstrap.")] = 0,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples of the cases.")] = 2000,
    html: Annotated[
        Path | None, typer.Option("--html", help="Save a self-contained HTML page with charts.")
    ] = None,
) -> None:
    """Backtest the verdict engine on coded historical negotiations: verdict vs history,
    blockers, mediator roles, P(deal); accuracy, balanced accuracy, Brier and log loss with
    bootstrap intervals against "always deal", "always no deal" and a red-line rule."""
    from backchannel import api
    from backchannel.cli.case_cmds import print_case_backtest

    progress = None if json_out else (lambda name: console.print(f"  {name}", style="dim"))
    d = api.backtest_cases(
        directory, draws=draws, seed=seed, bootstrap=bootstrap, progress=progress
    ).to_dict()
    if html is not None:
        from backchannel.validation.case_chart import write_html

        write_html(d, html)
    if json_out:
        emit_json(d)
        return
    print_case_backtest(d)
    if html is not None:
        console.print(f"HTML page: {html}")

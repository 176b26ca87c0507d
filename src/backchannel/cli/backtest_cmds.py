"""Backtest commands: ``backtest deu PATH`` scores every registered model and the baselines
on real EU legislative negotiations (DEU data)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from backchannel.cli.common import JsonOpt, app, console, emit_json
from backchannel.scenario.errors import InputError

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
        Path | None, typer.Option(help="Save a bar chart of the MAE (.png or .svg).")
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
) -> None:
    """Backtest every registered model (or --model ...) on a DEU file: MAE per model and
    subset with proposal-bootstrap intervals, baselines, and a cross-validated stack."""
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
    if model:
        known = registered_models()
        bad = [m for m in model if m not in known]
        if bad:
            raise InputError(
                f"unknown model(s) {bad}",
                source="--model",
                fix=f"use one of {sorted(known)} (see `backchannel models`)",
            )
    from backchannel.validation.calibration import Calibration

    cal = None if calibration is None else Calibration.load(calibration)
    res = run_backtest(
        path,
        model or None,
        power=power,  # type: ignore[arg-type]
        n_boot=bootstrap,
        seed=seed,
        folds=folds,
        repeats=repeats,
        ensemble=ensemble,
        tuned=tuned,
        calibrated_cv=calibrated_cv,
        calibration=cal,
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
    if json_out:
        emit_json(d)
        return
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

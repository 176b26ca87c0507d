"""Calibration commands: ``calibrate deu TRAIN.tsv -o calibration.json`` chooses and fits a
forecasting specification on training data; ``calibrate split`` makes a held-out split."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from backchannel.cli.common import JsonOpt, app, console, emit_json, status
from backchannel.scenario.errors import InputError

calibrate_app = typer.Typer(
    help="Calibrate a forecasting model on training negotiations (then `backtest "
    "--calibration`, `forecast --calibration`).",
    no_args_is_help=True,
)
app.add_typer(calibrate_app, name="calibrate")


@calibrate_app.command("deu")
def deu(
    path: Annotated[Path, typer.Argument(help="Training DEU issue table (.tsv).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Calibration file to write (.json).")
    ],
    folds: Annotated[int, typer.Option(help="Cross-validation folds (by proposal).")] = 10,
    repeats: Annotated[int, typer.Option(help="Cross-validation repeats (seeds 0..R-1).")] = 5,
    json_out: JsonOpt = False,
) -> None:
    """Choose the specification and weights by cross-validation by proposal on TRAIN and
    write them, with the data's SHA-256 and the versions, to a calibration file."""
    from backchannel.validation.calibration import calibrate

    if folds < 2 or repeats < 1:
        raise InputError(
            "--folds must be >= 2 and --repeats >= 1", source="options", fix="give larger counts"
        )
    with status(f"calibrating on {path.name}"):
        cal = calibrate(path, folds=folds, seeds=tuple(range(repeats)))
    cal.save(output)
    if json_out:
        emit_json(cal.to_dict())
        return
    t = cal.training_data
    console.print(
        f"[bold]{escape(str(path))}[/]: {t['scoreable_issues']} scoreable issues, "
        f"{t['proposals']} proposals (sha256 {t['sha256'][:12]}...)"
    )
    table = Table(title=f"Cross-validated MAE by proposal ({folds} folds x {repeats} repeats)")
    table.add_column("candidate")
    table.add_column("CV MAE", justify="right")
    for name, mae in sorted(cal.selection["cv_mae"].items(), key=lambda kv: kv[1]):
        mark = " (chosen)" if name == cal.model["selected"] else ""
        table.add_row(escape(name) + mark, f"{mae:.2f}")
    console.print(table)
    console.print(f"chosen: [bold]{escape(cal.model['selected'])}[/]; written to {output}")


@calibrate_app.command("split")
def split(
    path: Annotated[Path, typer.Argument(help="DEU issue table (.tsv) to split.")],
    train: Annotated[Path, typer.Option("--train", help="Training part to write (.tsv).")],
    test: Annotated[Path, typer.Option("--test", help="Test part to write (.tsv).")],
    by: Annotated[
        str, typer.Option(help="time (later proposals are test) or proposal (at random).")
    ] = "time",
    test_from: Annotated[
        str, typer.Option(help="With --by time: first introduction date of the test part.")
    ] = "2004-01-01",
    test_share: Annotated[
        float, typer.Option(help="With --by proposal: share of proposals held out.")
    ] = 0.3,
    seed: Annotated[int, typer.Option(help="With --by proposal: seed of the draw.")] = 0,
) -> None:
    """Split a DEU file by whole proposals into a training and a test file."""
    from backchannel.data.deu import read_text, split_deu
    from backchannel.scenario.load import atomic_write

    try:
        start = dt.date.fromisoformat(test_from)
    except ValueError as exc:
        raise InputError(
            f"bad date {test_from!r}", source="--test-from", fix="write YYYY-MM-DD"
        ) from exc
    s = split_deu(
        read_text(path), str(path), by=by, test_from=start, test_share=test_share, seed=seed
    )
    atomic_write(train, s.train)
    atomic_write(test, s.test)
    console.print(
        f"{s.rule}: {len(s.train_proposals)} proposals -> {train}, "
        f"{len(s.test_proposals)} proposals -> {test}"
    )

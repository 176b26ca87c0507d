"""Forecasting commands: ``forecast`` (run a model on a scenario) and ``models`` (list them)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from backchannel.cli.common import (
    Format,
    FormatOpt,
    JsonOpt,
    ScenarioArg,
    SetOpt,
    TableOpt,
    app,
    console,
    emit,
    emit_json,
    emit_rows,
    load,
    output_format,
    status,
)
from backchannel.scenario.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from backchannel.models import Forecast
    from backchannel.scenario.schema import Scenario

ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="Model to run (see `backchannel models`).")
]
RoundsOpt = Annotated[
    int | None,
    typer.Option(
        "--rounds",
        "-r",
        min=0,
        help="Maximum number of rounds (models with rounds only, e.g. eum).",
    ),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="Model parameter NAME=VALUE, repeatable, e.g. -p loss=linear -p Q=0.5.",
    ),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (stochastic models).")]
CalibrationOpt = Annotated[
    Path | None,
    typer.Option(
        "--calibration",
        help="Forecast with a calibration file (`calibrate deu`) instead of --model; the "
        "scenario is one EU proposal (needs --procedure and --council).",
    ),
]
ProcedureOpt = Annotated[
    str | None,
    typer.Option(
        "--procedure",
        help="EU legislative procedure, cod or cns (procedural models and --calibration).",
    ),
]
CouncilOpt = Annotated[
    str | None,
    typer.Option(
        "--council",
        help="Council voting rule, qmv or unanimity (procedural models and --calibration).",
    ),
]


def _eu_rule_options(procedure: str | None, council: str | None, what: str) -> tuple[str, str]:
    if procedure is None or council is None:
        raise InputError(
            f"{what} needs the EU legislative procedure and the Council's voting rule",
            source="--procedure/--council",
            fix="add --procedure cod|cns and --council qmv|unanimity (actors named by their "
            "DEU codes, the scenario dated by the proposal's introduction)",
        )
    return procedure, council


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` strings to a parameter dict (numbers and booleans converted)."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(
                f"bad model parameter {item!r}",
                source="--param",
                fix="write NAME=VALUE, e.g. --param loss=linear",
            )
        out[name.strip()] = _value(value)
    return out


def nearest_anchor(sc: Scenario, issue_id: str, value: float) -> str:
    """Label of the issue's anchor nearest to ``value`` (with its value), or '-'."""
    anchors = sc.issue(issue_id).anchors
    if not anchors:
        return "-"
    best = min(anchors, key=lambda a: abs(a.value - value))
    return f"{best.value:g}: {best.label}"


def round_summary(fc: Forecast, sc: Scenario) -> np.ndarray | None:
    """Per round and issue (R+1, K): the model's own median if it reports one, else the
    capability x salience weighted mean of the actors' positions."""
    import numpy as np

    from backchannel.scenario.arrays import to_arrays

    med = fc.diagnostics.get("median")
    if (
        isinstance(med, np.ndarray)
        and fc.rounds is not None
        and med.shape == (fc.rounds.shape[0], len(fc.issue_ids))
    ):
        return med
    if fc.rounds is None:
        return None
    arr = to_arrays(sc)
    keep = [arr.actor_ids.index(a) for a in fc.actor_ids]
    w = np.nan_to_num(arr.capability[keep] * arr.salience[keep])
    tot = w.sum(axis=0)
    w = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 1.0 / len(keep))
    return np.asarray((fc.rounds * w[None]).sum(axis=1))


def _print(fc: Forecast, sc: Scenario) -> None:
    from backchannel.models import get_model, models

    title = get_model(fc.model).title if fc.model in models() else fc.model
    table = Table(title=f"{escape(title)} — {escape(sc.name)}")
    table.add_column("issue")
    table.add_column("outcome", justify="right")
    table.add_column("nearest anchor")
    table.add_column("status quo", justify="right")
    for iid, v in fc.outcome_by_issue().items():
        issue = sc.issue(iid)
        sq = "-" if issue.status_quo is None else f"{issue.status_quo.value:g}"
        table.add_row(escape(issue.name), f"{v:.2f}", escape(nearest_anchor(sc, iid, v)), sq)
    console.print(table)
    summary = round_summary(fc, sc)
    if summary is not None and len(summary) > 1:
        label = "median" if "median" in fc.diagnostics else "weighted mean position"
        rt = Table(title=f"Rounds ({label} per issue)")
        rt.add_column("round", justify="right")
        for iid in fc.issue_ids:
            rt.add_column(escape(iid), justify="right")
        for t, row in enumerate(summary):
            rt.add_row(str(t), *(f"{v:.2f}" for v in row))
        console.print(rt)
    if "agreement" in fc.diagnostics and not fc.diagnostics["agreement"]:
        console.print(
            "[yellow]no agreement:[/] no point makes every actor better off than "
            "the disagreement point; issues with a status quo stay there"
        )
    console.print(f"[dim]{escape(fc.citation)}[/]")


@app.command("forecast")
def forecast_cmd(
    scenario: ScenarioArg = None,
    model: ModelOpt = "compromise",
    rounds: RoundsOpt = None,
    param: ParamOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    calibration: CalibrationOpt = None,
    procedure: ProcedureOpt = None,
    council: CouncilOpt = None,
) -> None:
    """Forecast the outcome of each issue with a model (outcome, nearest anchor, rounds;
    CSV tables: rounds, outcome)."""
    from backchannel import api

    out = output_format(fmt, json_out)
    sc = load(scenario, set_)
    if calibration is not None:
        from backchannel.validation.calibration import Calibration, forecast_scenario

        if model != "compromise" or param or rounds is not None:
            raise InputError(
                "--calibration forecasts with the calibrated model",
                source="--calibration",
                fix="drop --model, --param and --rounds",
            )
        proc, rule = _eu_rule_options(procedure, council, "--calibration")
        with status("forecasting with the calibration"):
            fc = forecast_scenario(Calibration.load(calibration), sc, proc, rule)
        _show(fc, sc, out, table)
        return
    params = parse_params(param)
    with status(f"running the {model} model"):
        fc = api.forecast(
            sc, model, rounds=rounds, seed=seed, procedure=procedure, council=council, **params
        )
    _show(fc, sc, out, table)


def _show(fc: Forecast, sc: Scenario, out: Format, table: str | None) -> None:
    if out == "json":
        data = fc.to_dict()
        data["anchors"] = {i: nearest_anchor(sc, i, v) for i, v in fc.outcome_by_issue().items()}
        emit_json(data)
        return
    emit(fc, out, table, lambda: _print(fc, sc))


@app.command("models")
def models_cmd(json_out: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """List the registered forecasting models with their sources and parameters
    (JSON: each parameter's name, type, default and meaning)."""
    from backchannel import api

    specs = list(api.forecast_models().values())
    out = output_format(fmt, json_out)

    def text() -> None:
        table = Table(title="Forecasting models")
        for col in ("name", "title", "rounds", "parameters (-p NAME=VALUE)", "citation"):
            table.add_column(col)
        for s in specs:
            params = ", ".join(f"{p.name}={p.default!r}" for p in s.params) or "-"
            table.add_row(
                s.name,
                escape(s.title),
                "yes" if s.has_rounds else "-",
                escape(params),
                escape(s.citation),
            )
        console.print(table)

    rows = [s.to_dict() for s in specs]
    if out == "csv":  # one row per model; parameters as NAME=DEFAULT
        for r in rows:
            r["params"] = " ".join(f"{p['name']}={p['default']!r}" for p in r["params"])
    emit_rows(rows, out, text)

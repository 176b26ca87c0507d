"""Shared CLI pieces: the typer app, consoles, scenario argument, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import DEFAULT_SCENARIO, load_scenario
from backchannel.scenario.schema import Scenario

__all__ = ["InputError", "app", "click", "console", "err_console"]

app = typer.Typer(
    name="backchannel",
    help="Analyse and forecast multi-actor negotiations: can a deal happen, what will it "
    "look like, what would it take, what can a mediator do?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario YAML file, or the name of an embedded scenario "
        f"(default: {DEFAULT_SCENARIO}; see `backchannel scenarios`).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="What-if override PATH=VALUE, repeatable, e.g. "
        "--set usa.positions.nuclear.limit=55 --set 'usa.agenda.requires=[nuclear]'.",
    ),
]


def load(scenario: str | None, overrides: list[str] | None = None) -> Scenario:
    """The scenario named on the command line (default: the embedded one), with overrides."""
    from backchannel.scenario.overrides import apply_overrides

    return apply_overrides(load_scenario(scenario or DEFAULT_SCENARIO), overrides or [])


def print_input_error(exc: InputError) -> None:
    err_console.print("[bold red]error:[/] " + escape(exc.render()), highlight=False)


def emit_json(data: Any, output: Path | None = None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        from backchannel.scenario.load import atomic_write

        atomic_write(output, text + "\n")

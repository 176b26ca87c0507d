"""Shared CLI pieces: the typer app and its global options (``--version``, ``-v``/``-q``),
consoles, the scenario argument, output formats (text, JSON, CSV) and progress.

Nothing heavy is imported here: command modules import what they need inside their
commands, so ``backchannel --help`` loads typer and rich only.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from backchannel import __version__
from backchannel.scenario.embedded import DEFAULT_SCENARIO
from backchannel.scenario.errors import InputError

if TYPE_CHECKING:
    from backchannel.scenario.schema import Scenario

__all__ = ["InputError", "app", "console", "err_console"]

log = logging.getLogger("backchannel")

app = typer.Typer(
    name="backchannel",
    help="Analyse and forecast multi-actor negotiations: can a deal happen, what will it "
    "look like, what would it take, what can a mediator do?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # plain click help and usage errors: no markup to trip over ('[nuclear]' in a help
    # text), and ~0.1 s less start-up than typer's rich help (rich.markdown, markdown-it)
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True)


class Settings:
    """Global options of this run (set by the app's callback)."""

    quiet = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backchannel {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="More log messages on stderr (-vv: debug).",
        ),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only errors on stderr: no progress, no notes.")
    ] = False,
) -> None:
    """Global options: version, verbosity."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    Settings.quiet = quiet


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario YAML file, '-' for standard input, or the name of an embedded "
        f"scenario (default: {DEFAULT_SCENARIO}; see `backchannel scenarios`).",
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


class Format(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="Output: text (tables for people), json, or csv (one table, see --table).",
        show_default=False,
    ),
]
TableOpt = Annotated[
    str | None,
    typer.Option("--table", help="Which table --format csv writes (default: the first)."),
]


def load(scenario: str | None, overrides: list[str] | None = None) -> Scenario:
    """The scenario named on the command line (default: the embedded one; '-': standard
    input), with overrides."""
    from backchannel.api import load as api_load

    return api_load(scenario, overrides=overrides or ())


def print_input_error(exc: InputError) -> None:
    err_console.print("[bold red]error:[/] " + escape(exc.render()), highlight=False)


def emit_json(data: Any, output: Path | None = None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        from backchannel.scenario.load import atomic_write

        atomic_write(output, text + "\n")


def output_format(fmt: Format | None, json_flag: bool) -> Format:
    """The output format from ``--format`` and the older ``--json`` flag."""
    if json_flag and fmt not in (None, Format.json):
        raise InputError(
            f"--json and --format {fmt.value} contradict each other",
            source="command line",
            fix="give one of them",
        )
    return Format.json if json_flag else (fmt or Format.text)


def emit(result: Any, fmt: Format, table: str | None, text: Callable[[], None]) -> None:
    """Print ``result`` as JSON (its ``to_dict()``), as one CSV table, or as text (by
    calling ``text``)."""
    if table is not None and fmt != Format.csv:
        raise InputError(
            "--table applies to --format csv only", source="--table", fix="add --format csv"
        )
    if fmt == Format.json:
        emit_json(result.to_dict())
    elif fmt == Format.csv:
        from backchannel import tables

        sys.stdout.write(tables.csv_text(tables.columns(result, table)))
    else:
        text()


def emit_rows(rows: list[dict[str, Any]], fmt: Format, text: Callable[[], None]) -> None:
    """Print a list of records as JSON, CSV or text (by calling ``text``)."""
    if fmt == Format.json:
        emit_json(rows)
    elif fmt == Format.csv:
        from backchannel import tables

        sys.stdout.write(tables.csv_text(tables.from_records(rows)))
    else:
        text()


@contextmanager
def status(text: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the elapsed time on stderr (a terminal only, not with ``-q``) while a
    slow step runs; yields ``update(text)`` for the next step. Steps are logged (``-v``)."""
    log.info(text)
    if Settings.quiet or not err_console.is_terminal:

        def update(step: str) -> None:
            log.info(step)

        yield update
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(escape(text), total=None)

        def update(step: str) -> None:
            log.info(step)
            bar.update(task, description=escape(step))

        yield update


def note(text: str) -> None:
    """An informational line on stderr (silenced by ``-q``)."""
    if not Settings.quiet:
        err_console.print(text, highlight=False, markup=False)

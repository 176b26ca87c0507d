"""Scenario commands: ``schema``, ``scenarios``, ``validate``."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from backchannel.cli.common import (
    FormatOpt,
    JsonOpt,
    ScenarioArg,
    app,
    console,
    emit_rows,
    load,
    output_format,
)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    from backchannel import api

    print(json.dumps(api.schema(), indent=2))


@app.command()
def scenarios(json_out: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """List the embedded scenarios."""
    from backchannel import api

    rows: list[dict[str, Any]] = []
    for name in api.scenarios():
        sc = api.load(name)
        rows.append(
            {"name": name, "title": sc.name, "actors": len(sc.actors), "issues": len(sc.issues)}
        )

    def text() -> None:
        table = Table(title="Embedded scenarios")
        table.add_column("name")
        table.add_column("title")
        table.add_column("actors", justify="right")
        table.add_column("issues", justify="right")
        for r in rows:
            table.add_row(r["name"], r["title"], str(r["actors"]), str(r["issues"]))
        console.print(table)

    emit_rows(rows, output_format(fmt, json_out), text)


@app.command()
def validate(scenario: ScenarioArg = None) -> None:
    """Validate a scenario file and report its size."""
    sc = load(scenario)
    console.print(f"[green]valid[/]: {sc.name} ({len(sc.actors)} actors, {len(sc.issues)} issues)")

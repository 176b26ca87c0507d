"""Scenario commands: ``schema``, ``scenarios``, ``validate``."""

from __future__ import annotations

import json

from rich.table import Table

from backchannel.cli.common import ScenarioArg, app, console, load
from backchannel.scenario.load import embedded_names, load_embedded
from backchannel.scenario.schema import Scenario


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    print(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def scenarios() -> None:
    """List the embedded scenarios."""
    table = Table(title="Embedded scenarios")
    table.add_column("name")
    table.add_column("title")
    table.add_column("actors", justify="right")
    table.add_column("issues", justify="right")
    for name in embedded_names():
        sc = load_embedded(name)
        table.add_row(name, sc.name, str(len(sc.actors)), str(len(sc.issues)))
    console.print(table)


@app.command()
def validate(scenario: ScenarioArg = None) -> None:
    """Validate a scenario file and report its size."""
    sc = load(scenario)
    console.print(f"[green]valid[/]: {sc.name} ({len(sc.actors)} actors, {len(sc.issues)} issues)")

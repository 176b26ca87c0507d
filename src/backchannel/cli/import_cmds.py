"""Import command: ``backchannel import FILE -o scenario.yaml [--format decide|ktab|table|deu]``
(DEU tables: ``--issue ISSUE_ID`` or ``--proposal PRNR``)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from backchannel.cli.common import app, note
from backchannel.scenario.errors import InputError

FORMATS = ("decide", "ktab", "table", "deu")  # backchannel.scenario.importers.FORMATS


def parse_scale(text: str) -> tuple[float, float]:
    """``"0:100"`` -> ``(0.0, 100.0)``, with an :class:`InputError` naming ``--scale``."""
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            f"cannot read the scale {text!r}",
            source="command line",
            where="--scale",
            fix="write MIN:MAX, e.g. --scale 0:100",
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError(
            f"the scale {text!r} needs finite MIN < MAX",
            source="command line",
            where="--scale",
            fix="write MIN:MAX with MIN below MAX, e.g. 0:100",
        )
    return lo, hi


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="File to import (decide, KTAB SMP CSV, "
            "Actor,Capability,Position,Salience table or DEU TSV; '-' for standard input)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the scenario YAML here (default: standard output).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Input format: {', '.join(FORMATS)} (default: detected).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Scenario name (default: from the file).",
        ),
    ] = None,
    scale: Annotated[
        str | None,
        typer.Option(
            "--scale",
            help="Issue scale MIN:MAX for actor tables (default: range of positions).",
        ),
    ] = None,
    issue: Annotated[
        str | None,
        typer.Option(
            "--issue",
            help="DEU files: the issue to import (isnr, e.g. d00060i1).",
        ),
    ] = None,
    proposal: Annotated[
        str | None,
        typer.Option(
            "--proposal",
            help="DEU files: import every issue of this proposal (prnr).",
        ),
    ] = None,
) -> None:
    """Import a decide, KTAB, actor-table or DEU file as a scenario YAML (DEU: one --issue or
    --proposal; vetoes only for Council unanimity, the others are forecast-only)."""
    from backchannel import api
    from backchannel.scenario.load import atomic_write, parse_scenario, scenario_to_yaml

    if output is not None and output.exists() and file.exists() and output.samefile(file):
        raise InputError(
            "the output would overwrite the file being imported",
            source=str(output),
            where="-o/--output",
            fix="write the scenario to another file, e.g. scenario.yaml",
        )
    sc = api.import_file(
        file,
        fmt=fmt,
        name=name,
        scale=parse_scale(scale) if scale is not None else None,
        issue=issue,
        proposal=proposal,
    )
    text = scenario_to_yaml(sc)
    # never write a file that does not load back as the same scenario
    if parse_scenario(text, "<import output>") != sc:  # pragma: no cover - defensive
        raise RuntimeError("imported scenario does not survive the YAML round trip")
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists() and output.is_dir():
        raise InputError(
            "is a folder",
            source=str(output),
            where="-o/--output",
            fix="name a file such as scenario.yaml",
        )
    atomic_write(output, text)
    note(
        f"imported {file} -> {output}: {sc.name} ({len(sc.actors)} actors, "
        f"{len(sc.issues)} issues; "
        + (f"{len(sc.parties())} veto players)" if sc.parties() else "forecast-only, no vetoes)")
    )

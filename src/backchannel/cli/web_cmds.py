"""Web dashboard command: ``backchannel serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backchannel.cli.common import app, console, err_console
from backchannel.scenario.errors import InputError


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="SQLite file for saved scenarios "
            "(default: ~/.local/share/backchannel/store.sqlite).",
        ),
    ] = None,
) -> None:
    """Start the web dashboard: edit a scenario, re-run analysis, forecasts and sweeps
    (needs the [web] extra)."""
    from backchannel._extras import require

    for module in ("fastapi", "uvicorn", "multipart", "jinja2", "plotly"):
        require(module, "web", "the web dashboard")
    import uvicorn

    from backchannel.web.app import create_app

    if store is not None and store.is_dir():
        raise InputError("is a folder", source=str(store), fix="give a file, e.g. store.sqlite")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(
            f"[yellow]warning:[/] binding to {host}: the dashboard has no login; "
            "anyone who can reach this address can read and save scenarios."
        )
    web = create_app(store)
    console.print(
        f"backchannel dashboard on http://{host}:{port}/ "
        f"(store: {web.state.store.path}); Ctrl-C to stop"
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")

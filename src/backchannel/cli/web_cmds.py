"""Web dashboard command: ``backchannel serve``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backchannel.cli.common import app, console, err_console
from backchannel.scenario.errors import InputError

if TYPE_CHECKING:
    from backchannel.web.settings import Settings


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
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Also accept requests whose Host is this name (repeatable; e.g. the public "
            "name behind a reverse proxy). Default: 127.0.0.1, localhost, ::1, plus "
            "BACKCHANNEL_ALLOWED_HOSTS.",
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin",
            help="Also accept state-changing requests from this origin, scheme://host[:port] "
            "(repeatable). Default: the served origin, plus BACKCHANNEL_ALLOWED_ORIGINS.",
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
    settings = _settings(allow_host or [], allow_origin or [])
    web = create_app(store, settings)
    console.print(
        f"backchannel dashboard on http://{host}:{port}/ "
        f"(store: {web.state.store.path}); Ctrl-C to stop"
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _settings(hosts: list[str], origins: list[str]) -> Settings:
    """The environment's settings with the hosts and origins of the command line added."""
    import dataclasses
    import ipaddress
    from urllib.parse import urlsplit

    from backchannel.web.settings import Settings

    def is_ip(h: str) -> bool:
        try:
            ipaddress.ip_address(h)
        except ValueError:
            return False
        return True

    for h in hosts:
        if not h or (not is_ip(h) and any(c in h for c in "/:@ [] \t")):
            raise InputError(
                f"--allow-host {h!r} is not a host name",
                source="--allow-host",
                fix="give a bare name such as team.example.org (no scheme, port or path)",
            )
    for o in origins:
        u = urlsplit(o)
        if u.scheme not in ("http", "https") or not u.hostname or u.path not in ("", "/"):
            raise InputError(
                f"--allow-origin {o!r} is not an origin",
                source="--allow-origin",
                fix="give scheme://host[:port], e.g. https://team.example.org",
            )
    base = Settings.from_env()
    return dataclasses.replace(
        base,
        allowed_hosts=(*base.allowed_hosts, *(h.lower() for h in hosts)),
        allowed_origins=(*base.allowed_origins, *(o.rstrip("/").lower() for o in origins)),
    )

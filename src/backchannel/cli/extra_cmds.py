"""Registers the command modules of the optional capabilities that exist."""

from __future__ import annotations

import importlib

for _name in (
    "import_cmds", "forecast_cmds", "backtest_cmds", "sweep_cmds", "report_cmds", "web_cmds",
):
    try:
        importlib.import_module(f"backchannel.cli.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - module not written yet
        if exc.name != f"backchannel.cli.{_name}":
            raise

"""The ``backchannel`` command line (typer + rich).

Each command group lives in its own module and registers itself on :data:`app`; this
module runs the app and handles errors: a usage error (unknown option or command, a value
of the wrong type) prints click's usage message and exits with code 2; bad input prints a
message naming file, place and fix and exits with code 2; a missing optional package names
the extra to install and exits with code 1. Never a traceback for any of these.

Command modules import only typer and rich at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from backchannel._extras import MissingExtra
from backchannel.cli import common

app = common.app


def _register() -> None:
    # imported for their side effect: each module adds its commands to `app`
    from backchannel.cli import (  # noqa: F401
        analysis_cmds,
        backtest_cmds,
        calibrate_cmds,
        case_cmds,
        forecast_cmds,
        import_cmds,
        report_cmds,
        scenario_cmds,
        sweep_cmds,
        timeline_cmds,
        web_cmds,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and exit."""
    _register()
    try:
        # standalone mode: typer/click print usage errors with the usage line and exit 2
        app(args=argv, prog_name="backchannel")
    except common.InputError as exc:
        common.print_input_error(exc)
        sys.exit(2)
    except MissingExtra as exc:
        common.err_console.print("[bold red]error:[/] " + escape(str(exc)), highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

"""The ``backchannel`` command line (typer + rich).

Each command group lives in its own module and registers itself on :data:`app`; this
module holds the app, the shared options and the error handling: bad input prints a
message naming file, place and fix, and exits with code 2 (never a traceback).
"""

from __future__ import annotations

import sys

import typer

from backchannel.cli import common

app = common.app


def _register() -> None:
    # imported for their side effect: each module adds its commands to `app`
    from backchannel.cli import (  # noqa: F401
        analysis_cmds,
        backtest_cmds,
        calibrate_cmds,
        forecast_cmds,
        import_cmds,
        report_cmds,
        scenario_cmds,
        sweep_cmds,
        web_cmds,
    )


def main() -> None:
    _register()
    try:
        app(standalone_mode=False)
    except common.InputError as exc:
        common.print_input_error(exc)
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except common.click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

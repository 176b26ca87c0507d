"""Misuse of the command line: usage errors exit 2 with click's usage message, huge or
deeply nested --set values give clear errors, never a traceback; --help imports nothing
heavy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backchannel import __version__
from backchannel.cli.app import main
from backchannel.scenario.errors import InputError
from backchannel.scenario.load import load_embedded
from backchannel.scenario.overrides import MAX_DEPTH, apply_overrides


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The real entry point in-process: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "--jsn"], "No such option: --jsn"),
        (["sweep", "--draws", "abc"], "Invalid value for '--draws'"),
        (["nope"], "No such command 'nope'"),
        (["analyze", "--format", "xml"], "Invalid value for '--format'"),
        (["analyze", "iran_us_2019", "extra"], "unexpected extra argument"),
        (["backtest", "deu"], "Missing argument"),
        (["forecast", "--rounds"], "requires an argument"),
        (["report", "--sweep-draws", "-3"], "Invalid value for '--sweep-draws'"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and message in err and "Error: " in err
    # click's usage line, except where click has no command context (an option's value
    # missing at the end of the line)
    assert err.startswith("Usage: backchannel") or args[-1] == "--rounds"
    assert "Traceback" not in err + out


def test_version_and_python_dash_m() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "backchannel", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and res.stdout.strip() == f"backchannel {__version__}"


def test_no_arguments_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert code == 2 and "Commands:" in out + err and "analyze" in out + err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "too large"),
        ("9" * 4000, "too large"),
        ("[" * 5000, "levels deep"),
        ("{a: " * 40 + "1" + "}" * 40, "levels deep"),
        ("x" * 20_000, "characters long"),
    ],
)
def test_huge_or_deep_set_values_are_clear_errors(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["analyze", "--set", f"usa.positions.nuclear.limit={value}"], capsys)
    assert code == 2 and message in " ".join(err.split())
    assert "Traceback" not in err and len(err) < 2000  # the value is not echoed in full


def test_set_values_within_the_bounds_still_work() -> None:
    sc = load_embedded()
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    with pytest.raises(InputError):  # accepted by the reader, refused by the schema
        apply_overrides(sc, [f"usa.agenda.requires={nested}"])
    out = apply_overrides(sc, ["usa.agenda.requires=[nuclear]", "usa.positions.nuclear.limit=55"])
    assert out.actor("usa").agenda.requires == ["nuclear"]
    assert out.actor("usa").positions["nuclear"].limit.value == 55  # type: ignore[union-attr]


HEAVY = ("numpy", "scipy", "cvxpy", "pandas", "plotly", "dask", "jinja2", "fastapi", "pydantic")


def _imported_after(code: str) -> set[str]:
    res = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return {m.split(".")[0] for m in json.loads(res.stdout.splitlines()[-1])}


def test_help_and_cli_import_load_nothing_heavy() -> None:
    help_run = (
        "from backchannel.cli.app import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    )
    for code in ("import backchannel.cli.app", "import backchannel", help_run):
        heavy = _imported_after(code) & set(HEAVY)
        assert not heavy, f"{code!r} imports {sorted(heavy)}"


def test_analyze_loads_no_optional_extra() -> None:
    run_analyze = (
        "from backchannel.cli.app import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['analyze'])\n    except SystemExit as e:\n"
        "        assert not e.code, e.code"
    )
    extras = {"pandas", "plotly", "dask", "distributed", "jinja2", "fastapi", "matplotlib"}
    assert not _imported_after(run_analyze) & extras

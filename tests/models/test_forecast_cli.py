"""`backchannel forecast` and `backchannel models` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backchannel.cli.forecast_cmds import parse_params
from backchannel.scenario.errors import InputError


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_forecast_json_has_outcome_per_issue_and_rounds() -> None:
    res = _cli("forecast", "--model", "eum", "--rounds", "3", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["model"] == "eum"
    assert set(data["outcome"]) == {
        "nuclear",
        "regional",
        "missiles",
        "armed_groups",
        "sanctions",
        "oil",
    }
    assert 2 <= len(data["rounds"]) <= 4
    assert set(data["anchors"]) == set(data["outcome"])


def test_forecast_table_and_models_listing() -> None:
    res = _cli("forecast", "-m", "nash")
    assert res.returncode == 0, res.stderr
    assert "Nuclear programme" in res.stdout and "nearest anchor" in res.stdout
    res = _cli("models", "--json")
    names = {m["name"] for m in json.loads(res.stdout)}
    assert {"compromise", "median", "nash", "eum"} <= names


@pytest.mark.parametrize(
    "args",
    [
        ("forecast", "-m", "nope"),
        ("forecast", "-m", "compromise", "--rounds", "3"),
        ("forecast", "-m", "nash", "-p", "foo=1"),
        ("forecast", "-m", "nash", "-p", "loss=cubic"),
    ],
)
def test_bad_input_exits_2_without_traceback(args: tuple[str, ...]) -> None:
    res = _cli(*args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "error" in res.stderr


def test_parse_params_types() -> None:
    assert parse_params(["a=1", "b=0.5", "c=true", "d=linear"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": "linear",
    }
    with pytest.raises(InputError):
        parse_params(["novalue"])

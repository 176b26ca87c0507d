"""The ``backchannel sweep`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _sweep_cases import two_party
from typer.testing import CliRunner

from backchannel.cli.app import _register, app
from backchannel.scenario import scenario_to_yaml

_register()
runner = CliRunner()


def test_sweep_json_on_the_embedded_scenario() -> None:
    args = ["sweep", "--draws", "3000", "--seed", "4", "--sobol", "16", "--workers", "1"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["draws"] == 3000 and d["seed"] == 4
    assert d["p_deal"]["estimate"] == 0.0
    assert set(d["p_deal"]) >= {"estimate", "se", "wilson95"}
    assert "compromise" in d["outcomes"]
    assert d["sensitivity"]["outputs"]["deal"]["ranking"]
    assert {c["name"] for c in d["inputs"]} >= {"usa.nuclear.limit", "oman.channel"}
    design = d["sensitivity_design"]
    assert design["n_base"] == 16 and design["evaluations"] == 16 * (design["inputs"] + 2)
    assert design["cap"] == 3000 and "within the 3,000 draws" in design["reason"]
    assert d["budget"] is None


def test_sweep_file_scenario_and_terminal_summary(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(scenario_to_yaml(two_party("{value: 40, range: [30, 60]}")))
    res = runner.invoke(
        app, ["sweep", str(path), "-n", "2000", "-m", "median", "--sobol", "32", "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "P(deal)" in res.stdout and "a.x.limit" in res.stdout
    assert "Sobol' design: --sobol 32 x (1 input + 2) = 96 evaluations" in res.stdout
    js = runner.invoke(
        app, ["sweep", str(path), "-n", "2000", "-m", "median", "--workers", "1", "--json"]
    )
    assert 0.6 < json.loads(js.stdout)["p_deal"]["estimate"] < 0.73


@pytest.mark.parametrize(
    "args",
    [
        ["--draws", "0"],
        ["--sobol", "100"],
        ["--model", "nope"],
        ["--correlation", "1.5"],
        ["--budget", "0"],
        ["--workers", "0"],
        ["--draws-out", "/proc/no-such-folder/draws.csv"],
    ],
)
def test_bad_options_are_input_errors(args: list[str]) -> None:
    from backchannel.scenario.errors import InputError

    res = runner.invoke(app, ["sweep", "-n", "100", *args])
    assert isinstance(res.exception, InputError), res.output


@pytest.mark.slow
def test_sweep_on_an_existing_dask_scheduler(dask_client: object) -> None:
    address = dask_client.scheduler.address  # type: ignore[attr-defined]
    args = ["sweep", "-n", "2500", "--seed", "8", "--sobol", "16", "--json"]
    dask = runner.invoke(app, [*args, "--engine", "dask", "--address", address])
    assert dask.exit_code == 0, dask.output
    local = runner.invoke(app, args)
    d, loc = json.loads(dask.stdout), json.loads(local.stdout)
    assert d.pop("engine")["engine"] == "dask" and loc.pop("engine")["engine"] == "local"
    assert d == loc


def test_single_chunk_on_dask_runs_locally_with_a_note() -> None:
    res = runner.invoke(app, ["sweep", "-n", "100", "--sobol", "0", "--engine", "dask", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["engine"]["engine"] == "local"
    assert any("ran locally" in n for n in d["notes"])


def test_scenario_without_veto_players_sweeps_forecasts_only(tmp_path: Path) -> None:
    path = tmp_path / "noveto.yaml"
    path.write_text("""
name: forecast only
issues: [{id: x, name: X}]
actors:
  - {id: a, name: A, kind: state, veto: false,
     positions: {x: {position: {value: 10, range: [0, 20]}, salience: 60}}}
  - {id: b, name: B, kind: state, veto: false, positions: {x: {position: 90}}}
""")
    res = runner.invoke(
        app,
        [
            "sweep",
            str(path),
            "-n",
            "1500",
            "-m",
            "compromise",
            "--sobol",
            "16",
            "--workers",
            "1",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["p_deal"] is None and d["slack"] is None
    assert set(d["sensitivity"]["outputs"]) == {"compromise.x"}
    q = d["outcomes"]["compromise"]["x"]
    # (60 a + 50 * 90) / 110 with a uniform on [0, 20]
    assert q["mean"] == pytest.approx((60 * 10 + 50 * 90) / 110, abs=0.2)
    assert q["q05"] < q["q50"] < q["q95"]


def test_a_budget_in_seconds_is_reported(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sweep", "-n", "1000000", "--budget", "1", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "budget 1 s:" in res.stdout and "of 1,000,000 draws" in res.stdout
    js = runner.invoke(app, ["sweep", "-n", "400", "--budget", "30", "--json"])
    d = json.loads(js.stdout)
    assert d["draws"] == 400 and d["budget"]["draws_requested"] == 400
    assert d["sensitivity_design"]["n_base"] == 8  # 8 x (25 inputs + 2) = 216 <= 400


def test_the_pool_of_processes_and_one_process_agree() -> None:
    args = ["sweep", "-n", "2100", "--seed", "3", "--sobol", "16", "-m", "compromise", "--json"]
    pool = runner.invoke(app, [*args, "--workers", "2"])
    one = runner.invoke(app, [*args, "--workers", "1"])
    assert pool.exit_code == 0 and one.exit_code == 0, pool.output + one.output
    p, o = json.loads(pool.stdout), json.loads(one.stdout)
    assert p.pop("engine") == {"engine": "local", "workers": 2}
    assert o.pop("engine") == {"engine": "local", "workers": 1}
    assert p == o

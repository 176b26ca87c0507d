"""The analyze / what-it-takes commands end to end, and --set what-if overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backchannel.scenario.overrides import COUNTERFACTUAL_2019

FLIP = [arg for a in COUNTERFACTUAL_2019 for arg in ("--set", a)]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_analyze_default_is_the_2019_case_and_json_has_the_contract() -> None:
    out = run("analyze", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["deal_possible"] is False
    assert {"actor", "issue", "kind"} <= set(d["blocking"][0])
    assert {m["name"]: m["role"] for m in d["mediators"]}["Oman (Yusuf bin Alawi)"] == (
        "communicator"
    )
    assert all({"name", "role", "can_open_zopa"} <= set(m) for m in d["mediators"])
    assert d["zopa"]["nuclear"]["empty"] is True
    assert d["zopa"]["sanctions"]["low"] == pytest.approx(45)


def test_set_overrides_flip_the_verdict() -> None:
    out = run("analyze", "--json", *FLIP)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["deal_possible"] is True


def test_human_output_names_the_verdict() -> None:
    out = run("analyze")
    assert out.returncode == 0
    assert "No deal reachable" in out.stdout
    assert "communicator" in out.stdout


def test_what_it_takes_json() -> None:
    out = run("what-it-takes", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["feasible_already"] is False
    assert d["concessions"] and d["total_cost"] > 0
    assert {"actor", "kind", "issue", "from", "to", "cost"} <= set(d["concessions"][0])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "nobody.x=1"], "neither an actor"),
        (["--set", "usa.positions.nuclear.salience=150"], "salience must lie in 0-100"),
        (["--set", "novalue"], "expected PATH=VALUE"),
        (["no_such_file.yaml"], "file not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], needle: str) -> None:
    out = run("analyze", *args)
    assert out.returncode == 2
    assert needle in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr


def test_many_veto_players_get_the_compact_zopa_table(tmp_path: Path) -> None:
    deu = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deu" / "deu3_dev.tsv"
    if not deu.exists():
        pytest.skip("shared data not present (../shared/data beside the repository)")
    out = tmp_path / "unanimity.yaml"
    imported = run("import", str(deu), "--issue", "n99056i1", "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    res = run("analyze", str(out))
    assert res.returncode == 0, res.stderr
    assert "highest floor" in res.stdout and "lowest ceiling" in res.stdout
    assert "Deal reachable" in res.stdout

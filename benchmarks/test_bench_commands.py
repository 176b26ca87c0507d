"""Whole commands, as a user runs them (interpreter start-up, imports, reading the input,
the model, printing), side by side with the peers' own programs on the same input, each
pair timed in the same run (median of ``RUNS`` runs each, alternating) and reported as a
ratio (ours / peer: below 1 we are faster).

Peers are not part of this repository and are skipped when absent (see README,
"Benchmarks", for how to install them outside it):

* D. Masad's Python replication of Scholz et al.'s expected-utility model
  (github dmasad/BDM_DecisionModel_Replication, converted to Python 3 with ``lib2to3``):
  folder ``BDM_REPLICATION_DIR`` (default ``/work/peers/bdm3``); the peer command is a
  minimal script that reads the EC case and runs 10 rounds (its repository has no CLI);
* KTAB's ``smpc`` (C++, github KAPSARC/KTAB, built with cmake): ``KTAB_SMPC``
  (default ``/work/peers/ktab/examples/smp/smpc``) on the China SOE reference case, with
  ``--logmin`` and a fresh SQLite file per run (smpc writes its run to a database);
* decide-exchange-model (Python, PyPI, GPL) in a virtual environment ``DECIDE_VENV``
  (default ``/work/peers/decide-venv``): its model classes driven for 10 rounds on COP21
  (its own CLI fails on the peewee version pip installs; see docs/peer-comparison.md).

Start-up alone (``--help``, ``analyze``): ``benchmarks/test_bench_startup.py``.

Run: ``.venv/bin/pytest benchmarks/test_bench_commands.py --benchmark-only -s``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from test_bench_exchange import DRIVER  # decide's classes for N rounds

BIN = Path(sys.executable).parent
CLI = [str(BIN / "backchannel")]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cases"
EC = DATA / "ec_emissions" / "ec_car_emissions_1994.csv"
SOE = DATA / "ktab_china_soe" / "SOE-Pol-Comp.csv"
COP21 = DATA / "cop21" / "cop21_decide_format.tsv"
BDM = Path(os.environ.get("BDM_REPLICATION_DIR", "/work/peers/bdm3"))
SMPC = Path(os.environ.get("KTAB_SMPC", "/work/peers/ktab/examples/smp/smpc"))
DECIDE = Path(os.environ.get("DECIDE_VENV", "/work/peers/decide-venv"))
RUNS = 5

BDM_SCRIPT = """
import csv, sys
sys.path.insert(0, sys.argv[1])
from GroupDecisionModel import Actor, Model
rows = list(csv.DictReader(open(sys.argv[2])))
actors = [Actor(r["Actor"], None, float(r["Position"]), float(r["Capability"]),
                float(r["Salience"]) / 100) for r in rows]
model = Model(actors, 10, 4)
for _ in range(10):
    model.run_model()
print(model.vote())
"""


def _run(cmd: list[str], cwd: Path | None = None, fresh: Path | None = None) -> float:
    """Wall time of ``cmd`` (after deleting ``fresh``, a file the command writes)."""
    if fresh is not None:
        fresh.unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)
    return time.perf_counter() - t


def _side_by_side(
    benchmark: Any,
    ours: list[str],
    peer: list[str],
    cwd: Path,
    fresh: Path | None = None,
    runs: int = RUNS,
) -> None:
    """Median wall time of both commands over ``runs`` alternating runs (after one warm-up
    each), ours as the benchmark's figure, the peer's and the ratio as extra info."""
    _run(ours, cwd)
    if runs > 1:
        _run(peer, cwd, fresh)
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(_run(ours, cwd))
        theirs.append(_run(peer, cwd, fresh))
    ratio = statistics.median(mine) / statistics.median(theirs)
    benchmark.extra_info.update(
        ours_s=statistics.median(mine), peer_s=statistics.median(theirs), ratio=ratio
    )
    benchmark.pedantic(lambda: _run(ours, cwd), rounds=1, iterations=1)
    print(
        f"\n{' '.join(ours[1:3])}: ours {statistics.median(mine):.3f} s, peer "
        f"{statistics.median(theirs):.3f} s, ratio {ratio:.2f}"
    )


def _imported(tmp: Path, source: Path, fmt: str) -> Path:
    out = tmp / f"{source.stem}.yaml"
    subprocess.run(
        [*CLI, "import", str(source), "--format", fmt, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.skipif(not (BDM / "GroupDecisionModel.py").exists(), reason=f"no replication in {BDM}")
def test_eum_ec_case_vs_masad(benchmark: Any, tmp_path: Path) -> None:
    case = _imported(tmp_path, EC, "table")
    ours = [*CLI, "forecast", str(case), "--model", "eum", "-p", "accept=strongest_challenge"]
    peer = [sys.executable, "-c", BDM_SCRIPT, str(BDM), str(EC)]
    _side_by_side(benchmark, ours, peer, tmp_path)


@pytest.mark.skipif(not SMPC.exists(), reason=f"no KTAB smpc at {SMPC}")
def test_spatial_soe_vs_ktab_smpc(benchmark: Any, tmp_path: Path) -> None:
    case = _imported(tmp_path, SOE, "ktab")
    ours = [*CLI, "forecast", str(case), "--model", "spatial"]
    db = tmp_path / "smpc.db"  # smpc records its run in SQLite; --logmin: the least it can
    peer = [str(SMPC), "--csv", str(SOE), "--logmin", "--connstr", f"Driver=QSQLITE;Database={db}"]
    _side_by_side(benchmark, ours, peer, tmp_path, fresh=db)


@pytest.mark.skipif(
    not (DECIDE / "bin" / "python").exists(), reason=f"no decide-exchange-model in {DECIDE}"
)
def test_exchange_cop21_vs_decide(benchmark: Any, tmp_path: Path) -> None:
    case = _imported(tmp_path, COP21, "decide")
    ours = [*CLI, "forecast", str(case), "--model", "exchange", "--rounds", "10"]
    peer = [str(DECIDE / "bin" / "python"), "-c", DRIVER, str(COP21), "10"]
    _side_by_side(benchmark, ours, peer, tmp_path, runs=1)  # decide: ~10-20 s a run

"""The expected-utility model against the public Python replication of Scholz, Calbert &
Smith (2011) by D. Masad (github dmasad/BDM_DecisionModel_Replication), on the EC
car-emission case (N = 10) and on synthetic cases (N = 30, 100), 10 rounds each.

The replication is not part of this repository, and is Python 2 code: put a folder holding
its ``GroupDecisionModel.py`` converted to Python 3 (``python -m lib2to3 -w``, nothing else
changed) in ``BDM_REPLICATION_DIR`` (default ``/work/peers/bdm3``) to time it; it runs in a separate
process and is skipped when absent. Our model uses the same rule
(``accept="strongest_challenge"``, ``probability="net"``), with which both agree round by
round (tests/models/test_eum.py).

Run: ``.venv/bin/pytest benchmarks/test_bench_eum_peer.py --benchmark-only``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backchannel.models.eum import expected_utility

PEER = Path(os.environ.get("BDM_REPLICATION_DIR", "/work/peers/bdm3"))
EC = Path(__file__).resolve().parents[2] / "shared" / "data" / "cases" / "ec_emissions"
ROUNDS = 10

# Times ROUNDS rounds of the replication's own Model class (excluding interpreter start-up).
DRIVER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from GroupDecisionModel import Actor, Model
x, c, s, lo, hi, rounds = json.loads(sys.stdin.read())
t = time.perf_counter()
model = Model([Actor(str(i), None, x[i], c[i], s[i]) for i in range(len(x))], hi, lo)
for _ in range(rounds):
    model.run_model()
print(time.perf_counter() - t)
"""


def ec_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with (EC / "ec_car_emissions_1994.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    col = [[float(r[k]) for r in rows] for k in ("Position", "Capability", "Salience")]
    return tuple(np.array(c)[:, None] for c in col)  # type: ignore[return-value]


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(4, 10, (n, 1)),
        rng.uniform(0.01, 0.2, (n, 1)),
        rng.uniform(10, 100, (n, 1)),
    )


# (seed 0 at N = 30 makes the replication divide by zero in its risk formula; ours copes)
CASES = {"ec10": ec_case, "n30": lambda: synthetic(30, seed=1), "n100": lambda: synthetic(100)}


def ours(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> Any:
    return expected_utility(
        x,
        s,
        c,
        lo=np.array([4.0]),
        hi=np.array([10.0]),
        rounds=ROUNDS,
        accept="strongest_challenge",
        probability="net",
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_eum_ours(benchmark: Any, case: str) -> None:
    x, c, s = CASES[case]()
    benchmark.pedantic(ours, args=(x, c, s), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_eum_peer(benchmark: Any, case: str) -> None:
    if not (PEER / "GroupDecisionModel.py").exists():
        pytest.skip(f"replication not found in {PEER} (set BDM_REPLICATION_DIR)")
    x, c, s = CASES[case]()
    payload = json.dumps(
        [x[:, 0].tolist(), c[:, 0].tolist(), (s[:, 0] / 100).tolist(), 4.0, 10.0, ROUNDS]
    )

    def run() -> float:
        out = subprocess.run(
            [sys.executable, "-c", DRIVER, str(PEER)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    seconds = [run() for _ in range(3)]
    benchmark.extra_info["peer_seconds_min"] = min(seconds)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    print(f"\npeer {case}: min {min(seconds):.4f} s over 3 runs (in-process timing)")

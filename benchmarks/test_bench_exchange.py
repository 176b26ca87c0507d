"""Exchange model timings: synthetic N = 10, 100, 1000 actors (4 issues, seeded), COP21, and
the decide-exchange-model reference implementation on COP21 when it is installed in the
virtual environment ``DECIDE_VENV`` (default /work/peers/decide-venv; GPL; kept outside
this repository and run as a separate process).

Run: ``.venv/bin/pytest benchmarks/test_bench_exchange.py --benchmark-only``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from exchange_spatial_cases import COP21, read_decide

from backchannel.models.exchange import exchange_model

DECIDE_PY = Path(os.environ.get("DECIDE_VENV", "/work/peers/decide-venv")) / "bin" / "python"
ROUNDS = 10

# Drives decide's own classes (equal gain, p = 0) for ROUNDS rounds; decide's CLI cannot
# run here because its SQLite observer fails with the peewee version pip installs.
DRIVER = """
import random, sys
from decide.data.reader import InputDataFile
from decide.data.modelfactory import ModelFactory
from decide.model import equalgain
from decide.model.utils import ModelLoop

class Quiet:
    def __getattr__(self, name):
        return lambda *a, **k: None

random.seed(0)
model = ModelFactory(InputDataFile.open(sys.argv[1])).create(
    model_klass=equalgain.EqualGainModel, randomized_value=None)
loop = ModelLoop(model, Quiet(), 0)
for _ in range(int(sys.argv[2])):
    loop.loop()
print({str(i.name): float(v) for i, v in model.nbs.items()})
"""


def synthetic(n: int, k: int = 4, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 100, (n, k)), rng.uniform(10, 100, (n, k)), rng.uniform(0.5, 2, (n, k)))


@pytest.mark.parametrize("n", [10, 100, 1000])
def test_exchange_synthetic(benchmark: Any, n: int) -> None:
    x, s, c = synthetic(n)
    k = x.shape[1]
    out = benchmark.pedantic(
        exchange_model,
        args=(x, s, c),
        kwargs={"lo": np.zeros(k), "hi": np.full(k, 100.0), "max_rounds": ROUNDS},
        rounds=1 if n >= 1000 else 3,
        iterations=1,
    )
    assert out.rounds is not None


@pytest.mark.skipif(not COP21.exists(), reason="shared data not present")
def test_exchange_cop21(benchmark: Any) -> None:
    _, issues, x, s, c = read_decide(COP21)
    k = len(issues)
    out = benchmark(
        exchange_model,
        x,
        s,
        c,
        lo=np.zeros(k),
        hi=np.full(k, 100.0),
        max_rounds=ROUNDS,
        carryover="decide",
        salience_max=1.0,
    )
    assert len(out.diagnostics["exchanges_per_round"]) == ROUNDS


@pytest.mark.skipif(
    not (DECIDE_PY.exists() and COP21.exists()),
    reason=f"decide-exchange-model not installed in {DECIDE_PY.parents[1]}",
)
def test_decide_cop21(benchmark: Any, tmp_path: Path) -> None:
    """Same input and number of rounds; includes interpreter start-up (about 0.3 s)."""
    driver = tmp_path / "run_decide.py"
    driver.write_text(DRIVER)

    def run() -> str:
        return subprocess.run(
            [str(DECIDE_PY), str(driver), str(COP21), str(ROUNDS)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    out = benchmark.pedantic(run, rounds=1, iterations=1)
    assert "differentiation" in out

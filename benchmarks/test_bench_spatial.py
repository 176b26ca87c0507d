"""KTAB-style SMP timings: one bargaining turn at N = 10, 100, 300 actors (2 dimensions,
seeded; the turn is O(N^3) because every challenge weighs every third party) and the full
China SOE reference run (13 actors, 27 turns) in the default mode and with ``ktab_exact``.

Run: ``.venv/bin/pytest benchmarks/test_bench_spatial.py --benchmark-only``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from exchange_spatial_cases import KTAB_SOE, read_ktab_csv

from backchannel.models.spatial import bargain_turn, spatial_model


@pytest.mark.parametrize("n", [10, 100, 300])
def test_spatial_one_turn(benchmark: Any, n: int) -> None:
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 1, (n, 2))
    sal = rng.uniform(0.1, 0.5, (n, 2))
    cap = rng.uniform(10, 100, n)
    new, _ = benchmark.pedantic(
        bargain_turn, args=(pos, sal, cap), rounds=1 if n >= 300 else 3, iterations=1
    )
    assert new.shape == pos.shape


@pytest.mark.skipif(not (KTAB_SOE / "SOE-Pol-Comp.csv").exists(), reason="no shared data")
@pytest.mark.parametrize("ktab_exact", [False, True])
def test_spatial_soe_reference_run(benchmark: Any, ktab_exact: bool) -> None:
    """The default mode (canonical order, tolerances) against KTAB's exact rules."""
    _, cap, pos, sal = read_ktab_csv(KTAB_SOE / "SOE-Pol-Comp.csv")
    out = benchmark(
        spatial_model,
        pos,
        sal,
        np.broadcast_to(cap[:, None], pos.shape),
        lo=np.zeros(2),
        hi=np.full(2, 100.0),
        ktab_exact=ktab_exact,
    )
    assert out.rounds is not None and len(out.rounds) == 28

"""Imported once by the worker processes' forkserver (:data:`.worker.PRELOAD`): analyses,
forecasts and sweeps the embedded case once, so that the libraries the computations
import lazily (cvxpy, SciPy's statistics, SALib) and their caches are loaded in the
forkserver, not again in every child it forks. Then it moves everything loaded so far
out of the garbage collector's reach (``gc.freeze``): otherwise each child's first full
collection walks (and copies, page by page) the whole inherited heap, about 0.2 s."""

from __future__ import annotations

import gc


def warm() -> None:
    from backchannel.report.collect import run_analysis, run_outcomes, run_sweep
    from backchannel.scenario.load import load_embedded

    sc = load_embedded()
    run_analysis(sc)
    run_outcomes(sc)
    run_sweep(sc, 64, 0, n_base=8)


try:
    warm()
except Exception:
    pass
gc.collect()
gc.freeze()

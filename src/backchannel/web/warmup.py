"""Imported once by the worker processes' forkserver (:data:`.worker.PRELOAD`): loads the
modules the computations import lazily (the analysis, the models, the report; cvxpy,
HiGHS, SciPy's optimisation and statistics, SALib), so that the children it forks do not
import them again (about 1.5 s each). It only imports: running a solver here would start
native solver threads, and a process forked from one with running threads can deadlock
(HiGHS does). Then it moves everything loaded out of the garbage collector's reach
(``gc.freeze``), so a child's first full collection does not walk (and copy, page by
page) the inherited heap."""

from __future__ import annotations

import gc
import importlib

LAZY = (
    "backchannel.analysis",
    "backchannel.models",
    "backchannel.report",
    "cvxpy",
    "highspy",
    "scipy.optimize",
    "scipy.stats",
    "SALib.sample.sobol",
    "SALib.analyze.sobol",
    "backchannel.engine.sweep",
    "backchannel.engine.sensitivity",
    "backchannel.report.figures",
)

for name in LAZY:
    try:
        importlib.import_module(name)
    except ImportError:  # an optional library: its children import it (or not) themselves
        pass
gc.collect()
gc.freeze()

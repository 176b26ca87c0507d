"""Uncertainty: Monte Carlo sweeps, Sobol' sensitivity, and scale-out on Dask.

* :mod:`.sampling`: the uncertain inputs of a scenario as columns, drawn (B, D) at once;
* :mod:`.batch`: one chunk of draws through feasibility and the forecast models;
* :mod:`.executors`: local or Dask execution, results in chunk order;
* :mod:`.sweep`: :func:`run_sweep` and its :class:`SweepResult`;
* :mod:`.sensitivity`: Sobol' indices, tornado data and :func:`tornado_figure`.
"""

from backchannel.engine.executors import DaskExecutor, LocalExecutor
from backchannel.engine.sampling import SamplingPlan, sampling_plan
from backchannel.engine.sensitivity import SensitivityResult, tornado_figure
from backchannel.engine.sweep import SweepResult, run_sweep

__all__ = [
    "DaskExecutor",
    "LocalExecutor",
    "SamplingPlan",
    "SensitivityResult",
    "SweepResult",
    "run_sweep",
    "sampling_plan",
    "tornado_figure",
]

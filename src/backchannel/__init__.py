"""backchannel: analyse and forecast multi-actor negotiations.

Can a deal happen, what will it look like, what would it take, what can a mediator do?
The public API (:mod:`backchannel.api`) is importable from here::

    import backchannel as bc

    sc = bc.load("iran_us_2019")
    bc.analyze(sc)                     # verdict with its reasons
    bc.forecast(sc, "eum").to_frame()  # positions per round as a pandas frame

Names are imported on first use, so ``import backchannel`` (and the CLI's ``--help``)
stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel._lazy import attach

__version__ = "0.1.0"

if TYPE_CHECKING:
    from backchannel._extras import MissingExtra
    from backchannel.analysis import Analysis, Concessions
    from backchannel.api import (
        analyze,
        backtest,
        backtest_cases,
        cases,
        dumps,
        evaluate,
        forecast,
        forecast_models,
        html_report,
        import_file,
        load,
        loads,
        scenario_from_frame,
        scenarios,
        schema,
        stages,
        sweep,
        timeline,
        to_frame,
        what_if,
        what_it_takes,
    )
    from backchannel.dynamics.stages import StagesResult
    from backchannel.dynamics.timeline import TimelineResult
    from backchannel.engine.sweep import SweepResult
    from backchannel.models.base import Forecast, ModelSpec
    from backchannel.models.params import Param
    from backchannel.scenario.errors import InputError
    from backchannel.scenario.schema import Scenario
    from backchannel.validation.backtest import BacktestResult

_CLASSES = {
    "Analysis": "backchannel.analysis",
    "BacktestResult": "backchannel.validation.backtest",
    "Concessions": "backchannel.analysis",
    "Forecast": "backchannel.models.base",
    "InputError": "backchannel.scenario.errors",
    "MissingExtra": "backchannel._extras",
    "ModelSpec": "backchannel.models.base",
    "Param": "backchannel.models.params",
    "Scenario": "backchannel.scenario.schema",
    "StagesResult": "backchannel.dynamics.stages",
    "SweepResult": "backchannel.engine.sweep",
    "TimelineResult": "backchannel.dynamics.timeline",
}
__all__ = [
    "Analysis",
    "BacktestResult",
    "Concessions",
    "Forecast",
    "InputError",
    "MissingExtra",
    "ModelSpec",
    "Param",
    "Scenario",
    "StagesResult",
    "SweepResult",
    "TimelineResult",
    "__version__",
    "analyze",
    "backtest",
    "backtest_cases",
    "cases",
    "dumps",
    "evaluate",
    "forecast",
    "forecast_models",
    "html_report",
    "import_file",
    "load",
    "loads",
    "scenario_from_frame",
    "scenarios",
    "schema",
    "stages",
    "sweep",
    "timeline",
    "to_frame",
    "what_if",
    "what_it_takes",
]
# every other public name is a function of backchannel.api
_NAMES = {
    **{n: "backchannel.api" for n in __all__ if n not in _CLASSES and n != "__version__"},
    **_CLASSES,
}
__getattr__, __dir__ = attach(__name__, _NAMES)

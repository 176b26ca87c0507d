"""A negotiation in time: timelines of dated events, windows of opportunity, escalation as
a hazard, and staged (interim-first) agreements.

* :func:`run_timeline` (:mod:`.timeline`): the analysis at every date of a scenario's
  ``timeline``, windows of opportunity and what closed them; ``TimelineResult.to_dict()``
  is the JSON of ``backchannel timeline --json`` and what the dashboard draws (with
  :func:`backchannel.report.figures.timeline_figure`).
* :func:`find_stages` (:mod:`.stages`): interim agreements that make a comprehensive one
  feasible at the next stage, or why none does; :func:`final_stage_scenario`: the scenario
  as a path's first step leaves it.

Imported lazily: ``import backchannel.dynamics`` loads neither the solver nor the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backchannel.dynamics.stages import (
        StagesResult,
        final_stage_scenario,
        find_stages,
    )
    from backchannel.dynamics.timeline import TimelineResult, run_timeline

__all__ = ["StagesResult", "TimelineResult", "final_stage_scenario", "find_stages", "run_timeline"]

_WHERE = {
    "StagesResult": "stages",
    "final_stage_scenario": "stages",
    "find_stages": "stages",
    "TimelineResult": "timeline",
    "run_timeline": "timeline",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"backchannel.dynamics.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'backchannel.dynamics' has no attribute {name!r}")

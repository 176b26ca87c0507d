"""A negotiation in time: timelines of dated events, windows of opportunity, escalation as
a hazard, and staged (interim-first) agreements.

* :func:`run_timeline` (:mod:`.timeline`): the analysis at every date of a scenario's
  ``timeline``, windows of opportunity and what closed them; ``TimelineResult.to_dict()``
  is the JSON of ``backchannel timeline --json`` and what the dashboard draws.
* :func:`find_stages` (:mod:`.stages`): interim agreements that make a comprehensive one
  feasible at the next stage, or why none does.
"""

from backchannel.dynamics.timeline import TimelineResult, run_timeline

__all__ = ["TimelineResult", "run_timeline"]

"""Feasibility analysis, mediation and what-it-takes (capabilities 2, 4 and 5)."""

from backchannel.analysis.concessions import (
    Concession,
    Concessions,
    apply_concessions,
    what_it_takes,
)
from backchannel.analysis.feasibility import BatchFeasibility, feasibility_batch
from backchannel.analysis.verdict import Analysis, analyze

__all__ = [
    "Analysis",
    "BatchFeasibility",
    "Concession",
    "Concessions",
    "analyze",
    "apply_concessions",
    "feasibility_batch",
    "what_it_takes",
]

"""Self-contained HTML report: verdict, positions, win-sets/ZOPA, concessions, mediators,
forecast rounds and sweep results, with plotly charts inlined (see :mod:`.html`)."""

from __future__ import annotations

from collections.abc import Callable

from backchannel.report.collect import ReportData, collect
from backchannel.scenario.schema import Scenario


def build_report(
    scenario: Scenario,
    *,
    model: str | None = None,
    sweep_draws: int = 0,
    seed: int = 0,
    timeline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, ReportData]:
    """Compute every section for ``scenario`` and render the HTML; returns (html, data).
    ``timeline``: also the analysis at every date of its timeline; ``progress(step)`` is
    called as each step starts."""
    from backchannel.report.html import render

    data = collect(
        scenario,
        model=model,
        sweep_draws=sweep_draws,
        seed=seed,
        timeline=timeline,
        progress=progress,
    )
    if progress is not None:
        progress("rendering the HTML")
    return render(data), data


__all__ = ["ReportData", "build_report", "collect"]

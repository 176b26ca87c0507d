"""Self-contained HTML report: verdict, positions, win-sets/ZOPA, concessions, mediators,
forecast rounds and sweep results, with plotly charts inlined (see :mod:`.html`)."""

from __future__ import annotations

from backchannel.report.collect import ReportData, collect
from backchannel.scenario.schema import Scenario


def build_report(
    scenario: Scenario,
    *,
    model: str | None = None,
    sweep_draws: int = 0,
    seed: int = 0,
    timeline: bool = False,
) -> tuple[str, ReportData]:
    """Compute every section for ``scenario`` and render the HTML; returns (html, data)."""
    from backchannel.report.html import render

    data = collect(scenario, model=model, sweep_draws=sweep_draws, seed=seed, timeline=timeline)
    return render(data), data


__all__ = ["ReportData", "build_report", "collect"]

"""The report's uncertainty section from a (small) Monte Carlo sweep."""

from __future__ import annotations

from backchannel.report import build_report
from backchannel.scenario.load import load_embedded


def test_sweep_section_shows_p_deal_and_distributions() -> None:
    html, data = build_report(load_embedded(), sweep_draws=200, seed=3)
    assert data.sweep.ok, data.sweep.missing
    p = data.sweep.data["p_deal"]["estimate"]
    assert f"{100 * p:.1f}%" in html and "probability of a deal" in html
    assert 'id="fig-dist"' in html
    assert p == 0.0 and "same in every draw" in html  # 2019: no draw opens a deal
    again, _ = build_report(load_embedded(), sweep_draws=200, seed=3)
    strip = lambda s: s.split("generated")[1]  # noqa: E731  (the timestamp differs)
    assert strip(again) == strip(html)  # seeded: same report

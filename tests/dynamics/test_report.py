"""The report's timeline section: the chart and the windows, on request."""

from __future__ import annotations

from backchannel.report import build_report
from backchannel.report.figures import timeline_figure
from backchannel.scenario.load import parse_scenario

from .cases import toy_yaml

TOY = toy_yaml(hardens="X <b>hardens</b>")


def test_the_timeline_section_has_its_chart_and_windows() -> None:
    html, data = build_report(parse_scenario(TOY), timeline=True)
    assert data.timeline.ok
    assert "When was a deal possible? The timeline" in html and 'id="fig-timeline"' in html
    assert "2020-06-15" in html and "accepts 50 to 100" in html
    assert "X <b>hardens</b>" not in html  # event names are text, never markup
    assert "X &lt;b&gt;hardens&lt;/b&gt;" in html


def test_without_the_option_the_section_says_how_to_get_it() -> None:
    html, data = build_report(parse_scenario(TOY))
    assert not data.timeline.ok and "--timeline" in html and 'id="fig-timeline"' not in html


def test_the_chart_marks_events_and_shades_windows() -> None:
    from backchannel.dynamics import run_timeline

    fig = timeline_figure(run_timeline(parse_scenario(TOY)).to_dict())
    names = [t.name for t in fig.data]
    assert names == ["deal feasible (1) or not (0)", "P(escalation) since the start", "events"]
    assert len(fig.layout.shapes) == 1  # the one window, shaded

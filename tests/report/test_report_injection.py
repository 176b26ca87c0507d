"""Script injection into the HTML report: a scenario with a payload in every free-text
field (the dashboard's tests share it, tests/web/payloads.py) is rendered with a sweep
and opened in headless Chromium; nothing may run, every payload must show as text."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from backchannel.report import build_report
from backchannel.scenario.load import atomic_write, scenario_from_data

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location(
    "payloads", Path(__file__).resolve().parents[1] / "web" / "payloads.py"
)
assert _spec is not None and _spec.loader is not None
payloads: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(payloads)

INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      if (a.startsWith('on')) bad.push(`${el.tagName} ${a}`);
      if (['href', 'src', 'action', 'formaction', 'data'].includes(a)
          && /^\\s*(javascript|data):/i.test(el.getAttribute(a))) bad.push(`${el.tagName} ${a}`);
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'IMG', 'VIDEO', 'AUDIO', 'BASE', 'LINK', 'MARQUEE',
         'KEYGEN', 'FORM', 'MATH', 'TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName))
      bad.push(el.tagName);
  }
  return bad;
}"""


@pytest.mark.parametrize("offset", [0, 7])
def test_no_payload_runs_in_the_report(tmp_path: Path, offset: int) -> None:
    from backchannel.web.headless import chromium_context

    raw = payloads.hostile_scenario(offset)
    scenario = scenario_from_data(raw, "<hostile>")
    html, data = build_report(scenario, sweep_draws=200, seed=0)
    assert data.analysis.ok and data.sweep.ok, (data.analysis.missing, data.sweep.missing)
    report = tmp_path / "report.html"
    atomic_write(report, html)
    with chromium_context(viewport={"width": 1200, "height": 900}) as ctx:
        page = ctx.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.as_uri())
        page.wait_for_selector("#fig-positions .main-svg")
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        page.hover("#fig-positions .main-svg")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None, "an injected script ran"
        injected = page.evaluate(INJECTED)
        text = page.evaluate("document.body.textContent")
        scripts = page.evaluate("document.scripts.length")
    assert dialogs == [] and injected == []
    assert scripts == html.count("<script")  # no script element came from the data
    # what the report shows of the scenario's text is there, as text
    shown = [raw["name"], raw["description"], *raw["sources"].values(), *raw["sources"]]
    shown += [i["name"] for i in raw["issues"]] + [a["name"] for a in raw["actors"]]
    shown += [an["label"] for i in raw["issues"] for an in i["anchors"]]
    missing = [p for p in shown if p not in text]
    assert missing == [], f"payloads missing from the report: {missing}"

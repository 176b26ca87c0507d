"""The report renders in headless Chromium (system /usr/bin/chromium via Playwright)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from backchannel.report import build_report
from backchannel.scenario.load import atomic_write, load_embedded

pytestmark = pytest.mark.browser

# draws the PNG on a canvas in the page and measures it: share of non-white pixels and
# number of distinct (quantised) colours; no image library needed
_MEASURE = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const g = c.getContext("2d"); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let ink = 0; const colours = new Set();
  for (let i = 0; i < d.length; i += 16) {
    if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
    colours.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4));
  }
  return {ink: ink / (d.length / 16), colours: colours.size, w: c.width, h: c.height};
}"""


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    from backchannel.web.headless import chromium_context

    html, data = build_report(load_embedded(), seed=0)
    report = tmp_path / "report.html"
    atomic_write(report, html)
    shot = tmp_path / "report.png"
    with chromium_context(viewport={"width": 1200, "height": 900}) as ctx:
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_selector("#fig-positions .main-svg")
        if data.analysis.ok:
            page.wait_for_selector("#fig-zopa .main-svg")
            assert "No deal is reachable" in page.text_content("#verdict-box")
        text = page.inner_text("body")
        page.screenshot(path=str(shot), full_page=True)
        stats = page.evaluate(_MEASURE, base64.b64encode(shot.read_bytes()).decode())
        # printable: the print stylesheet is valid and the PDF has pages
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4")
    assert not errors, errors
    assert shot.stat().st_size > 50_000
    assert stats["h"] > 2000 and stats["ink"] > 0.03 and stats["colours"] > 20
    for key in (
        "Can a deal happen?",
        "Nuclear programme",
        "Positions, salience and capability",
        "What would it take?",
    ):
        assert key in text
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3

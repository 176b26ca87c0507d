"""Script injection: a scenario with a payload in every free-text field (and one in the
uploaded file's name, one typed into a cell) goes through every view of the dashboard in
headless Chromium, with the page's Content-Security-Policy bypassed so that only the
escaping protects it. Nothing may run; every payload must show as plain text."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import LiveServer
from payloads import PAYLOADS, hostile_scenario

pytestmark = pytest.mark.browser

# elements or attributes that only an injected payload would have put in the page
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      if (a.startsWith('on')) bad.push(`${el.tagName} ${a}`);
      if (['href', 'src', 'action', 'formaction', 'data'].includes(a)
          && /^\\s*(javascript|data):/i.test(el.getAttribute(a))) bad.push(`${el.tagName} ${a}`);
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'IMG', 'VIDEO', 'AUDIO', 'BASE', 'META', 'LINK', 'MARQUEE',
         'KEYGEN', 'FORM', 'MATH'].includes(el.tagName)
        && !(el.tagName === 'META'
             && ['charset', 'viewport', 'csrf-token'].some((k) => el.outerHTML.includes(k)))
        && !(el.tagName === 'LINK' && el.getAttribute('rel') === 'stylesheet')
        && !(el.tagName === 'FORM' && ['save-form', 'job-form'].includes(el.id)))
      bad.push(el.tagName);
    if (el.tagName === 'SCRIPT' && !/\\/static\\//.test(el.src || '')) bad.push('inline SCRIPT');
  }
  return bad;
}"""


def open_everything(page: Any) -> None:
    """Open every collapsed group (the form fills a group when it opens, which may hold
    more groups)."""
    page.locator("#editor details > summary").first.click()  # one by hand, the rest at once
    for _ in range(20):
        n = page.evaluate(
            "() => { const c = [...document.querySelectorAll('details:not([open])')];"
            " c.forEach((d) => { d.open = true; }); return c.length; }"
        )
        page.wait_for_timeout(50)  # the toggle events fill the opened groups
        if n == 0:
            return
    raise AssertionError("groups keep appearing")


def test_no_payload_runs_in_any_dashboard_view(
    live: LiveServer, browser_page: Any, tmp_path: Any
) -> None:
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    scenario = hostile_scenario()
    upload = tmp_path / f"{PAYLOADS[1].replace('/', '')}.yaml"  # a payload as the file name
    upload.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    page.set_input_files("#upload", str(upload))
    page.wait_for_selector("#upload-msg.ok")
    page.wait_for_selector("#verdict-panel.deal, #verdict-panel.nodeal")
    page.wait_for_selector("#facets .facet .main-svg")
    assert page.text_content("#scenario-name") == scenario["name"]  # shown as text
    assert PAYLOADS[1].replace("/", "") in page.text_content("#scenario-source")
    open_everything(page)
    page.wait_for_function("document.getElementById('takes-status').textContent === ''")
    # the job views: a forecast and a small sweep of the hostile scenario
    page.click("#run-forecast")
    page.wait_for_selector("#fig-rounds .main-svg")
    page.fill("#draws", "200")
    page.click("#run-sweep")
    page.wait_for_selector("#p-deal")
    # a payload typed into a cell: marked invalid in place, with its description line
    cell = page.locator('#grid .tabulator-cell[data-cell="a|c0_sal"]')
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(PAYLOADS[0])
    page.keyboard.press("Enter")
    page.wait_for_selector('#grid .tabulator-cell.invalid[data-cell="a|c0_sal"]')
    cell.click()
    page.keyboard.press("Control+Z")
    page.wait_for_selector("#grid .invalid", state="detached")
    # an error message that echoes what was typed
    page.fill("#draws", PAYLOADS[2])
    page.click("#run-sweep")
    page.wait_for_selector("#job-error:has-text('draws: must be a whole number')")
    assert PAYLOADS[2][:19] in page.text_content("#job-error")
    # saved, listed, and its history shown
    page.fill("#save-name", "hostile")
    page.keyboard.press("Enter")
    page.wait_for_selector("#save-msg.ok")
    page.hover("#facets .facet .main-svg")
    page.wait_for_timeout(300)
    # Tabulator shows header tooltips as HTML: hover the sub-columns of a hostile issue
    page.hover('#grid .tabulator-col[tabulator-field="c0_pos"]')
    page.wait_for_selector(".tabulator-tooltip")
    assert scenario["issues"][0]["name"] in page.text_content(".tabulator-tooltip")
    assert page.evaluate("window.__xss") is None, "an injected script ran"
    assert dialogs == []
    assert page.evaluate(INJECTED) == []
    shown_text = page.evaluate(
        "document.body.textContent + [...document.querySelectorAll('input, textarea')]"
        ".map((e) => e.value).join('\\n')"
    )
    missing = [p for p in PAYLOADS if p not in shown_text]
    assert missing == [], f"payloads missing from the page: {missing}"

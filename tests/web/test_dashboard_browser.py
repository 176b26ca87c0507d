"""End-to-end: the dashboard in headless Chromium (system /usr/bin/chromium via Playwright).

The essay's counterfactual (tests/analysis: a US that accepts limits instead of
dismantlement, a nuclear-only agenda, pressure as an instrument) typed into the table
flips the 2019 verdict; the edit survives a save and a reload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.browser


def edit(page: Any, selector: str, value: str) -> None:
    box = page.locator(selector)
    box.fill(value)
    box.press("Tab")


def test_edit_flips_verdict_then_save_and_reload(live_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(live_server)
    page.wait_for_selector("#verdict-panel.nodeal")
    assert "No deal" in page.inner_text("#verdict")
    assert page.locator('[data-cell="usa|nuclear|limit"]').input_value() == "5"

    # a bad value is reported at the cell, the verdict is withheld, nothing is lost
    edit(page, '[data-cell="usa|nuclear|limit"]', "abc")
    page.wait_for_selector('[data-cell="usa|nuclear|limit"].invalid')
    assert "number" in page.inner_text('[id="err-usa|nuclear"]')
    assert "Fix the highlighted input" in page.text_content("#verdict-badge")

    # the essay's counterfactual US
    edit(page, '[data-cell="usa|nuclear|limit"]', "55")
    for issue in ("regional", "missiles", "armed_groups"):
        page.locator(f'[data-agenda="usa|{issue}"]').select_option("")
    edit(page, '[data-nodeal="usa|no_deal|adjustment"]', "-0.1")
    edit(page, '[data-nodeal="usa|no_deal|trend"]', "-0.01")
    edit(page, '[data-cell="usa|sanctions|salience"]', "50")
    edit(page, '[data-cell="usa|oil|salience"]', "30")
    page.wait_for_selector("#verdict-panel.deal")
    assert "Deal reachable" in page.inner_text("#verdict")
    assert page.locator(".invalid").count() == 0
    page.wait_for_selector("#fig-zopa .main-svg")

    # the edited scenario downloads as YAML
    with page.expect_download() as download:
        page.click("#export-yaml")
    exported = yaml.safe_load(Path(download.value.path()).read_text("utf-8"))
    assert next(a for a in exported["actors"] if a["id"] == "usa")["agenda"]["requires"] == [
        "nuclear"
    ]

    # save, reload, find the change
    page.fill("#save-name", "us accepts limits")
    page.click("#save-btn")
    page.wait_for_selector("#save-msg.ok")
    assert "version 1" in page.inner_text("#save-msg")
    saved = yaml.safe_load(
        page.request.get(
            live_server + "api/yaml", params={"source": "saved", "name": "us accepts limits"}
        ).text()
    )
    us = next(a for a in saved["actors"] if a["id"] == "usa")
    assert us["positions"]["nuclear"]["limit"] == 55  # its old range [0, 15] is dropped
    assert us["agenda"]["requires"] == ["nuclear"]
    page.reload()
    page.wait_for_selector("#verdict-panel.deal")
    assert page.locator('[data-cell="usa|nuclear|limit"]').input_value() == "55"
    assert page.locator('[data-agenda="usa|regional"]').input_value() == ""
    assert "us accepts limits" in page.inner_text("#saved-list")

    # the unchanged embedded scenario is one click away and still says no deal
    page.click('#embedded-list a[data-name="iran_us_2019"]')
    page.wait_for_selector("#verdict-panel.nodeal")

    # a forecast run shows its round-by-round chart
    page.click("#run-forecast")
    page.wait_for_selector("#fig-rounds .main-svg")
    page.wait_for_selector("#cancel-job[disabled]", state="attached")
    assert "forecast: done" in page.inner_text("#job-phase")

    # a long sweep shows progress and can be cancelled; a short one shows P(deal)
    page.fill("#draws", "200000")
    page.click("#run-sweep")
    page.wait_for_function("document.getElementById('job-progress').value > 0")
    page.click("#cancel-job")
    page.wait_for_selector("#job-phase:has-text('sweep: cancelled')")
    assert page.locator("#p-deal").count() == 0
    page.fill("#draws", "200")
    page.click("#run-sweep")
    page.wait_for_selector("#p-deal")
    assert "0.0%" in page.inner_text("#p-deal")  # 2019: no draw opens a deal
    page.wait_for_selector("#fig-dist .main-svg")

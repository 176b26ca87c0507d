"""End-to-end: the dashboard in headless Chromium (system /usr/bin/chromium via Playwright).

The grid is used as an analyst would: keyboard, block paste from a spreadsheet, undo and
redo, at 40 actors x 15 issues; the schema-generated form edits what the grid does not
show; the page says when the server is gone, and fits an 800 px window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import LiveServer, big_scenario

pytestmark = pytest.mark.browser

VERDICT = "#verdict-panel.nodeal, #verdict-panel.deal"


def cell(page: Any, key: str) -> Any:
    return page.locator(f'#grid .tabulator-cell[data-cell="{key}"]')


def type_into(page: Any, key: str, value: str) -> None:
    """Select a cell, type (which starts the edit, as in a spreadsheet), Enter commits."""
    cell(page, key).click()
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def analysed(page: Any) -> int:
    return int(page.evaluate("document.body.dataset.analysed || 0"))


def wait_analysis_after(page: Any, n: int) -> None:
    page.wait_for_function(f"Number(document.body.dataset.analysed || 0) > {n}")


def save_via_api(page: Any, live: LiveServer, name: str, data: dict) -> None:
    token = page.request.get(live.url + "api/session").json()["token"]
    r = page.request.post(
        live.url + "api/save",
        data=json.dumps({"name": name, "data": data}),
        headers={"Content-Type": "application/json", "X-Backchannel-Token": token},
    )
    assert r.ok, r.text()


def open_saved(page: Any, live: LiveServer, name: str) -> None:
    page.goto(f"{live.url}?source=saved&name={name.replace(' ', '+')}")
    page.wait_for_selector(VERDICT)


def test_block_paste_of_a_5x3_range_then_undo(live: LiveServer, browser_page: Any) -> None:
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    save_via_api(page, live, "big", big_scenario(8, 4))
    open_saved(page, live, "big")
    block = [[10 * r + c for c in range(3)] for r in range(5)]
    tsv = "\n".join("\t".join(str(v) for v in row) for row in block) + "\n"
    before = cell(page, "a1|c0_pos").inner_text()
    cell(page, "a1|c0_pos").click()  # the top-left cell of the block: actor a1, issue i0, pos
    page.evaluate("(t) => navigator.clipboard.writeText(t)", tsv)
    n = analysed(page)
    page.keyboard.press("Control+V")
    wait_analysis_after(page, n)
    fields = ["pos", "sal", "lim"]
    for r in range(5):
        for c in range(3):
            assert cell(page, f"a{1 + r}|c0_{fields[c]}").inner_text() == str(block[r][c])
    assert page.locator("#grid .invalid").count() == 0
    assert "paste 5×3 (15 cells)" in page.locator("#undo").get_attribute("title")
    page.keyboard.press("Control+Z")  # the whole paste is one step
    page.wait_for_function(
        f"document.querySelector('[data-cell=\"a1|c0_pos\"]').innerText === '{before}'"
    )
    assert cell(page, "a5|c0_lim").inner_text() != "42"
    assert page.locator("#undo").is_disabled()


def test_undo_and_redo_of_three_edits(live: LiveServer, browser_page: Any) -> None:
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    keys = ["usa|c0_lim", "usa|c1_sal", "iran_leader|c0_pos"]
    old = [cell(page, k).inner_text() for k in keys]
    new = ["55", "40", "95"]
    for k, v in zip(keys, new, strict=True):
        type_into(page, k, v)
        page.wait_for_function(f"document.querySelector('[data-cell=\"{k}\"]').innerText === '{v}'")
    page.locator("#grid .tabulator-tableholder").focus()
    for k, v in zip(reversed(keys), reversed(old), strict=True):
        page.keyboard.press("Control+Z")
        page.wait_for_function(f"document.querySelector('[data-cell=\"{k}\"]').innerText === '{v}'")
    assert [cell(page, k).inner_text() for k in keys] == old  # each undo restored its own cell
    assert page.locator("#undo").is_disabled() and page.locator("#redo").is_enabled()
    for k, v in zip(keys, new, strict=True):
        page.keyboard.press("Control+Y")
        page.wait_for_function(f"document.querySelector('[data-cell=\"{k}\"]').innerText === '{v}'")
    assert page.locator("#redo").is_disabled()


def test_keyboard_only_counterfactual_of_2019_and_save(live: LiveServer, browser_page: Any) -> None:
    """The essay's counterfactual US (``COUNTERFACTUAL_2019``), typed with the keyboard
    alone: red line 55 on the nuclear issue, the other three issues no longer required
    but separable, no-deal adjustment -0.1, saliences 50 on sanctions and 30 on oil. The
    verdict flips; Enter saves."""
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    kb = page.keyboard
    tabs = 0
    while (
        page.evaluate("document.activeElement.classList.contains('tabulator-tableholder')") is False
    ):
        kb.press("Tab")
        tabs += 1
        assert tabs < 30, "the grid is not reachable with Tab"
    # the grid has focus; arrows move the active cell along the first row (usa)
    order = page.evaluate(
        "[...document.querySelectorAll('#grid .tabulator-row:first-child .tabulator-cell')]"
        ".map((c) => c.dataset.cell)"
    )

    def active() -> str:
        return str(page.evaluate("document.getElementById('grid').dataset.active || ''"))

    def go(key: str) -> None:
        for _ in range(len(order)):
            if active() == key:
                return
            here = order.index(active()) if active() in order else -1
            kb.press("ArrowRight" if order.index(key) > here else "ArrowLeft")
        assert active() == key

    def enter(key: str, value: str) -> None:
        go(key)
        kb.type(value)  # typing starts the edit
        kb.press("Enter")

    def agenda(key: str, choice: str) -> None:  # the drop-down: Enter, arrows, Enter
        go(key)
        kb.press("Enter")
        page.wait_for_selector(".tabulator-edit-list")
        for _ in range(8):
            focused = page.locator(".tabulator-edit-list-item.focused")
            if focused.count() and focused.inner_text() == choice:
                break
            kb.press("ArrowDown")
        kb.press("Enter")

    kb.press("ArrowRight")  # the first press activates the top-left cell
    enter("usa|c0_lim", "55")
    for j in (1, 2, 3):  # regional, missiles, armed groups: separable, no longer required
        agenda(f"usa|c{j}_agd", "separable")
    enter("usa|nd_adj", "-0.1")
    enter("usa|c4_sal", "50")
    enter("usa|c5_sal", "30")
    page.wait_for_selector("#verdict-panel.deal")
    assert "Deal reachable" in page.inner_text("#verdict")
    # Shift+Tab back to "Save as", type a name, Enter submits
    presses = 0
    while page.evaluate("document.activeElement.id") != "save-name":
        kb.press("Shift+Tab")
        presses += 1
        assert presses < 15, "Save as is not reachable from the grid"
    print(f"keyboard: {tabs} Tab presses to the grid, {presses} Shift+Tab from it to Save as")
    kb.press("Control+A")
    kb.type("us accepts limits")
    kb.press("Enter")
    page.wait_for_selector("#save-msg.ok")
    assert "version 1" in page.inner_text("#save-msg")
    assert "v1" in page.inner_text("#history")  # history refreshed without a reload
    saved = yaml.safe_load(
        page.request.get(
            live.url + "api/yaml", params={"source": "saved", "name": "us accepts limits"}
        ).text()
    )
    us = next(a for a in saved["actors"] if a["id"] == "usa")
    val = lambda q: q["value"] if isinstance(q, dict) else q  # noqa: E731 (notes are kept)
    assert val(us["positions"]["nuclear"]["limit"]) == 55 and us["agenda"]["requires"] == [
        "nuclear"
    ]
    assert us["agenda"]["separable"] == ["regional", "missiles", "armed_groups"]
    assert val(us["no_deal"]["adjustment"]) == -0.1
    assert "us accepts limits" in page.inner_text("#saved-list")


def test_a_40x15_edit_updates_the_verdict_within_a_second(
    live: LiveServer, browser_page: Any
) -> None:
    """40 actors x 15 issues (2,400 grid cells). Veto players a0 and a1 start with red
    lines at their own, different ideal points on issue i0: no deal. Giving a1 its wide
    red line back opens one; the verdict panel must show it within 1 s of the edit,
    measured in the page from the committed edit to the rendered verdict. Three rounds
    (each closed again by the reverse edit); the fastest counts, as other jobs on a shared
    machine only ever add time. The reverse edit is timed too but not held to 1 s: a
    no-deal verdict carries the engine's exact blocking sets (printed)."""
    page = browser_page
    data = big_scenario(40, 15)
    a0, a1 = (data["actors"][k]["positions"]["i0"] for k in (0, 1))
    wide = a1["limit"]
    a0["limit"], a1["limit"] = a0["position"], a1["position"]
    save_via_api(page, live, "forty", data)
    open_saved(page, live, "forty")
    page.wait_for_selector("#verdict-panel.nodeal")
    assert page.locator("#grid .tabulator-row").count() == 40
    assert page.locator("#facets .facet").count() == 6  # a readable choice of issues
    timings: dict[str, list[int]] = {"deal": [], "nodeal": []}
    for _ in range(3):
        for value, expect in ((wide, "deal"), (a1["position"], "nodeal")):
            n = analysed(page)
            type_into(page, "a1|c0_lim", str(value))
            wait_analysis_after(page, n)
            page.wait_for_selector(f"#verdict-panel.{expect}")
            timings[expect].append(int(page.evaluate("document.body.dataset.verdictMs")))
    print(f"edit to verdict at 40 x 15 (ms): {timings}")
    assert min(timings["deal"]) < 1000, f"edit to verdict: {timings} ms"
    # filters: actors by name, issues by name (their column groups)
    page.fill("#actor-filter", "Actor 1")  # Actor 1 and Actor 10-19
    page.wait_for_function("document.querySelectorAll('#grid .tabulator-row').length === 11")
    page.fill("#issue-filter", "Issue 1")
    page.press("#issue-filter", "Enter")  # Issue 1 and Issue 10-14
    page.wait_for_function(
        "document.querySelectorAll('#grid .tabulator-col-group').length === 1 + 6"
    )


def test_the_server_stopped_mid_session(live: LiveServer, browser_page: Any) -> None:
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    live.stop()
    type_into(page, "usa|c0_lim", "55")
    page.wait_for_selector("#offline:not([hidden])")
    assert "Server unreachable" in page.inner_text("#offline")
    assert "Server unreachable" in page.text_content("#verdict-badge")
    assert page.inner_text("#errors") == "" and page.locator("#grid .invalid").count() == 0
    page.keyboard.press("Escape")
    page.locator("#save-btn").click()
    page.wait_for_selector("#save-msg.err")
    assert "cannot be reached" in page.inner_text("#save-msg")
    live.start()  # the same port: a new server, a new CSRF token
    page.wait_for_selector("#offline[hidden]", state="attached", timeout=20_000)
    page.wait_for_selector("#verdict-panel.nodeal")
    assert cell(page, "usa|c0_lim").inner_text() == "55"  # the edit was kept
    page.locator("#save-btn").click()
    page.wait_for_selector("#save-msg.ok")


@pytest.mark.parametrize("width", [800, 1920])
def test_no_sideways_scrolling(live: LiveServer, browser_context: Any, width: int) -> None:
    page = browser_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    save_via_api(page, live, "forty", big_scenario(40, 15))
    open_saved(page, live, "forty")
    page.wait_for_selector("#facets .facet .main-svg")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"
    box = page.locator("#grid").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_form_edits_what_the_grid_does_not(live: LiveServer, browser_page: Any) -> None:
    """Fields the grid does not show, through the form generated from the JSON Schema:
    an invalid value is marked in place with the schema's message; undo covers it."""
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    page.locator("#editor details[data-group='[\"escalation\"]'] > summary").click()
    box = page.locator('#editor [data-path=\'["escalation","p_escalate","value"]\']')
    n = analysed(page)
    box.fill("2")
    box.press("Enter")
    page.wait_for_selector("#editor .form-error:has-text('p_escalate is a probability')")
    assert box.get_attribute("aria-invalid") == "true"
    assert "Fix the marked input" in page.text_content("#verdict-badge")
    box.fill("0.05")
    box.press("Enter")
    wait_analysis_after(page, n)
    page.wait_for_selector("#verdict-panel.nodeal")
    # an optional field that is absent (issue 1 has no description): add it, fill it in
    page.locator("#editor details[data-group='[\"issues\"]'] > summary").click()
    page.locator("#editor details[data-group='[\"issues\",0]'] > summary").click()
    page.select_option('#editor [aria-label="add a field to issues › [1]"]', "description")
    text = page.locator('#editor [data-path=\'["issues",0,"description"]\']')
    text.fill("Enrichment, stockpile and inspections")
    text.press("Tab")
    page.wait_for_function("document.getElementById('undo').title.includes('description')")
    name = page.locator('#editor [data-path=\'["issues",0,"name"]\']')
    name.fill("Nuclear file")
    name.press("Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('#grid .tabulator-col-group .tabulator-col-title')]"
        ".some((t) => t.innerText.startsWith('Nuclear file'))"
    )
    page.locator("#undo").click()
    page.wait_for_function(
        "![...document.querySelectorAll('#grid .tabulator-col-group .tabulator-col-title')]"
        ".some((t) => t.innerText.startsWith('Nuclear file'))"
    )
    # a value the schema leaves open (a timeline assignment) is edited by its own shape
    for _ in range(6):
        page.evaluate(
            "document.querySelectorAll('#editor details[data-group^=\\'[\"timeline\"\\']')"
            ".forEach((d) => { d.open = true; })"
        )
    limit = '["timeline","initial","set","usa.positions.nuclear.limit","value"]'
    assert page.locator(f"#editor input[data-path='{limit}']").input_value() == "45"


def test_a_scenario_without_a_veto_gets_a_hint(live: LiveServer, browser_page: Any) -> None:
    """An imported file (here an actor table; KTAB files are the same) is forecast-only."""
    from backchannel.scenario.importers import import_text
    from backchannel.scenario.load import scenario_to_yaml

    table = "Actor,Capability,Position,Salience\nA,1,10,50\nB,2,90,80\nC,1,40,30\n"
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector(VERDICT)
    upload = live.store.parent / "ktab.yaml"
    upload.write_text(scenario_to_yaml(import_text(table, "t.csv")), encoding="utf-8")
    page.set_input_files("#upload", str(upload))
    page.wait_for_selector("#veto-hint:not([hidden])")
    assert "Nothing in this scenario holds a veto" in page.inner_text("#veto-hint")
    assert "veto" in page.inner_text("#veto-hint") and "red line" in page.inner_text("#veto-hint")


def test_forecast_and_sweep_jobs(live: LiveServer, browser_page: Any) -> None:
    page = browser_page
    page.goto(live.url)
    page.wait_for_selector("#verdict-panel.nodeal")
    page.click("#run-forecast")
    page.wait_for_selector("#fig-rounds .main-svg")
    page.wait_for_selector("#cancel-job[disabled]", state="attached")
    assert "forecast: done" in page.inner_text("#job-phase")
    page.fill("#draws", "abc")
    page.click("#run-sweep")
    page.wait_for_selector("#job-error:has-text('draws: must be a whole number')")
    page.fill("#draws", "200000")
    page.click("#run-sweep")
    page.wait_for_function("document.getElementById('job-progress').value > 0")
    page.click("#cancel-job")
    page.wait_for_selector("#job-phase:has-text('cancelled')")
    page.fill("#draws", "200")
    page.click("#run-sweep")
    page.wait_for_selector("#p-deal")
    assert "0.0%" in page.inner_text("#p-deal")  # 2019: no draw opens a deal
    page.wait_for_selector("#fig-dist .main-svg")
    with page.expect_download() as download:
        page.click("#export-yaml")
    exported = yaml.safe_load(Path(download.value.path()).read_text("utf-8"))
    assert exported["actors"][0]["id"] == "usa"


def test_the_page_runs_under_its_content_security_policy(live: LiveServer) -> None:
    """Without the tests' CSP bypass: no script of the page (ours, Tabulator, plotly.js)
    needs eval or inline code, so the policy blocks nothing the page does."""
    from backchannel.web.headless import chromium_context

    with chromium_context(viewport={"width": 1200, "height": 900}) as ctx:
        page = ctx.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "console",
            lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(live.url)
        page.wait_for_selector("#verdict-panel.nodeal")
        page.wait_for_selector("#facets .facet .main-svg")
        type_into(page, "usa|c0_lim", "55")
        page.click("#run-forecast")
        page.wait_for_selector("#fig-rounds .main-svg")
        page.locator("#editor details[data-group='[\"actors\"]'] > summary").click()
    assert problems == []

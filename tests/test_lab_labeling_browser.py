"""JupyterLab, for real: a person labels one round in the explorer of 06_you_are_the_oracle.

Uses the JupyterLab server of tests/test_lab_browser.py (a temp copy of
notebooks/, its own settings, 127.0.0.1). Runs the notebook, which ends with a
proposal waiting in the explorer; chooses a class for every pick (the first
one with the keyboard, the rest through their <select>), clicks "Submit
labels", and checks that the round was committed with exactly those labels
(read back from the kernel in a new cell) and that the explorer redrew.
Screenshots go to test-artifacts/.
"""
import json
import re
import time

import pytest

from .browser import chromium, open_page
from . import test_lab_browser as _lab
from .test_lab_browser import ARTIFACTS, FIGURE_STATE_JS, _handle_dialogs, _wait_status

lab_server = _lab.lab_server  # the same JupyterLab server fixture (module scope)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUDGET = 10  # the notebook's Session(budget=10)
EXPLORER = ".alviz-round-explorer"


def _run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"], '
                 '.lm-Menu-item[data-command="notebook:run-all-cells"]').first.click()
    page.wait_for_timeout(500)
    _handle_dialogs(page)


def _run_new_cell(page, code: str, marker: str, timeout_ms: float = 60_000) -> str:
    """Append a code cell at the end of the notebook, run it, return the text of the output holding ``marker``."""
    page.locator(".jp-NotebookPanel .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    out = page.locator(f".jp-OutputArea-output:has-text('{marker}')")
    out.first.wait_for(timeout=timeout_ms)
    return out.first.inner_text()


def test_a_person_labels_one_round_in_jupyterlab(lab_server):
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{lab_server['base']}/lab/tree/06_you_are_the_oracle.ipynb?token={lab_server['token']}"
    with chromium() as browser, open_page(browser, url, timeout_ms=90_000) as (page, errors):
        page.set_viewport_size({"width": 1400, "height": 1100})
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=90_000)
        page.wait_for_timeout(1000)
        _handle_dialogs(page)
        page.wait_for_selector(".jp-NotebookPanel .jp-Toolbar-kernelName:has-text('Python 3')", timeout=90_000)
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
        _run_all(page)
        # the notebook labels round 0 from code, then proposes round 1: it waits for us
        waiting = _wait_status(page, 240_000, state="labeling", round="1")
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)
        selects = page.locator(f"{EXPLORER} .alviz-label-choice select")
        selects.first.wait_for(timeout=30_000)
        assert selects.count() == BUDGET
        submit = page.locator(f"{EXPLORER} button.alviz-submit-labels")
        assert submit.is_disabled(), "Submit must wait until every pick has a class"
        assert page.locator(f"{EXPLORER} .alviz-label-card img").count() == BUDGET  # each pick's image
        # the waiting picks are drawn, ringed and numbered, in the round view (JupyterLab renders
        # only what is near the viewport: bring the figure there first)
        page.locator(EXPLORER).scroll_into_view_if_needed()
        try:
            page.wait_for_selector(f"{EXPLORER} .alviz-round-figure", state="attached", timeout=120_000)
            page.locator(f"{EXPLORER} .alviz-round-figure").scroll_into_view_if_needed()
            page.wait_for_function(
                f"() => {{ const f = ({FIGURE_STATE_JS})(); return f && f.selected === {BUDGET}; }}", timeout=60_000)
        except Exception as exc:  # say what was drawn instead, and what the page complained about
            page.screenshot(path=str(ARTIFACTS / "jupyterlab_labeling_failed.png"))
            state = page.evaluate(f"() => document.querySelector('{EXPLORER} .alviz-round-figure') ? "
                                  f"({FIGURE_STATE_JS})() : 'no round figure in the page'")
            raise AssertionError(f"round view while labeling: {state}; page errors: {errors}") from exc
        assert page.evaluate(FIGURE_STATE_JS)["svg"]
        title = page.locator(f"{EXPLORER} .alviz-round-figure .gtitle").first.text_content()
        assert "wait for your labels" in title, title
        panel = page.locator(f"{EXPLORER} .alviz-labeling-panel")
        panel.scroll_into_view_if_needed()
        page.locator(EXPLORER).screenshot(path=str(ARTIFACTS / "jupyterlab_labeling_waiting.png"))
        chosen = [(3 * j + 1) % 10 for j in range(BUDGET)]
        # keyboard: focus the first choice and type its class name
        selects.nth(0).focus()
        page.keyboard.press(str(chosen[0]))
        page.wait_for_function(
            f"() => document.querySelectorAll('{EXPLORER} .alviz-label-choice select')[0].selectedOptions[0]"
            f".textContent.trim() === '{chosen[0]}'", timeout=10_000)
        for j in range(1, BUDGET):
            selects.nth(j).select_option(label=str(chosen[j]))
        page.wait_for_selector(f'{EXPLORER} .alviz-labeling[data-chosen="{BUDGET}"]', timeout=30_000)
        assert not submit.is_disabled()
        t0 = time.perf_counter()
        submit.click()
        now = _wait_status(page, 90_000, state="idle", round="1")
        seconds = round(time.perf_counter() - t0, 3)
        assert int(now["labeled"]) == int(waiting["labeled"]) and int(now["rounds"]) == 2, (waiting, now)
        page.wait_for_function(f"() => !document.querySelector('{EXPLORER} .alviz-label-choice')", timeout=30_000)
        assert page.locator(f"{EXPLORER} .alviz-error .alviz-error-message").count() == 0
        page.locator(EXPLORER).screenshot(path=str(ARTIFACTS / "jupyterlab_labeling_committed.png"))
        # the kernel committed exactly what we chose
        text = _run_new_cell(page, "print('GIVEN=' + str(person.rounds[1].given_labels.tolist()))", "GIVEN=")
        given = json.loads(re.search(r"GIVEN=(\[[^\]]*\])", text).group(1))
        assert given == chosen, (given, chosen)
        (ARTIFACTS / "jupyterlab_labeling_timings.json").write_text(json.dumps({"submit_to_redrawn_s": seconds}))
        widget_errors = [e for e in errors if "alviz" in e.lower() or "plotly" in e.lower() or "widget" in e.lower()]
        assert widget_errors == [], widget_errors

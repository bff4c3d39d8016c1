"""JupyterLab, for real: open 00_quickstart in headless Chromium, run it, click "Next round" twice.

Starts ``jupyter lab`` from this venv on 127.0.0.1 (free port, a token, its
own config/data/settings folders, a temporary copy of notebooks/ as root), and
drives Debian's Chromium through Playwright (tests/browser.py). Checks that the
explorer renders (a plotly graph with the "selected" trace), that each click
advances the round label by one, that the "selected" trace holds the budget's
points and the labeled set grows by the budget each time, and that the button
was disabled while the round ran, and that everything drawn is the pool (whose
size the test reads from the notebook's own output, ``Dataset(... pool=(n, ...))``).
At the end: every pool point is drawn in the page (the SVG's marker nodes
counted) in model space and, after the toggle, in the reference picture; no
text on any canvas reaches outside its figure; and no request left the
machine (the request log). A screenshot goes to test-artifacts/.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from . import frontends as F
from .browser import chromium, external, open_page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
BUDGET = 10  # the quickstart's Session(budget=10)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the explorer's round view: its plotly graph div, and what it currently draws
FIGURE_STATE_JS = """
() => {
  const el = document.querySelector('.alviz-round-explorer .alviz-round-figure');
  const gd = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
  if (!gd || !gd.data || !gd._fullLayout) return null;
  const count = name => {
    const t = gd.data.find(t => t.name === name);
    return t && t.x ? t.x.length : -1;
  };
  return {selected: count('selected'), labeled: count('labeled'), unlabeled: count('unlabeled'),
          traces: gd.data.length, svg: !!gd.querySelector('svg.main-svg')};
}
"""

# screen position and pool index of the first pick in the round view
FIRST_PICK_JS = """
() => {
  const el = document.querySelector('.alviz-round-explorer .alviz-round-figure');
  const gd = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
  const tr = gd.data.find(t => t.name === 'selected');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.d2p(tr.x[0]), y: box.top + ya._offset + ya.d2p(tr.y[0]),
          index: Number(tr.customdata[0])};
}
"""

# remember the pool index (customdata) of every point plotly reports as clicked
CLICK_LISTENER_JS = """
() => {
  const el = document.querySelector('.alviz-round-explorer .alviz-round-figure');
  const gd = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
  window.__alvizClicked = [];
  gd.on('plotly_click', d => d.points.forEach(p => window.__alvizClicked.push(Number(p.customdata))));
  return true;
}
"""

STATUS_JS = """
() => {
  const s = document.querySelector('.alviz-round-explorer .alviz-status');
  return s ? Object.assign({}, s.dataset) : null;
}
"""

# record every state the status line and the button go through (to see "running" + disabled)
WATCH_JS = """
() => {
  window.__alvizSeen = [];
  const box = document.querySelector('.alviz-round-explorer');
  const record = () => {
    const s = box.querySelector('.alviz-status');
    const b = box.querySelector('button.alviz-next-round');
    window.__alvizSeen.push({state: s ? s.dataset.state : null, disabled: b ? b.disabled : null});
  };
  new MutationObserver(record).observe(box, {subtree: true, childList: true, attributes: true,
                                             attributeFilter: ['disabled', 'data-state', 'class']});
  return true;
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A JupyterLab server on a temp copy of notebooks/; kernels and server are stopped at the end."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    user_settings = tmp / "user-settings" / "@jupyterlab"
    for ext, name, value in [
        # no "would you like to receive news?" toast and no update check (no network anyway)
        ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
        # start the notebook's own kernel (python3) without the "Select Kernel" dialog
        ("notebook-extension", "tracker", {"autoStartDefaultKernel": True}),
    ]:
        (user_settings / ext).mkdir(parents=True, exist_ok=True)
        (user_settings / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    port, token = _free_port(), uuid.uuid4().hex
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTER_PREFER_ENV_PATH="1",
               # small torch models on a shared 2-core machine: one intra-op thread avoids spin-waiting
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",
           "--ServerApp.terminals_enabled=False", "--ServerApp.port_retries=0",
           f"--LabApp.user_settings_dir={tmp / 'user-settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"]
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n"
                                   f"{(tmp / 'server.log').read_text(errors='replace')[-3000:]}")
            try:
                _api(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not answer /api/status within 90 s") from None
                time.sleep(0.5)
        yield {"base": base, "token": token, "root": root, "log": tmp / "server.log"}
    finally:
        try:  # shut kernels down through the server, then the server itself
            for k in _api(base, token, "/api/kernels") or []:
                _api(base, token, f"/api/kernels/{k['id']}", method="DELETE")
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass  # the server is already gone; nothing left to ask it
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def _handle_dialogs(page):
    """Accept a kernel-selection dialog (python3 is preselected); dismiss anything else."""
    for _ in range(3):
        dialog = page.locator(".jp-Dialog")
        if dialog.count() == 0:
            return
        if dialog.locator("select").count() or "kernel" in dialog.first.inner_text().lower():
            dialog.locator(".jp-mod-accept").first.click()
        elif dialog.locator(".jp-mod-reject").count():
            dialog.locator(".jp-mod-reject").first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def _wait_status(page, timeout_ms: float, **want):
    """Wait until the explorer's status line has the given data-* values (strings)."""
    cond = " && ".join(f"s.dataset[{json.dumps(k)}] === {json.dumps(str(v))}" for k, v in want.items())
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('.alviz-round-explorer .alviz-status'); "
        f"return !!s && {cond}; }}", timeout=timeout_ms)
    return page.evaluate(STATUS_JS)


def test_quickstart_explorer_in_jupyterlab(lab_server):
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{lab_server['base']}/lab/tree/00_quickstart.ipynb?token={lab_server['token']}"
    requests: list = []
    with chromium() as browser, open_page(browser, url, timeout_ms=90_000, requests=requests) as (page, errors):
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=90_000)
        page.wait_for_timeout(1000)
        _handle_dialogs(page)
        # the kernel is up when the toolbar names it and says it is idle
        page.wait_for_selector(".jp-NotebookPanel .jp-Toolbar-kernelName:has-text('Python 3')", timeout=90_000)
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
        # Run -> Run All Cells
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"], '
                     '.lm-Menu-item[data-command="notebook:run-all-cells"]').first.click()
        page.wait_for_timeout(500)
        _handle_dialogs(page)
        # the notebook runs 3 rounds, shows the explorer, then explorer.next_round(): round index 3
        start = _wait_status(page, 150_000, state="idle", round="3")
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)
        page.wait_for_function(f"({FIGURE_STATE_JS})() !== null", timeout=30_000)
        fig = page.evaluate(FIGURE_STATE_JS)
        assert fig["svg"], "the plotly graph did not render"
        # the pool size, as the notebook's first output states it: Dataset(name=..., pool=(n, ...), ...)
        # (textContent, not innerText: a cell scrolled out of view may not be laid out)
        shown = page.evaluate("() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                              ".map(e => e.textContent).join('\\n')")
        found = re.search(r"Dataset\(name='\w+', pool=\((\d+),", shown)
        assert found, f"the notebook did not print its Dataset: {shown[:500]!r}"
        pool_size = int(found.group(1))
        assert fig["labeled"] + fig["selected"] + fig["unlabeled"] <= pool_size
        assert fig["selected"] == BUDGET and fig["labeled"] == int(start["labeled"])
        assert page.locator(".alviz-round-explorer .alviz-error .alviz-error-message").count() == 0
        page.evaluate(WATCH_JS)
        button = page.locator(".alviz-round-explorer button.alviz-next-round")
        previous, prev_fig = start, fig
        timings = []
        for _click in (1, 2):
            button.scroll_into_view_if_needed()
            t0 = time.perf_counter()
            button.click()
            now = _wait_status(page, 90_000, state="idle", round=str(int(previous["round"]) + 1))
            page.wait_for_function(
                f"() => {{ const f = ({FIGURE_STATE_JS})(); return f && f.labeled === {int(now['labeled'])}; }}",
                timeout=30_000)
            timings.append(round(time.perf_counter() - t0, 3))  # click -> round run -> plot redrawn in the page
            fig = page.evaluate(FIGURE_STATE_JS)
            assert int(now["rounds"]) == int(previous["rounds"]) + 1
            assert int(now["labeled"]) == int(previous["labeled"]) + BUDGET, (previous, now)
            assert fig["selected"] == BUDGET, fig
            assert fig["labeled"] == prev_fig["labeled"] + BUDGET, (prev_fig, fig)
            # everything drawn is the pool: the selected points moved from "unlabeled"
            assert fig["labeled"] + fig["selected"] + fig["unlabeled"] <= pool_size
            previous, prev_fig = now, fig
        # the sample inspector: click on the first pick; plotly reports the point under the mouse
        # (the nearest one, maybe an unlabeled neighbour), and the kernel must inspect exactly that sample
        page.evaluate(CLICK_LISTENER_JS)
        page.evaluate("() => document.querySelector('.alviz-round-explorer .alviz-round-figure')"
                      ".scrollIntoView({block: 'center'})")  # the figure, under the controls, in view
        # in model space the new round is drawn at once and its picture fitted in the background: wait for
        # that fit, then let the points glide to their new places (0.6 s) and land
        _wait_status(page, 120_000, state="idle", modelSpace="ready")
        page.wait_for_timeout(1500)
        pick = page.evaluate(FIRST_PICK_JS)
        page.mouse.move(pick["x"], pick["y"])
        page.wait_for_timeout(300)
        page.mouse.click(pick["x"], pick["y"])
        page.wait_for_function("() => window.__alvizClicked.length > 0", timeout=10_000)
        clicked = page.evaluate("() => window.__alvizClicked[window.__alvizClicked.length - 1]")
        page.wait_for_selector(f'.alviz-round-explorer .alviz-inspector[data-index="{clicked}"]', timeout=30_000)
        rank = page.locator(".alviz-round-explorer .alviz-inspector").get_attribute("data-pick-rank")
        assert (rank == "0") == (clicked == pick["index"])
        seen = page.evaluate("() => window.__alvizSeen")
        assert any(s["state"] == "running" for s in seen), "the status never said 'running'"
        assert any(s["disabled"] for s in seen), "the button was never disabled during a round"
        assert page.locator(".alviz-round-explorer .alviz-error .alviz-error-message").count() == 0
        # the page draws every pool point (counted in the rendered SVG), in model space and in the reference
        drawn = page.evaluate(F.POINTS_JS)
        assert drawn["unlabeled"] + drawn["labeled"] + drawn["selected"] == pool_size, drawn
        page.locator(".alviz-round-explorer .alviz-space button", has_text="reference").click()
        F.wait_status(page, 60_000, state="idle", view="reference")
        page.wait_for_timeout(1200)  # the glide back lands
        drawn = page.evaluate(F.POINTS_JS)
        assert drawn["unlabeled"] + drawn["labeled"] + drawn["selected"] == pool_size, drawn
        page.mouse.move(5, 5)  # no hover label while the text boxes are measured
        page.wait_for_timeout(500)
        clip = page.evaluate(F.CLIP_JS)  # ranks, titles, the inspector's caption, legends: nothing clipped
        assert clip["checked"] > 20 and clip["bad"] == [], clip["bad"]
        assert external(requests) == [], f"requests that would have left the machine: {external(requests)}"
        (ARTIFACTS / "jupyterlab_timings.json").write_text(json.dumps({"click_to_redrawn_s": timings}))
        page.locator(".alviz-round-explorer").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab_00_quickstart.png"), full_page=False)
        page.locator(".alviz-round-explorer").screenshot(path=str(ARTIFACTS / "jupyterlab_round_explorer.png"))
        widget_errors = [e for e in errors if "alviz" in e.lower() or "plotly" in e.lower() or "widget" in e.lower()]
        assert widget_errors == [], widget_errors

"""Driving an explorer in a real front end (JupyterLab 4, Notebook 7, Voilà): servers and in-page checks.

Used by tests/test_lab_browser.py and tests/test_frontends_browser.py. Every
server runs from this venv on 127.0.0.1 (a free port, its own config, data
and runtime folders); every check reads what the page really drew:

- :data:`POINTS_JS` counts the marker nodes plotly.js drew for the pool's
  traces (unlabeled, labeled, selected) in the round view's SVG;
- :data:`CLIP_JS` lists every piece of text on the explorer's canvases whose
  box reaches outside its figure (nothing may be clipped);
- :func:`own_links` names the stylesheets a front end's own page template
  links from a CDN (Voilà's Font Awesome), so the request log can tell them
  from anything alviz's outputs asked for (which must be nothing off this machine).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
EXPLORER = ".alviz-round-explorer"

#: the rendered marker nodes of the pool's three traces in the round view, by trace name
POINTS_JS = """
() => {
  const el = document.querySelector('.alviz-round-explorer .alviz-round-figure');
  const gd = el && el.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout) return null;
  const out = {unlabeled: 0, labeled: 0, selected: 0, rendered: Number(el.dataset.rendered || 0)};
  gd.querySelectorAll('.scatterlayer .trace').forEach(g => {
    const cd = g.__data__, name = cd && cd[0] && cd[0].trace && cd[0].trace.name;
    if (name in out) out[name] += g.querySelectorAll('path.point').length;
  });
  return out;
}
"""

#: every text on the explorer's canvases whose box leaves its figure's box (by more than a pixel)
CLIP_JS = """
() => {
  const bad = [];
  let checked = 0;
  document.querySelectorAll('.alviz-round-explorer .alviz-canvas').forEach(el => {
    const svg = el.querySelector('svg.main-svg');
    if (!svg) return;
    const fig = svg.getBoundingClientRect();
    const host = el.getBoundingClientRect();
    const css = Array.from(el.classList).filter(c => c.startsWith('alviz-') && c !== 'alviz-canvas').join(' ');
    if (host.width + 1 < fig.width || host.height + 1 < fig.height)
      bad.push({canvas: css, text: '(the figure itself is cut by its box)', fig: [fig.width, fig.height],
                box: [host.width, host.height]});
    el.querySelectorAll('svg text').forEach(t => {
      if (!t.textContent.trim()) return;
      const st = getComputedStyle(t);
      if (st.display === 'none' || st.visibility === 'hidden' || Number(st.opacity) === 0) return;
      const b = t.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) return;
      checked += 1;
      if (b.left < fig.left - 1 || b.right > fig.right + 1 || b.top < fig.top - 1 || b.bottom > fig.bottom + 1)
        bad.push({canvas: css, text: t.textContent.slice(0, 80), box: [b.left, b.top, b.right, b.bottom],
                  fig: [fig.left, fig.top, fig.right, fig.bottom]});
    });
  });
  return {checked, bad};
}
"""

STATUS_JS = """
() => {
  const s = document.querySelector('.alviz-round-explorer .alviz-status');
  return s ? Object.assign({}, s.dataset) : null;
}
"""

#: screen position and pool index of the first pick in the round view
FIRST_PICK_JS = """
() => {
  const el = document.querySelector('.alviz-round-explorer .alviz-round-figure');
  const gd = el.querySelector('.js-plotly-plot');
  const tr = gd.data.find(t => t.name === 'selected');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.d2p(tr.x[0]), y: box.top + ya._offset + ya.d2p(tr.y[0]),
          index: Number(tr.customdata[0])};
}
"""

#: remember the pool index (customdata) of every point plotly reports as clicked
CLICK_LISTENER_JS = """
() => {
  const gd = document.querySelector('.alviz-round-explorer .alviz-round-figure .js-plotly-plot');
  window.__alvizClicked = [];
  gd.on('plotly_click', d => d.points.forEach(p => window.__alvizClicked.push(Number(p.customdata))));
  return true;
}
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(tmp: Path) -> dict[str, str]:
    """The environment of a server: its own Jupyter folders, one torch thread, the test session's alviz cache."""
    return dict(os.environ,
                JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
                JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(tmp / "ipython"),
                JUPYTER_PREFER_ENV_PATH="1", PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))


def lab_settings(tmp: Path) -> Path:
    """User settings shared by JupyterLab and Notebook 7: no news or update check, the kernel starts by itself."""
    user_settings = tmp / "user-settings" / "@jupyterlab"
    for ext, name, value in [
        ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
        ("notebook-extension", "tracker", {"autoStartDefaultKernel": True}),
    ]:
        (user_settings / ext).mkdir(parents=True, exist_ok=True)
        (user_settings / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    return tmp / "user-settings"


def _get(url: str, token: str = "") -> bytes:
    headers = {"Authorization": f"token {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.read()


@contextmanager
def server(cmd: list[str], tmp: Path, base: str, ready_path: str, token: str = "",
           what: str = "the server") -> Iterator[Path]:
    """Run ``cmd`` until the context ends; wait until ``base + ready_path`` answers. Yields the log's path."""
    log_path = tmp / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, env=jupyter_env(tmp), stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}:\n"
                                   f"{log_path.read_text(errors='replace')[-3000:]}")
            try:
                _get(base + ready_path, token)
                break
            except urllib.error.HTTPError:
                break  # it answers (Voilà has no /api/status of its own): it is up
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not answer {ready_path} within 90 s") from None
                time.sleep(0.5)
        yield log_path
    finally:
        if token:
            try:  # shut kernels down through the server, then the server itself
                for k in json.loads(_get(f"{base}/api/kernels", token) or b"[]"):
                    req = urllib.request.Request(f"{base}/api/kernels/{k['id']}", method="DELETE",
                                                 headers={"Authorization": f"token {token}"})
                    urllib.request.urlopen(req, timeout=10).read()
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass  # the server is already gone
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def jupyter_cmd(app: str, port: int, token: str, root: Path, tmp: Path) -> list[str]:
    """The command line of JupyterLab (``app="jupyterlab"``) or Notebook 7 (``app="notebook"``)."""
    cls = "LabApp" if app == "jupyterlab" else "JupyterNotebookApp"
    return [sys.executable, "-m", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False", "--ServerApp.port_retries=0",
            f"--{cls}.user_settings_dir={lab_settings(tmp)}", f"--{cls}.workspaces_dir={tmp / 'workspaces'}"]


def wait_status(page, timeout_ms: float, **want) -> dict:
    """Wait until the explorer's status line has the given data-* values (strings); return its data-*."""
    cond = " && ".join(f"s.dataset[{json.dumps(k)}] === {json.dumps(str(v))}" for k, v in want.items())
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('.alviz-round-explorer .alviz-status'); "
        f"return !!s && {cond}; }}", timeout=timeout_ms)
    return page.evaluate(STATUS_JS)


def own_links(page) -> list[str]:
    """The off-machine stylesheets the front end's own page links in its <head> (not alviz's outputs)."""
    return page.evaluate("() => Array.from(document.head.querySelectorAll('link[href]'))"
                         ".map(l => l.href).filter(h => /^https?:/.test(h))")


def handle_dialogs(page) -> None:
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


def open_notebook(page) -> None:
    """Wait for the notebook and its kernel (JupyterLab and Notebook 7 share the toolbar), then Run All Cells."""
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=90_000)
    page.wait_for_timeout(1000)
    handle_dialogs(page)
    page.wait_for_selector(".jp-NotebookPanel .jp-Toolbar-kernelName:has-text('Python 3')", timeout=90_000)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
    run_all_cells(page)
    page.wait_for_timeout(500)
    handle_dialogs(page)


def run_all_cells(page) -> None:
    """Run -> Run All Cells (JupyterLab and Notebook 7 share the menu)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"], '
                 '.lm-Menu-item[data-command="notebook:run-all-cells"]').first.click()


def drive_explorer(page, pool_size: int, budget: int, shots: str) -> dict:
    """The checks every front end passes: points drawn, Next round, the view toggle, a click, nothing clipped.

    Expects the explorer idle on a round with a fitted (or given) reference picture. Screenshots go
    to ``test-artifacts/{shots}_*.png``. Returns what it saw, for the caller's own checks.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function(f"() => {{ const p = ({POINTS_JS})(); return p && p.selected === {budget}; }}",
                           timeout=60_000)
    drawn = page.evaluate(POINTS_JS)
    # the page draws the whole pool: every sample once, as an unlabeled, labeled or selected marker
    assert drawn["unlabeled"] + drawn["labeled"] + drawn["selected"] == pool_size, drawn
    start = page.evaluate(STATUS_JS)
    assert drawn["labeled"] == int(start["labeled"]), (drawn, start)
    page.locator(EXPLORER).scroll_into_view_if_needed()
    page.locator(EXPLORER).screenshot(path=str(ARTIFACTS / f"{shots}_explorer.png"))
    # Next round: the round advances and the page redraws the new picks
    page.locator(f"{EXPLORER} button.alviz-next-round").click()
    now = wait_status(page, 120_000, state="idle", round=str(int(start["round"]) + 1))
    page.wait_for_function(
        f"() => {{ const p = ({POINTS_JS})(); return p && p.labeled === {int(now['labeled'])} && "
        f"p.selected === {budget}; }}", timeout=30_000)
    after = page.evaluate(POINTS_JS)
    assert int(now["labeled"]) == int(start["labeled"]) + budget and after["rendered"] > drawn["rendered"]
    assert after["unlabeled"] + after["labeled"] + after["selected"] == pool_size, after
    # the view toggle: model space (fitted in the background, the points glide there), then back
    page.locator(f"{EXPLORER} .alviz-space button", has_text="model space").click()
    wait_status(page, 240_000, state="idle", view="model", modelSpace="ready")
    page.wait_for_timeout(1200)  # the glide (0.6 s) lands
    model = page.evaluate(POINTS_JS)
    assert model["unlabeled"] + model["labeled"] + model["selected"] == pool_size, model
    page.locator(EXPLORER).screenshot(path=str(ARTIFACTS / f"{shots}_model_space.png"))
    page.locator(f"{EXPLORER} .alviz-space button", has_text="reference").click()
    wait_status(page, 60_000, state="idle", view="reference")
    page.wait_for_timeout(1200)
    # a click on the first pick: plotly reports the point under the mouse, the kernel inspects that sample
    page.evaluate(CLICK_LISTENER_JS)
    page.evaluate("() => document.querySelector('.alviz-round-explorer .alviz-round-figure')"
                  ".scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    pick = page.evaluate(FIRST_PICK_JS)
    page.mouse.move(pick["x"], pick["y"])
    page.wait_for_timeout(300)
    page.mouse.click(pick["x"], pick["y"])
    page.wait_for_function("() => window.__alvizClicked.length > 0", timeout=10_000)
    clicked = page.evaluate("() => window.__alvizClicked[window.__alvizClicked.length - 1]")
    page.wait_for_selector(f'{EXPLORER} .alviz-inspector[data-index="{clicked}"]', timeout=30_000)
    page.wait_for_function("() => document.querySelector('.alviz-inspector-figure .infolayer .gtitle')", timeout=30_000)
    page.mouse.move(5, 5)  # no hover label over the figure while its text is measured
    page.wait_for_timeout(800)
    # nothing clipped: every text of every canvas (ranks, titles, the inspector's caption, legends)
    clip = page.evaluate(CLIP_JS)
    page.locator(EXPLORER).screenshot(path=str(ARTIFACTS / f"{shots}_inspected.png"))
    assert clip["checked"] > 20 and clip["bad"] == [], clip["bad"]
    assert page.locator(f"{EXPLORER} .alviz-error .alviz-error-message").count() == 0
    return {"start": start, "now": now, "drawn": drawn, "after": after, "clicked": clicked, "pick": pick}

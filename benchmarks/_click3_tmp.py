import bench_load, json, subprocess, sys, tempfile, os
base = bench_load._CLICK.format(quick=False, steps=300)
thread = base.replace("ex = alviz.widgets.RoundExplorer(ex_session)", "import alviz._threads as _t; _t.OWN_PROCESS_MIN_SAMPLES = 10**9\nex = alviz.widgets.RoundExplorer(ex_session)")
assert thread != base
for name, code in (("process", base), ("thread", thread)) * 2:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", code], env=bench_load._env(d), capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, {k: round(r[k], 3) for k in ("bare_s", "click_s", "given_click_s", "load")}, "ratio", round(r["click_s"] / r["bare_s"], 2), flush=True)

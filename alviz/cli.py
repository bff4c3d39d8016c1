"""The ``alviz`` command.

    alviz report --dataset digits --strategies margin,vaal,dfal,badge --rounds 5 --budget 10 --out report.html
    alviz experiment --dataset digits --strategies margin,badge,vaal --seeds 0-9 --rounds 10 --budget 10 \
        --n-jobs 2 --out results.csv --report report.html
    alviz strategies
    alviz cache info | alviz cache clear

``report`` runs the strategies from the same start (``alviz.compare``) and
writes one self-contained HTML file (``alviz.report.write_html``).
``experiment`` runs every strategy from every seed (``alviz.experiment``),
writes the tidy results table as CSV and, optionally, an HTML report with the
summary, the learning curves with their 95% bands and the win matrix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["main", "build_parser", "load_dataset", "parse_seeds"]

TOY = ("moons", "blobs", "circles")
TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "fashionmnist": "FashionMNIST", "cifar10": "CIFAR10"}
DATASETS = ("digits",) + TOY + tuple(TORCHVISION)


def load_dataset(
    name: str,
    seed: int = 0,
    n: int = 600,
    data_root: Optional[str] = None,
    download: bool = False,
    subset: Optional[int] = 5000,
):
    """A Dataset by its command-line name (see ``DATASETS``)."""
    from . import datasets

    key = name.lower()
    if key == "digits":
        return datasets.load_digits(seed=seed)
    if key in TOY:
        return datasets.make_toy(key, n=n, seed=seed)
    if key in TORCHVISION:
        if data_root is None:  # from_torchvision's default root
            return datasets.from_torchvision(TORCHVISION[key], download=download, subset=subset, seed=seed)
        return datasets.from_torchvision(TORCHVISION[key], data_root, download=download, subset=subset, seed=seed)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def _int_at_least(lo: int):
    """An argparse type: an int >= ``lo``."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"{v} must be >= {lo}")
        return v

    return parse


_positive = _int_at_least(1)
_non_negative = _int_at_least(0)


def _run_arguments(p) -> None:
    """--dataset and --strategies, the same for every command that runs strategies."""
    p.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)} (default digits)")
    p.add_argument(
        "--strategies", default="random,margin,coreset", help="comma-separated strategy names (see `alviz strategies`)"
    )


def _data_arguments(p) -> None:
    """Where a dataset comes from and how talkative the run is, the same for every command."""
    p.add_argument("--toy-n", type=_positive, default=600, help="pool size of a toy dataset (default 600)")
    p.add_argument("--data-root", default=None, help="torchvision data folder (MNIST, FashionMNIST, CIFAR10)")
    p.add_argument("--download", action="store_true", help="let torchvision download the dataset")
    p.add_argument("--subset", type=_positive, default=5000, help="pool size drawn from a torchvision set")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alviz", description="See active learning: run strategies, write reports.")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    rep = sub.add_parser(
        "report",
        help="run strategies and write a self-contained HTML report",
        description="Run strategies from the same start and write one HTML file with a round "
        "slider per strategy, a side-by-side comparison and learning curves.",
    )
    _run_arguments(rep)
    rep.add_argument("--rounds", type=_positive, default=5, help="rounds per strategy (default 5)")
    rep.add_argument("--budget", type=_positive, default=10, help="samples picked per round (default 10)")
    rep.add_argument("--initial", type=_non_negative, default=20, help="samples labeled at the start (default 20)")
    rep.add_argument("--seed", type=_non_negative, default=0, help="seed of everything random (default 0)")
    rep.add_argument("--out", default="report.html", help="the HTML file to write (default report.html)")
    rep.add_argument("--title", default=None, help="the report's title")
    rep.add_argument(
        "--max-points",
        type=_positive,
        default=20000,
        help="past this many pool points, draw a seeded class-stratified sample (default 20000)",
    )
    rep.add_argument("--no-overlay", action="store_true", help="leave out the strategies' diagnostic overlays")
    rep.add_argument(
        "--no-strategy-space",
        action="store_true",
        help="skip the extra UMAP of each strategy's own representation (VAE latent, ...)",
    )
    _data_arguments(rep)

    exp = sub.add_parser(
        "experiment",
        help="run strategies over several seeds; write a CSV and a report",
        description="Run every strategy from every seed (each seed one start shared by all "
        "strategies), in parallel with joblib, and write the results table.",
    )
    _run_arguments(exp)
    exp.add_argument(
        "--seeds",
        type=parse_seeds,
        default=parse_seeds("0-9"),
        help="seeds as a range 0-9 and/or a list 0,3,7 (default 0-9: fewer seeds rarely separate "
        "strategies; see lesson 10)",
    )
    exp.add_argument("--rounds", type=_positive, default=5, help="rounds per run (default 5)")
    exp.add_argument("--budget", type=_positive, default=10, help="samples picked per round (default 10)")
    exp.add_argument("--initial", type=_non_negative, default=20, help="samples labeled at the start (default 20)")
    exp.add_argument("--n-jobs", type=int, default=1, help="parallel runs; -1 = every core (default 1)")
    exp.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run on this Dask scheduler (e.g. tcp://host:8786) through joblib's dask backend",
    )
    exp.add_argument(
        "--data-seed",
        type=_non_negative,
        default=0,
        help="seed of the dataset's pool/test split, the same for every run (default 0)",
    )
    exp.add_argument("--out", default="results.csv", help="the CSV of results to write (default results.csv)")
    exp.add_argument("--report", default=None, help="also write this HTML report")
    exp.add_argument("--title", default=None, help="the report's title")
    _data_arguments(exp)

    sub.add_parser("strategies", help="list the available query strategies")
    cache = sub.add_parser(
        "cache",
        help="show or empty the disk cache (fitted pictures, trained encoders)",
        description="The disk cache: $ALVIZ_CACHE_DIR (default ~/.cache/alviz), at most "
        "$ALVIZ_CACHE_MAX_MB megabytes (default 2048; least recently used "
        "entries go first).",
    )
    cache.add_argument(
        "action",
        choices=("info", "clear"),
        help="info: where it is, what it holds and its limit; clear: remove every entry",
    )
    return ap


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _cache(args, out) -> int:
    from . import _cache as cache

    if args.action == "clear":
        done = cache.clear()
        print(f"alviz cache: removed {done['entries']} entries ({_mb(done['bytes'])}) from {done['path']}", file=out)
        return 0
    inf = cache.info()
    limit = "none" if inf["max_bytes"] is None else _mb(inf["max_bytes"])
    print(
        f"alviz cache: {inf['path']}"
        + (" (a temporary stand-in: the configured folder cannot be written)" if inf["fallback"] else ""),
        file=out,
    )
    print(f"  {inf['entries']} entries, {_mb(inf['bytes'])} of at most {limit} (ALVIZ_CACHE_MAX_MB)", file=out)
    for sub_name, f in sorted(inf["folders"].items()):
        print(f"  {sub_name}: {f['entries']} entries, {_mb(f['bytes'])}", file=out)
    return 0


def parse_seeds(text: str) -> list:
    """``"0-9"`` -> [0, ..., 9]; ``"0,3,7"`` -> [0, 3, 7]; both may mix: ``"0-2,5"``."""
    seeds = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        try:
            if dash:
                a, b = int(lo), int(hi)
                if b < a:
                    raise argparse.ArgumentTypeError(f"seed range {part!r} runs backwards; write {b}-{a}")
                seeds.extend(range(a, b + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a seed or a range of seeds like 0-9") from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given; write e.g. 0-9 or 0,3,7")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds {text!r} name a seed twice")
    return seeds


def _strategy_names(text: str) -> list:
    from . import strategies

    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise ValueError("--strategies is empty; give at least one name, e.g. --strategies margin,coreset")
    unknown = [s for s in names if s not in strategies.available()]
    if unknown:
        from ._params import suggest

        hints = [
            f"{u!r} -> {suggest(u, strategies.available())!r}" for u in unknown if suggest(u, strategies.available())
        ]
        raise ValueError(
            f"unknown strategy {', '.join(map(repr, unknown))}"
            + (f" (did you mean {', '.join(hints)}?)" if hints else "")
            + "; available: "
            f"{', '.join(strategies.available())}"
        )
    return names


def _check_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")


def _experiment(args, err) -> int:
    from contextlib import nullcontext

    from . import report
    from .experiment import experiment

    names = _strategy_names(args.strategies)
    out = Path(args.out)
    _check_folder(out)
    if args.report:
        _check_folder(Path(args.report))
    ds = load_dataset(
        args.dataset,
        seed=args.data_seed,
        n=args.toy_n,
        data_root=args.data_root,
        download=args.download,
        subset=args.subset,
    )
    if not args.quiet:
        print(
            f"alviz: {ds.name}, {len(names)} strategies x {len(args.seeds)} seeds x {args.rounds} rounds "
            f"of {args.budget}",
            file=err,
        )
    context = nullcontext()
    client = None
    if args.dask:
        import joblib
        from dask.distributed import Client

        client = Client(args.dask)
        context = joblib.parallel_config(backend="dask")
    try:
        with context:
            exp = experiment(
                ds,
                names,
                seeds=args.seeds,
                rounds=args.rounds,
                budget=args.budget,
                initial=args.initial,
                n_jobs=args.n_jobs,
                progress=not args.quiet,
                keep_sessions=False,
            )
    finally:
        if client is not None:
            client.close()
    exp.results.to_csv(out, index=False)
    if not args.quiet:
        print(exp.summary()[["aulc_mean", "aulc_low", "aulc_high"]].round(3).to_string(), file=err)
        print(f"alviz: wrote {out}", file=err)
    if args.report:
        path = report.write_html(exp, args.report, title=args.title)
        if not args.quiet:
            print(f"alviz: wrote {path}", file=err)
    return 0


def _report(args, err) -> int:
    from . import report
    from .comparison import compare

    names = _strategy_names(args.strategies)
    out = Path(args.out)
    _check_folder(out)
    ds = load_dataset(
        args.dataset, seed=args.seed, n=args.toy_n, data_root=args.data_root, download=args.download, subset=args.subset
    )
    if not args.quiet:
        print(f"alviz: {ds.name}, {len(names)} strategies x {args.rounds} rounds of {args.budget}", file=err)
    sessions = compare(
        ds, names, rounds=args.rounds, budget=args.budget, seed=args.seed, initial=args.initial, progress=not args.quiet
    )
    path = report.write_html(
        sessions,
        out,
        title=args.title,
        seed=args.seed,
        max_points=args.max_points,
        overlay=not args.no_overlay,
        strategy_spaces=not args.no_strategy_space,
    )
    if not args.quiet:
        print(f"alviz: wrote {path}", file=err)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``alviz`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "strategies":
            from . import strategies

            print("\n".join(strategies.available()))
            return 0
        if args.command == "cache":
            return _cache(args, sys.stdout)
        if args.command == "experiment":
            return _experiment(args, sys.stderr)
        return _report(args, sys.stderr)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"alviz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

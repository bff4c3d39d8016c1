"""The ``alviz`` command.

    alviz report --dataset digits --strategies margin,vaal,dfal,badge --rounds 5 --budget 10 --out report.html
    alviz strategies

``report`` runs the strategies from the same start (``alviz.compare``) and
writes one self-contained HTML file (``alviz.report.write_html``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["main", "build_parser", "load_dataset"]

TOY = ("moons", "blobs", "circles")
TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "fashionmnist": "FashionMNIST",
               "cifar10": "CIFAR10"}
DATASETS = ("digits",) + TOY + tuple(TORCHVISION)


def load_dataset(name: str, seed: int = 0, n: int = 600, data_root: Optional[str] = None,
                 download: bool = False, subset: Optional[int] = 5000):
    """A Dataset by its command-line name (see ``DATASETS``)."""
    from . import datasets

    key = name.lower()
    if key == "digits":
        return datasets.load_digits(seed=seed)
    if key in TOY:
        return datasets.make_toy(key, n=n, seed=seed)
    if key in TORCHVISION:
        kw = {} if data_root is None else {"root": data_root}
        return datasets.from_torchvision(TORCHVISION[key], download=download, subset=subset, seed=seed, **kw)
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


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alviz", description="See active learning: run strategies, write reports.")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    rep = sub.add_parser("report", help="run strategies and write a self-contained HTML report",
                         description="Run strategies from the same start and write one HTML file with a round "
                                     "slider per strategy, a side-by-side comparison and learning curves.")
    rep.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)} (default digits)")
    rep.add_argument("--strategies", default="random,margin,coreset",
                     help="comma-separated strategy names (see `alviz strategies`)")
    rep.add_argument("--rounds", type=_positive, default=5, help="rounds per strategy (default 5)")
    rep.add_argument("--budget", type=_positive, default=10, help="samples picked per round (default 10)")
    rep.add_argument("--initial", type=_non_negative, default=20, help="samples labeled at the start (default 20)")
    rep.add_argument("--seed", type=_non_negative, default=0, help="seed of everything random (default 0)")
    rep.add_argument("--out", default="report.html", help="the HTML file to write (default report.html)")
    rep.add_argument("--title", default=None, help="the report's title")
    rep.add_argument("--max-points", type=_positive, default=20000,
                     help="past this many pool points, draw a seeded class-stratified sample (default 20000)")
    rep.add_argument("--no-overlay", action="store_true", help="leave out the strategies' diagnostic overlays")
    rep.add_argument("--no-strategy-space", action="store_true",
                     help="skip the extra UMAP of each strategy's own representation (VAE latent, ...)")
    rep.add_argument("--toy-n", type=_positive, default=600, help="pool size of a toy dataset (default 600)")
    rep.add_argument("--data-root", default=None, help="torchvision data folder (MNIST, FashionMNIST, CIFAR10)")
    rep.add_argument("--download", action="store_true", help="let torchvision download the dataset")
    rep.add_argument("--subset", type=_positive, default=5000, help="pool size drawn from a torchvision set")
    rep.add_argument("--quiet", action="store_true", help="no progress output")

    sub.add_parser("strategies", help="list the available query strategies")
    return ap


def _report(args, err) -> int:
    from . import report, strategies
    from .session import compare

    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not names:
        raise ValueError("--strategies is empty; give at least one name, e.g. --strategies margin,coreset")
    unknown = [s for s in names if s not in strategies.available()]
    if unknown:
        raise ValueError(f"unknown strategy {', '.join(map(repr, unknown))}; available: "
                         f"{', '.join(strategies.available())}")
    out = Path(args.out)
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise FileNotFoundError(f"cannot write {out}: the folder {out.parent} does not exist")
    ds = load_dataset(args.dataset, seed=args.seed, n=args.toy_n, data_root=args.data_root,
                      download=args.download, subset=args.subset)
    if not args.quiet:
        print(f"alviz: {ds.name}, {len(names)} strategies x {args.rounds} rounds of {args.budget}", file=err)
    sessions = compare(ds, names, rounds=args.rounds, budget=args.budget, seed=args.seed, initial=args.initial,
                       progress=not args.quiet)
    path = report.write_html(sessions, out, title=args.title, seed=args.seed, max_points=args.max_points,
                             overlay=not args.no_overlay, strategy_spaces=not args.no_strategy_space)
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
        return _report(args, sys.stderr)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"alviz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

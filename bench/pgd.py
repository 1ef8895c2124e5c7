"""PGD-10 cost against its physical floor (10 forward+backward passes) and against torchattacks' PGD.

    python bench/pgd.py [--arch smallcnn] [--batch 256] [--repeats 5]

Prints the median wall time of each and the two ratios. torchattacks is a dev dependency.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from robustbook.attacks import PGD
from robustbook.models import build


def timed(fns: dict, repeats: int) -> dict:
    """Median wall time of each function; the functions take turns, so load on a shared machine hits all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            t = time.perf_counter()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="smallcnn")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = build(args.arch, 10, args.channels, normalize=None).to(device).eval()
    x = torch.rand(args.batch, args.channels, 32, 32, device=device)
    y = torch.randint(0, 10, (args.batch,), device=device)
    eps, alpha = 8 / 255, 2 / 255

    def floor():
        for _ in range(args.steps):
            xi = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(F.cross_entropy(model(xi), y, reduction="sum"), xi)

    ours = PGD(model, eps, alpha, args.steps, "linf", seed=0)
    fns = {"floor": floor, "ours": lambda: ours(x, y)}
    try:
        import torchattacks
    except ImportError:
        torchattacks = None
        print("  torchattacks not installed (pip install -e '.[dev]'): peer ratio skipped")
    if torchattacks is not None:
        theirs = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=args.steps, random_start=True)
        fns["torchattacks"] = lambda: theirs(x, y)
    t = timed(fns, args.repeats)
    print(f"{args.arch}, batch {args.batch}, {args.steps} steps, device {device}, threads {torch.get_num_threads()}, "
          f"median of {args.repeats} interleaved runs")
    print(f"  {args.steps} x (forward + backward): {t['floor'] * 1e3:8.1f} ms")
    print(f"  robustbook PGD-{args.steps}:           {t['ours'] * 1e3:8.1f} ms")
    print(f"  ratio robustbook / floor:      {t['ours'] / t['floor']:8.3f}")
    if "torchattacks" in t:
        print(f"  torchattacks PGD-{args.steps}:         {t['torchattacks'] * 1e3:8.1f} ms")
        print(f"  ratio robustbook / torchattacks: {t['ours'] / t['torchattacks']:6.3f}")


if __name__ == "__main__":
    main()

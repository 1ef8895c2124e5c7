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


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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
    t_floor = timed(floor, args.repeats)
    t_ours = timed(lambda: ours(x, y), args.repeats)
    print(f"{args.arch}, batch {args.batch}, {args.steps} steps, device {device}, threads {torch.get_num_threads()}")
    print(f"  {args.steps} x (forward + backward): {t_floor * 1e3:8.1f} ms")
    print(f"  robustbook PGD-{args.steps}:           {t_ours * 1e3:8.1f} ms")
    print(f"  ratio robustbook / floor:      {t_ours / t_floor:8.3f}")
    try:
        import torchattacks
    except ImportError:
        print("  torchattacks not installed (pip install -e '.[dev]'): peer ratio skipped")
        return
    theirs = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=args.steps, random_start=True)
    t_theirs = timed(lambda: theirs(x, y), args.repeats)
    print(f"  torchattacks PGD-{args.steps}:         {t_theirs * 1e3:8.1f} ms")
    print(f"  ratio robustbook / torchattacks: {t_ours / t_theirs:6.3f}")


if __name__ == "__main__":
    main()

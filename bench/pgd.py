"""PGD-10 cost against its physical floor (10 forward+backward passes) and against a peer: the reference
AutoAttack's APGD-CE (pyautoattack) at the same 10 gradient steps, 1 restart.

    python bench/pgd.py [--arch smallcnn] [--batch 256] [--repeats 5]

Prints the median wall time of each and the two ratios. The peer is a different algorithm (APGD adapts its step
size and keeps the best point) with the same number of forward+backward passes, so its ratio is a cost
comparison of two libraries' 10-step attack loops, not of identical computations.
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
    with torch.no_grad():  # labels = predictions: APGD attacks only correctly classified points, so all are
        y = model(x).argmax(1)
    eps, alpha = 8 / 255, 2 / 255

    def floor():
        for _ in range(args.steps):
            xi = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(F.cross_entropy(model(xi), y, reduction="sum"), xi)

    ours = PGD(model, eps, alpha, args.steps, "linf", seed=0)
    fns = {"floor": floor, "ours": lambda: ours(x, y)}
    from pyautoattack.autopgd_base import APGDAttack

    theirs = APGDAttack(model, n_iter=args.steps, norm="Linf", n_restarts=1, eps=eps, seed=0, loss="ce",
                        device=device)
    fns["apgd"] = lambda: theirs.perturb(x, y)
    t = timed(fns, args.repeats)
    print(f"{args.arch}, batch {args.batch}, {args.steps} steps, device {device}, threads {torch.get_num_threads()}, "
          f"median of {args.repeats} interleaved runs")
    print(f"  {args.steps} x (forward + backward): {t['floor'] * 1e3:8.1f} ms")
    print(f"  robustbook PGD-{args.steps}:           {t['ours'] * 1e3:8.1f} ms")
    print(f"  ratio robustbook / floor:      {t['ours'] / t['floor']:8.3f}")
    print(f"  reference APGD-CE-{args.steps}:      {t['apgd'] * 1e3:8.1f} ms")
    print(f"  ratio robustbook / APGD-CE:    {t['ours'] / t['apgd']:8.3f}")


if __name__ == "__main__":
    main()

"""The reference AutoAttack's cost (pyautoattack, as `robust_correct(suite="autoattack")` runs it) against our
PGD-20 on the same model and images, and PGD-20 against 20 x (forward + backward).

    python bench/autoattack.py [--arch smallcnn] [--batch 100] [--eps 0.1] [--aa-steps 100] [--queries 5000]

The model is untrained, labelled by its own predictions (so every point is attacked, and AutoAttack's cost is
that of APGD-CE's 100 iterations on all of them), unless --zoo is given, which loads the book's PGD-AT model
from the zoo (a model on which every AutoAttack component runs long). Prints median wall times, the ratios and
the cost per 1,000 images. If torchattacks 3.3 happens to be installed (it is no dependency of the book any
more), the ensemble it replaced is timed too, on the same chain and budget.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from robustbook.attacks import PGD
from robustbook.evaluate.robust import SuiteConfig, as_tensors, robust_correct


def timed(fn, repeats: int) -> float:
    """Median wall time of `fn` over `repeats` runs (after one warm-up run)."""
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def torchattacks_ensemble(model, x: torch.Tensor, y: torch.Tensor, eps: float,
                          cfg: SuiteConfig) -> tuple[float | None, float | None]:
    """(seconds, robust accuracy) of the torchattacks 3.3 chain the book used before; (None, None) without it."""
    try:
        import torchattacks
    except ImportError:
        print("  torchattacks not installed: the old ensemble is not timed")
        return None, None
    k = 10  # the bench's models are 10-class
    attacks = [torchattacks.APGD(model, norm="Linf", eps=eps, steps=cfg.aa_steps, n_restarts=1, seed=0, loss="ce"),
               torchattacks.APGDT(model, norm="Linf", eps=eps, steps=cfg.aa_steps, n_restarts=1, seed=0, n_classes=k),
               torchattacks.FAB(model, norm="Linf", eps=eps, steps=cfg.aa_steps, n_restarts=1, seed=0,
                                multi_targeted=True, n_classes=k),
               torchattacks.Square(model, norm="Linf", eps=eps, n_queries=cfg.square_queries, n_restarts=1, seed=0)]
    t = time.perf_counter()
    with torch.no_grad():
        robust = model(x).argmax(1) == y
    for atk in attacks:
        idx = robust.nonzero().flatten()
        if idx.numel():
            with torch.no_grad():
                robust[idx] = model(atk(x[idx], y[idx])).argmax(1) == y[idx]
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t, float(robust.float().mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="smallcnn")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--aa-steps", type=int, default=100)
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--zoo", action="store_true", help="use the book's PGD-AT model (cpu profile) and digits32")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    if args.zoo:
        from robustbook.experiments import evaluating as E
        s = E.settings("cpu" if device.type == "cpu" else "gpu")
        model = E.get_models(s, device)["PGD-AT"]
        x, y = as_tensors(E.test_set(s), args.batch, 0)
    else:
        from robustbook.models import build
        model = build(args.arch, 10, 3, normalize=None)
        x = torch.rand(args.batch, 3, 32, 32)
        with torch.no_grad():
            y = model.eval()(x).argmax(1)
    model, x, y = model.to(device).eval(), x.to(device), y.to(device)
    cfg = SuiteConfig(pgd_steps=args.steps, aa_steps=args.aa_steps, square_queries=args.queries)

    def floor():
        for _ in range(args.steps):
            xi = x.clone().requires_grad_(True)
            torch.autograd.grad(F.cross_entropy(model(xi), y, reduction="sum"), xi)

    pgd = PGD(model, args.eps, steps=args.steps, seed=0)
    t_floor = timed(floor, args.repeats)
    t_pgd = timed(lambda: pgd(x, y), args.repeats)
    aa = None

    def run_aa():
        nonlocal aa
        aa = robust_correct(model, (x, y), "linf", args.eps, "autoattack", device=device, cfg=cfg)

    t_aa = timed(run_aa, 1)
    t_old, old = torchattacks_ensemble(model, x, y, args.eps, cfg)
    pgd_acc = robust_correct(model, (x, y), "linf", args.eps, "pgd", device=device, cfg=cfg).accuracy
    print(f"{'zoo PGD-AT' if args.zoo else args.arch}, {args.batch} images, eps {args.eps:g}, device {device}, "
          f"threads {torch.get_num_threads()}")
    print(f"  {args.steps} x (forward + backward):  {t_floor * 1e3:10.1f} ms")
    print(f"  robustbook PGD-{args.steps}:            {t_pgd * 1e3:10.1f} ms   robust acc {pgd_acc:.3f}")
    print(f"  reference AutoAttack ({args.aa_steps} it., {args.queries} q.): {t_aa * 1e3:10.1f} ms   robust acc "
          f"{aa.accuracy:.3f}   broken by {aa.broken_by}")
    if t_old is not None:
        print(f"  torchattacks 3.3 ensemble (same chain, budget): {t_old * 1e3:10.1f} ms   robust acc {old:.3f}")
        print(f"  ratio reference AutoAttack / torchattacks: {t_aa / t_old:8.2f}")
    print(f"  ratio PGD-{args.steps} / floor:          {t_pgd / t_floor:8.2f}")
    print(f"  ratio AutoAttack / PGD-{args.steps}:     {t_aa / t_pgd:8.1f}")
    print(f"  per 1,000 images: PGD-{args.steps} {1000 * t_pgd / args.batch:.1f} s, "
          f"AutoAttack {1000 * t_aa / args.batch:.1f} s")


if __name__ == "__main__":
    main()

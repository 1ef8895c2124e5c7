"""W-PGD-20 over a whole data set against its physical floor (20 forward+backward passes over the same data),
and its parity with a re-derivation of the authors' step and projection.

    python bench/wpgd.py [--arch smallcnn] [--n 2048] [--batch 256] [--steps 20] [--repeats 3]

Prints the median wall time of each, their ratio (goal <= 1.3: the global Upsilon and projection must not
dominate), and the W_2 adversarial accuracy of ours and of the reference on one trained model (goal: within
1 point). The data live where the model does (GPU when there is one); the attack streams them in batches.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from robustbook.attacks import WPGD
from robustbook.attacks.wdro_reference import reference_wpgd
from robustbook.models import build

from pgd import timed  # bench/ is on sys.path when a script runs from it


def parity(device: torch.device, steps: int) -> tuple[float, float]:
    """(ours, reference) W_2 adversarial accuracy on 300 test digits, an MLP trained for a few hundred steps."""
    from robustbook import data

    torch.manual_seed(0)
    model = build("mlp", 10, 1).to(device)
    xt, yt = (t.to(device) for t in data.tensors(data.subset(data.digits32("train"), 1000, 0)))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for i in range(300):
        idx = torch.arange(i * 64, i * 64 + 64, device=device) % xt.shape[0]
        opt.zero_grad()
        F.cross_entropy(model(xt[idx]), yt[idx]).backward()
        opt.step()
    model.eval()
    x, y = (t.to(device) for t in data.tensors(data.subset(data.digits32("test"), 300, 0)))
    delta = 0.1
    _, acc_ref = reference_wpgd(model, x, y, delta, steps, 1.875, "redlr")
    ours = WPGD(model, delta, steps, "redlr", alpha=1.875 * delta / steps, keep_best=True, batch_size=64)
    acc = float((model(ours(x, y)).argmax(1) == y).float().mean())
    return acc, acc_ref


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="smallcnn")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--n", type=int, default=2048, help="points in the attacked set")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = build(args.arch, 10, args.channels, normalize=None).to(device).eval()
    x = torch.rand(args.n, args.channels, 32, 32, device=device)
    y = torch.randint(0, 10, (args.n,), device=device)

    def floor():
        for _ in range(args.steps):
            for i in range(0, args.n, args.batch):
                xi = x[i:i + args.batch].clone().requires_grad_(True)
                torch.autograd.grad(F.cross_entropy(model(xi), y[i:i + args.batch], reduction="sum"), xi)

    ours = WPGD(model, 8 / 255, args.steps, "ce", batch_size=args.batch)
    t = timed({"floor": floor, "ours": lambda: ours(x, y)}, args.repeats)
    print(f"device {device.type}, {args.arch}, {args.n} points, batch {args.batch}, {args.steps} steps")
    print(f"  {args.steps} x (forward + backward) over the set: {t['floor']:.3f} s")
    print(f"  W-PGD-{args.steps} (Upsilon, step, joint projection, final accuracy): {t['ours']:.3f} s")
    print(f"  ratio W-PGD / floor: {t['ours'] / t['floor']:.2f}  (goal <= 1.3)")
    acc, acc_ref = parity(device, args.steps)
    print(f"parity (digits MLP, delta 0.1, {args.steps} steps of 1.875 delta / {args.steps}, best iterate): "
          f"ours {100 * acc:.2f}%, authors' step and projection {100 * acc_ref:.2f}%, "
          f"difference {100 * (acc - acc_ref):+.2f} points (goal within 1)")


if __name__ == "__main__":
    main()

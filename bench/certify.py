"""Certification throughput: the batched engine of `robustbook.certify.Smooth` against the straightforward
one-image loop (`reference_certify`, the structure of Cohen et al.'s `core.py`: one image at a time, one
chunk of noise per forward pass, counts in numpy). Both draw identical noise; the script checks that they
return the same certificates and prints noisy samples per second and the ratio.

    .venv/bin/python bench/certify.py [--images 16] [--n 2000] [--kind pixel] [--device auto]
"""
from __future__ import annotations

import argparse
import time

import torch

from robustbook.certify import Smooth, reference_certify
from robustbook.session import resolve_device
from robustbook.models import build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--n0", type=int, default=100)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--chunk", type=int, default=100, help="samples per forward pass of the reference loop")
    ap.add_argument("--batch-size", type=int, default=2000, help="samples per forward pass, batched engine")
    ap.add_argument("--kind", default="pixel")
    ap.add_argument("--arch", default="smallcnn")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    dev = resolve_device(args.device)
    torch.manual_seed(0)
    model = build(args.arch, 10, 1, "digits32").to(dev).eval()
    xs = torch.rand(args.images, 1, 32, 32, device=dev)
    smooth = Smooth(model, 10, 0.25, perturbation=args.kind, seed=0, chunk=args.chunk)
    total = args.images * (args.n0 + args.n)
    smooth.certify_batch(xs[:2], 10, 100, 0.001, args.batch_size)  # warm-up
    t0 = time.perf_counter()
    pred, radius, _ = smooth.certify_batch(xs, args.n0, args.n, 0.001, args.batch_size)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [reference_certify(smooth, xs[i], args.n0, args.n, 0.001, index=i) for i in range(args.images)]
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t_ref = time.perf_counter() - t0
    agree = sum(int(p == r[0]) for p, r in zip(pred, ref))
    print(f"device={dev} arch={args.arch} kind={args.kind} images={args.images} n0={args.n0} n={args.n}")
    print(f"reference loop : {total / t_ref:12.0f} samples/s  ({t_ref:.2f} s)")
    print(f"batched engine : {total / t_batched:12.0f} samples/s  ({t_batched:.2f} s)")
    print(f"same predictions: {agree}/{args.images}")
    print(f"ratio batched / reference: {t_ref / t_batched:.2f}x")


if __name__ == "__main__":
    main()

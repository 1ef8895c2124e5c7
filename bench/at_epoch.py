"""One PGD-10 adversarial-training epoch of PreAct-ResNet-18 on 50,000 CIFAR-shaped images.

    python bench/at_epoch.py [--images 50000] [--batch 128] [--device auto]

Runs the book's own training step (`train.loop.train_epoch`, objective "adversarial", L_inf 8/255, 10 steps
of 2/255) on random CIFAR-shaped tensors: timing needs shapes, not real pixels. On CUDA the loop uses what
the `gpu` profile uses (mixed precision, channels-last). Prints the epoch time (measured over `--images`,
projected to 50,000 when fewer were timed, and labelled so) and the ratio to the physical floor of the
same work: per batch, 10 forward+backward passes to the input with frozen weights (the attack) and one
forward+backward to the weights (the update), timed on the bare network. On a shared CPU, load varies
between the two timings; the figure that matters is the GPU one.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from robustbook.data.images import loader
from robustbook.models import build
from robustbook.train.config import TrainConfig, make_optimizer, train_epoch

FULL_EPOCH = 50_000


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def floor_seconds(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device,
                  steps: int, repeats: int = 3) -> float:
    """Median time, on one batch, of the passes PGD-AT cannot avoid: `steps` forward+backward passes to the
    input with the weights frozen (the attack), then one forward+backward to the weights (the update)."""
    params = [p for p in model.parameters() if p.requires_grad]
    times = []
    for _ in range(repeats + 1):  # the first is a warm-up
        sync(device)
        t = time.perf_counter()
        for p in params:
            p.requires_grad_(False)
        xi = x.clone().requires_grad_(True)
        for _ in range(steps):
            with torch.autocast(device.type, enabled=device.type == "cuda"):
                loss = F.cross_entropy(model(xi), y)
            torch.autograd.grad(loss, xi)
        for p in params:
            p.requires_grad_(True)
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        sync(device)
        times.append(time.perf_counter() - t)
    model.zero_grad(set_to_none=True)
    return sorted(times[1:])[len(times[1:]) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=None, help="images timed (default: 50,000 on CUDA, 512 on CPU)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    args = ap.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    if args.threads:
        torch.set_num_threads(args.threads)
    n = args.images or (FULL_EPOCH if device.type == "cuda" else 4 * args.batch)
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.rand(n, 3, 32, 32, generator=gen), torch.randint(0, 10, (n,), generator=gen))

    torch.manual_seed(0)
    model = build("preact_resnet18", 10, 3, "cifar10").to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    cfg = TrainConfig(objective="adversarial", epochs=1, batch_size=args.batch, lr=0.1, eps=8 / 255,
                      alpha=2 / 255, steps=10, norm="linf", schedule="constant")
    batches = loader(data, cfg.batch_size, shuffle=True, seed=0, drop_last=True)
    opt, sched = make_optimizer(model, cfg, len(batches))
    scaler = torch.amp.GradScaler("cuda") if device.type == "cuda" else None

    warm = TensorDataset(*data[: 2 * args.batch])  # cudnn autotuning and allocator warm-up, not timed
    train_epoch(model, loader(warm, args.batch), cfg, opt, sched, device, scaler)
    sync(device)
    t = time.perf_counter()
    train_epoch(model, batches, cfg, opt, sched, device, scaler)
    sync(device)
    seconds = time.perf_counter() - t
    timed = len(batches) * args.batch

    x, y = (v.to(device) for v in next(iter(batches)))
    if device.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    model.train()
    floor = floor_seconds(model, x, y, device, steps=cfg.steps) * len(batches)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    per_image = seconds / timed
    label = "measured" if timed >= FULL_EPOCH else f"projected from {timed:,} images"
    print(f"device: {name}; mixed precision + channels-last: {device.type == 'cuda'}")
    print(f"PGD-10 AT, PreAct-ResNet-18, batch {args.batch}: {timed / seconds:,.1f} images/s")
    print(f"one epoch of {FULL_EPOCH:,} images: {per_image * FULL_EPOCH:,.1f} s ({label})")
    print(f"ratio to its floor (10 input-gradient passes + 1 weight-gradient pass per batch): {seconds / floor:.2f}")


if __name__ == "__main__":
    main()

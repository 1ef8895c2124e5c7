"""The training loop: one epoch function, `fit` over epochs with the papers' step schedules."""
from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from ..progress import tqdm  # off in tests and in the executed book
from ..runtime import fixture_cap
from ..data.images import loader
from .config import TrainConfig
from .registry import get_objective

def make_optimizer(model: nn.Module, cfg: TrainConfig, steps_per_epoch: int):
    """SGD with momentum and weight decay (or Adam), and a per-iteration learning-rate schedule."""
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    total = cfg.epochs * steps_per_epoch
    if cfg.schedule == "constant":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0)
    elif cfg.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total, 1))
    else:
        marks = sorted(int((m * cfg.epochs if m < 1 else m) * steps_per_epoch) for m in cfg.milestones)
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=marks, gamma=cfg.gamma)
    return opt, sched


def train_epoch(model: nn.Module, batches, cfg: TrainConfig, opt, sched, device: torch.device,
                scaler: torch.amp.GradScaler | None = None, progress: bool = False, desc: str = "") -> dict:
    """One pass over `batches`; returns the mean training loss of the epoch."""
    objective = get_objective(cfg.objective)
    model.train()
    use_amp = scaler is not None
    total_loss, seen = 0.0, 0
    for x, y in tqdm(batches, desc=desc, leave=False, disable=not progress):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, enabled=use_amp):
            loss = objective(model, x, y, cfg)
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        sched.step()
        total_loss += loss.item() * len(y)
        seen += len(y)
    return {"loss": total_loss / max(seen, 1)}


EpochCallback = Callable[[nn.Module, int], None]


def fit(model: nn.Module, train_set: Dataset, cfg: TrainConfig, device: torch.device | str = "cpu",
        seed: int = 0, callbacks: Sequence[EpochCallback] = (), progress: bool = True) -> pd.DataFrame:
    """Train `model` in place on `train_set`; returns one row per epoch (loss, learning rate).

    `callbacks` run after every epoch as `callback(model, epoch)` (e.g. spectral-norm clipping).
    """
    device = torch.device(device)
    cfg = cfg.replace(epochs=fixture_cap(cfg.epochs, "epochs"), steps=fixture_cap(cfg.steps, "steps"))
    torch.manual_seed(seed)
    model.to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    batches = loader(train_set, cfg.batch_size, shuffle=True, seed=seed)
    opt, sched = make_optimizer(model, cfg, len(batches))
    scaler = torch.amp.GradScaler("cuda") if device.type == "cuda" else None
    rows = []
    for epoch in tqdm(range(cfg.epochs), desc=f"train[{cfg.objective}]", disable=not progress):
        lr = opt.param_groups[0]["lr"]
        stats = train_epoch(model, batches, cfg, opt, sched, device, scaler)
        for cb in callbacks:
            cb(model, epoch)
        rows.append({"epoch": epoch + 1, "lr": lr, **stats})
    model.eval()
    return pd.DataFrame(rows)

"""Randomized smoothing (Cohen et al. 2019) and DeformRS (Alfarra et al. 2022): a smoothed classifier
g(x) = argmax_c P[f(perturb(x, phi)) = c], phi ~ the smoothing distribution, with Monte Carlo `predict`
(abstain when a binomial test cannot separate the top two classes) and `certify` (class chosen on n0
selection samples, Clopper-Pearson lower bound on pA from n fresh estimation samples, radius of Eq. 7 / 9).

Randomness is reproducible and independent of batching: the noise of image `index`, stage `stage`
(0 selection, 1 estimation, 2 predict) and chunk `k` (samples k*chunk ... (k+1)*chunk - 1) comes from its own
generator seeded by (seed, index, stage, k). The batched engine packs chunks of many images into one forward
pass; `reference_certify` is the plain one-image loop and draws exactly the same noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..attacks.base import eval_mode
from ..runtime import fixture_cap
from ..data.images import loader
from .deform import Perturbation
from .stats import average_certified_radius, lower_confidence_bound, top_two_test

ABSTAIN = -1
SELECTION, ESTIMATION, PREDICTION = 0, 1, 2


def chunk_generator(seed: int, index: int, stage: int, chunk: int, device: torch.device) -> torch.Generator:
    """The generator of one noise chunk, seeded by (seed, image index, stage, chunk number)."""
    state = np.random.SeedSequence([seed, index, stage, chunk]).generate_state(2, dtype=np.uint32)
    g = torch.Generator(device=device)
    g.manual_seed(int(state[0]) << 31 ^ int(state[1]))
    return g


@dataclass
class Smooth:
    """A smoothed classifier around `base` (inputs in [0, 1]; normalization lives inside the model)."""

    base: nn.Module
    num_classes: int
    sigma: float
    perturbation: str = "pixel"
    distribution: str = "gaussian"
    dct_size: int = 2
    seed: int = 0
    chunk: int = 200

    def __post_init__(self) -> None:
        self.noise = Perturbation(self.perturbation, self.sigma, self.distribution, self.dct_size)
        if self.num_classes < 2:
            raise ValueError(f"invalid num_classes={self.num_classes!r}: must be >= 2")
        if self.chunk < 1:
            raise ValueError(f"invalid chunk={self.chunk!r}: must be >= 1")

    @property
    def device(self) -> torch.device:
        """The device of the base classifier's parameters (cpu for a parameter-free model)."""
        p = next(self.base.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def noisy_chunk(self, x: torch.Tensor, index: int, stage: int, chunk: int, count: int) -> torch.Tensor:
        """The `count` perturbed copies of image x that make up one seeded chunk."""
        return self.noise.sample(x, count, chunk_generator(self.seed, index, stage, chunk, x.device))

    # ---- the batched engine ---------------------------------------------------------------------
    @torch.inference_mode()
    def counts(self, xs: torch.Tensor, num: int, stage: int, batch_size: int = 1000,
               indices: list[int] | None = None) -> torch.Tensor:
        """Class counts (B, K) of the base classifier over `num` perturbations of each image of xs."""
        if num < 1:
            raise ValueError(f"invalid number of samples {num!r}: must be >= 1")
        xs = xs.to(self.device)
        b = xs.shape[0]
        indices = list(range(b)) if indices is None else list(indices)
        jobs = [(i, k, min(self.chunk, num - k * self.chunk)) for i in range(b)
                for k in range(-(-num // self.chunk))]
        out = torch.zeros(b * self.num_classes, dtype=torch.long, device=xs.device)
        with eval_mode(self.base):
            pos = 0
            while pos < len(jobs):
                pack, size = [], 0
                while pos < len(jobs) and (not pack or size + jobs[pos][2] <= batch_size):
                    pack.append(jobs[pos])
                    size += jobs[pos][2]
                    pos += 1
                batch = torch.cat([self.noisy_chunk(xs[i], indices[i], stage, k, m) for i, k, m in pack])
                owner = torch.cat([torch.full((m,), i, dtype=torch.long, device=xs.device)
                                   for i, k, m in pack])
                pred = self.base(batch).argmax(1)
                out.index_add_(0, owner * self.num_classes + pred, torch.ones_like(pred))
        return out.view(b, self.num_classes).cpu()

    def certify_batch(self, xs: torch.Tensor, n0: int, n: int, alpha: float, batch_size: int = 1000,
                      indices: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Certify every image of xs: (predicted class or ABSTAIN, radius, lower bound on pA)."""
        n0, n = fixture_cap(n0, "mc_samples"), fixture_cap(n, "mc_samples")
        sel = self.counts(xs, n0, SELECTION, batch_size, indices)
        c_hat = sel.argmax(1)
        est = self.counts(xs, n, ESTIMATION, batch_size, indices)
        n_a = est.gather(1, c_hat[:, None])[:, 0].numpy()
        p_lower = lower_confidence_bound(n_a, n, alpha)
        radius = np.asarray(self.noise.radius(p_lower), float)
        abstain = p_lower <= 0.5
        pred = np.where(abstain, ABSTAIN, c_hat.numpy())
        return pred, np.where(abstain, 0.0, radius), p_lower

    def predict_batch(self, xs: torch.Tensor, n: int, alpha: float, batch_size: int = 1000,
                      indices: list[int] | None = None) -> np.ndarray:
        """The smoothed prediction of every image of xs, ABSTAIN where the top-two test fails."""
        n = fixture_cap(n, "mc_samples")
        c = self.counts(xs, n, PREDICTION, batch_size, indices)
        top2 = torch.topk(c, 2, dim=1)
        out = []
        for vals, cls in zip(top2.values.tolist(), top2.indices.tolist()):
            out.append(cls[0] if top_two_test(vals[0], vals[1], alpha) else ABSTAIN)
        return np.asarray(out)

    def certify(self, x: torch.Tensor, n0: int, n: int, alpha: float, batch_size: int = 1000,
                index: int = 0) -> tuple[int, float]:
        """Certify one image x (C, H, W): (class or ABSTAIN, radius)."""
        pred, radius, _ = self.certify_batch(x[None], n0, n, alpha, batch_size, [index])
        return int(pred[0]), float(radius[0])

    def predict(self, x: torch.Tensor, n: int, alpha: float, batch_size: int = 1000, index: int = 0) -> int:
        """The smoothed prediction at one image x (C, H, W), or ABSTAIN."""
        return int(self.predict_batch(x[None], n, alpha, batch_size, [index])[0])


def reference_certify(smooth: Smooth, x: torch.Tensor, n0: int, n: int, alpha: float,
                      index: int = 0) -> tuple[int, float]:
    """The straightforward one-image loop (one chunk per forward pass, counts in numpy), same noise."""
    def sample(num: int, stage: int) -> np.ndarray:
        counts = np.zeros(smooth.num_classes, dtype=int)
        k = 0
        with torch.no_grad():
            while num > 0:
                m = min(smooth.chunk, num)
                preds = smooth.base(smooth.noisy_chunk(x, index, stage, k, m)).argmax(1)
                for p in preds.cpu().numpy():
                    counts[p] += 1
                num -= m
                k += 1
        return counts

    x = x.to(smooth.device)
    with eval_mode(smooth.base):
        c_hat = int(sample(n0, SELECTION).argmax())
        n_a = sample(n, ESTIMATION)[c_hat]
    p_lower = float(lower_confidence_bound(n_a, n, alpha))
    if p_lower <= 0.5:
        return ABSTAIN, 0.0
    return c_hat, float(smooth.noise.radius(p_lower))


def certify_dataset(smooth: Smooth, data: Dataset, n0: int, n: int, alpha: float, batch_size: int = 1000,
                    images_per_call: int = 16, progress: bool = False) -> pd.DataFrame:
    """Certify every point of `data`: one row per point (label, prediction, radius, pA bound, correct)."""
    rows, offset = [], 0
    for xb, yb in tqdm(loader(data, images_per_call), desc="certify", disable=not progress, leave=False):
        idx = list(range(offset, offset + len(yb)))
        pred, radius, p_lower = smooth.certify_batch(xb, n0, n, alpha, batch_size, idx)
        for j in range(len(yb)):
            rows.append({"index": idx[j], "label": int(yb[j]), "prediction": int(pred[j]),
                         "radius": float(radius[j]), "p_lower": float(p_lower[j]),
                         "correct": bool(pred[j] == int(yb[j]))})
        offset += len(yb)
    return pd.DataFrame(rows)


def summarize(table: pd.DataFrame) -> dict[str, float]:
    """Clean smoothed accuracy, abstention rate and ACR of a `certify_dataset` table."""
    return {"accuracy": float(table["correct"].mean()),
            "abstain": float((table["prediction"] == ABSTAIN).mean()),
            "acr": average_certified_radius(table["radius"], table["correct"])}

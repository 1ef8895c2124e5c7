"""Domain-generalization data: the named multi-domain sets and leave-one-domain-out (LODO) splits with
DomainBed's training-domain validation (a share of every source domain held out for model selection).

Offline sets: `rotated_digits` (six rotation angles, after DomainBed's RotatedMNIST: a geometric shift) and
`photo_digits` (three backgrounds: plain, and the MNIST-M blend of `data.composite` onto crops of each of
scikit-learn's two photographs: a texture and colour shift, the kind of shift PACS's styles are). Online:
the DomainBed folders (`data.domainbed`) and WILDS Camelyon17 with hospitals as domains (`data.wilds`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from torch.utils.data import ConcatDataset, Dataset

from .images import rotated_digits, split_holdout

PHOTO_DOMAINS = ("plain", "china", "flower")  # photo_digits: no background, then one per photograph


@dataclass
class LODOSplit:
    """One leave-one-domain-out task: training and validation parts of the sources, the unseen target."""

    target: Any
    sources: tuple
    train: Dataset
    source_val: Dataset
    target_test: Dataset


def domains(name: str, seed: int = 0) -> dict[Any, Dataset]:
    """The domains of a named multi-domain set: 'rotated_digits' (offline) or a DomainBed folder (online)."""
    if name == "rotated_digits":
        return rotated_digits(seed=seed)
    if name == "photo_digits":
        return photo_digits(seed=seed)
    if name == "camelyon17":
        from .wilds import camelyon17  # raises DataUnavailableError with instructions when not on disk
        return camelyon17()
    from .domainbed import domainbed  # raises DataUnavailableError with instructions when not on disk
    return domainbed(name)


def lodo(domain_sets: Mapping[Any, Dataset], target: Any, holdout_fraction: float = 0.2,
         seed: int = 0) -> LODOSplit:
    """Hold out `target`; split every source domain into train / validation (DomainBed: 20 % held out)."""
    if target not in domain_sets:
        raise ValueError(f"invalid target={target!r}: choose one of {', '.join(map(str, domain_sets))}")
    sources = tuple(k for k in domain_sets if k != target)
    parts = [split_holdout(domain_sets[k], holdout_fraction, seed + i) for i, k in enumerate(sources)]
    return LODOSplit(target, sources, ConcatDataset([p[0] for p in parts]),
                     ConcatDataset([p[1] for p in parts]), domain_sets[target])


def num_classes(domain_sets: Mapping[Any, Dataset]) -> int:
    """The number of classes of a multi-domain set (DomainBed folders carry `.classes`)."""
    first = next(iter(domain_sets.values()))
    if hasattr(first, "classes"):
        return len(first.classes)
    return 10


def photo_digits(seed: int = 0) -> dict[str, Dataset]:
    """Digits on three backgrounds: all 1,797 digits shuffled once and cut into three disjoint shares, one
    left plain (grey in three channels), one blended into crops of `china.jpg`, one of `flower.jpg`."""
    import torch
    from torch.utils.data import TensorDataset

    from .composite import PHOTOS, SIZE, blend, photographs
    from .digits import digits_arrays, upsample

    xtr, xte, ytr, yte = digits_arrays()
    x = upsample(torch.from_numpy(np.concatenate([xtr, xte]))[:, None])
    y = torch.from_numpy(np.concatenate([ytr, yte]))
    gen = torch.Generator().manual_seed(seed)
    shares = torch.tensor_split(torch.randperm(len(y), generator=gen), len(PHOTO_DOMAINS))
    out: dict[str, Dataset] = {}
    for name, idx in zip(PHOTO_DOMAINS, shares):
        xi = x[idx]
        if name == "plain":
            xi = xi.repeat(1, 3, 1, 1)
        else:
            photo = photographs()[PHOTOS.index(f"{name}.jpg")]
            u = torch.rand(len(idx), 2, generator=gen, dtype=torch.float64)
            top = (u[:, 0] * (photo.shape[1] - SIZE + 1)).long()
            left = (u[:, 1] * (photo.shape[2] - SIZE + 1)).long()
            bg = torch.stack([photo[:, t:t + SIZE, l:l + SIZE] for t, l in zip(top.tolist(), left.tolist())])
            xi = blend(xi, bg)
        out[name] = TensorDataset(xi.contiguous(), y[idx])
    return out

"""Domain-generalization data: the named multi-domain sets and leave-one-domain-out (LODO) splits with
DomainBed's training-domain validation (a share of every source domain held out for model selection)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from torch.utils.data import ConcatDataset, Dataset

from .images import rotated_digits, split_holdout


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

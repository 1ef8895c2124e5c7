"""The book's seaborn theme and the figures that recur across chapters."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

PALETTE = "colorblind"


def set_theme() -> None:
    """One look for every figure of the book."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.95,
                  rc={"figure.figsize": (6.4, 3.8), "figure.dpi": 110, "axes.titleweight": "bold",
                      "savefig.bbox": "tight"})


def image_grid(images: torch.Tensor, nrow: int, titles: Sequence[str] | None = None,
               row_labels: Sequence[str] | None = None, scale: float = 1.3, cmap: str = "gray") -> plt.Figure:
    """A grid of [0, 1] images (N, C, H, W), `nrow` rows, optional titles and row labels."""
    images = images.detach().cpu().clamp(0, 1)
    n = images.shape[0]
    ncol = int(np.ceil(n / nrow))
    fig, axes = plt.subplots(nrow, ncol, figsize=(scale * ncol, scale * nrow), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_visible(False)
        if i >= n:
            continue
        img = images[i]
        if img.shape[0] == 1:
            ax.imshow(img[0].numpy(), cmap=cmap, vmin=0, vmax=1)
        else:
            ax.imshow(img.permute(1, 2, 0).numpy())
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=8)
    if row_labels is not None:
        for r, label in enumerate(row_labels):
            axes[r, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def curves(df: pd.DataFrame, x: str, y: str, hue: str | None = None, style: str | None = None,
           ax: plt.Axes | None = None, **kwargs) -> plt.Axes:
    """Line plot with markers (accuracy vs eps, certified accuracy vs radius, ...)."""
    ax = ax or plt.subplots()[1]
    sns.lineplot(data=df, x=x, y=y, hue=hue, style=style, marker="o", ax=ax, **kwargs)
    return ax


def heatmap(table: pd.DataFrame, ax: plt.Axes | None = None, fmt: str = ".2f", cmap: str = "viridis",
            **kwargs) -> plt.Axes:
    """An annotated heatmap (accuracy matrices: train setting x eval setting)."""
    ax = ax or plt.subplots()[1]
    sns.heatmap(table, annot=True, fmt=fmt, cmap=cmap, cbar=False, ax=ax, **kwargs)
    return ax


def bound_vs_measured(measured: Sequence[float], bound: Sequence[float], labels: Sequence[str] | None = None,
                      ax: plt.Axes | None = None) -> plt.Axes:
    """Measured quantity against its upper bound, with the diagonal y = x (points must lie above it)."""
    ax = ax or plt.subplots()[1]
    m, b = np.asarray(measured, float), np.asarray(bound, float)
    ax.scatter(m, b)
    lo, hi = min(m.min(), b.min()), max(m.max(), b.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="bound = measured")
    if labels is not None:
        for xi, yi, s in zip(m, b, labels):
            ax.annotate(s, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("measured")
    ax.set_ylabel("bound")
    ax.legend()
    return ax

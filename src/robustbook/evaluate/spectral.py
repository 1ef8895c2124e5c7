"""Singular values of convolutional and linear layers as linear operators, and spectral-norm clipping.

A convolution acting on C_in x n x n inputs is a linear map. With circular padding its singular values
are exactly those of the C_out x C_in matrices of the 2-D DFT of the kernel, one per frequency
(Sedghi, Gupta & Long 2019); a stride s (dividing n) is handled by the polyphase decomposition, which
turns it into a stride-1 circular convolution on the (n/s) x (n/s) grid with C_in s^2 input channels.
Zero padding has no such closed form: `conv_matrix` builds the dense operator (small layers) and
`operator_norm` finds its largest singular value by power iteration.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..attacks.base import eval_mode


def _as_pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def circular_conv_singular_values(weight: torch.Tensor, input_hw: tuple[int, int] | int,
                                  stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0
                                  ) -> np.ndarray:
    """All singular values (descending) of the circularly padded convolution with `weight` on an input grid."""
    w = weight.detach().double().cpu().numpy()
    cout, cin, kh, kw = w.shape
    (h, wd), (sh, sw), (ph, pw) = _as_pair(input_hw), _as_pair(stride), _as_pair(padding)
    if h % sh or wd % sw:
        raise ValueError(f"input {h}x{wd} must be divisible by the stride {sh}x{sw}")
    gh, gw = h // sh, wd // sw
    if (h + 2 * ph - kh) // sh + 1 != gh or (wd + 2 * pw - kw) // sw + 1 != gw:
        raise ValueError("circular analysis needs a 'same' convolution: (n + 2p - k) // s + 1 == n / s")
    # polyphase kernel: taps (a, b) -> phase (a - p) mod s, offset floor((a - p) / s) on the coarse grid
    big = np.zeros((cout, cin, sh, sw, gh, gw))
    for a in range(kh):
        ra, oa = (a - ph) % sh, (a - ph) // sh
        for b in range(kw):
            rb, ob = (b - pw) % sw, (b - pw) // sw
            big[:, :, ra, rb, oa % gh, ob % gw] += w[:, :, a, b]
    big = big.reshape(cout, cin * sh * sw, gh, gw)
    spectrum = np.fft.fft2(big, axes=(2, 3))  # (cout, cin s^2, gh, gw)
    mats = spectrum.transpose(2, 3, 0, 1).reshape(gh * gw, cout, cin * sh * sw)
    sv = np.linalg.svd(mats, compute_uv=False).ravel()
    # the operator maps R^(cin h w) -> R^(cout gh gw): it has min of the two dimensions singular values
    n_sv = min(cout * gh * gw, cin * h * wd)
    sv = np.sort(sv)[::-1]
    if len(sv) < n_sv:
        sv = np.concatenate([sv, np.zeros(n_sv - len(sv))])
    return sv[:n_sv]


def apply_conv(weight: torch.Tensor, x: torch.Tensor, stride, padding, circular: bool) -> torch.Tensor:
    """The convolution as the operator we analyse (no bias), circular or zero padding."""
    ph, pw = _as_pair(padding)
    if circular and (ph or pw):
        x = F.pad(x, (pw, pw, ph, ph), mode="circular")
        return F.conv2d(x, weight, stride=stride)
    return F.conv2d(x, weight, stride=stride, padding=(ph, pw))


def conv_matrix(weight: torch.Tensor, input_hw: tuple[int, int] | int, stride=1, padding=0,
                circular: bool = False) -> torch.Tensor:
    """The dense matrix of the convolution on C_in x h x w inputs (rows: flattened outputs). Small layers only."""
    h, wd = _as_pair(input_hw)
    cin = weight.shape[1]
    n = cin * h * wd
    if n > 20000:
        raise ValueError(f"dense operator with {n} columns is too large; use operator_norm or the circular FFT")
    eye = torch.eye(n, dtype=torch.float64).view(n, cin, h, wd)
    with torch.no_grad():
        cols = apply_conv(weight.detach().double().cpu(), eye, stride, padding, circular)
    return cols.reshape(n, -1).T


def operator_norm(apply, input_shape: tuple[int, ...], iters: int = 100, seed: int = 0,
                  tol: float = 1e-7) -> float:
    """Largest singular value of the linear map `apply` on inputs of `input_shape`, by power iteration on A^T A."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, *input_shape, generator=g, dtype=torch.float64)
    x /= x.norm()
    sigma = 0.0
    for _ in range(iters):
        x.requires_grad_(True)
        y = apply(x)
        (xt,) = torch.autograd.grad(y, x, grad_outputs=y)  # A^T A x
        new = float(xt.norm()) ** 0.5
        x = (xt / xt.norm().clamp_min(1e-300)).detach()
        if abs(new - sigma) <= tol * max(new, 1e-12):
            sigma = new
            break
        sigma = new
    return sigma


@dataclass
class LayerInfo:
    """A conv or linear layer with the shape of the input it sees."""

    name: str
    module: nn.Module
    input_shape: tuple[int, ...]  # without the batch dimension


def linear_layers(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerInfo]:
    """Every nn.Conv2d / nn.Linear of `model` in call order, with its input shape (one forward pass)."""
    infos, hooks = [], []
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            hooks.append(mod.register_forward_hook(
                lambda m, inp, out, name=name: infos.append(LayerInfo(name, m, tuple(inp[0].shape[1:])))))
    try:
        p = next(model.parameters())
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(1, *input_shape, device=p.device, dtype=p.dtype))
    finally:
        for h in hooks:
            h.remove()
    seen, out = set(), []
    for info in infos:
        if info.name not in seen:
            seen.add(info.name)
            out.append(info)
    return out


def layer_singular_values(info: LayerInfo) -> np.ndarray:
    """Exact singular values of one layer's operator: SVD for linear layers, circular FFT for convolutions."""
    mod = info.module
    if isinstance(mod, nn.Linear):
        return np.linalg.svd(mod.weight.detach().double().cpu().numpy(), compute_uv=False)
    if isinstance(mod, nn.Conv2d):
        if mod.groups != 1 or _as_pair(mod.dilation) != (1, 1):
            raise ValueError(f"{info.name}: grouped or dilated convolutions are not supported")
        return circular_conv_singular_values(mod.weight, info.input_shape[1:], mod.stride, mod.padding)
    raise TypeError(f"{info.name}: not a Conv2d or Linear layer")


def singular_value_table(model: nn.Module, input_shape: tuple[int, ...]):
    """One row per layer: name, kind, number of singular values, max, min, mean and std of them."""
    import pandas as pd

    rows = []
    for i, info in enumerate(linear_layers(model, input_shape)):
        sv = layer_singular_values(info)
        rows.append({"layer": i, "name": info.name, "kind": type(info.module).__name__, "n_sv": len(sv),
                     "sv_max": float(sv.max()), "sv_min": float(sv.min()), "sv_mean": float(sv.mean()),
                     "sv_std": float(sv.std())})
    return pd.DataFrame(rows)


def layer_operator_norm(info: LayerInfo, circular: bool = True, iters: int = 200) -> float:
    """Spectral norm of one layer's operator (circular: exact via FFT; zero padding: power iteration)."""
    mod = info.module
    if isinstance(mod, nn.Linear) or circular:
        return float(layer_singular_values(info)[0])
    w = mod.weight.detach().double().cpu()
    return operator_norm(lambda x: apply_conv(w, x, mod.stride, mod.padding, False), info.input_shape, iters)


class SpectralClip:
    """Epoch callback: rescale every conv/linear weight whose operator norm exceeds `max_norm` down to it.

    Use as `fit(..., callbacks=[SpectralClip(3.0, (1, 32, 32))])` (wen2020 App. B.4.2 clips once per epoch,
    following Sedghi et al.). The norm is that of the circular-padding operator (exact, FFT) by default,
    or of the zero-padding operator (`circular=False`, power iteration). Rescaling, not singular-value
    clipping, keeps the kernel's support and makes the constraint hold exactly.
    """

    def __init__(self, max_norm: float, input_shape: tuple[int, ...], circular: bool = True,
                 include_linear: bool = True):
        if max_norm <= 0:
            raise ValueError(f"invalid max_norm={max_norm!r}: must be > 0")
        self.max_norm, self.input_shape = float(max_norm), tuple(input_shape)
        self.circular, self.include_linear = circular, include_linear
        self.history: list[dict] = []

    def __call__(self, model: nn.Module, epoch: int) -> None:
        for info in linear_layers(model, self.input_shape):
            if isinstance(info.module, nn.Linear) and not self.include_linear:
                continue
            norm = layer_operator_norm(info, self.circular)
            scale = min(1.0, self.max_norm / norm) if norm > 0 else 1.0
            if scale < 1.0:
                with torch.no_grad():
                    info.module.weight.mul_(scale)
            self.history.append({"epoch": epoch, "layer": info.name, "norm_before": norm, "scale": scale})


def spectral_complexity(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    """Product of the spectral norms of all conv/linear operators (Definition 7; circular convolutions)."""
    return float(np.prod([layer_operator_norm(i) for i in linear_layers(model, input_shape)]))

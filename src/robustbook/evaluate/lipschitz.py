"""Sound upper bounds on how far a representation can move: Lipschitz constants of sequential encoders.

For f = L_k o ... o L_1 with 1-Lipschitz activations, ||f(x) - f(x')||_2 <= prod_k ||L_k||_2 ||x - x'||_2.
Each factor is an upper bound that can be trusted:
- nn.Linear: the exact spectral norm (SVD in float64);
- nn.Conv2d (zero padding): the exact spectral norm of the same kernel as a CIRCULAR convolution on a grid
  large enough that no output wraps around (Sedghi et al. 2019: an FFT and one small SVD per frequency).
  The zero-padded operator is a restriction of that circular one, so its norm is never larger;
  power iteration on the true operator gives the matching lower estimate, reported alongside;
- ReLU, Flatten, Dropout (eval), Identity: 1; MaxPool2d: 1 when windows do not overlap, else sqrt(windows
  per pixel); AvgPool2d: (windows per pixel)^(1/2) / kernel size; BatchNorm (eval): max |gamma| / sqrt(var + eps);
- the input normalization (x - mean) / std of `Normalized`: folded into the first linear layer.
For an L_inf threat, the first linear layer A is bounded as a map (R^d, ||.||_inf) -> (R^m, ||.||_2):
||A||_{inf->2} <= sqrt(sum_rows ||row||_1^2) (also <= sqrt(d) ||A||_2; the smaller is used).
Residual blocks are not supported: the walker raises rather than return a bound it cannot justify.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

_ONE_LIPSCHITZ = (nn.ReLU, nn.Flatten, nn.Identity, nn.Dropout, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU)


@dataclass
class LipschitzBound:
    """The per-layer factors and their product: `l2` (L_2 -> L_2) and `linf_to_l2` (L_inf -> L_2)."""

    layers: list[dict] = field(default_factory=list)
    l2: float = 1.0
    linf_to_l2: float = 1.0
    input_dim: int = 0

    def table(self) -> pd.DataFrame:
        """One row per layer: kind, output shape, sound upper factor, power-iteration lower estimate."""
        return pd.DataFrame(self.layers)

    def shift_bound(self, eps: float, norm: str) -> float:
        """Upper bound on max_{||d|| <= eps} ||f(x + d) - f(x)||_2 for the L_inf or L_2 ball."""
        if norm == "l2":
            return self.l2 * eps
        if norm == "linf":
            return self.linf_to_l2 * eps
        raise ValueError(f"invalid norm={norm!r}: choose 'linf' or 'l2'")


def circular_conv_norm(weight: torch.Tensor, grid: tuple[int, int]) -> float:
    """Exact spectral norm of a stride-1 circular convolution with `weight` (cout, cin, kh, kw) on `grid`."""
    w = weight.detach().to(torch.float64).cpu()
    n1, n2 = grid
    if n1 < w.shape[2] or n2 < w.shape[3]:
        raise ValueError(f"grid {grid} smaller than the kernel {tuple(w.shape[2:])}")
    k_hat = torch.fft.fft2(w, s=(n1, n2))  # (cout, cin, n1, n2)
    mats = k_hat.permute(2, 3, 0, 1).reshape(n1 * n2, w.shape[0], w.shape[1])
    return float(torch.linalg.matrix_norm(mats, ord=2).max())


def conv_power_iteration(conv: nn.Conv2d, in_shape: tuple[int, ...], iters: int = 100, seed: int = 0) -> float:
    """Power-iteration estimate (a lower bound) of the spectral norm of a bias-free zero-padded convolution."""
    w = conv.weight.detach().to(torch.float64).cpu()
    kw = dict(stride=conv.stride, padding=conv.padding, dilation=conv.dilation, groups=conv.groups)
    g = torch.Generator().manual_seed(seed)
    v = torch.randn((1, *in_shape), generator=g, dtype=torch.float64)
    v /= v.norm()
    sigma = 0.0
    for _ in range(iters):
        u = F.conv2d(v, w, **kw)
        sigma = float(u.norm())
        v = torch.nn.grad.conv2d_input(v.shape, w, u, **kw)
        v /= v.norm().clamp_min(1e-300)
    return sigma


def _conv_upper(conv: nn.Conv2d, in_shape: tuple[int, ...]) -> float:
    if conv.padding_mode != "zeros" or conv.groups != 1 or conv.dilation != (1, 1):
        raise ValueError("only zero-padded, ungrouped, undilated convolutions are supported")
    if isinstance(conv.padding, str):
        raise ValueError("give the padding as integers")
    h, w = in_shape[1:]
    ph, pw = conv.padding
    kh, kw = conv.kernel_size
    # every stride-1 output index i + a stays below h + 2p: no wrap-around on this grid
    return circular_conv_norm(conv.weight, (max(h + 2 * ph, kh), max(w + 2 * pw, kw)))


def _pool_windows_per_pixel(kernel, stride) -> int:
    k = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    return math.prod(math.ceil(ki / si) for ki, si in zip(k, s))


def _first_linear_inf_to_2(layer: nn.Module, scale: torch.Tensor, in_shape: tuple[int, ...], l2: float) -> float:
    """||A diag(scale)||_{inf->2} bound for the first linear layer (rows' L1 norms; at most sqrt(d) ||.||_2)."""
    d = math.prod(in_shape)
    if isinstance(layer, nn.Linear):
        w = layer.weight.detach().to(torch.float64).cpu() * scale.flatten().to(torch.float64)
        rows = w.abs().sum(1)
        out_positions = 1
    else:
        w = layer.weight.detach().to(torch.float64).cpu() * scale.view(1, -1, 1, 1).to(torch.float64)
        rows = w.abs().sum(dim=(1, 2, 3))  # interior rows; border rows have fewer terms
        out = F.conv2d(torch.zeros(1, *in_shape, dtype=torch.float64), w, stride=layer.stride,
                       padding=layer.padding)
        out_positions = out.shape[2] * out.shape[3]
    row_bound = float(math.sqrt(out_positions * float((rows ** 2).sum())))
    return min(row_bound, math.sqrt(d) * l2)


def lipschitz_bound(model: nn.Module, input_shape: tuple[int, ...], power_iters: int = 50) -> LipschitzBound:
    """A sound Lipschitz bound of the representation `model.features` (input in [0, 1]) of a sequential encoder.

    `model`: a `Normalized` wrapper, a model with a `features` nn.Sequential, or an nn.Sequential itself.
    `input_shape`: (C, H, W) of one input.
    """
    scale = torch.ones(input_shape[0])
    if hasattr(model, "std") and hasattr(model, "model"):  # robustbook.models.Normalized
        scale = 1.0 / model.std.detach().flatten().cpu()
        model = model.model
    seq = model.features if isinstance(getattr(model, "features", None), nn.Sequential) else model
    if not isinstance(seq, nn.Sequential):
        raise ValueError("lipschitz_bound needs a sequential encoder (nn.Sequential `features`); "
                         f"got {type(seq).__name__}")
    if scale.numel() != input_shape[0]:
        scale = scale.expand(input_shape[0]).clone()
    shape = tuple(input_shape)
    params = list(seq.parameters())
    x = torch.zeros(1, *shape, device=params[0].device if params else "cpu")  # shape tracking only
    report = LipschitzBound(input_dim=math.prod(shape))
    first_linear_done = False
    lip_before_first = 1.0  # only 1-Lipschitz layers may precede the first linear layer for the inf->2 bound
    with torch.no_grad():
        for idx, layer in enumerate(seq):
            in_shape = tuple(x.shape[1:])
            lower = None
            if isinstance(layer, nn.Conv2d):
                upper = _conv_upper(layer, in_shape)
                lower = conv_power_iteration(layer, in_shape, power_iters)
                kind = "conv (circular FFT bound)"
            elif isinstance(layer, nn.Linear):
                upper = float(torch.linalg.matrix_norm(layer.weight.detach().double().cpu(), ord=2))
                lower = upper
                kind = "linear (exact SVD)"
            elif isinstance(layer, _ONE_LIPSCHITZ):
                upper, kind = 1.0, "1-Lipschitz"
            elif isinstance(layer, nn.MaxPool2d):
                if layer.padding not in (0, (0, 0)) or layer.dilation not in (1, (1, 1)):
                    raise ValueError("MaxPool2d with padding or dilation is not supported")
                upper, kind = math.sqrt(_pool_windows_per_pixel(layer.kernel_size, layer.stride)), "max-pool"
            elif isinstance(layer, nn.AvgPool2d):
                k = layer.kernel_size if isinstance(layer.kernel_size, tuple) else (layer.kernel_size,) * 2
                upper = math.sqrt(_pool_windows_per_pixel(layer.kernel_size, layer.stride)) / math.sqrt(math.prod(k))
                kind = "avg-pool"
            elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                if layer.training:
                    raise ValueError("put the model in eval mode: batch norm in train mode is not a fixed map")
                g = layer.weight.detach() if layer.weight is not None else torch.ones_like(layer.running_var)
                upper = float((g.abs() / torch.sqrt(layer.running_var + layer.eps)).max())
                kind = "batch-norm (eval)"
            else:
                raise ValueError(f"no sound Lipschitz factor for layer {idx} ({type(layer).__name__}); "
                                 "only sequential Conv2d/Linear/pool/BN/1-Lipschitz encoders are supported")
            if isinstance(layer, (nn.Conv2d, nn.Linear)) and not first_linear_done:
                # fold the input normalization into the first linear layer
                if isinstance(layer, nn.Linear):
                    flat_scale = scale.view(-1, 1).expand(-1, math.prod(in_shape) // len(scale)).flatten() \
                        if len(in_shape) > 1 else scale
                    w = layer.weight.detach().double().cpu() * flat_scale.double()
                    upper = lower = float(torch.linalg.matrix_norm(w, ord=2))
                    report.linf_to_l2 = _first_linear_inf_to_2(layer, flat_scale, in_shape, upper)
                else:
                    w = layer.weight.detach() * scale.view(1, -1, 1, 1)
                    folded = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                       layer.padding, bias=False)
                    folded.weight.data.copy_(w)
                    upper = _conv_upper(folded, in_shape)
                    lower = conv_power_iteration(folded, in_shape, power_iters)
                    report.linf_to_l2 = _first_linear_inf_to_2(layer, scale, in_shape, upper)
                kind += " x input normalization"
                report.linf_to_l2 *= lip_before_first
                report.l2 *= upper
                first_linear_done = True
            else:
                report.l2 *= upper
                if first_linear_done:
                    report.linf_to_l2 *= upper
                else:
                    lip_before_first *= upper
            x = layer(x)
            report.layers.append({"layer": idx, "type": type(layer).__name__, "kind": kind,
                                  "out_shape": tuple(x.shape[1:]), "upper": upper,
                                  "power_iteration": lower})
    if not first_linear_done:
        report.l2 *= float(scale.max())
        report.linf_to_l2 = report.l2 * math.sqrt(report.input_dim)
    return report

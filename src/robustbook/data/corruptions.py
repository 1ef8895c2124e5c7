"""The 15 common corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019) as batched torch operations.

Every corruption takes a float NCHW batch in [0, 1] with 1 or 3 channels, on any device, and returns
a batch of the same shape, dtype and device, in [0, 1]. Randomness comes only from the
`torch.Generator` passed in (a fresh generator seeded 0 when none is given), never from a global RNG.

Fidelity. The per-severity constants in `PARAMS` are those of the authors' CIFAR-10-C generator,
`ImageNet-C/create_c/make_cifar_c.py` in github.com/hendrycks/robustness (the 32 px table), and each
operation follows the same recipe. Where the reference calls a library we re-state that library's
operation in torch (skimage/scipy Gaussian filters with their border modes, scipy's order-1 zoom,
cv2's `filter2D` and `warpAffine` borders, PIL's BOX resize in 8-bit fixed point, ImageMagick's
`MotionBlurImage` kernel). Known differences, also listed in `FIDELITY`:

* random draws come from torch, so images match the official arrays in distribution, not pixel by pixel;
* outputs stay float; the official arrays are `floor(255 * out)` (pass ``quantize=True`` for that);
* motion blur and snow: ImageMagick's one-sided Gaussian line kernel (width ``2 ceil(radius) + 1``,
  offsets rounded to whole pixels, edge pixels repeated) is re-implemented; ImageMagick itself is not used;
* frost: the textures are the frost images the `imagecorruptions` package ships (Apache-2.0) under the
  reference's file names, read without importing that package (not checked byte for byte against the
  reference repository's files); without it, a generated ice texture is used;
* elastic transform: bilinear sampling in floating point, where cv2's `warpAffine` quantizes weights to 1/32;
* JPEG goes through libjpeg (torchvision's codec, or PIL), as the reference does through PIL.

Grey images (1 channel) are corrupted natively: every per-channel operation acts on the single channel;
where colour enters, its grey counterpart is used (snow's greyscale term is the image itself, the frost
texture is reduced to its luma 0.299 R + 0.587 G + 0.114 B, JPEG encodes a greyscale image).
On a grey image repeated to 3 channels the random draws differ per channel, as on colour images.

Other image sizes: the constants are for 32 x 32 images (CIFAR). The operations run on any H x W
(frost needs H, W <= 63), but ImageNet-C (224 px) uses larger constants, kept in `IMAGENET_C_PARAMS`
for reference; the chapter `notebooks/foundations/corruptions.md` shows both tables.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

CORRUPTIONS = ("gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
               "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
               "jpeg_compression")
FAMILIES = {
    "noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
    "blur": ("defocus_blur", "glass_blur", "motion_blur", "zoom_blur"),
    "weather": ("snow", "frost", "fog", "brightness"),
    "digital": ("contrast", "elastic_transform", "pixelate", "jpeg_compression"),
}
SHORT_NAMES = {"gaussian_noise": "Gauss", "shot_noise": "Shot", "impulse_noise": "Impulse",
               "defocus_blur": "Defocus", "glass_blur": "Glass", "motion_blur": "Motion", "zoom_blur": "Zoom",
               "snow": "Snow", "frost": "Frost", "fog": "Fog", "brightness": "Bright", "contrast": "Contrast",
               "elastic_transform": "Elastic", "pixelate": "Pixel", "jpeg_compression": "JPEG"}

_S = 32  # IMSIZE of the elastic-transform constants
# Severity 1..5 constants of make_cifar_c.py (hendrycks/robustness), one tuple per severity.
PARAMS: dict[str, tuple] = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),  # std of the added noise
    "shot_noise": (500, 250, 100, 75, 50),  # photons per unit intensity: Poisson(c x) / c
    "impulse_noise": (0.01, 0.02, 0.03, 0.05, 0.07),  # fraction of salt-and-pepper values
    "defocus_blur": ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),  # disk radius, anti-alias sigma
    "glass_blur": ((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)),  # sigma, max shift, iters
    "motion_blur": ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)),  # ImageMagick radius, sigma
    # the stop of the reference's np.arange(1, stop, 0.01), kept as a float range: (1, 1.06) yields 7 values
    # ending at 1.06, the others stop before the end point, and the float error of the last factor matters
    # (1.2500000000000002 x 26 rounds to a 33-pixel zoom where 1.25 x 26 rounds to 32).
    "zoom_blur": (1.06, 1.11, 1.16, 1.21, 1.26),
    # loc, scale, zoom, threshold, motion radius, motion sigma, blend
    "snow": ((0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
             (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)),
    "frost": ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)),  # image weight, frost weight
    "fog": ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)),  # fog strength, plasma wibble decay
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),  # added to the HSV value
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),  # factor on deviations from the per-channel mean
    # alpha (displacement scale), sigma (smoothing), affine jitter, in pixels (fractions of 32 px)
    "elastic_transform": ((_S * 0, _S * 0, _S * 0.08), (_S * 0.05, _S * 0.2, _S * 0.07),
                          (_S * 0.08, _S * 0.06, _S * 0.06), (_S * 0.1, _S * 0.04, _S * 0.05),
                          (_S * 0.1, _S * 0.03, _S * 0.03)),
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),  # BOX downscale factor, then BOX upscale back
    "jpeg_compression": (80, 65, 58, 50, 40),  # JPEG quality
}
# ImageNet-C (224 px) constants of make_imagenet_c.py in the same repository, for reference (zoom_blur:
# np.arange(start, stop, step) arguments; frost crops the textures without the 0.2 resize); they are
# not used by `corrupt`, whose recipes follow the 32 px generator.
IMAGENET_C_PARAMS: dict[str, tuple] = {
    "gaussian_noise": (0.08, 0.12, 0.18, 0.26, 0.38),
    "shot_noise": (60, 25, 12, 5, 3),
    "impulse_noise": (0.03, 0.06, 0.09, 0.17, 0.27),
    "defocus_blur": ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)),
    "glass_blur": ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)),
    "motion_blur": ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)),
    "zoom_blur": ((1, 1.11, 0.01), (1, 1.16, 0.01), (1, 1.21, 0.02), (1, 1.26, 0.02), (1, 1.31, 0.03)),
    "snow": ((0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7), (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
             (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65), (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55)),
    "frost": ((1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)),
    "fog": ((1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4)),
    "brightness": (0.1, 0.2, 0.3, 0.4, 0.5),
    "contrast": (0.4, 0.3, 0.2, 0.1, 0.05),
    "elastic_transform": ((244 * 2, 244 * 0.7, 244 * 0.1), (244 * 2, 244 * 0.08, 244 * 0.2),
                          (244 * 0.05, 244 * 0.01, 244 * 0.02), (244 * 0.07, 244 * 0.01, 244 * 0.02),
                          (244 * 0.12, 244 * 0.01, 244 * 0.02)),
    "pixelate": (0.6, 0.5, 0.4, 0.3, 0.25),
    "jpeg_compression": (25, 18, 15, 10, 7),
}
FIDELITY = {
    "gaussian_noise": "same recipe", "shot_noise": "same recipe", "impulse_noise": "same recipe (skimage s&p)",
    "defocus_blur": "same kernel and border as cv2", "glass_blur": "same recipe, same sequential copies (the reference's view-aliased swap)",
    "motion_blur": "ImageMagick kernel re-implemented; 8-bit rounding as its PNG output",
    "zoom_blur": "exact scipy order-1 zoom", "snow": "ImageMagick kernel re-implemented",
    "frost": "reference textures when `imagecorruptions` is installed, else generated textures with each "
             "reference texture's colour means and contrast (natural patches change within 3%); "
             "bilinear resize in float where cv2 uses fixed point",
    "fog": "same diamond-square recipe", "brightness": "exact (closed form of the HSV edit)",
    "contrast": "exact", "elastic_transform": "float bilinear where cv2 quantizes weights to 1/32",
    "pixelate": "exact PIL BOX resize, 8-bit fixed point", "jpeg_compression": "libjpeg, as PIL",
}


# ---------------------------------------------------------------- helpers


def _rand(shape: tuple, g: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=g, device=g.device).to(like.device, like.dtype)


def _randn(shape: tuple, g: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.randn(shape, generator=g, device=g.device).to(like.device, like.dtype)


def _randint(low: int, high: int, shape: tuple, g: torch.Generator) -> torch.Tensor:
    return torch.randint(low, high, shape, generator=g, device=g.device).cpu()


def _border_index(idx: np.ndarray, n: int, mode: str) -> np.ndarray:
    """Map integer positions (possibly outside 0..n-1) to valid ones under a border mode.

    'nearest': edge repeated (a a | a b c); 'reflect': half-sample symmetric, scipy's 'reflect'
    (b a | a b c); 'mirror': whole-sample symmetric, scipy's 'mirror' = cv2's BORDER_REFLECT_101 (c b | a b c).
    """
    if mode == "nearest":
        return np.clip(idx, 0, n - 1)
    if n == 1:
        return np.zeros_like(idx)
    if mode == "reflect":
        period = 2 * n
        r = np.mod(idx, period)
        return np.where(r < n, r, period - 1 - r)
    if mode == "mirror":
        period = 2 * n - 2
        r = np.mod(idx, period)
        return np.where(r < n, r, period - r)
    raise ValueError(f"unknown border mode {mode!r}")


def _filter_matrix(n: int, kernel: np.ndarray, mode: str) -> np.ndarray:
    """The n x n matrix of a centred 1-D correlation with `kernel` under a border mode."""
    r = len(kernel) // 2
    m = np.zeros((n, n))
    rows = np.arange(n)
    for t, w in enumerate(kernel):
        np.add.at(m, (rows, _border_index(rows + t - r, n, mode)), w)
    return m


def _gauss_kernel(sigma: float, truncate: float) -> np.ndarray:
    """scipy.ndimage's sampled Gaussian: radius int(truncate * sigma + 0.5), normalized."""
    radius = int(truncate * sigma + 0.5)
    if sigma <= 0 or radius == 0:
        return np.ones(1)
    t = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def _separable(x: torch.Tensor, mh: np.ndarray, mw: np.ndarray) -> torch.Tensor:
    """Apply row matrix `mh` (H' x H) and column matrix `mw` (W' x W) to every channel: mh @ x @ mw^T."""
    a = torch.as_tensor(mh, dtype=x.dtype, device=x.device)
    b = torch.as_tensor(mw, dtype=x.dtype, device=x.device)
    return torch.matmul(torch.matmul(a, x), b.T)


def gaussian_filter(x: torch.Tensor, sigma: float, mode: str = "nearest", truncate: float = 4.0) -> torch.Tensor:
    """Spatial Gaussian blur of an NCHW batch as skimage.filters.gaussian / scipy compute it."""
    k = _gauss_kernel(sigma, truncate)
    h, w = x.shape[-2:]
    return _separable(x, _filter_matrix(h, k, mode), _filter_matrix(w, k, mode))


def _zoom_matrix(n: int, z: float) -> np.ndarray:
    """n x n matrix of the reference's clipped zoom: central crop of ceil(n / z) pixels, scipy order-1
    zoom by z (output length round(crop * z), align-corners sampling), central n pixels kept."""
    ch = int(math.ceil(n / z))
    top = (n - ch) // 2
    out_len = int(round(ch * z))
    trim = (out_len - n) // 2
    m = np.zeros((n, n))
    for r in range(n):
        o = r + trim
        c = o * (ch - 1) / (out_len - 1) if out_len > 1 else 0.0
        i0 = min(int(math.floor(c)), ch - 1)
        f = c - i0
        m[r, top + i0] += 1 - f
        if f > 0:
            m[r, top + i0 + 1] += f
    return m


def _clipped_zoom(x: torch.Tensor, z: float) -> torch.Tensor:
    h, w = x.shape[-2:]
    return _separable(x, _zoom_matrix(h, z), _zoom_matrix(w, z))


def _motion_blur(x: torch.Tensor, radius: float, sigma: float, angles: torch.Tensor) -> torch.Tensor:
    """ImageMagick's MotionBlurImage, one angle (degrees) per image: a one-sided Gaussian line kernel.

    Kernel width 2 ceil(radius) + 1, weights exp(-i^2 / (2 sigma^2)) normalized, tap i read at the pixel
    offset (round(i cos a), round(i sin a)) (x right, y down), edge pixels repeated outside the image.
    """
    n, c, h, w = x.shape
    width = int(2 * math.ceil(radius) + 1)
    i = torch.arange(width, dtype=torch.float64)
    k = torch.exp(-i ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(x.dtype)
    a = torch.deg2rad(angles.double().cpu())
    ox = torch.ceil(i[None] * torch.cos(a)[:, None] - 0.5).long()  # (n, width)
    oy = torch.ceil(i[None] * torch.sin(a)[:, None] - 0.5).long()
    yy = torch.arange(h)[:, None]
    xx = torch.arange(w)[None, :]
    flat = x.reshape(n, c, h * w)
    out = torch.zeros_like(flat)
    for t in range(width):
        ys = (yy[None] + oy[:, t, None, None]).clamp(0, h - 1)
        xs = (xx[None] + ox[:, t, None, None]).clamp(0, w - 1)
        idx = (ys * w + xs).reshape(n, 1, h * w).expand(n, c, h * w).to(x.device)
        out += k[t] * torch.gather(flat, 2, idx)
    return out.reshape(n, c, h, w)


def _round8(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0, 1) * 255) / 255


def _floor8(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x.clamp(0, 1) * 255) / 255


def _grey(x: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma (cv2's RGB2GRAY) of an RGB batch; the image itself when it has 1 channel."""
    if x.shape[1] == 1:
        return x
    wts = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * wts).sum(1, keepdim=True)


def plasma_fractal(n: int, size: int, decay: float, g: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """`n` diamond-square height maps of side `size` (a power of two) in [0, 1], as the reference's fog.

    Each midpoint is the mean of its four neighbours (wrapping around) plus noise uniform in
    [-w^2, w^2], with w = 100 at the coarsest scale, divided by `decay` at each finer scale.
    """
    if size & (size - 1):
        raise ValueError(f"plasma size must be a power of two, got {size}")
    m = torch.zeros(n, size, size, dtype=torch.float64, device=like.device)
    step, wib = size, 100.0

    def noisy_mean(s: torch.Tensor) -> torch.Tensor:
        u = _rand(tuple(s.shape), g, m) * 2 - 1
        return s / 4 + wib * wib * u

    while step >= 2:
        half = step // 2
        corner = m[:, 0::step, 0::step]
        sq = corner + corner.roll(-1, 1)
        sq = sq + sq.roll(-1, 2)
        m[:, half::step, half::step] = noisy_mean(sq)
        dr = m[:, half::step, half::step]
        ul = m[:, 0::step, 0::step]
        m[:, 0::step, half::step] = noisy_mean(dr + dr.roll(1, 1) + ul + ul.roll(-1, 2))
        m[:, half::step, 0::step] = noisy_mean(dr + dr.roll(1, 2) + ul + ul.roll(-1, 1))
        step //= 2
        wib /= decay
    m = m - m.amin((1, 2), keepdim=True)
    return (m / m.amax((1, 2), keepdim=True)).to(like.dtype)


# ---------------------------------------------------------------- the 15 corruptions


def _gaussian_noise(x, c, g):
    return (x + c * _randn(tuple(x.shape), g, x)).clamp(0, 1)


def _shot_noise(x, c, g):
    rate = (x.detach().to(g.device, torch.float64) * c).clamp_min(0)
    return (torch.poisson(rate, generator=g).to(x.device, x.dtype) / c).clamp(0, 1)


def _impulse_noise(x, c, g):
    flip = _rand(tuple(x.shape), g, x) < c
    salt = _rand(tuple(x.shape), g, x) < 0.5
    out = torch.where(flip & salt, torch.ones_like(x), x)
    return torch.where(flip & ~salt, torch.zeros_like(x), out).clamp(0, 1)


def _disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """The reference's anti-aliased disk: indicator of x^2 + y^2 <= r^2 on a (2L+1)^2 grid (L = 8 for
    r <= 8), normalized, then blurred by a Gaussian of sigma `alias_blur` (3x3, or 5x5 for r > 8)."""
    half = 8 if radius <= 8 else int(radius)
    t = np.arange(-half, half + 1)
    xx, yy = np.meshgrid(t, t)
    d = ((xx ** 2 + yy ** 2) <= radius ** 2).astype(np.float64)
    d /= d.sum()
    ks = 3 if radius <= 8 else 5
    u = np.arange(ks) - ks // 2
    gk = np.exp(-u ** 2 / (2 * alias_blur ** 2))
    gk /= gk.sum()
    m = _filter_matrix(len(t), gk, "mirror")
    k = m @ d @ m.T
    nz = np.nonzero(k.sum(1) > 0)[0]
    lo, hi = min(nz.min(), len(t) - 1 - nz.max()), len(t)  # crop to the symmetric support
    return k[lo:hi - lo, lo:hi - lo]


def _defocus_blur(x, c, g):
    # cv2.filter2D with BORDER_REFLECT_101; the (symmetric) kernel is split by SVD into a few
    # separable terms, each applied as row/column matrices with the same border (exact, and fast).
    k = _disk_kernel(*c)
    h, w = x.shape[-2:]
    u, sv, vt = np.linalg.svd(k)
    out = torch.zeros_like(x)
    for i in range(int((sv > 1e-9 * sv[0]).sum())):
        out += float(sv[i]) * _separable(x, _filter_matrix(h, u[::-1, i], "mirror"),
                                         _filter_matrix(w, vt[i, ::-1], "mirror"))
    return out.clamp(0, 1)


def _glass_sources(n: int, h: int, w: int, delta: int, offs: np.ndarray) -> np.ndarray:
    """(n, h*w) source pixel of every output pixel after the reference's sequential local "swaps".

    Rows then columns, from the bottom-right, each with an offset (dx, dy) in {-delta, ..., delta - 1}
    (`offs`: iterations x rows x columns x 2 x n). On a colour (H, W, 3) array the reference's tuple swap
    `x[p], x[q] = x[q], x[p]` assigns through views: x[p] takes x[q]'s pixel and x[q] keeps it, so a pixel
    is copied, not exchanged. The released CIFAR-10-C and CIFAR-100-C sets were made that way and so is
    this (a true exchange changes 32 px patches of scikit-learn's sample photographs 7-34% more, by
    severity, in mean absolute grey level).
    """
    hs = range(h - delta, delta, -1)
    ws = range(w - delta, delta, -1)
    perm = np.tile(np.arange(h * w), (n, 1))
    rows = np.arange(n)
    for it in range(offs.shape[0]):
        for a, hh in enumerate(hs):
            for b, ww in enumerate(ws):
                dx, dy = offs[it, a, b]
                perm[:, hh * w + ww] = perm[rows, (hh + dy) * w + (ww + dx)]
    return perm


def _glass_blur(x, c, g):
    sigma, delta, iters = c
    n, ch, h, w = x.shape
    x = _floor8(gaussian_filter(x, sigma))  # np.uint8(... * 255) truncates
    offs = _randint(-delta, delta, (iters, len(range(h - delta, delta, -1)), len(range(w - delta, delta, -1)),
                                    2, n), g).numpy()
    idx = torch.from_numpy(_glass_sources(n, h, w, delta, offs)).to(x.device)[:, None].expand(n, ch, h * w)
    x = torch.gather(x.reshape(n, ch, h * w), 2, idx).reshape(n, ch, h, w)
    return gaussian_filter(x, sigma).clamp(0, 1)


def _motion(x, c, g):
    angles = _rand((x.shape[0],), g, x.double()) * 90 - 45
    return _round8(_motion_blur(x, c[0], c[1], angles))  # ImageMagick writes an 8-bit PNG


def _zoom_factors(stop: float) -> np.ndarray:
    return np.arange(1, stop, 0.01)  # the reference's float factors, bit for bit (see PARAMS)


@lru_cache(maxsize=32)
def _zoom_blur_operator(h: int, w: int, stop: float) -> torch.Tensor:
    """The whole (linear) zoom blur of an h x w channel as one (h w) x (h w) matrix (small images only)."""
    zs = _zoom_factors(stop)
    k = np.eye(h * w)
    for z in zs:
        k += np.kron(_zoom_matrix(h, float(z)), _zoom_matrix(w, float(z)))
    return torch.from_numpy(k / (len(zs) + 1)).float()


def _zoom_blur(x, c, g):
    n, ch, h, w = x.shape
    if h * w <= 64 * 64:  # one GEMM with the precomputed operator
        op = _zoom_blur_operator(h, w, float(c)).to(x.device, x.dtype)
        return (x.reshape(-1, h * w) @ op.T).reshape(n, ch, h, w).clamp(0, 1)
    zs = _zoom_factors(c)
    out = x.clone()
    for z in zs:
        out = out + _clipped_zoom(x, float(z))
    return (out / (len(zs) + 1)).clamp(0, 1)


def _snow(x, c, g):
    loc, scale, zoom, thr, mb_r, mb_s, blend = c
    n, ch, h, w = x.shape
    layer = loc + scale * _randn((n, 1, h, w), g, x)
    layer = _clipped_zoom(layer, zoom) if zoom != 1 else layer
    layer = torch.where(layer < thr, torch.zeros_like(layer), layer)
    layer = _floor8(layer)  # saved as an 8-bit greyscale PNG
    angles = _rand((n,), g, x.double()) * 90 - 135
    layer = _round8(_motion_blur(layer, mb_r, mb_s, angles))
    x = blend * x + (1 - blend) * torch.maximum(x, _grey(x) * 1.5 + 0.5)
    return (x + layer + layer.flip(-1, -2)).clamp(0, 1)


@lru_cache(maxsize=None)
def frost_textures() -> tuple[torch.Tensor, ...]:
    """The five frost textures the CIFAR-10-C generator draws from (frost1..frost5; numpy's
    randint(5) never picks frost6), RGB float in [0, 255], resized by 0.2 as the reference does.

    Read from the `imagecorruptions` package's data files when it is installed (Apache-2.0; the same
    file names as the reference's); otherwise five generated ice textures (see `generated_frost`)."""
    from .packaged import packaged_file

    names = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"]
    try:  # each texture's sha256 is pinned (robustbook.data.packaged): another release's bytes are refused
        paths = [packaged_file("imagecorruptions", f"frost/{f}") for f in names]
    except (ModuleNotFoundError, FileNotFoundError):
        return tuple(generated_frost(i) for i in range(5))
    from PIL import Image

    out = []
    for path in paths:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"), dtype=np.float32)
        t = torch.from_numpy(arr).permute(2, 0, 1)[None]
        size = (int(round(arr.shape[0] * 0.2)), int(round(arr.shape[1] * 0.2)))
        out.append(F.interpolate(t, size=size, mode="bilinear", align_corners=False)[0].clamp(0, 255))
    return tuple(out)


# Colour statistics of the five reference frost textures after the 0.2 resize (imagecorruptions' frost1-5,
# measured by `frost_textures()` with that package installed): per-channel RGB means in [0, 1] and the
# standard deviation of the grey level. Generated texture k copies texture k's statistics, so the spread
# between textures (grey means 0.48-0.81) and their blue tint carry over; matching only the averages over
# the five (an earlier version) changed natural 32 px patches 4-10% less than the reference files.
FROST_STATS = (((0.304, 0.584, 0.650), 0.070), ((0.787, 0.805, 0.841), 0.086), ((0.787, 0.805, 0.841), 0.086),
               ((0.540, 0.600, 0.648), 0.111), ((0.440, 0.483, 0.528), 0.169))


def generated_frost(seed: int, size: int = 96) -> torch.Tensor:
    """A generated ice texture (3, size, size) in [0, 255]: plasma crystals standardised to the colour
    means and grey contrast of reference texture `seed % 5` (`FROST_STATS`)."""
    g = torch.Generator().manual_seed(1000 + seed)
    like = torch.zeros(1)
    p = 1 << (size - 1).bit_length()
    base = plasma_fractal(1, p, 1.6, g, like)[0, :size, :size]
    fine = plasma_fractal(1, p, 1.2, g, like)[0, :size, :size]
    ice = 0.6 * base + 0.4 * fine
    means, std = FROST_STATS[seed % len(FROST_STATS)]
    shape = std * (ice - ice.mean()) / ice.std().clamp_min(1e-12)
    return (255 * (torch.tensor(means).view(3, 1, 1) + shape[None]).clamp(0, 1)).float()


def _frost(x, c, g):
    n, ch, h, w = x.shape
    tex = frost_textures()
    if any(t.shape[1] <= h or t.shape[2] <= w for t in tex):
        raise ValueError(f"frost textures are too small for {h}x{w} images (the 32 px recipe)")
    which = _randint(0, len(tex), (n,), g)
    out = torch.empty(n, 3, h, w, dtype=x.dtype)
    ar_h, ar_w = torch.arange(h), torch.arange(w)
    for k, t in enumerate(tex):
        sel = (which == k).nonzero().flatten()
        if len(sel) == 0:
            continue
        ys = _randint(0, t.shape[1] - h, (len(sel),), g)
        xs = _randint(0, t.shape[2] - w, (len(sel),), g)
        crop = t[:, (ys[:, None, None] + ar_h[None, :, None]), (xs[:, None, None] + ar_w[None, None, :])]
        out[sel] = crop.permute(1, 0, 2, 3).to(x.dtype)
    out = out.to(x.device)
    if ch == 1:
        out = _grey(out)
    return ((c[0] * 255 * x + c[1] * out) / 255).clamp(0, 1)


def _fog(x, c, g):
    n, ch, h, w = x.shape
    size = 1 << (max(h, w) - 1).bit_length()
    plasma = plasma_fractal(n, size, c[1], g, x)[:, None, :h, :w]
    vmax = x.amax((1, 2, 3), keepdim=True)
    return ((x + c[0] * plasma) * vmax / (vmax + c[0])).clamp(0, 1)


def _brightness(x, c, g):
    # Raising HSV value V = max_c x_c by c at fixed hue and saturation scales every channel by V' / V;
    # a black pixel (V = 0, S = 0) becomes the grey V' = c.
    v = x.amax(1, keepdim=True)
    v2 = (v + c).clamp(0, 1)
    scale = torch.where(v > 0, v2 / v.clamp_min(1e-12), torch.zeros_like(v))
    return torch.where(v > 0, x * scale, v2.expand_as(x)).clamp(0, 1)


def _contrast(x, c, g):
    m = x.mean((2, 3), keepdim=True)
    return ((x - m) * c + m).clamp(0, 1)


def _border_index_t(idx: torch.Tensor, n: int, mode: str) -> torch.Tensor:
    """`_border_index` for integer torch tensors."""
    if mode == "nearest":
        return idx.clamp(0, n - 1)
    if n == 1:
        return torch.zeros_like(idx)
    period = 2 * n if mode == "reflect" else 2 * n - 2
    r = torch.remainder(idx, period)
    return torch.where(r < n, r, (period - 1 - r) if mode == "reflect" else (period - r))


def _bilinear(img: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, mode: str) -> torch.Tensor:
    """Sample (n, c, h, w) images at float row/column coordinates (n, h, w), bilinear, border `mode`."""
    n, c, h, w = img.shape
    y0, x0 = torch.floor(ys), torch.floor(xs)
    fy, fx = (ys - y0).to(img.dtype)[:, None], (xs - x0).to(img.dtype)[:, None]
    y0, x0 = y0.long(), x0.long()
    ya, yb = _border_index_t(y0, h, mode) * w, _border_index_t(y0 + 1, h, mode) * w
    xa, xb = _border_index_t(x0, w, mode), _border_index_t(x0 + 1, w, mode)
    idx = torch.stack([ya + xa, ya + xb, yb + xa, yb + xb], 1).reshape(n, 1, 4 * h * w)
    v = torch.gather(img.reshape(n, c, h * w), 2, idx.expand(n, c, 4 * h * w)).reshape(n, c, 4, h, w)
    return ((1 - fy) * ((1 - fx) * v[:, :, 0] + fx * v[:, :, 1]) + fy * ((1 - fx) * v[:, :, 2] + fx * v[:, :, 3]))


def _elastic(x, c, g):
    alpha, sigma, jitter = c
    n, ch, h, w = x.shape
    xd = x.double()
    # Random affine: three control points around the centre, each moved uniformly by up to `jitter`
    # pixels; the image is warped so that pts1 lands on pts2 (cv2.warpAffine, BORDER_REFLECT_101).
    cy, cx = float(h // 2), float(w // 2)
    s = min(h, w) // 3
    pts1 = torch.tensor([[cy + s, cx + s], [cy + s, cx - s], [cy - s, cx - s]], dtype=torch.float64)
    pts2 = pts1[None] + (_rand((n, 3, 2), g, xd) * 2 - 1).cpu() * jitter
    # cv2 points are (x, y) = (column, row); with the reference's square images the order of the pair
    # inside a point does not matter for pts1, and the jitter is symmetric.
    ones = torch.ones(n, 3, 1, dtype=torch.float64)
    src = torch.cat([pts1[None].expand(n, 3, 2), ones], 2)  # (n, 3, 3): rows (px, py, 1)
    coef = torch.linalg.solve(src, pts2)  # (n, 3, 2): dst = [p, 1] @ coef
    aff = torch.cat([coef.transpose(1, 2), torch.tensor([0, 0, 1.0]).expand(n, 1, 3)], 1)
    inv = torch.linalg.inv(aff)  # dst -> src
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                            indexing="ij")
    px = inv[:, 0, 0, None, None] * xx + inv[:, 0, 1, None, None] * yy + inv[:, 0, 2, None, None]
    py = inv[:, 1, 0, None, None] * xx + inv[:, 1, 1, None, None] * yy + inv[:, 1, 2, None, None]
    warped = _bilinear(x, py.to(x.device), px.to(x.device), "mirror")
    # Smooth random displacement fields (skimage gaussian, mode 'reflect', truncate 3) scaled by alpha.
    dx = gaussian_filter(_rand((n, 1, h, w), g, x) * 2 - 1, sigma, "reflect", 3.0)[:, 0] * alpha
    dy = gaussian_filter(_rand((n, 1, h, w), g, x) * 2 - 1, sigma, "reflect", 3.0)[:, 0] * alpha
    yy, xx = yy.to(x.device, x.dtype), xx.to(x.device, x.dtype)
    out = _bilinear(warped, yy[None] + dy, xx[None] + dx, "reflect")  # scipy map_coordinates, 'reflect'
    return out.clamp(0, 1).to(x.dtype)


PIL_PRECISION_BITS = 22  # Pillow's 8-bit resampling: 32 - 8 - 2 bits of fixed-point coefficients


def pil_box_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Pillow's BOX resampling weights (n_out x n_in) as integers of PIL_PRECISION_BITS fixed point."""
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = 0.5 * fscale
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        center = (o + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        t = (np.arange(lo, hi) - center + 0.5) / fscale
        wts = ((t > -0.5) & (t <= 0.5)).astype(np.float64)
        wts /= wts.sum()
        m[o, lo:hi] = np.where(wts < 0, np.trunc(-0.5 + wts * (1 << PIL_PRECISION_BITS)),
                               np.trunc(0.5 + wts * (1 << PIL_PRECISION_BITS)))
    return m


def pil_box_resize(x8: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """PIL's `resize(..., Image.BOX)` of an 8-bit batch (float tensor of integers 0..255): horizontal
    pass then vertical pass, each rounded to 8 bits as Pillow does."""
    h, w = x8.shape[-2:]
    half = float(1 << (PIL_PRECISION_BITS - 1))
    one = float(1 << PIL_PRECISION_BITS)
    y = x8.double()
    if size[1] != w:
        mw = torch.as_tensor(pil_box_matrix(w, size[1]), device=x8.device)
        y = torch.floor((torch.matmul(y, mw.T) + half) / one).clamp(0, 255)
    if size[0] != h:
        mh = torch.as_tensor(pil_box_matrix(h, size[0]), device=x8.device)
        y = torch.floor((torch.matmul(mh, y) + half) / one).clamp(0, 255)
    return y.to(x8.dtype)


def _pixelate(x, c, g):
    h, w = x.shape[-2:]
    x8 = torch.round(x.clamp(0, 1) * 255)
    small = pil_box_resize(x8, (int(h * c), int(w * c)))
    return pil_box_resize(small, (h, w)) / 255


def _jpeg(x, c, g):
    x8 = torch.round(x.detach().clamp(0, 1) * 255).to(torch.uint8).cpu()
    try:
        from torchvision.io import decode_jpeg, encode_jpeg
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = encode_jpeg(list(x8), quality=int(c))
            out = torch.stack(decode_jpeg(data))
    except (ImportError, RuntimeError):  # torchvision built without libjpeg: PIL, one image at a time
        out = torch.stack([_pil_jpeg(im, int(c)) for im in x8])
    return out.to(x.device, x.dtype) / 255


def _pil_jpeg(im: torch.Tensor, quality: int) -> torch.Tensor:
    """One uint8 CHW image through PIL's JPEG encoder and decoder."""
    from io import BytesIO

    from PIL import Image

    arr = im.permute(1, 2, 0).numpy()
    pil = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)
    buf = BytesIO()
    pil.save(buf, "JPEG", quality=quality)
    dec = np.asarray(Image.open(buf))
    dec = dec[..., None] if dec.ndim == 2 else dec
    return torch.from_numpy(dec.copy()).permute(2, 0, 1)


_IMPL: dict[str, Callable] = {
    "gaussian_noise": _gaussian_noise, "shot_noise": _shot_noise, "impulse_noise": _impulse_noise,
    "defocus_blur": _defocus_blur, "glass_blur": _glass_blur, "motion_blur": _motion, "zoom_blur": _zoom_blur,
    "snow": _snow, "frost": _frost, "fog": _fog, "brightness": _brightness, "contrast": _contrast,
    "elastic_transform": _elastic, "pixelate": _pixelate, "jpeg_compression": _jpeg,
}


# Corruptions whose `scale` multiplies the constant instead of the displacement: salt-and-pepper values are
# already 0 or 1, so x + k (c(x) - x) clips back to c(x) for k >= 1; k scales the fraction of flipped values.
SCALED_CONSTANT = ("impulse_noise",)


def corrupt(x: torch.Tensor, name: str, severity: int, generator: torch.Generator | None = None,
            quantize: bool = False, scale: float = 1.0) -> torch.Tensor:
    """Apply corruption `name` at `severity` (1..5) to a float NCHW batch in [0, 1] (1 or 3 channels).

    `generator` supplies every random draw (default: a new generator seeded 0, so repeated calls agree);
    `quantize=True` rounds down to 8-bit levels as the official uint8 arrays do. `scale` k returns
    x + k (corrupt(x) - x), clipped to [0, 1] (for `SCALED_CONSTANT`: the severity's constant times k): the
    difficulty-matched corruptions of `robustbook.data.calibration` (k = 1, the default, is the corruption
    itself, bit for bit).
    """
    if isinstance(scale, bool) or not math.isfinite(float(scale)) or float(scale) < 0:
        raise ValueError(f"invalid scale={scale!r}: a finite number >= 0")
    if name not in _IMPL:
        raise ValueError(f"unknown corruption {name!r}: choose one of {', '.join(CORRUPTIONS)}")
    if isinstance(severity, bool) or int(severity) != severity or not 1 <= severity <= 5:
        raise ValueError(f"invalid severity={severity!r}: must be an integer in 1..5")
    if not torch.is_tensor(x) or x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"expected an NCHW tensor with 1 or 3 channels, got {getattr(x, 'shape', type(x))}")
    if not x.is_floating_point():
        raise ValueError(f"expected a float tensor in [0, 1], got dtype {x.dtype}")
    if x.numel() == 0:
        return x.clone()
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    with torch.no_grad():
        c = PARAMS[name][int(severity) - 1]
        if name in SCALED_CONSTANT and float(scale) != 1.0:
            c = min(1.0, float(scale) * c)
        out = _IMPL[name](x, c, g).to(x.dtype)
        out = out.clamp(0, 1)
        if float(scale) != 1.0 and name not in SCALED_CONSTANT:
            out = (x + float(scale) * (out - x)).clamp(0, 1)
        return _floor8(out) if quantize else out


def corruption_seed(seed: int, name: str, severity: int, chunk: int = 0) -> int:
    """A 63-bit seed derived from (seed, corruption, severity, chunk), for independent streams."""
    ss = np.random.SeedSequence([int(seed), CORRUPTIONS.index(name), int(severity), int(chunk)])
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


class CorruptedDataset(Dataset):
    """`base` (items (x, y), x a CHW float image in [0, 1]) corrupted at one severity, deterministically.

    Images are corrupted lazily in fixed chunks of `chunk_size` items, each with its own generator
    seeded from (seed, corruption, severity, chunk index), so an item does not depend on the order
    of access or on the evaluation batch size; computed chunks are kept in memory.
    """

    def __init__(self, base: Dataset, corruption: str, severity: int, seed: int = 0, chunk_size: int = 512,
                 device: torch.device | str = "cpu", scale: float = 1.0):
        if corruption not in _IMPL:
            raise ValueError(f"unknown corruption {corruption!r}: choose one of {', '.join(CORRUPTIONS)}")
        if isinstance(severity, bool) or int(severity) != severity or not 1 <= severity <= 5:
            raise ValueError(f"invalid severity={severity!r}: must be an integer in 1..5")
        self.base, self.corruption, self.severity, self.seed = base, corruption, int(severity), int(seed)
        self.chunk_size, self.device, self.scale = int(chunk_size), torch.device(device), float(scale)
        self._chunks: dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def _chunk(self, k: int) -> torch.Tensor:
        if k not in self._chunks:
            lo, hi = k * self.chunk_size, min((k + 1) * self.chunk_size, len(self))
            tensors = getattr(self.base, "tensors", None)
            if tensors is not None:
                x = tensors[0][lo:hi]
            else:
                x = torch.stack([self.base[i][0] for i in range(lo, hi)])
            g = torch.Generator().manual_seed(corruption_seed(self.seed, self.corruption, self.severity, k))
            self._chunks[k] = corrupt(x.to(self.device).float(), self.corruption, self.severity, g,
                                     scale=self.scale).cpu()
        return self._chunks[k]

    def __getitem__(self, i: int):
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        k, j = divmod(i, self.chunk_size)
        return self._chunk(k)[j], self.base[i][1]

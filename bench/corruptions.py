"""Corruption throughput: `robustbook.data.corruptions.corrupt` (batched torch) against the `imagecorruptions`
package (one uint8 HWC image at a time) on the same 32x32 images, all 15 corruptions x 5 severities, on CPU.
Prints ms per image for each corruption and the speed ratio over the corruptions both ran.

`imagecorruptions` 1.1.2 no longer imports as released on current Python / NumPy / scikit-image: it imports
`pkg_resources` (gone from setuptools), uses `np.float_` (gone in NumPy 2) in fog and passes
`multichannel=` to `skimage.filters.gaussian` (gone in scikit-image 0.19+) in glass blur. The script adds
three small shims before importing it (a `pkg_resources.resource_filename` that points into the package,
`np.float_ = np.float64`, and a wrapper that turns `multichannel=True` into `channel_axis=-1`); they change
no computation. Any corruption that still fails is reported and left out of the ratio. Note that the package
uses ImageNet-C's 224 px constants (so its work per image differs a little: e.g. larger motion kernels).

    .venv/bin/python bench/corruptions.py [--images 1000] [--peer-images 20] [--threads 1]
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

from robustbook.data import digits32
from robustbook.data.corruptions import CORRUPTIONS, corrupt


def import_peer():
    """Import imagecorruptions with the compatibility shims described in the module docstring."""
    spec = importlib.util.find_spec("imagecorruptions")
    if spec is None:
        return None
    base = Path(list(spec.submodule_search_locations)[0])
    if importlib.util.find_spec("pkg_resources") is None:
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = lambda pkg, name: str(base / name)
        sys.modules["pkg_resources"] = shim
    if not hasattr(np, "float_"):
        np.float_ = np.float64
    import imagecorruptions
    from imagecorruptions import corruptions as mod

    original = mod.gaussian

    def gaussian(image, *args, multichannel=None, **kw):
        if multichannel:
            kw.setdefault("channel_axis", -1)
        return original(image, *args, **kw)

    mod.gaussian = gaussian
    return imagecorruptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=1000, help="images in our batch")
    ap.add_argument("--peer-images", type=int, default=20, help="images corrupted one by one by the package")
    ap.add_argument("--threads", type=int, default=1, help="torch / OpenCV threads (1 = fair to the package)")
    ap.add_argument("--repeats", type=int, default=2, help="best of this many timings of our batch")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        import cv2
        cv2.setNumThreads(args.threads)
    except ImportError:
        pass

    x = digits32("test", channels=3).tensors[0]
    x = x.repeat(int(np.ceil(args.images / len(x))), 1, 1, 1)[: args.images].contiguous()
    x = torch.round(x * 255) / 255
    peer = import_peer()
    imgs = (x[: args.peer_images].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)

    for name in CORRUPTIONS:  # warm-up: textures, codecs, cached operators
        corrupt(x[:4], name, 5)
    print(f"{'corruption':18s} {'ours ms/img':>12s} {'package ms/img':>15s} {'ratio':>8s}")
    ours_total = peer_total = 0.0
    left_out, ratios = [], {}
    for name in CORRUPTIONS:
        best = float("inf")
        for _ in range(args.repeats):
            t = time.perf_counter()
            for s in range(1, 6):
                corrupt(x, name, s, torch.Generator().manual_seed(s))
            best = min(best, time.perf_counter() - t)
        ours = best / (5 * len(x))
        theirs, note = float("nan"), ""
        if peer is None:
            note = "imagecorruptions not installed"
        else:
            try:
                t = time.perf_counter()
                for s in range(1, 6):
                    for im in imgs:
                        peer.corrupt(im, corruption_name=name, severity=s)
                theirs = (time.perf_counter() - t) / (5 * len(imgs))
            except Exception as err:  # noqa: BLE001 - report and leave out
                note = f"package failed: {type(err).__name__}: {str(err)[:60]}"
        if np.isfinite(theirs):
            ours_total += ours
            peer_total += theirs
        else:
            left_out.append(name)
        ratio = theirs / ours if np.isfinite(theirs) else float("nan")
        if np.isfinite(ratio):
            ratios[name] = (ours, theirs)
        print(f"{name:18s} {1e3 * ours:12.3f} {1e3 * theirs:15.3f} {ratio:8.1f} {note}")
    print(f"\nthreads={args.threads}, ours on {len(x)} images per call, package on {len(imgs)} images one by one")
    if peer_total:
        print(f"all corruptions both ran ({15 - len(left_out)} of 15), ms per image for all of them at one "
              f"severity: ours {1e3 * ours_total:.2f}, package {1e3 * peer_total:.2f}")
        print(f"SPEED RATIO (package time / ours): {peer_total / ours_total:.1f}x")
        geo = float(np.exp(np.mean([np.log(b / a) for a, b in ratios.values()])))
        rest = {k: v for k, v in ratios.items() if k not in ("glass_blur", "frost")}
        rest_ratio = sum(b for _, b in rest.values()) / sum(a for a, _ in rest.values())
        print(f"geometric mean of the per-corruption ratios: {geo:.1f}x; total ratio without glass_blur and "
              f"frost (the package's slowest, a Python pixel loop and a texture read per image): {rest_ratio:.1f}x")
    if left_out:
        print("left out of the ratio:", ", ".join(left_out))


if __name__ == "__main__":
    main()

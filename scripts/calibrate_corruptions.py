"""Regenerate the difficulty-matched corruption scales of `robustbook.data.calibration` (run once, by hand).

    python scripts/calibrate_corruptions.py --dataset digitsm32 [--dataset digits32]

For each offline data set: the standard model of yi2021's `cpu` recipe on that data set (from the zoo, or
trained now), `n` images of the *training* split (so the test split that Table 1 reports stays out of
the calibration), corruption seed 1 (Table 1 uses 0), and for each corruption the scale k in [0, 16] at
which the model's accuracy drop at severity 5 meets the paper's Std drop (yi2021 Table 1) within 1 point.
The result is written to `src/robustbook/data/calibration_scales.json`; the book only reads it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from robustbook.data import images
from robustbook.data.calibration import REGENERATE, TABLE_FILE
from robustbook.evaluate.corruption import calibrate_scales
from robustbook.experiments.yi2021 import corruption_models, table1

SEVERITY = 5
N_IMAGES = 512
CALIBRATION_SEED = 1


def calibrate(dataset: str, device: str = "cpu", n: int = N_IMAGES, only: list[str] | None = None,
              previous: dict | None = None) -> dict:
    """The stored record of one data set: provenance and, per corruption, target, k and the drops.

    `only` recalibrates those corruptions and keeps the others of `previous`."""
    s = corruption_models.replace(corruption_models.settings("cpu"), dataset=dataset, calibrated=False)
    model = corruption_models.get_model(s, "Std", device, 0)
    data = images.subset(images.load(dataset, "train", s.channels), n, CALIBRATION_SEED)
    targets = table1.paper_std_drops().to_dict()
    if only:
        targets = {c: targets[c] for c in only}
    frame = calibrate_scales(model, data, targets, SEVERITY, device, CALIBRATION_SEED)
    kept = dict((previous or {}).get("corruptions", {})) if only else {}
    return {"severity": SEVERITY,
            "model": f"yi2021 cpu Std: {s.arch}, {s.epochs} epochs, lr {s.lr}, seed 0",
            "images": f"{len(data)} training images (subset seed {CALIBRATION_SEED}), corruption seed "
                      f"{CALIBRATION_SEED}",
            "clean_accuracy": round(frame.attrs["clean"], 2),
            "target": "yi2021 Table 1 Std row: Clean - corruption (CIFAR-10-C, severity 5), within 1 point",
            "command": f"{REGENERATE} --dataset {dataset}",
            "corruptions": {**kept, **{c: {k: (bool(v) if k == "reached" else float(v)) for k, v in row.items()}
                                       for c, row in frame.iterrows()}}}


def main(argv: list[str] | None = None) -> None:
    """Calibrate the named data sets and update the stored table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", action="append", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only", action="append", help="recalibrate only these corruptions (repeatable)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    path = Path(__file__).resolve().parent.parent / "data" / TABLE_FILE
    table = json.loads(path.read_text()) if path.exists() else {}
    for name in args.dataset:
        table[name] = calibrate(name, args.device, only=args.only, previous=table.get(name))
        print(name, json.dumps(table[name]["corruptions"], indent=1))
    path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()

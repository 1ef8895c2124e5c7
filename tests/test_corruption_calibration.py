"""Difficulty-matched corruptions (issue 20): scale 1 is the corruption, the calibration meets its target,
the stored table is complete, and Table 1's verdicts are gated by the Std-drop precondition."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from robustbook.data import calibration
from robustbook.data.corruptions import CORRUPTIONS, CorruptedDataset, corrupt, corruption_seed
from robustbook.evaluate.corruption import calibrate_scales


def _x(n: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", ["gaussian_noise", "impulse_noise", "defocus_blur", "contrast", "fog"])
def test_scale_one_is_the_corruption_bit_for_bit(name):
    x = _x()
    a = corrupt(x, name, 5, torch.Generator().manual_seed(3))
    b = corrupt(x, name, 5, torch.Generator().manual_seed(3), scale=1.0)
    assert torch.equal(a, b)
    base = TensorDataset(x, torch.zeros(len(x), dtype=torch.long))
    assert torch.equal(CorruptedDataset(base, name, 5, seed=2)[4][0], CorruptedDataset(base, name, 5, seed=2, scale=1)[4][0])


def test_scale_extrapolates_the_displacement_and_stays_in_the_box():
    x = _x()
    c = corrupt(x, "gaussian_noise", 5, torch.Generator().manual_seed(1))
    c0 = corrupt(x, "gaussian_noise", 5, torch.Generator().manual_seed(1), scale=0.0)
    c3 = corrupt(x, "gaussian_noise", 5, torch.Generator().manual_seed(1), scale=3.0)
    assert torch.equal(c0, x)
    assert torch.allclose(c3, (x + 3 * (c - x)).clamp(0, 1))
    assert c3.min() >= 0 and c3.max() <= 1
    assert (c3 - x).abs().mean() > (c - x).abs().mean()
    with pytest.raises(ValueError, match="scale"):
        corrupt(x, "gaussian_noise", 5, scale=-1.0)


def test_impulse_noise_scales_its_fraction_of_flipped_values():
    x = torch.full((4, 3, 32, 32), 0.5)
    flipped = [float((corrupt(x, "impulse_noise", 5, torch.Generator().manual_seed(0), scale=k) != 0.5)
                     .float().mean()) for k in (1.0, 2.0, 4.0)]
    assert flipped[0] == pytest.approx(0.07, abs=0.01)
    assert flipped[1] == pytest.approx(0.14, abs=0.015) and flipped[2] == pytest.approx(0.28, abs=0.02)


def test_bisect_scale_finds_the_target_and_reports_failure():
    k, d, ok = calibration.bisect_scale(lambda k: 10 * k, 25.0, high=16, tol=0.1)
    assert ok and abs(d - 25) <= 0.1 and abs(k - 2.5) < 0.02
    k, d, ok = calibration.bisect_scale(lambda k: min(10 * k, 40.0), 60.0)
    assert not ok and d == 40 and k == 4  # the smallest scanned k of largest drop
    # a drop that is not monotone in k (contrast past a flat image): the smallest k meeting the target
    # (a bisection on [0, 16] alone would look at k = 8, see no drop, and never come back below 1)
    k, d, ok = calibration.bisect_scale(lambda k: 80 * k if k <= 1 else max(0.0, 80 - 200 * (k - 1)), 50.0)
    assert ok and abs(d - 50) <= 1 and 0.5 < k < 0.75
    with pytest.raises(ValueError):
        calibration.bisect_scale(lambda k: k, -1.0)


class _Pixel(nn.Module):
    """A tiny classifier: class 1 when pixel (0, 0, 0) exceeds 0.5."""

    def forward(self, x):
        v = x[:, 0, 0, 0] - 0.5
        return torch.stack([-v, v], 1)


def test_calibration_on_a_tiny_model_reaches_its_target():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (400,), generator=g)
    x = torch.full((400, 3, 8, 8), 0.3) + 0.4 * y.view(-1, 1, 1, 1).float()
    data = TensorDataset(x, y)
    frame = calibrate_scales(_Pixel(), data, {"gaussian_noise": 30.0, "impulse_noise": 95.0}, severity=5, seed=1)
    row = frame.loc["gaussian_noise"]
    assert row["reached"] and abs(row["drop_at_scale"] - 30.0) <= 1.0 and row["scale"] > 1
    assert row["drop_at_1"] < 30 - 1  # at CIFAR strength the corruption is too weak for this model
    # the stored-scale path (CorruptedDataset) reproduces the drop the bisection saw, same draws
    xc = corrupt(x, "gaussian_noise", 5, torch.Generator().manual_seed(corruption_seed(1, "gaussian_noise", 5)),
                 scale=float(row["scale"]))
    drop = 100 - 100 * float((_Pixel()(xc).argmax(1) == y).float().mean())
    assert drop == pytest.approx(row["drop_at_scale"], abs=0.01)
    assert not frame.loc["impulse_noise", "reached"]  # a 95-point drop of a 2-class model cannot be met


def test_stored_table_is_complete_and_unknown_sets_fail_clearly():
    table = calibration.stored()
    assert table, "calibration_scales.json is empty"
    for name, entry in table.items():
        k = calibration.scales(name, entry["severity"])
        assert set(k) == set(CORRUPTIONS) and all(np.isfinite(v) and v >= 0 for v in k.values())
        assert "command" in entry and entry["command"].startswith(calibration.REGENERATE)
    with pytest.raises(KeyError, match="calibrate_corruptions"):
        calibration.scales("no-such-set")


def test_table1_verdicts_are_gated_by_the_std_drop():
    from robustbook.data.corruptions import FAMILIES
    from robustbook.experiments.yi2021 import table1

    n = 200
    ones = pd.DataFrame(1.0, index=range(n), columns=["Clean", *CORRUPTIONS])
    # Std untouched by any corruption: nothing to repair, every direction "not testable here"
    untouched = table1.table1_verdicts({"Std": ones, "Adv-l2": ones, "Adv-linf": ones}, FAMILIES)
    assert {v.outcome for v in untouched} == {"not testable here"}
    # Std loses 70 points everywhere, AT only 20: the "+" directions agree, the "-" ones disagree
    rng = np.random.default_rng(0)
    std = ones.copy()
    std[list(CORRUPTIONS)] = (rng.random((n, len(CORRUPTIONS))) > 0.7).astype(float)
    at = ones.copy()
    at[list(CORRUPTIONS)] = (rng.random((n, len(CORRUPTIONS))) > 0.2).astype(float)
    flat = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.501, 0.5]})  # every model at its plateau
    got = {v.claim.split(":")[0]: v.outcome for v in table1.table1_verdicts({"Std": std, "Adv-l2": at, "Adv-linf": at},
                                                                          FAMILIES, histories={m: flat for m in
                                                                                               ("Std", "Adv-l2",
                                                                                                "Adv-linf")})}
    assert got["Adv-linf - Std on noise"] == "agrees"
    assert got["Adv-linf - Std on fog"] == "disagrees"


def test_scales_reach_table1_only_never_cifar_or_the_ablations():
    from robustbook.experiments.yi2021 import corruption_models

    cpu = corruption_models.settings("cpu")
    assert corruption_models.corruption_scales(cpu) is None  # the App. D ablations keep CIFAR-10-C's constants
    assert corruption_models.corruption_scales(corruption_models.table1_settings(cpu)) == calibration.scales(cpu.table1_dataset)
    assert corruption_models.corruption_scales(corruption_models.table1_settings(corruption_models.settings("gpu"))) is None

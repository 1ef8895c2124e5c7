"""Domain-generalization helpers of the alhamoud2023 chapter: LODO splits, Frechet distance closed forms,
certified-accuracy curves and envelopes, correlation summary, the DomainBed loader's offline error."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import TensorDataset

from robustbook.experiments import alhamoud2023 as dg
from robustbook.data import DataUnavailableError
from robustbook.data.domainbed import domainbed
from robustbook.evaluate.frechet import frechet_distance


def _domains():
    return {a: TensorDataset(torch.full((10, 1, 4, 4), float(a)), torch.arange(10) % 3) for a in (0, 15, 30)}


def test_lodo_split_sizes_and_disjointness():
    s = dg.lodo(_domains(), 15, holdout_fraction=0.2, seed=0)
    assert s.sources == (0, 30)
    assert len(s.train) == 16 and len(s.source_val) == 4 and len(s.target_test) == 10
    values = {float(s.train[i][0][0, 0, 0]) for i in range(len(s.train))}
    assert values == {0.0, 30.0}  # the target never leaks into training
    with pytest.raises(ValueError, match="target"):
        dg.lodo(_domains(), 45)


def test_frechet_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, -2.0, 0.5])
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-6)
    # independent coordinates: sum (s_a - s_b)^2 for standard deviations, up to sampling error
    b = rng.standard_normal((20000, 3)) * np.array([2.0, 1.0, 3.0])
    assert frechet_distance(a, b) == pytest.approx(1.0 + 0.0 + 4.0, abs=0.15)
    with pytest.raises(ValueError):
        frechet_distance(a, a[:, :2])


def test_curves_envelope_and_acr():
    t = pd.DataFrame({"kind": "pixel", "domain": "source", "sigma": [0.25] * 3 + [0.5] * 3,
                      "radius": [0.1, 0.3, 0.0, 0.6, 0.0, 0.0],
                      "correct": [True, True, False, True, False, False],
                      "prediction": [1, 1, -1, 1, 2, -1]})
    curves = dg.ca_curves(t, [0.0, 0.2, 0.5])
    by = curves.set_index(["sigma", "radius"])["certified_accuracy"]
    assert by[(0.25, 0.0)] == pytest.approx(2 / 3) and by[(0.25, 0.2)] == pytest.approx(1 / 3)
    assert by[(0.5, 0.5)] == pytest.approx(1 / 3) and by[(0.25, 0.5)] == 0
    env = dg.envelope(curves).set_index("radius")["certified_accuracy"]
    assert env[0.0] == pytest.approx(2 / 3) and env[0.5] == pytest.approx(1 / 3)
    acr = dg.acr_table(t).set_index("sigma")
    assert acr.loc[0.25, "acr"] == pytest.approx(0.4 / 3) and acr.loc[0.5, "abstain"] == pytest.approx(1 / 3)


def test_correlation_summary():
    x = np.arange(8.0)
    c = dg.correlation(x, 2 * x + 1)
    assert c["pearson_r"] == pytest.approx(1.0) and c["spearman_rho"] == pytest.approx(1.0)
    assert c["pearson_lo"] <= c["pearson_r"] <= c["pearson_hi"]
    c = dg.correlation(x, -x)
    assert c["spearman_rho"] == pytest.approx(-1.0)


def test_domainbed_offline_error(tmp_path):
    with pytest.raises(DataUnavailableError, match="PACS"):
        domainbed("PACS", root=tmp_path)
    with pytest.raises(ValueError, match="DomainBed"):
        domainbed("MNIST", root=tmp_path)


def test_frechet_pca_projection():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5000, 6))
    b = a + np.array([3.0, 0, 0, 0, 0, 0])  # the shift lies on the top principal axis of the union
    assert frechet_distance(a, b, pca_dim=1) == pytest.approx(9.0, rel=0.02)
    assert frechet_distance(a, b, pca_dim=6) == pytest.approx(frechet_distance(a, b), rel=1e-6)
    with pytest.raises(ValueError, match="pca_dim"):
        frechet_distance(a, b, pca_dim=7)


def test_driver_recipes_select_on_held_out_sources_and_settings_are_per_profile():
    from robustbook.experiments.common import pick

    s = dg.certified_settings("smoke")
    r = dg.smoothing_recipe(s, 75, "rotation", 0.3)
    assert r.holdout_domain == 75 and r.selection == "source_val" and r.train.noise_sigma == 0.3
    assert r.train.objective == "smooth_rotation_gaussian"
    e = dg.empirical_settings("cpu")
    assert dg.adversarial_config(e, eps=0).objective == "standard"
    assert dg.adversarial_config(e, eps=8 / 255).steps == e.train_steps
    assert pick(dg.EMPIRICAL, "smoke", epochs=None) == dg.EMPIRICAL["smoke"]  # None keeps the profile's value
    with pytest.raises(ValueError, match="no_such_knob"):
        dg.empirical_settings("smoke", no_such_knob=1)

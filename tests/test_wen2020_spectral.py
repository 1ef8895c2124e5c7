"""Singular values of conv layers (FFT/polyphase vs dense matrices), spectral clipping, margins, loss variation."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from robustbook.evaluate import margins as mg
from robustbook.evaluate import spectral as sp


@pytest.mark.parametrize("cin,cout,k,stride,pad,n", [
    (1, 3, 3, 1, 1, 6), (2, 4, 3, 1, 1, 8), (3, 2, 3, 2, 1, 8), (2, 5, 1, 2, 0, 6), (4, 3, 3, 2, 1, 4),
    (2, 2, 5, 1, 2, 7)])
def test_fft_singular_values_match_dense_circular(cin, cout, k, stride, pad, n):
    torch.manual_seed(0)
    w = torch.randn(cout, cin, k, k)
    fft = sp.circular_conv_singular_values(w, n, stride, pad)
    dense = torch.linalg.svdvals(sp.conv_matrix(w, n, stride, pad, circular=True)).numpy()
    assert len(fft) == len(dense)
    np.testing.assert_allclose(fft, dense, rtol=1e-9, atol=1e-9)


def test_non_same_conv_is_refused():
    with pytest.raises(ValueError):
        sp.circular_conv_singular_values(torch.randn(2, 2, 3, 3), 8, 1, 0)


def test_dense_matrix_matches_conv2d():
    torch.manual_seed(1)
    w, x = torch.randn(3, 2, 3, 3).double(), torch.randn(1, 2, 6, 6).double()
    A = sp.conv_matrix(w, 6, 2, 1, circular=False)
    ref = torch.nn.functional.conv2d(x, w, stride=2, padding=1).flatten()
    torch.testing.assert_close(A @ x.flatten(), ref)


def test_power_iteration_matches_dense_zero_padding():
    torch.manual_seed(2)
    w = torch.randn(4, 3, 3, 3).double()
    dense = float(torch.linalg.svdvals(sp.conv_matrix(w, 7, 1, 1))[0])
    pi = sp.operator_norm(lambda x: sp.apply_conv(w, x, 1, 1, False), (3, 7, 7), iters=500, tol=1e-12)
    assert abs(pi - dense) < 1e-6 * dense


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, 1, 1)
        self.c2 = nn.Conv2d(4, 6, 3, 2, 1)
        self.head = nn.Linear(6 * 4 * 4, 3)

    def forward(self, x):
        return self.head(torch.relu(self.c2(torch.relu(self.c1(x)))).flatten(1))


def test_layers_and_table():
    torch.manual_seed(0)
    model = Tiny()
    infos = sp.linear_layers(model, (1, 8, 8))
    assert [i.name for i in infos] == ["c1", "c2", "head"]
    assert infos[1].input_shape == (4, 8, 8) and infos[2].input_shape == (96,)
    table = sp.singular_value_table(model, (1, 8, 8))
    assert list(table["n_sv"]) == [64, 96, 3]
    dense = torch.linalg.svdvals(sp.conv_matrix(model.c2.weight, 8, 2, 1, circular=True)).numpy()
    assert abs(table["sv_std"][1] - dense.std()) < 1e-9


@pytest.mark.parametrize("circular", [True, False])
def test_spectral_clip_bounds_dense_norm(circular):
    torch.manual_seed(0)
    model = Tiny()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(5)
    before = {n: p.clone() for n, p in model.named_parameters()}
    clip = sp.SpectralClip(1.5, (1, 8, 8), circular=circular)
    clip(model, 0)
    for name, (s, p) in {"c1": (1, 1), "c2": (2, 1)}.items():
        w = getattr(model, name).weight
        hw = 8 if name == "c1" else 8
        norm = float(torch.linalg.svdvals(sp.conv_matrix(w, hw, s, p, circular=circular))[0])
        assert norm <= 1.5 * (1 + 1e-5)
        assert norm >= 1.5 * (1 - 1e-3)  # it was far above: clipped to the bound, not below
    assert float(torch.linalg.svdvals(model.head.weight.detach())[0]) <= 1.5 * (1 + 1e-6)
    # biases untouched; a layer already inside the bound is left alone
    assert torch.equal(before["c1.bias"], model.c1.bias)
    w0 = model.c1.weight.clone()
    sp.SpectralClip(1e6, (1, 8, 8))(model, 1)
    assert torch.equal(w0, model.c1.weight)
    with pytest.raises(ValueError):
        sp.SpectralClip(0.0, (1, 8, 8))


def test_clip_as_fit_callback():
    from robustbook.train import TrainConfig, fit
    torch.manual_seed(0)
    model = Tiny()
    data = TensorDataset(torch.rand(32, 1, 8, 8), torch.randint(0, 3, (32,)))
    clip = sp.SpectralClip(0.5, (1, 8, 8))
    fit(model, data, TrainConfig(epochs=2, batch_size=16, lr=0.5), callbacks=[clip], progress=False)
    assert {h["epoch"] for h in clip.history} == {0, 1}
    assert sp.spectral_complexity(model, (1, 8, 8)) <= 0.5 ** 3 * (1 + 1e-5)


def test_margins_closed_form_and_loss_variation():
    lin = nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    model = nn.Sequential(nn.Flatten(), lin)
    x = torch.tensor([[2.0, 1.0], [0.0, 3.0]]).view(2, 1, 1, 2)
    y = torch.tensor([0, 0])
    df = mg.per_example(model, TensorDataset(x, y))
    np.testing.assert_allclose(df["margin"], [1.0, -3.0], rtol=1e-6)
    assert list(df["correct"]) == [True, False]
    logits = torch.tensor([[2.0, 1.0, -3.0], [0.0, 3.0, -3.0]])
    np.testing.assert_allclose(df["prob"], torch.softmax(logits, 1)[:, 0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(mg.loss_variation(model, TensorDataset(x, y), lambda a, b: a), [0, 0], atol=1e-7)
    shift = lambda a, b: a + torch.tensor([0.0, 1.0]).view(1, 1, 1, 2)  # noqa: E731
    lv = mg.loss_variation(model, TensorDataset(x, y), shift)
    assert (lv > 0).all()
    # only originally-correct examples count; the identity attack keeps them all correct
    assert mg.accuracy_on_correct(model, TensorDataset(x, y), lambda a, b: a) == 1.0


def test_fixup_resnet_has_no_batch_norm_and_starts_uniform():
    from robustbook.models.fixup import fixup_resnet, narrow_cifar_resnet
    torch.manual_seed(0)
    net = fixup_resnet(8, 1, 10, 4)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())
    out = net(torch.rand(3, 1, 32, 32))
    assert out.shape == (3, 10) and torch.equal(out, torch.zeros(3, 10))  # zero-initialised classifier
    # residual branches start as identity maps: second convs are zero
    assert all(float(b.conv2.weight.abs().sum()) == 0 for b in net.blocks)
    assert narrow_cifar_resnet(8, 3, 10, 4)(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError):
        fixup_resnet(9)
    with pytest.raises(ValueError):
        narrow_cifar_resnet(8, width=0)


def test_fixup_trains_and_clip_bounds_every_layer():
    from robustbook.models.fixup import fixup_resnet
    from robustbook.train import TrainConfig, fit
    torch.manual_seed(0)
    net = fixup_resnet(8, 1, 3, 2)
    data = TensorDataset(torch.rand(32, 1, 8, 8), torch.randint(0, 3, (32,)))
    clip = sp.SpectralClip(1.0, (1, 8, 8))
    hist = fit(net, data, TrainConfig(epochs=3, batch_size=16, lr=0.2), callbacks=[clip], progress=False)
    assert np.isfinite(hist["loss"]).all()
    for info in sp.linear_layers(net, (1, 8, 8)):
        assert sp.layer_operator_norm(info) <= 1.0 + 1e-6


def test_std_difference_summary():
    from robustbook.evaluate.regularization import std_difference_summary
    s = std_difference_summary([1.0, 2.0, 0.5], [0.5, 1.0, 1.0])
    assert s == {"n_fell": 2, "sum_fell": 1.5, "mean_fell": 0.75, "n_rose": 1, "sum_rose": 0.5, "mean_rose": 0.5}
    with pytest.raises(ValueError):
        std_difference_summary([1.0], [1.0, 2.0])

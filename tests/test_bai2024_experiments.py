"""bai2024 driver: profiles, the gpu path on RobustBench-format fixtures, perturbations, Algorithm 1 on tiny data."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from robustbook.experiments import bai2024 as ex


class Tiny(nn.Module):
    """A stand-in for a RobustBench network: [0, 1] inputs, normalisation inside, a last linear layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 16), nn.ReLU())
        self.logits = nn.Linear(16, 10)

    def forward(self, x):
        return self.logits(self.body((x - 0.5) / 0.25))


NAME = "Zhang2019Theoretically"


def _save_fixture(root, wrap_key="state_dict", prefix="module."):
    torch.manual_seed(0)
    model = Tiny()
    state = {prefix + k: v for k, v in model.state_dict().items()}
    path = ex.robustbench_path(NAME, root)
    path.parent.mkdir(parents=True)
    torch.save({wrap_key: state} if wrap_key else state, path)
    return model


def test_profiles_and_names():
    for p in ("smoke", "cpu", "gpu"):
        assert ex.settings(p).attack_steps >= 1
    gpu = ex.settings("gpu")
    assert gpu.delta == pytest.approx(8 / 255) and gpu.attack_steps == 20 and gpu.beta == 6
    assert ex.networks(gpu)[0] == "Zhang et al. (2019)" and ex.case_study(gpu) in ex.networks(gpu)
    with pytest.raises(ValueError, match="profile"):
        ex.settings("tpu")


@pytest.mark.parametrize("wrap_key,prefix", [("state_dict", "module."), (None, "")])
def test_gpu_path_loads_robustbench_checkpoints_from_fixtures(tmp_path, wrap_key, prefix):
    ref = _save_fixture(tmp_path, wrap_key, prefix)
    model = ex.get_network(ex.settings("gpu"), "Zhang et al. (2019)", "cpu", model_dir=tmp_path,
                           architectures={NAME: Tiny})
    x = torch.rand(4, 3, 32, 32)
    assert not model.training and torch.allclose(model(x), ref(x))
    assert ex.last_linear(model) is model.logits


def test_gpu_path_offline_fails_with_one_clear_error(tmp_path):
    with pytest.raises(ex.RobustBenchUnavailable, match="no checkpoint for Zhang2019Theoretically"):
        ex.load_robustbench(NAME, tmp_path, architectures={NAME: Tiny})
    try:
        import robustbench  # noqa: F401
    except ImportError:
        with pytest.raises(ex.RobustBenchUnavailable, match="robustbench"):
            ex.load_robustbench(NAME, tmp_path)
    with pytest.raises(ValueError, match="invalid network"):
        ex.load_robustbench("Carmon2019Unlabeled_by_index_3", tmp_path)


def test_perturbations():
    torch.manual_seed(0)
    model = Tiny()
    last, params = ex.perturb(model, "last", 0.05, seed=1)
    assert params == list(last.logits.parameters())
    assert all(not p.requires_grad for p in last.body.parameters())
    assert not torch.equal(last.logits.weight, model.logits.weight)
    assert torch.equal(last.body[1].weight, model.body[1].weight)
    whole, params = ex.perturb(model, "whole", 0.05, seed=1)
    assert len(params) == len(list(model.parameters()))
    for p, q in zip(whole.parameters(), model.parameters()):
        rel = float((p - q).detach().std() / q.detach().std())
        assert 0.02 < rel < 0.1
    with pytest.raises(ValueError, match="mode"):
        ex.perturb(model, "middle", 0.05)


def test_algorithm1_runs_and_selects_by_validation():
    s = ex.replace(ex.settings("smoke"), ft_epochs=2, ft_batch_size=16, attack_steps=2, delta=0.1)
    gen = torch.Generator().manual_seed(0)
    mk = lambda n: (torch.rand(n, 3, 32, 32, generator=gen), torch.randint(0, 10, (n,), generator=gen))  # noqa: E731
    data = ex.Splits(*mk(48), *mk(16), *mk(16))
    torch.manual_seed(0)
    hist, per_epoch = ex.finetune(Tiny(), s, data, "whole", 0.01, 1.0)
    assert list(hist["epoch"]) == [1, 2] and set(per_epoch) == {1, 2}
    assert hist[["val W2", "test clean", "test Winf", "test W2"]].apply(lambda c: c.between(0, 1).all()).all()
    assert ex.best_epoch(hist)["val W2"] == hist["val W2"].max()


def test_registered_objective_trains_through_the_registry():
    from robustbook.train import TrainConfig, get_objective
    from robustbook.train.distributional import bind

    torch.manual_seed(0)
    model = Tiny()
    x, y = torch.rand(20, 3, 32, 32), torch.randint(0, 10, (20,))
    state = bind(model, x, y, eta=0.1)
    cfg = TrainConfig(objective="distributional_trades", eps=0.1, steps=2, beta=6.0)
    loss = get_objective("distributional_trades")(model, x[:8], y[:8], cfg)
    loss.backward()
    assert torch.isfinite(loss) and model.logits.weight.grad is not None
    assert len(state.history) == 1 and state.history[0]["delta_batch"] >= 0

"""The one eval-mode context (`attacks.base.eval_mode`) and the one margin (`attacks.losses.logit_margin`)."""
from __future__ import annotations

import pytest
import torch

from robustbook.attacks import eval_mode, logit_margin, margin


def test_eval_mode_restores_training_mode_after_an_exception():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5)).train()
    with pytest.raises(RuntimeError):
        with eval_mode(model):
            assert not model.training and not model[1].training
            raise RuntimeError("boom")
    assert model.training and model[1].training
    model.eval()
    with eval_mode(model):
        pass
    assert not model.training


def test_evaluation_leaves_the_mode_as_found(digits_small):
    from robustbook.evaluate import accuracy
    from robustbook.evaluate.margins import per_example
    from robustbook.models import build

    model = build("mlp", 10, 1).train()
    accuracy(model, digits_small[1])
    per_example(model, digits_small[1])
    assert model.training


def test_one_margin_one_sign():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 4.0, 1.0]])
    y = torch.tensor([0, 0])
    assert torch.equal(logit_margin(logits, y), torch.tensor([1.0, -4.0]))  # > 0 iff correct
    assert torch.equal(margin(logits, y), -logit_margin(logits, y))

"""The offline MiniLM classifier, the embedding-space attacks and text fine-tuning (MiniLM loaded once)."""
from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from robustbook.attacks.embedding import EmbeddingPGD, embedding_norm, in_embedding_ball, project_embedding
from robustbook.models import text as mt

TWEETS = ["@united my flight was delayed again, terrible service", "I love the new iPhone!",
          "Self-driving cars are the future", "ok"]


@pytest.fixture(scope="session")
def minilm():
    """(tokenizer, pre-trained MiniLM classifier in eval mode): loaded once per test session."""
    tok = mt.load_tokenizer()
    model = mt.text_classifier("minilm", 2, pretrained=True, seed=0).eval()
    return tok, model


def test_tokenizer_round_trip(minilm):
    tok, _ = minilm
    enc = mt.encode(tok, TWEETS, 32)
    assert enc.input_ids.shape[0] == 4 and enc.attention_mask[3].sum() < enc.attention_mask[0].sum()
    back = tok.decode(enc.input_ids[1], skip_special_tokens=True)
    assert back == "i love the new iphone!"
    assert mt.encode(tok, ["word " * 100], 12).input_ids.shape[1] == 12
    with pytest.raises(ValueError):
        mt.encode(tok, TWEETS, 2)


def test_logits_from_ids_equal_logits_from_embeddings(minilm):
    tok, model = minilm
    enc = mt.encode(tok, TWEETS, 32)
    with torch.no_grad():
        a = model(enc.input_ids, enc.attention_mask)
        b = model.forward_embeds(model.embed(enc.input_ids), enc.attention_mask)
    assert a.shape == (4, 2) and torch.allclose(a, b)


def test_random_twin_has_the_architecture_not_the_weights():
    twin = mt.load_encoder("minilm", pretrained=False, seed=0)
    assert twin.config.num_hidden_layers == 6 and twin.config.hidden_size == 384
    w = twin.embeddings.word_embeddings.weight
    assert abs(float(w.detach().std()) - twin.config.initializer_range) < 0.002  # N(0, 0.02^2), not the trained rows


@pytest.mark.parametrize("norm,eps,alpha", [("l2", 1.0, 0.1), ("linf", 0.001, 0.0005), ("l2", 0.05, 0.1)])
def test_embedding_attack_stays_in_ball_and_raises_the_loss(minilm, norm, eps, alpha):
    tok, model = minilm
    enc = mt.encode(tok, TWEETS, 32)
    y = torch.tensor([0, 1, 1, 0])
    e = model.embed(enc.input_ids).detach()
    grads_before = [p.grad for p in model.parameters()]
    was = model.training

    def loss(x):
        return F.cross_entropy(model.forward_embeds(x, enc.attention_mask), y, reduction="none")

    delta = EmbeddingPGD(eps, alpha, 3, norm)(loss, e, enc.attention_mask)
    assert in_embedding_ball(delta, eps, norm, enc.attention_mask)
    assert float(embedding_norm(delta, norm).max()) > 0
    with torch.no_grad():
        assert float(loss(e + delta).sum()) > float(loss(e).sum())
        assert not torch.equal(model.forward_embeds(e + delta, enc.attention_mask),
                               model.forward_embeds(e, enc.attention_mask))
    assert model.training == was and [p.grad for p in model.parameters()] == grads_before


def test_embedding_attack_closed_form_on_a_linear_loss():
    torch.manual_seed(0)
    e = torch.randn(3, 5, 4)
    mask = torch.ones(3, 5)
    mask[:, 3:] = 0
    w = torch.randn(5, 4)
    wm = w * mask[0, :, None]

    def loss(x):
        return (x * w).flatten(1).sum(1)

    d = EmbeddingPGD(0.1, 0.05, 3, "linf")(loss, e, mask)
    assert torch.allclose(d, (0.1 * torch.sign(wm)).expand_as(d))
    d = EmbeddingPGD(1.0, 0.2, 3, "l2")(loss, e, mask)  # 3 steps of 0.2 along w: norm 0.6 < 1
    assert torch.allclose(d, (0.6 * wm / wm.norm()).expand_as(d), atol=1e-6)
    d = EmbeddingPGD(0.5, 0.2, 3, "l2")(loss, e, mask)  # the ball stops it at 0.5
    assert torch.allclose(embedding_norm(d, "l2"), torch.full((3,), 0.5))
    p = project_embedding(torch.randn(2, 5, 4) * 10, 1.0, "l2", mask[:2])
    assert in_embedding_ball(p, 1.0, "l2", mask[:2])
    with pytest.raises(ValueError):
        EmbeddingPGD(-1.0, 0.1)
    with pytest.raises(ValueError):
        EmbeddingPGD(1.0, 0.1, norm="l1")


def test_finetune_and_hidden_shift(minilm):
    from robustbook.train.text import TextTrainConfig, finetune, hidden_shift, predict

    tok, _ = minilm
    model = mt.text_classifier("minilm", 2, pretrained=True, seed=0)
    enc = mt.encode(tok, TWEETS, 16)
    head0 = model.head.weight.detach().clone()
    emb0 = model.encoder.get_input_embeddings().weight.detach().clone()
    cfg = TextTrainConfig("Adv-linf", epochs=1, batch_size=4, lr=1e-4, head_lr=1e-2, max_length=16,
                          freeze_word_embeddings=True)
    losses = finetune(model, enc, torch.tensor([0, 1, 1, 0]), cfg, seed=0)
    assert len(losses) == 1 and not model.training
    assert not torch.equal(model.head.weight, head0)
    assert torch.equal(model.encoder.get_input_embeddings().weight, emb0)
    assert predict(model, enc).shape == (4,)
    res = hidden_shift(model, enc, EmbeddingPGD(0.001, 0.0005, 2, "linf", random_start=True, seed=0))
    assert res["l2"].shape == (4,) and (res["l2"] > 0).all() and (res["cos"] <= 1 + 1e-6).all()
    with pytest.raises(ValueError):
        TextTrainConfig("FreeLB")


def test_paper_models_fail_offline_with_what_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("ROBUSTBOOK_DATA", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(mt.ModelUnavailableError, match="bert-base-uncased"):
        mt.model_dir("bert-base")
    with pytest.raises(ValueError):
        mt.model_dir("gpt-2")


def test_gpu_path_on_a_tiny_local_bert(minilm, tmp_path, monkeypatch):
    """The gpu profile's loading path (a BERT folder under $ROBUSTBOOK_DATA/hf) on a 1-layer fixture model."""
    from transformers import BertConfig, BertModel

    tok, _ = minilm
    monkeypatch.setenv("ROBUSTBOOK_DATA", str(tmp_path))
    folder = tmp_path / "hf" / "bert-base-uncased"
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32)
    BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    model = mt.text_classifier("bert-base", 3, pretrained=True, seed=0)
    enc = mt.encode(mt.load_tokenizer("bert-base"), TWEETS, 16)
    assert model(enc.input_ids, enc.attention_mask).shape == (4, 3)

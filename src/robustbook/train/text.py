"""Fine-tuning a transformer classifier on text: standard, or adversarial in the word-embedding space.

yi2021 Sec. 5.1.2 / Table 6: AdamW, linear learning-rate decay without warm-up, weight decay 0, dropout 0.1;
the adversarial variants run K ascent steps on the input embeddings (`attacks.embedding.EmbeddingPGD`) and
take the optimizer step on the loss at the perturbed embeddings (Algorithm 1's inner loop, in embedding space).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..attacks.embedding import EmbeddingPGD

METHODS = ("Std", "Adv-l2", "Adv-linf")


@dataclass(frozen=True)
class TextTrainConfig:
    """Everything a text fine-tuning run depends on besides the model, the data and the seed."""

    method: str = "Std"  # Std | Adv-l2 | Adv-linf
    epochs: int = 10
    batch_size: int = 32
    lr: float = 3e-5  # encoder
    head_lr: float | None = None  # None: the same as lr
    weight_decay: float = 0.0
    max_length: int = 128
    eps_l2: float = 1.0
    alpha_l2: float = 0.1
    eps_linf: float = 0.001
    alpha_linf: float = 0.0005
    steps: int = 3
    freeze_word_embeddings: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"invalid method={self.method!r}: choose one of {', '.join(METHODS)}")
        for name in ("epochs", "batch_size", "steps", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"invalid {name}={getattr(self, name)!r}: must be >= 1")

    def attack(self, seed: int = 0) -> EmbeddingPGD | None:
        """The training-time embedding attack of this method (None for Std)."""
        if self.method == "Std":
            return None
        if self.method == "Adv-l2":
            return EmbeddingPGD(self.eps_l2, self.alpha_l2, self.steps, "l2", seed=seed)
        return EmbeddingPGD(self.eps_linf, self.alpha_linf, self.steps, "linf", seed=seed)

    def spec(self) -> dict[str, Any]:
        """JSON-able fields (the zoo key)."""
        return asdict(self)


def _batches(n: int, batch_size: int, rng: np.random.Generator):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def finetune(model, encoded, labels: torch.Tensor, cfg: TextTrainConfig, device: torch.device | str = "cpu",
             seed: int = 0, progress: bool = False) -> list[float]:
    """Fine-tune `model` (a `models.text.TextClassifier`) in place on (encoded, labels); returns batch losses."""
    device = torch.device(device)
    model.to(device).train()
    if cfg.freeze_word_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    head = list(model.head.parameters())
    head_ids = {id(p) for p in head}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    opt = torch.optim.AdamW([{"params": body, "lr": cfg.lr},
                             {"params": head, "lr": cfg.head_lr if cfg.head_lr is not None else cfg.lr}],
                            weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(labels) // cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: max(0.0, 1.0 - i / total))  # linear, no warm-up
    attack = cfg.attack(seed)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    losses = []
    bar = tqdm(total=total, desc=f"fine-tune {cfg.method}", disable=not progress, leave=False)
    for _ in range(cfg.epochs):
        for idx in _batches(len(labels), cfg.batch_size, rng):
            batch = encoded[torch.as_tensor(idx)].to(device)
            y = labels[torch.as_tensor(idx)].to(device)
            embeds = model.embed(batch.input_ids)
            if attack is not None:
                delta = attack(lambda e: F.cross_entropy(model.forward_embeds(e, batch.attention_mask), y,
                                                         reduction="none"), embeds, batch.attention_mask)
                embeds = embeds + delta
            loss = F.cross_entropy(model.forward_embeds(embeds, batch.attention_mask), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update()
    bar.close()
    model.eval()
    return losses


@torch.no_grad()
def predict(model, encoded, batch_size: int = 64, device: torch.device | str = "cpu") -> torch.Tensor:
    """Predicted classes of `encoded` texts (model in eval mode, mode restored)."""
    was = model.training
    model.eval()
    out = []
    for i in range(0, len(encoded), batch_size):
        b = encoded[i:i + batch_size].to(device)
        out.append(model(b.input_ids, b.attention_mask).argmax(1).cpu())
    model.train(was)
    return torch.cat(out)


def hidden_shift(model, encoded, attack: EmbeddingPGD, batch_size: int = 32,
                 device: torch.device | str = "cpu") -> dict[str, np.ndarray]:
    """yi2021 Fig. 1: ||h_adv - h|| and cos(h, h_adv) of the last hidden state under an embedding attack.

    The attack maximises ||h(e + delta) - h(e)||^2 over the real tokens (no classification head is involved:
    the paper's heads are untrained at this point); h is the (L, d) last hidden state of one example over its
    real tokens, flattened. Returns per-example arrays `l2`, `cos` and the clean norm `h_norm`.
    """
    was = model.training
    model.eval()
    l2, cos, hn = [], [], []
    for i in range(0, len(encoded), batch_size):
        b = encoded[i:i + batch_size].to(device)
        m3 = b.attention_mask.unsqueeze(-1).float()
        with torch.no_grad():
            e = model.embed(b.input_ids)
            h = model.hidden(e, b.attention_mask) * m3

        def loss(e_adv: torch.Tensor) -> torch.Tensor:
            return ((model.hidden(e_adv, b.attention_mask) * m3 - h) ** 2).flatten(1).sum(1)

        delta = attack(loss, e, b.attention_mask)
        with torch.no_grad():
            ha = model.hidden(e + delta, b.attention_mask) * m3
        hf, haf = h.flatten(1), ha.flatten(1)
        l2.append((haf - hf).norm(dim=1).cpu())
        cos.append(F.cosine_similarity(hf, haf, dim=1).cpu())
        hn.append(hf.norm(dim=1).cpu())
    model.train(was)
    return {"l2": torch.cat(l2).numpy(), "cos": torch.cat(cos).numpy(), "h_norm": torch.cat(hn).numpy()}

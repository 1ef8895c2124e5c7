"""Tiny fixture files in the official on-disk formats of the online data sets, for the gpu profile's fixture mode.

`write_fixtures(root)` writes, under one data root, what the readers of `robustbook.data` read:

- `cifar-10-batches-py/` and `cifar-100-python/`: the pickled python batches (`data` uint8 (n, 3072) row-major
  R, G, B planes; `labels` / `fine_labels`), as `cifar()` reads them;
- `CIFAR-10-C/`, `CIFAR-100-C/`: `<corruption>.npy` uint8 (5 n, 32, 32, 3), severities stacked 1..5, and
  `labels.npy`, for every released corruption (the 15 and the 4 extra), as `cifar_c()` reads them;
- `domainbed/<PACS|VLCS|office_home|terra_incognita>/<domain>/<class>/<image>.png`, DomainBed's layout;
- `ImageNet-C/<corruption>/<severity>/<wnid>/<image>.JPEG` for two corruptions;
- `models/cifar10/Linf/<name>.pt`: RobustBench checkpoints of bai2024's five networks (a fixture-size stand-in
  architecture, random weights);
- `robust_imagenet/<file>.ckpt`: Salman et al.'s robust ImageNet ResNet-50 checkpoints (the `robustness`
  library's layout, random weights);
- `hf/bert-base-uncased/`, `hf/roberta-base/`: tiny BERT / RoBERTa in `save_pretrained` layout;
- `glue/SST-2/{train,dev}.tsv`, `imdb/{train,dev}.tsv`: the text tasks' TSV files;
- `camelyon17_v1.0/metadata.csv` and `patches/patient_<PPP>_node_<N>/patch_...png`, WILDS' layout (`data.wilds`);
- `tiny-imagenet-200/` in its released layout (`tinyimagenet.write_fixture`).

Images are class-dependent colour patterns plus noise (a model can learn something), seeded. The files are
a code-path test of the readers and of every notebook at `--profile gpu`: their numbers mean nothing.
Of the text tasks only those the gpu profile reads (SST-2, IMDb) are written.
"""
from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np

from .data.corruption_sets import CIFAR_C, EXTRA_CORRUPTIONS
from .data.corruptions import CORRUPTIONS
from .data.domainbed import DOMAINS, FOLDERS
from .data.images import ONLINE

VERSION = "7"  # bump when the layout or sizes change: `write_fixtures` rewrites a root of another version
PACS_CLASSES = ("dog", "elephant", "giraffe", "guitar", "horse", "house", "person")
DOMAIN_CLASSES = {"PACS": PACS_CLASSES, "VLCS": ("bird", "car", "chair", "dog", "person"),
                  "OfficeHome": ("Alarm_Clock", "Backpack", "Batteries"),
                  "TerraIncognita": ("bird", "bobcat", "cat")}


def class_images(labels: np.ndarray, size: int, rng: np.random.Generator, classes: int) -> np.ndarray:
    """uint8 (n, size, size, 3) images whose colour and stripe frequency depend on the label, plus noise."""
    n = len(labels)
    hue = np.stack([np.linspace(0, 255, classes), np.linspace(255, 0, classes),
                    (np.arange(classes) * 97) % 256], axis=1)[labels]  # (n, 3)
    freq = 1 + labels % 5
    grid = np.arange(size)[None, :] * freq[:, None] * np.pi / size  # (n, size)
    stripes = 0.5 + 0.5 * np.sin(grid)[:, None, :, None]  # (n, 1, size, 1)
    img = hue[:, None, None, :] * (0.4 + 0.6 * stripes) + rng.normal(0, 20, (n, size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels covering every class when n >= classes, in a seeded order."""
    return rng.permutation(np.resize(np.arange(classes), n)).astype(np.int64)


def write_cifar(root: Path, name: str, n_train: int = 20, n_test: int = 6, seed: int = 0) -> tuple:
    """CIFAR-10 / CIFAR-100 python batches under `root`; returns the test (images NHWC uint8, labels)."""
    spec = ONLINE[name]
    rng = np.random.default_rng(seed)
    folder = root / spec["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    classes = spec["num_classes"]
    per_file = max(1, n_train // len(spec["train"]))
    y_train = _labels(per_file * len(spec["train"]), classes, rng)  # every class appears across the files
    parts = [(f, y_train[i * per_file:(i + 1) * per_file]) for i, f in enumerate(spec["train"])]
    out = None
    for fname, y in parts + [(f, _labels(n_test, classes, rng)) for f in spec["test"]]:
        n = len(y)
        x = class_images(y, 32, rng, classes)
        batch = {b"batch_label": fname.encode(), spec["label_key"]: y.tolist(),
                 b"data": x.transpose(0, 3, 1, 2).reshape(n, 3072),
                 b"filenames": [f"fixture_{i}.png".encode() for i in range(n)]}
        if name == "cifar100":
            batch[b"coarse_labels"] = (y // 5).tolist()
        with open(folder / fname, "wb") as f:
            pickle.dump(batch, f)
        if fname in spec["test"]:
            out = (x, y)
    return out


def write_cifar_c(root: Path, name: str, test: tuple, seed: int = 0) -> None:
    """`<corruption>.npy` (5 severities of the test images, noisier with severity) and `labels.npy`."""
    x, y = test
    rng = np.random.default_rng(seed)
    folder = root / CIFAR_C[name]["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "labels.npy", np.tile(y, 5).astype(np.uint8))
    for c in CORRUPTIONS + EXTRA_CORRUPTIONS:
        sev = [np.clip(x + rng.normal(0, 12 * s, x.shape), 0, 255).astype(np.uint8) for s in range(1, 6)]
        np.save(folder / f"{c}.npy", np.concatenate(sev))


def write_domainbed(root: Path, name: str, per_class: int = 1, size: int = 32, seed: int = 0) -> None:
    """DomainBed's folder layout `<root>/domainbed/<folder>/<domain>/<class>/<i>.png` with small PNGs."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    classes = DOMAIN_CLASSES[name]
    for d, domain in enumerate(DOMAINS[name]):
        y = np.repeat(np.arange(len(classes)), per_class)
        x = class_images(y, size, rng, len(classes))
        x = np.clip(x.astype(int) + 30 * d - 45, 0, 255).astype(np.uint8)  # a per-domain shift
        for i, (img, label) in enumerate(zip(x, y)):
            folder = root / "domainbed" / FOLDERS[name] / domain / classes[label]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / f"{i}.png")


def write_imagenet_c(root: Path, corruptions: tuple[str, ...] = ("fog", "gaussian_noise"), per_class: int = 2,
                     size: int = 32, seed: int = 0) -> None:
    """ImageNet-C's layout `<root>/ImageNet-C/<corruption>/<severity>/<wnid>/<image>.JPEG` (two classes)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    wnids = ("n01440764", "n01443537")
    for c in corruptions:
        for s in range(1, 6):
            y = np.repeat(np.arange(len(wnids)), per_class)
            for i, (img, label) in enumerate(zip(class_images(y, size, rng, len(wnids)), y)):
                folder = root / "ImageNet-C" / c / str(s) / wnids[label]
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(folder / f"{i}.JPEG", quality=90)


# bai2024's five RobustBench CIFAR-10 L_inf networks (experiments.bai2024.GPU_NETWORKS; a test keeps them equal)
ROBUSTBENCH_NAMES = ("Zhang2019Theoretically", "Chen2024Data_WRN_34_10", "Gowal2020Uncovering_28_10_extra",
                     "Cui2023Decoupled_WRN-28-10", "Wang2023Better_WRN-28-10")


def write_robustbench(root: Path, names: tuple[str, ...] = ROBUSTBENCH_NAMES, seed: int = 0) -> None:
    """RobustBench's checkpoint layout `<root>/models/cifar10/Linf/<name>.pt` (its default model_dir `models`):
    the state dict of the fixture-size stand-in (`models.pretrained.robustbench_fixture_net`), random weights,
    saved as the released files come: bare or under 'state_dict', keys with or without DataParallel's 'module.'."""
    import torch

    from .models.pretrained import robustbench_fixture_net

    folder = root / "models" / "cifar10" / "Linf"
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        torch.manual_seed(seed + i)
        state = robustbench_fixture_net().state_dict()
        if i % 2 == 0:  # as many released checkpoints are: DataParallel keys under 'state_dict'
            state = {"state_dict": {f"module.{k}": v for k, v in state.items()}}
        torch.save(state, folder / f"{name}.pt")


# yi2021 Table 3's robust ImageNet ResNet-50s (experiments.yi2021.pretraining.ROBUST_CHECKPOINTS; a test keeps them equal)
SALMAN_FILES = ("resnet50_l2_eps0.ckpt", "resnet50_l2_eps0.25.ckpt", "resnet50_linf_eps2.0.ckpt")


def write_salman(root: Path, files: tuple[str, ...] = SALMAN_FILES, seed: int = 0) -> None:
    """Salman et al.'s checkpoint layout `<root>/robust_imagenet/<file>.ckpt`, as the `robustness` library saves
    it: {'model': state dict, 'epoch': ...} whose torchvision ResNet-50 weights carry the 'module.model.' prefix
    beside the 'module.normalizer.*' / 'module.attacker.normalize.*' buffers. Random weights, stored in float16
    (half the size; loading casts them to the network's float32)."""
    import torch
    import torchvision

    folder = root / "robust_imagenet"
    folder.mkdir(parents=True, exist_ok=True)
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    for i, fname in enumerate(files):
        torch.manual_seed(seed + i)
        net = torchvision.models.resnet50(weights=None)
        state = {f"module.model.{k}": (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}
        for owner in ("module.normalizer", "module.attacker.normalize"):
            state.update({f"{owner}.new_mean": mean, f"{owner}.new_std": std})
        torch.save({"model": state, "epoch": 90}, folder / fname)


# yi2021 Table 2 / Fig. 1 at gpu: BERT-base and RoBERTa-base in Hugging Face's `save_pretrained` layout under
# `<root>/hf/<hub id>/` (config.json, model.safetensors, tokenizer files), built from a tiny configuration
# (2 layers, width 32) with a character-level vocabulary; the real models are 12 x 768.
HF_MODELS = ("bert-base-uncased", "roberta-base")
_TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def _byte_chars() -> list[str]:
    """The 256 printable characters that byte-level BPE (GPT-2, RoBERTa) uses for the 256 byte values."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    extra = [b for b in range(256) if b not in keep]
    return [chr(b) for b in keep] + [chr(256 + i) for i in range(len(extra))]


def write_hf_models(root: Path, seed: int = 0) -> None:
    """A tiny BERT (WordPiece vocabulary: letters, digits, '##' continuations) and a tiny RoBERTa (byte-level
    BPE, no merges), randomly initialised, saved with `save_pretrained` as the hub's snapshots are."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer, RobertaConfig, RobertaModel, RobertaTokenizer

    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    words = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(chars + ".,!?'-") + [f"##{c}" for c in chars]
             + ["the", "movie", "film", "good", "bad", "great", "awful"])
    bert = root / "hf" / "bert-base-uncased"
    bert.mkdir(parents=True, exist_ok=True)
    (bert / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True).save_pretrained(bert)
    torch.manual_seed(seed)
    BertModel(BertConfig(vocab_size=len(words), max_position_embeddings=512, **_TINY)).save_pretrained(bert)

    roberta = root / "hf" / "roberta-base"
    roberta.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *_byte_chars(), "<mask>"])}
    RobertaTokenizer(vocab=vocab, merges=[]).save_pretrained(roberta)
    torch.manual_seed(seed + 1)
    RobertaModel(RobertaConfig(vocab_size=len(vocab), max_position_embeddings=514, pad_token_id=1, bos_token_id=0,
                               eos_token_id=2, **_TINY)).save_pretrained(roberta)


def write_text_tasks(root: Path, n_train: int = 16, n_test: int = 8, seed: int = 0) -> None:
    """GLUE's SST-2 (`glue/SST-2/{train,dev}.tsv`: header `sentence<TAB>label`) and IMDb converted to the same
    two columns (`imdb/{train,dev}.tsv`), class-balanced, sentences made of a few sentiment words."""
    rng = np.random.default_rng(seed)
    pos, neg, filler = ("good", "great", "fine", "lovely"), ("bad", "awful", "dull", "poor"), ("the", "movie", "film",
                                                                                            "was", "plot", "a")
    for folder, long in (("glue/SST-2", 1), ("imdb", 3)):
        out = root / folder
        out.mkdir(parents=True, exist_ok=True)
        for split, n in (("train", n_train), ("dev", n_test)):
            rows = ["sentence\tlabel"]
            for label in _labels(n, 2, rng):
                words = list(rng.choice(filler, 4 * long)) + list(rng.choice(pos if label else neg, 2 * long))
                rows.append(" ".join(rng.permutation(words)) + f" .\t{label}")
            (out / f"{split}.tsv").write_text("\n".join(rows) + "\n")


def write_fixtures(root: str | Path, seed: int = 0) -> Path:
    """Write every fixture under `root` (skipped when a complete set of this VERSION is there); returns root."""
    from filelock import FileLock

    root = Path(root)
    marker = root / "FIXTURES"
    if marker.exists() and marker.read_text().strip() == VERSION:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):  # kernels started at once (the two test files) write it once
        return _write_all(root, marker, seed)


def _write_all(root: Path, marker: Path, seed: int) -> Path:
    if marker.exists():
        if marker.read_text().strip() == VERSION:
            return root  # written by the kernel that held the lock before us
    if root.exists():
        shutil.rmtree(root)  # fixtures of another version, or half written: a root we wrote, rewritten
    root.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(ONLINE):
        test = write_cifar(root, name, seed=seed + k)
        write_cifar_c(root, name, test, seed=seed + k)
    for k, name in enumerate(DOMAINS):
        write_domainbed(root, name, seed=seed + k)
    write_imagenet_c(root, seed=seed)
    write_robustbench(root, seed=seed)
    write_salman(root, seed=seed)
    write_hf_models(root, seed=seed)
    write_text_tasks(root, seed=seed)
    from .data.wilds import write_camelyon17_fixture
    write_camelyon17_fixture(root, per_center=4, size=32, seed=seed)
    from .data.tinyimagenet import write_fixture as write_tinyimagenet

    write_tinyimagenet(root, per_class=4, n_val=6, seed=seed)
    marker.write_text(VERSION + "\n")  # last: a half-written root is rewritten next time
    return root

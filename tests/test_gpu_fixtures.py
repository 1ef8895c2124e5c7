"""The gpu profile, proven before a GPU minute is spent: every toc notebook executes at `--profile gpu` on the
CPU in fixture mode (ROBUSTBOOK_FIXTURES=1): the data readers find small files in the official on-disk
formats (`robustbook.fixtures`), pretrained backbones are randomly initialised, and epochs, attack
steps, Monte Carlo samples, grids and image sides are capped (`robustbook.runtime.FIXTURE_CAPS`).

What it proves: every gpu code path (readers, model construction, the training loop without mixed
precision, attacks, certification, tables, verdicts, plots) runs end to end and the notebooks agree with
the library's signatures. What it cannot prove: speed, GPU memory, mixed precision on CUDA, any number
the gpu edition will print (the fixture images are synthetic and the runs are capped), or that the released
checkpoints fit the real classes (the RobustBench and BERT / RoBERTa fixtures are small stand-ins; Salman et
al.'s ResNet-50 is the real architecture).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from _gpu_fixture_run import fixture_book as _fixture_book
from _gpu_fixture_run import run_at_gpu, share

TIMES: dict[str, tuple[float, float]] = {}  # notebook -> (wall seconds, kernel CPU seconds)


@pytest.fixture(scope="module")
def fixture_book(tmp_path_factory):
    """A copy of the book sources, fixture mode on for the kernels this module starts."""
    yield from _fixture_book(tmp_path_factory, 1, TIMES)


@pytest.mark.gpu_fixtures
@pytest.mark.parametrize("rel", share(1))
def test_notebook_executes_at_gpu_on_fixtures(fixture_book, rel):
    run_at_gpu(fixture_book, rel, TIMES)


def test_the_two_files_cover_the_toc_once():
    from _gpu_fixture_run import NOT_COVERED, NOTEBOOKS

    assert set(NOT_COVERED) <= set(NOTEBOOKS), "NOT_COVERED names a notebook that is not in the toc"
    assert sorted(share(1) + share(2) + list(NOT_COVERED)) == sorted(NOTEBOOKS)
    assert not set(share(1)) & set(share(2))
    if NOT_COVERED:
        print("gpu fixture mode does not cover yet: " + "; ".join(f"{k}: {v}" for k, v in NOT_COVERED.items()))


def test_fixture_files_are_read_by_the_official_readers(tmp_path, monkeypatch):
    from robustbook import data, fixtures, runtime, session
    from robustbook.data import corruption_sets, domainbed

    # the ResNet-50 and transformer checkpoints are tested on their own below (they cost seconds to write)
    monkeypatch.setattr(fixtures, "write_salman", lambda *a, **k: None)
    monkeypatch.setattr(fixtures, "write_hf_models", lambda *a, **k: None)
    root = fixtures.write_fixtures(tmp_path / "data")
    assert (root / "FIXTURES").read_text().strip() == fixtures.VERSION
    train, test = data.cifar("cifar10", "train", root=root, download_ok=False), data.cifar(
        "cifar10", "test", root=root, download_ok=False)
    assert len(train) == 20 and len(test) == 6 and set(train.tensors[1].tolist()) == set(range(10))
    assert int(data.cifar("cifar100", "train", root=root).tensors[1].max()) < 100
    c = corruption_sets.cifar_c("cifar10", "fog", 5, root=root, download_ok=False)
    assert c.tensors[0].shape == test.tensors[0].shape and c.tensors[1].tolist() == test.tensors[1].tolist()
    doms = domainbed.domainbed("PACS", root=root / "domainbed", size=32)
    assert set(doms) == set(domainbed.DOMAINS["PACS"]) and len(doms["sketch"].classes) == 7
    assert corruption_sets.imagenet_c("fog", 2, root=root / "ImageNet-C")[0][0].shape[0] == 3
    # setup() in fixture mode points data and zoo at <cache>/fixtures and caps the profile
    monkeypatch.setenv("ROBUSTBOOK_FIXTURES", "1")
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ROBUSTBOOK_FIXTURE_ROOT", "")  # not entered yet in this process (restored after)
    monkeypatch.setenv("ROBUSTBOOK_DATA", os.environ.get("ROBUSTBOOK_DATA", ""))
    cfg = session.setup(profile="gpu", device="cpu")
    assert cfg.epochs == 1 and cfg.attack_steps == 2 and cfg.dataset == "cifar10"
    assert os.environ["ROBUSTBOOK_DATA"] == str(tmp_path / "cache" / "fixtures" / "data")
    assert len(data.cifar("cifar10", "test")) == 6
    # a notebook knob is capped where it is declared as work (the driver's WORK), never by its name in setup()
    assert session.setup(profile="gpu", device="cpu", n_search=200, eval_steps=20, eps=0.5).extra == {
        "n_search": 200, "eval_steps": 20, "eps": 0.5}
    from robustbook.experiments import nern2023

    assert nern2023.appendix_b_settings("gpu", n_search=200).n_search == runtime.FIXTURE_CAPS["points"]
    assert runtime.fixture_cap(200, "epochs") == 1 and runtime.fixture_cap((1, 2, 3), "grid") == (1, 2)
    monkeypatch.setenv("ROBUSTBOOK_FIXTURES", "0")
    assert runtime.fixture_cap(200, "epochs") == 200 and session.setup(profile="gpu", device="cpu").epochs == 200


def test_fixture_names_are_the_drivers_names():
    """The checkpoints fixture mode writes are the ones the gpu chapters load, by the same names."""
    from robustbook import fixtures
    from robustbook.experiments import bai2024
    from robustbook.experiments.yi2021 import nlu
    from robustbook.models.pretrained import ROBUST_CHECKPOINTS
    from robustbook.models.text import PAPER_MODELS

    assert set(fixtures.ROBUSTBENCH_NAMES) == set(bai2024.GPU_NETWORKS.values())
    assert set(fixtures.SALMAN_FILES) == set(ROBUST_CHECKPOINTS.values())
    assert set(fixtures.HF_MODELS) == set(PAPER_MODELS.values())
    assert {d for d in nlu.NLU_SETTINGS["gpu"].train_domains + nlu.NLU_SETTINGS["gpu"].test_domains} <= {
        "sst2", "imdb"}


def test_fixture_caps_of_the_drivers_leave_real_runs_alone(monkeypatch):
    """AutoAttack, Square and the bai2024 / NLU counts are capped in fixture mode, and only there."""
    from robustbook import runtime
    from robustbook.experiments import bai2024, evaluating
    from robustbook.experiments.yi2021 import nlu

    monkeypatch.setenv("ROBUSTBOOK_FIXTURES", "0")
    assert evaluating.settings("gpu") == evaluating.SETTINGS["gpu"]
    assert bai2024.settings("gpu") == bai2024.SETTINGS["gpu"] and nlu.nlu_settings("gpu") == nlu.NLU_SETTINGS["gpu"]
    monkeypatch.setenv("ROBUSTBOOK_FIXTURES", "1")
    s = evaluating.settings("gpu").suites
    assert (s.aa_steps, s.pgd_steps, s.strong_steps, s.square_queries, s.blackbox_queries) == (2,) * 5
    assert evaluating.fixture_suites(evaluating.CHAPTER_SUITES["gpu"]) == s
    b = bai2024.settings("gpu")
    assert (b.attack_steps, b.ft_epochs, b.upsilon_draws) == (2, 1, runtime.FIXTURE_CAPS["points"])
    assert bai2024.settings("cpu").ft_epochs == 1 and bai2024.SETTINGS["cpu"].ft_epochs == 20
    assert nlu.nlu_settings("gpu").epochs == 1


def test_fixture_checkpoints_are_read_by_the_gpu_loaders(tmp_path, monkeypatch):
    """RobustBench, Salman et al. and Hugging Face fixtures go through the loaders the gpu chapters call."""
    import torch

    from robustbook import fixtures
    from robustbook.data import text
    from robustbook.experiments import bai2024
    from robustbook.models.pretrained import robust_resnet50
    from robustbook.models.pretrained import robustbench_fixture_net

    root = tmp_path / "data"
    fixtures.write_robustbench(root, fixtures.ROBUSTBENCH_NAMES[:2])
    for name in fixtures.ROBUSTBENCH_NAMES[:2]:  # one under 'state_dict' with 'module.' keys, one bare
        net = bai2024.load_robustbench(name, root / "models", {name: robustbench_fixture_net})
        saved = torch.load(root / "models" / "cifar10" / "Linf" / f"{name}.pt", weights_only=True)
        saved = saved.get("state_dict", saved)
        w = next(v for k, v in saved.items() if k.endswith("head.weight"))
        assert torch.equal(net.model.head.weight, w) and not net.training
    with pytest.raises(bai2024.RobustBenchUnavailable, match="no checkpoint"):
        bai2024.load_robustbench(fixtures.ROBUSTBENCH_NAMES[2], root / "models",
                                 {fixtures.ROBUSTBENCH_NAMES[2]: robustbench_fixture_net})
    fixtures.write_salman(root, fixtures.SALMAN_FILES[1:2])
    monkeypatch.setenv("ROBUSTBOOK_DATA", str(root))
    ckpt = torch.load(root / "robust_imagenet" / fixtures.SALMAN_FILES[1], weights_only=True)
    assert set(ckpt) == {"model", "epoch"} and any(k.startswith("module.attacker.") for k in ckpt["model"])
    net = robust_resnet50(3, 10, fixtures.SALMAN_FILES[1])  # loads the 'module.model.*' weights strictly
    conv = net.model.model.conv1.weight
    assert conv.dtype == torch.float32 and torch.equal(conv.half(), ckpt["model"]["module.model.conv1.weight"])
    fixtures.write_text_tasks(root)
    for task in ("sst2", "imdb"):
        train, dev = text.paper_task(task, "train"), text.paper_task(task, "test")
        assert len(train) == 16 and len(dev) == 8 and sorted(set(train.labels.tolist())) == [0, 1]


def test_fixture_text_models_load_offline(tmp_path, monkeypatch):
    """The tiny BERT / RoBERTa fixtures load by name through `models.text` and tokenise the fixture sentences."""
    from robustbook import fixtures
    from robustbook.models import text as mt

    fixtures.write_hf_models(tmp_path)
    monkeypatch.setenv("ROBUSTBOOK_DATA", str(tmp_path))
    for name in ("bert-base", "roberta-base"):
        tok = mt.load_tokenizer(name)
        ids = tok("The movie was GOOD!")["input_ids"]
        assert len(ids) > 4 and tok.unk_token_id not in ids, (name, ids)
        model = mt.text_classifier(name, 2, pretrained=True)
        enc = mt.encode(tok, ["the film was awful", "great"], 16)
        assert model(enc.input_ids, enc.attention_mask).shape == (2, 2)


def test_fixture_images_depend_on_the_label():
    """The fixture classes are separable (a model can learn them), so training paths see a signal."""
    from robustbook.fixtures import class_images

    y = np.repeat(np.arange(10), 4)
    x = class_images(y, 32, np.random.default_rng(0), 10).reshape(40, -1).astype(float)
    means = np.stack([x[y == k].mean(0) for k in range(10)])
    nearest = np.argmin(((x[:, None] - means[None]) ** 2).sum(-1), axis=1)
    assert (nearest == y).mean() == 1.0

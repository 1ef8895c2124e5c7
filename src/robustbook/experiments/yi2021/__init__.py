"""yi2021's experiments, one module per chapter (`table1`, `ood_bounds`, `algorithm1`, `ablations`,
`pretraining`, `table3`, `nlu`) over the models they share (`corruption_models`); the paper's numbers are in
`robustbook.papers.yi2021`. This package lists the zoo recipes its chapters train."""
from __future__ import annotations

from ... import zoo
from ...papers.yi2021 import FINETUNINGS, METHODS, PRETRAININGS
from .corruption_models import fraction_size, radius, recipe, settings, table1_settings
from .nlu import nlu_settings, text_recipe
from .pretraining import finetune_recipe, pretrain_recipe, pretrain_settings


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes the chapter's notebooks (stems; None: all) request at `profile` with their default
    parameters: Table 1, the OOD bounds' models, App. D's radii and sizes, the source and fine-tuned models of
    Section 4 and the fine-tuned text classifiers of Table 2 (a cluster build trains them first; the text models
    are left out, with their notebook training them, where their data set is not on disk)."""
    from ..common import sweep

    s = table1_settings(settings(profile))  # Table 1, the OOD bounds and App. D share its data and models
    adv = {"l2": "Adv-l2", "linf": "Adv-linf"}
    ablations = [recipe(s, adv[norm], seed, r=radius(norm, x))
                 for norm, grid in (("l2", s.grid_l2), ("linf", s.grid_linf)) for x in grid]
    ablations += [recipe(s, "Std", seed)] + [recipe(s, adv[norm], seed, train_size=fraction_size(s, f))
                                             for norm in s.fraction_norms for f in s.fractions]
    p = pretrain_settings(profile)
    pre = pretrain_settings("cpu") if p.source == "imagenet" else p  # pretraining.md falls back to cpu's pair
    return sweep({"table1": [recipe(s, m, seed) for m in METHODS],
                  "ood_bounds": [recipe(s, m, seed) for m in ("Std", "Adv-linf")],
                  "ablations": ablations,
                  "pretraining": [pretrain_recipe(pre, m, seed) for m in ("Adv-l2", "Adv-linf")],
                  "table3": ([] if p.source == "imagenet" else [pretrain_recipe(p, m, seed) for m in PRETRAININGS[1:]])
                  + [finetune_recipe(p, pre_m, ft, seed) for ft in FINETUNINGS for pre_m in PRETRAININGS],
                  "nlu": _text_recipes(profile, seed)},
                 notebooks)


def _text_recipes(profile: str, seed: int) -> list[zoo.Recipe]:
    """Table 2's fine-tuned text classifiers at `profile` (none when the text data set is not on disk)."""
    s = nlu_settings(profile)
    try:
        return [text_recipe(s, s.train_domains[0], m, seed) for m in FINETUNINGS]
    except (OSError, RuntimeError):  # a paper task not downloaded: the notebook says what is missing
        return []

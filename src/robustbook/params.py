"""The parameter schema: every notebook parameter's type, range or choices and meaning, declared once.

`NOTEBOOKS` maps a notebook (its path from the repository root) to its parameters, in the order of its
`parameters` cell. From this one declaration come the comments of that cell (`robustbook params --sync`
writes them, a test checks they agree), `robustbook list`, the parameter reference page, the check of
every `-p NAME VALUE` before a kernel starts, and the check `setup()` repeats inside the notebook for
papermill users. The defaults stay in the notebook's cell, where papermill needs them; the schema checks
them too. A notebook absent from `NOTEBOOKS` is read from its cell: names and comments, no types.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from .profiles import PROFILES
from .runtime import DEVICES


class ParameterError(ValueError):
    """A parameter value is refused; the message is one line naming the parameter, the value and the rule."""


@dataclass(frozen=True)
class Param:
    """One parameter: its kind ('int', 'float', 'str', 'text', 'floats', 'device'), range or choices, meaning.

    'str' is one of `choices`; 'text' is any string (a folder, a name checked where it is used).
    """

    kind: str
    meaning: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low < value rather than low <= value
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False  # None is allowed and means "the profile default"
    # where that profile default lives: "<module>:<per-profile settings table>[.<field>]", whose field (the
    # parameter's own name unless given) holds it at each profile (read by `robustbook list` and the reference
    # page, never copied here)
    table: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}: choose one of {', '.join(KINDS)}")

    def like(self, meaning: str, table: str | None = None) -> Param:
        """The same type and range with another meaning (a notebook's own comment) and, for a knob whose None
        means the profile default, the driver table that holds that default."""
        return dataclasses.replace(self, meaning=meaning, table=table or self.table)

    def allowed(self) -> str:
        """What the parameter accepts, in words: 'an integer in [1, 5] or None'."""
        if self.kind == "text":
            return "a string" + (" or None (the profile default)" if self.optional else "")
        if self.kind in ("str", "device"):
            text = "one of " + ", ".join(repr(c) for c in (self.choices or ()))
            if self.kind == "device":
                text += " (optionally with an index, 'cuda:1')"
        else:
            noun = {"int": "an integer", "float": "a number", "floats": "a list of numbers"}[self.kind]
            text = noun + self._range_text(plural=self.kind == "floats")
        return text + (" or None (the profile default)" if self.optional else "")

    def _range_text(self, plural: bool) -> str:
        lo, hi = self.low, self.high
        each = ", each" if plural else ""
        if lo is not None and hi is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"{each} in {left}{_num(lo)}, {_num(hi)}{right}"
        if lo is not None:
            return f"{each} {'>' if self.low_open else '>='} {_num(lo)}"
        if hi is not None:
            return f"{each} {'<' if self.high_open else '<='} {_num(hi)}"
        return ""

    def problem(self, value: Any) -> str | None:
        """None if `value` is allowed, else a short reason."""
        if value is None:
            return None if self.optional else "None is not allowed"
        if self.kind == "text":
            return None if isinstance(value, str) else f"expected a string, got {type(value).__name__}"
        if self.kind in ("str", "device"):
            if not isinstance(value, str):
                return f"expected a string, got {type(value).__name__}"
            head = value.split(":")[0] if self.kind == "device" else value
            if self.kind == "device" and ":" in value and not value.split(":", 1)[1].isdigit():
                return "a device index must be an integer"
            return None if head in (self.choices or ()) else "unknown choice"
        if self.kind == "floats":
            if not isinstance(value, (list, tuple)) or not value:
                return f"expected a non-empty list, got {type(value).__name__}"
            for v in value:
                if (why := self._number_problem(v, integer=False)) is not None:
                    return why
            return None
        return self._number_problem(value, integer=self.kind == "int")

    def _number_problem(self, v: Any, integer: bool) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            return f"expected {'an integer' if integer else 'a number'}, got {type(v).__name__} {v!r}"
        if v != v:
            return "NaN is not a number here"
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return "out of range"
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            return "out of range"
        return None

    def check(self, name: str, value: Any, where: str = "") -> None:
        """Raise ParameterError (one line) unless `value` is allowed."""
        why = self.problem(value)
        if why is not None:
            at = f" of {where}" if where else ""
            raise ParameterError(f"invalid parameter {name}={value!r}{at}: {why}; allowed: {self.allowed()}")

    def bad_values(self) -> dict[str, Any]:
        """Values it must refuse: one of the wrong type and one out of range (for the fuzz test)."""
        out: dict[str, Any] = {}
        if self.kind == "text":  # any string is allowed: nothing is out of range
            out["wrong type"] = 3
        elif self.kind in ("str", "device"):
            out["wrong type"] = 3
            out["out of range"] = "no-such-choice"
        elif self.kind == "floats":
            out["wrong type"] = "abc"
            out["out of range"] = [self._outside()]
        else:
            out["wrong type"] = "abc" if self.kind == "float" else 2.5
            out["out of range"] = self._outside()
        return out

    def _outside(self) -> float:
        if self.low is not None:
            v = self.low - 1 if not self.low_open else self.low
            return int(v) if self.kind == "int" else v
        assert self.high is not None, "a numeric parameter needs a range"
        return self.high + 1


KINDS = ("int", "float", "str", "text", "floats", "device")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


# ---- the shared parameters and the recurring knobs, declared once --------------------------------------
PROFILE = Param("str", 'smoke | cpu | gpu: the budget (see "How to run")', choices=tuple(PROFILES))
SEED = Param("int", "seeds python, numpy and torch; also the zoo key of the trained models", low=0)
DEVICE = Param("device", "auto | cpu | cuda", choices=DEVICES)
STEPS = Param("int", "", low=1, high=10_000, optional=True)
SEVERITY = Param("int", "corruption severity (1-5)", low=1, high=5)
COUNT = Param("int", "", low=1, high=1_000_000, optional=True)
PROBABILITY = Param("float", "", low=0, high=1, low_open=True, high_open=True)
_ZOO_SEED = "seeds python, numpy and torch; also the zoo key of the trained models"
_BUDGET = 'smoke | cpu | gpu: the budget (see "How to run")'

NOTEBOOKS: dict[str, dict[str, Param]] = {
    "notebooks/foundations/threat_models.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "eps_train": Param("float", "L_inf radius of the adversarially trained model; None means the profile "
                           "default", low=0, high=1, optional=True,
                            table="robustbook.experiments.foundations:THREAT_MODELS"),
        "eval_steps": STEPS.like("PGD steps used for evaluation; None means the profile default",
                  table="robustbook.experiments.foundations:THREAT_MODELS"),
    },
    "notebooks/foundations/corruptions.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; the zoo key of the model; the corruption seed"),
        "device": DEVICE,
        "n_test": COUNT.like("test images used for the corruption table; None means the profile default",
                  table="robustbook.experiments.foundations:CORRUPTIONS"),
    },
    "notebooks/yi2021/ood_bounds.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "theta_conf": PROBABILITY.like("the bounds hold with probability 1 - theta_conf"),
        "eval_steps": STEPS.like("PGD steps for the input-robustness estimate; None means the profile "
                                 "default", table="robustbook.profiles:PROFILES.attack_steps"),
    },
    "notebooks/yi2021/algorithm1.md": {
        "profile": PROFILE, "seed": SEED.like("seeds the runs of Algorithm 1 (run i uses its own stream)"),
        "device": DEVICE.like("unused here: this chapter runs on numpy"),
        "conv_steps": Param("int", "T, the number of outer steps of Algorithm 1; None means the profile "
                            "default (10^4 at cpu)", low=1, high=10_000_000, optional=True,
                            table="robustbook.experiments.yi2021.corruption_models:SETTINGS"),
        "conv_seeds": COUNT.like("independent runs of Algorithm 1; None means the profile default",
                  table="robustbook.experiments.yi2021.corruption_models:SETTINGS"),
    },
    "notebooks/yi2021/table1.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "severity": SEVERITY.like("corruption severity (1-5); the paper reports 5 for CIFAR-10-C"),
    },
    "notebooks/yi2021/ablations.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE, "severity": SEVERITY,
    },
    "notebooks/nern2023/appendix_b.md": {
        "profile": PROFILE, "seed": SEED.like("seeds the random logits and the violation searches"),
        "device": DEVICE.like("unused here (no model is trained); kept for a uniform interface"),
        "n_search": COUNT.like("Nelder-Mead restarts per violation search; None means the profile default",
                  table="robustbook.experiments.nern2023:APPENDIX_B"),
    },
    "notebooks/nern2023/transfer.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "rep_steps": STEPS.like("PGD steps of the representation attack; None means the profile default",
                  table="robustbook.experiments.nern2023:TRANSFER"),
        "eval_steps": STEPS.like("PGD steps of the attack on the whole classifier; None means the profile "
                                 "default",
                  table="robustbook.experiments.nern2023:TRANSFER"),
        "rho": PROBABILITY.like("failure probability of the Hoeffding term of Theorem 3.2"),
    },
    "notebooks/alhamoud2023/empirical.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "lam_paper": Param("float", "lambda of Eq. 5: the weight of the CLEAN loss (the paper fixes 0.5 in "
                           "Section 4)", low=0, high=1),
    },
    "notebooks/alhamoud2023/certified.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch, the zoo key of the models and the Monte Carlo "
                          "noise"),
        "device": DEVICE,
        "alpha": Param("float", "failure probability of each certificate (the paper's and Cohen et al.'s "
                       "value)", low=0, high=0.5, low_open=True, high_open=True),
    },
    "notebooks/wen2020/theory.md": {
        "profile": PROFILE, "seed": SEED.like("seeds python, numpy and torch (and the random ReLU networks "
                                              "below)"),
        "device": DEVICE.like("auto | cpu | cuda (unused: this page needs no training)"),
        "n_segments": COUNT.like("random segments for the Lemma 3.1 check; None means the profile default",
                  table="robustbook.experiments.wen2020:THEORY"),
    },
    "notebooks/wen2020/regularizer.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also part of the zoo key of every trained model"),
        "device": DEVICE,
        "ar_grid": Param("floats", "AR strengths (training radii, units of 1/255); None means the profile "
                         "default", low=0, high=255, optional=True,
                            table="robustbook.experiments.wen2020:REGULARIZER"),
    },
    "notebooks/wen2020/capacity.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also part of the zoo key of every trained model"),
        "device": DEVICE,
    },
    # chapters of other branches, declared ahead of their merge (check them against their cells then)
    "notebooks/foundations/evaluating.md": {
        "profile": PROFILE, "seed": SEED.like(_ZOO_SEED), "device": DEVICE,
        "subset": COUNT.like("test points attacked by every suite and check; None means the profile default",
                  table="robustbook.experiments.evaluating:SETTINGS"),
    },
    "notebooks/yi2021/pretraining.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also the zoo key of the pre-trained models"),
        "device": DEVICE,
        "theta": PROBABILITY.like("failure probability of the high-probability bound (14)"),
    },
    "notebooks/yi2021/nlu.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also the zoo key of the fine-tuned models"),
        "device": DEVICE,
    },
    "notebooks/yi2021/table3.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also the zoo key of every model"),
        "device": DEVICE, "severity": SEVERITY.like("corruption severity (1-5); the paper reports 5"),
    },
    "notebooks/bai2024/finetuning.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also the zoo key of the pre-trained networks"),
        "device": DEVICE,
        "model_dir": Param("text", "gpu only: folder of RobustBench checkpoints; empty: the cache folder"),
    },
    "notebooks/bai2024/sensitivity.md": {
        "profile": PROFILE,
        "seed": SEED.like("seeds python, numpy and torch; also the zoo key of the pre-trained networks"),
        "device": DEVICE,
        "network": Param("text", "pre-trained network of the W-PGD demos; empty: the fine-tuning case study"),
    },
    "notebooks/reference/parameters.md": {
        "profile": PROFILE.like("smoke | cpu | gpu (this page only reads the configuration)"),
    },
    "notebooks/reference/verdicts.md": {
        "profile": PROFILE.like("smoke | cpu | gpu (this page only reads the executed chapters)"),
    },
}


def by_name() -> dict[str, Param]:
    """Each declared parameter name -> its type and range (one per name across notebooks; meaning aside)."""
    out: dict[str, Param] = {}
    for params in NOTEBOOKS.values():
        for name, p in params.items():
            out.setdefault(name, p)
    return out


def _key(notebook: str | Path, root: Path | None) -> str:
    path = Path(notebook)
    if root is not None and path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def declared(notebook: str | Path, root: Path | None = None) -> dict[str, Param] | None:
    """The declared parameters of a notebook (path absolute or from `root`), or None if it has none."""
    return NOTEBOOKS.get(_key(notebook, root))


_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.*?)\s*(?:#\s?(.*))?$")


def cell_parameters(source: Path) -> list[tuple[str, str, str]]:
    """(name, default, comment) of each top-level assignment in a Jupytext notebook's `parameters` cell."""
    code = _myst_parameters_cell(source) if source.suffix == ".md" else None
    if code is None:
        import jupytext

        nb = jupytext.read(source)
        code = next((c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])), "")
    out = []
    for line in code.splitlines():
        text, _, comment = line.partition("#")
        if "=" in text and not text.startswith((" ", "\t")):
            name, _, value = text.partition("=")
            out.append((name.strip(), value.strip(), comment.strip()))
    return out


def _myst_parameters_cell(source: Path) -> str | None:
    """The code of the `parameters` cell of a MyST notebook, read as text (fast: no notebook is built)."""
    lines = source.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```{code-cell"):
            j, options = i + 1, []
            if j < len(lines) and lines[j].strip() == "---":  # a YAML options block
                j += 1
                while j < len(lines) and lines[j].strip() != "---":
                    options.append(lines[j])
                    j += 1
                j += 1
            while j < len(lines) and lines[j].startswith(":"):
                options.append(lines[j])
                j += 1
            end = j
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if any(re.match(r"^:?tags:.*\bparameters\b", o.strip()) for o in options):
                return "\n".join(lines[j:end])
            i = end
        i += 1
    return None


def parameters(source: Path, root: Path | None = None) -> list[tuple[str, str, str, str, str]]:
    """(name, default, meaning, allowed, table) of each parameter of a notebook: the schema's, else the
    cell's; `table` names the driver table holding a None knob's per-profile default ("" when none)."""
    schema = declared(source, root) or {}
    rows = []
    for name, default, comment in cell_parameters(source):
        p = schema.get(name)
        rows.append((name, default, p.meaning if p else comment, p.allowed() if p else "(not declared)",
                     (p.table or "") if p else ""))
    return rows


def validate(source: Path, values: Mapping[str, Any], root: Path | None = None) -> None:
    """Check parameter values for a notebook before it runs; raise ParameterError (one line) at a bad one.

    An unknown name is refused with the list of valid names; a declared parameter is checked against its
    type and range; a parameter of an undeclared notebook only needs to exist in its cell.
    """
    schema = declared(source, root)
    names = list(schema) if schema is not None else [n for n, _, _ in cell_parameters(source)]
    where = _key(source, root)
    for name, value in values.items():
        if name not in names:
            raise ParameterError(f"unknown parameter {name}={value!r} for {where}: valid names are "
                                 f"{', '.join(names) or '(none)'}")
        if schema is not None:
            schema[name].check(name, value, where)


def check_known(name: str, value: Any) -> None:
    """Check one value against the declared type and range of its name, if the name is declared anywhere."""
    p = by_name().get(name)
    if p is not None:
        p.check(name, value)


def check_namespace(namespace: Mapping[str, Any], skip: Sequence[str] = ()) -> None:
    """Check the declared parameters found in a notebook's namespace (what papermill injected)."""
    import types

    for name, p in by_name().items():
        if name in namespace and name not in skip:
            value = namespace[name]
            if isinstance(value, (types.ModuleType, types.FunctionType, type)):
                continue
            p.check(name, value)


def sync_cell(source: Path, root: Path | None = None, write: bool = True) -> bool:
    """Rewrite the comments of a notebook's parameters cell from the schema; True if anything changed."""
    schema = declared(source, root)
    if schema is None:
        return False
    text = source.read_text()
    lines = text.splitlines(keepends=True)
    out, in_cell, changed = [], False, False
    for i, line in enumerate(lines):
        opens = i > 0 and lines[i - 1].startswith("```{code-cell")
        if line.startswith(":tags:") and "parameters" in line and opens:
            in_cell = True
        elif in_cell and line.startswith("```"):
            in_cell = False
        elif in_cell and (m := _ASSIGN.match(line.rstrip("\n"))) and m.group(1) in schema:
            new = f"{m.group(1)} = {m.group(2)}  # {schema[m.group(1)].meaning}\n"
            changed |= new != line
            line = new
        out.append(line)
    if changed and write:
        source.write_text("".join(out))
    return changed


def reference_rows(root: Path, notebooks: Sequence[Path]) -> list[dict[str, str]]:
    """A row per notebook parameter for the reference page: notebook, parameter, default, allowed, meaning,
    and the driver table of a None knob's per-profile default."""
    return [{"notebook": str(nb.relative_to(root)), "parameter": name, "default": default, "allowed": allowed,
             "meaning": meaning, "profile defaults": table}
            for nb in notebooks for name, default, meaning, allowed, table in parameters(nb, root)]

"""Text of the tiny Jupytext notebooks the CLI, build, cache and interruption tests execute."""

FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

"""
PARAMETERS = """```{code-cell} ipython3
:tags: [parameters]

profile = "cpu"  # the budget
```

"""
HEADER = FRONT_MATTER + PARAMETERS  # a notebook's start: front matter and a one-knob parameters cell

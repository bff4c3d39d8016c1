# The commands of the README:
#   make lab    set up (first time) and open JupyterLab on notebooks/
#   make demo   set up (first time) and serve the quickstart explorer as a Voila app on 127.0.0.1
#   make test   set up (first time) and run every test, browser and notebooks included
# and, for the inner loop while editing:
#   make test-fast   the same without the slow (notebooks, learning curves) and browser tests
VENV   ?= .venv
PYTHON ?= python3
# The CPU build of torch; override for another build: make test TORCH_SPEC='torch==2.9.1'
TORCH_SPEC ?= torch==2.13.0
PY     := $(VENV)/bin/python
# pytest-xdist workers: the CI machine has two cores (a whole run takes about 13 min on two, twice that on one)
PYTEST_WORKERS ?= 2
STAMP  := $(VENV)/.alviz-installed
# JupyterLab refuses root unless told (containers and CI machines often run as root)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab demo test test-fast bench setup browser clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --disable-pip-version-check "$(TORCH_SPEC)"
	$(PY) -m pip install --disable-pip-version-check -e ".[dev]"
	@touch $@

browser:
	@bash scripts/ensure-chromium.sh

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_FLAG)

# the quickstart's explorer alone, as a web app (Voila runs the notebook and shows only its outputs)
demo: $(STAMP)
	$(VENV)/bin/voila notebooks/apps/quickstart_explorer.ipynb --Voila.ip=127.0.0.1 --port=8866

test: $(STAMP) browser
	$(PY) -m pytest -q -ra -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q -ra -n $(PYTEST_WORKERS) -m "not slow and not browser" $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[bench]"
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

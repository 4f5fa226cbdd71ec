# tyokyky-course — every target creates .venv on first use and installs the project into it.
#   make test       every test: unit, simulation validation, notebooks (nbval), nbgrader
#                   pipeline and real-browser tests (installs Debian's chromium when absent)
#   make simulate   the main job: the default preset, KPI table, CSV/xlsx/PNG under results/
#   make lab        JupyterLab on the course
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic through PATH, so every tool runs with the venv first
export PATH := $(BIN):$(PATH)
# Jupyter refuses to run as root unless told; containers and CI machines often are root
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: venv test test-fast simulate lab app book golden bench chromium bwrap lint clean \
        release collect grade feedback export formgrader hub hub-install

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

venv: $(STAMP)

# Debian's chromium drives the real-browser tests (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's bubblewrap sandboxes every learner kernel during grading (sim/grading/sandbox.py);
# prlimit and setpriv come with util-linux.
bwrap:
	@command -v bwrap >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1 || { \
	  echo "installing Debian's bubblewrap for sandboxed grading"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap util-linux >/dev/null; }

# pytest exits 5 when it collects nothing; that is reported, not hidden.
test: $(STAMP) chromium bwrap hub-install
	$(BIN)/python -m pytest tests course --nbval-lax --nbval-current-env -p no:cacheprovider --durations=30; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; fi; exit $$rc

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not browser and not slow" -q

simulate: $(STAMP)
	$(BIN)/worksim run varsinais-suomi --replications 20 --seed 1

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=course $(ROOT_FLAG)

app: $(STAMP)
	@echo "planners' app: http://127.0.0.1:8866/ (add ?lang=fi for Finnish)"
	$(BIN)/voila course/app/planner.ipynb --no-browser --port 8866 --Voila.ip=127.0.0.1 \
	  --Voila.config_file_paths=course/app

book: $(STAMP)
	$(BIN)/python course/build_site.py --out build/site
	@echo "open build/site/index.html"

# Trainers (see assignments/README.md): make release A=fidelity_review, make grade A=...
release: $(STAMP)
	$(BIN)/python assignments/tools.py release $(A)

collect: $(STAMP)
	$(BIN)/python assignments/tools.py collect $(A) $(if $(ZIP),--zip)

grade: $(STAMP) bwrap
	$(BIN)/python assignments/tools.py autograde $(A)

feedback: $(STAMP)
	$(BIN)/python assignments/tools.py feedback $(A)

export: $(STAMP)
	$(BIN)/python assignments/tools.py export-cells --out assignments/exports/cell-scores.csv

formgrader: $(STAMP)
	cd assignments && $(BIN)/jupyter lab $(ROOT_FLAG)

# A cohort on one server (assignments/README.md, "Running a cohort on JupyterHub"): the hub's
# proxy comes from the npm registry into .hub/ (ignored by git), pinned; nothing global.
CHP_VERSION := 5.3.0
hub-install: $(STAMP) bwrap
	@test -x .hub/node_modules/.bin/configurable-http-proxy || { mkdir -p .hub && \
	  npm install --silent --no-audit --no-fund --prefix .hub configurable-http-proxy@$(CHP_VERSION); }

# JupyterHub on http://127.0.0.1:8000 (as root: it makes learners' unix accounts); its runtime
# files (database, cookie secret, exchange) are in .hub/; stop it with Ctrl-C.
hub: hub-install
	cd .hub && $(BIN)/jupyterhub -f $(CURDIR)/assignments/hub/jupyterhub_config.py

golden: $(STAMP)
	$(BIN)/python tests/make_golden.py

bench: $(STAMP) bwrap hub-install
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_grading.py
	$(BIN)/python benchmarks/bench_precision.py
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_hub.py

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks

clean:
	rm -rf build test-artifacts .pytest_cache

# Two commands do all the set-up on a fresh machine:
#   make app    -> installs into .venv and opens the atlas (streamlit run app.py) on the bundled data
#   make test   -> installs into .venv (+ Debian chromium for browser tests), runs ruff + mypy, then the test suite
# Python >= 3.12 is preferred (public transport needs pyvalhalla wheels); 3.11 works without transit.

PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null) $(shell command -v python3 2>/dev/null))
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8501
PYTEST_ARGS ?=

.PHONY: app test lint setup browser-deps bench clean-cache

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(BIN)/.installed

app: setup
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install Debian chromium; browser tests will be skipped"; \
	  else echo "note: install Debian 'chromium' for the browser tests"; fi; \
	fi

lint: setup
	$(BIN)/ruff check geo atlas tests benchmarks app.py
	$(BIN)/mypy

test: setup browser-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean-cache:
	rm -rf $${GEO_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/geo}

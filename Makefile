# Two commands do all the set-up on a fresh machine:
#   make app    -> installs into .venv and opens the atlas (streamlit run app.py, one user, 127.0.0.1 only)
#   make test   -> installs into .venv (+ Debian chromium and caddy for browser tests), runs ruff + mypy, then the tests
# A third runs the shared, signed-in team atlas (docs/team-service.md):
#   make serve  -> N Streamlit replicas behind Caddy with sign-in, roles and an audit log
# Python >= 3.12 is preferred (public transport needs pyvalhalla wheels); 3.11 works without transit.

PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null) $(shell command -v python3 2>/dev/null))
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8501
PYTEST_ARGS ?=

.PHONY: app serve serve-deps test lint setup browser-deps bench clean-cache

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(BIN)/.installed

app: setup
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

serve: setup serve-deps
	$(BIN)/python -m atlas.team.serve

serve-deps:
	@$(call apt_install,caddy,caddy)

# $(call apt_install,COMMAND,PACKAGES): install Debian PACKAGES when COMMAND is missing (as root; else a note)
define apt_install
if ! command -v $(1) >/dev/null 2>&1; then \
  if [ "$$(id -u)" = "0" ]; then \
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null) \
      || echo "warning: could not install Debian $(2); the tests that need it will be skipped"; \
  else echo "note: install the Debian package(s) $(2)"; fi; \
fi
endef

browser-deps:
	@$(call apt_install,chromium,chromium chromium-driver)
	@$(call apt_install,caddy,caddy)
	@$(call apt_install,nginx,nginx-light)

lint: setup
	$(BIN)/ruff check geo atlas tests benchmarks app.py
	$(BIN)/mypy

test: setup browser-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean-cache:
	rm -rf $${GEO_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/geo}

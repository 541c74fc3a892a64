# The two commands: `make demo` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
LOCALES := en fr de it ja zh_Hans es

.PHONY: demo test bench setup lint typecheck translations-extract translations-update translations-compile clean

demo: setup
	DEBUG=1 PORT=$(PORT) $(BIN)/portal demo --port $(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed translations-compile

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(BIN)/ruff check portal tests
	$(BIN)/ruff format --check portal tests
	$(BIN)/mypy

# Translators: extract after changing strings, update the catalogues, translate, compile.
translations-extract: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output \
	  --project=portal --copyright-holder="The portal authors" -o locales/messages.pot .

translations-update: $(VENV)/.installed
	$(BIN)/pybabel -q update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

translations-compile: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d locales

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache

# Load benchmark of the overview against a bare route, with wrk (see tests/benchmark.py);
# SQLite, and PostgreSQL when reachable. BENCH_ARGS="--databases sqlite --rounds 3" …
bench: setup
	@command -v wrk >/dev/null 2>&1 || { echo "--- installing wrk from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m tests.benchmark $(BENCH_ARGS)

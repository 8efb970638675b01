# Quick start: `make demo` runs the offline demo in the TUI; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKERS ?= auto
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo demo-headless test test-fast typecheck crash-test soak bench snapshots screenshots lint clean js-tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/codeframe-tui demo $(if $(DIR),--dir $(DIR)) $(if $(STACK),--stack $(STACK))

demo-headless: $(STAMP)
	$(BIN)/codeframe-tui demo --headless --json $(if $(DIR),--dir $(DIR))

# One pytest worker per core: most tests wait on git, pytest or a terminal in a subprocess, so two
# workers on 2 cores took 11 to 16 minutes (2,094 tests at the end of issue M) where one took 15 and
# more; 9 to 12 after issue N (inner pytest runs without plugins). Four on 2 cores were hardly faster (14:19 against 16:04) and lost two workers to the crash
# and terminal tests. Tests marked `serial` time a person's key presses against the screen, and run
# alone afterwards. (Exit 5 is "no test selected".) WORKERS=n sets the number.
# Lint and the type check go first: they take seconds and fail fast, before the minutes of tests.
test: lint typecheck js-tools
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal -m "not serial" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The contributor's loop: everything but the terminal, crash, soak and slow tiers (marked by path in
# tests/conftest.py) and the serial tests, in under 3 minutes on 2 cores. `make test` stays the whole suite.
test-fast: lint typecheck
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal \
		-m "not serial and not terminal and not crash and not soak and not slow" $(PYTEST_ARGS) || [ $$? -eq 5 ]

# SIGKILL the headless demo at 20 random moments, resume each run, check nothing was lost (~5 min).
crash-test: $(STAMP)
	$(BIN)/python tests/crash_harness.py --kills $(or $(KILLS),20) $(if $(SEED),--seed $(SEED))

# 200 tasks, 10 at once, 5% model faults, through the TUI; prints its figures (~4 min).
soak: $(STAMP)
	$(BIN)/python tests/soak.py --tasks $(or $(TASKS),200) --concurrency 10 --fault-rate 0.05 $(if $(SEED),--seed $(SEED))

# Every benchmarks/bench_*.py in its own process; writes benchmarks/results.json and prints the table (some 10 min; the merge queue's 200-task graph alone takes 4).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/test_snapshots.py --snapshot-update

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

# ruff and mypy come pinned with the test extras; their settings are in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check codeframe_tui tests scripts benchmarks

# The real JS tools the JavaScript project tests drive (vitest, jest, mocha, eslint, typescript), from
# their lockfile, once: the tests then run offline. Without node, nothing is installed and those tests skip.
JS_TOOLS := tests/js_tools
JS_STAMP := $(JS_TOOLS)/node_modules/.installed-$(shell cat $(JS_TOOLS)/package-lock.json | cksum | cut -d' ' -f1)

js-tools:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(JS_STAMP); \
	else echo "node/npm not found: the JavaScript project tests will skip"; fi

$(JS_STAMP): $(JS_TOOLS)/package-lock.json
	cd $(JS_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# mypy over the package, strict on domain/, engine/ and costs/ (under 30 s from a clean checkout, a few with its cache).
typecheck: $(STAMP)
	$(BIN)/mypy

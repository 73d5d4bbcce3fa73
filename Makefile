# SurgiAI: `make run` starts everything on this machine, `make test` checks everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/surgiai run --demo

lint: install
	$(BIN)/ruff check surgiai tests benchmarks
	$(BIN)/ruff format --check surgiai tests benchmarks

typecheck: install
	$(BIN)/mypy surgiai

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m benchmarks

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/surgiai-lock && $(PYTHON) -m venv /tmp/surgiai-lock
	/tmp/surgiai-lock/bin/pip install --quiet '.[dev]'
	/tmp/surgiai-lock/bin/pip freeze --exclude surgiai > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

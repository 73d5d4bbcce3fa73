# SurgiAI: `make run` starts everything on this machine, `make test` checks everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned, hashed dependencies, written by `make lock` from pyproject.toml: runtime.txt (the
# runtime set), dev.txt (runtime and dev: what `make install` installs), build.txt (pip and
# setuptools, from build.in).
LOCKS := requirements/build.txt requirements/runtime.txt requirements/dev.txt

# The dashboard (frontend/) is built into the Python package, which serves it at `/`.
FRONTEND := frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed
WEB_BUILD := surgiai/web/static/index.html
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f \
	! -name '*.test.ts' ! -name '*.test.tsx' ! -path '*/src/test/*' 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json
NODE_MIN := 20.19
# Browser tests drive Debian's Chromium; Playwright must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install run test lint typecheck pytest bench lock clean \
	frontend frontend-check api-client api-client-check

install: $(STAMP) $(WEB_BUILD)

# Every package comes from the lock files, hash-checked and as a wheel; then the project itself,
# editable (which pip cannot hash-check), with the locked setuptools rather than a downloaded one.
$(STAMP): pyproject.toml $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --only-binary :all: -r requirements/build.txt
	$(BIN)/pip install --quiet --require-hashes --only-binary :all: -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number),[c,d]="$(NODE_MIN)".split(".").map(Number);process.exit(a>c||(a==c&&b>=d)?0:1)' \
		|| { echo "The dashboard needs Node.js $(NODE_MIN) or newer (found: $$(node --version 2>/dev/null || echo none))." >&2; exit 1; }
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(WEB_BUILD): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run --silent build -- --logLevel warn

frontend: $(WEB_BUILD)

run: install
	$(BIN)/surgiai run --demo

lint: install
	$(BIN)/ruff check surgiai tests benchmarks tools
	$(BIN)/ruff format --check surgiai tests benchmarks tools
	$(BIN)/lint-imports

# Strict, like the package: the tests and the import-linter contract are code too.
typecheck: install
	$(BIN)/mypy surgiai tests tools

# Regenerate the dashboard's typed API client after changing the backend's API.
api-client: $(STAMP) $(NODE_STAMP)
	$(FRONTEND)/scripts/api-client.sh

api-client-check: $(STAMP) $(NODE_STAMP)
	$(FRONTEND)/scripts/api-client.sh --check

# TypeScript, lint, component tests and the JavaScript budget.
frontend-check: install
	cd $(FRONTEND) && npm run --silent typecheck
	cd $(FRONTEND) && npm run --silent lint
	cd $(FRONTEND) && npm run --silent test
	cd $(FRONTEND) && npm run --silent size

pytest: install
	$(BIN)/pytest

test: lint typecheck frontend-check api-client-check pytest

bench: install
	$(BIN)/python -m benchmarks

# Re-pin every dependency after changing pyproject.toml (or requirements/build.in), with uv's
# `pip compile` (uv from PyPI, $(UV_VERSION)): a universal resolution for Python 3.11 on any
# platform, with the hashes of every file of each pinned release. Versions already in the lock
# files are kept; only new or changed requirements are resolved afresh. To upgrade some:
# `make lock LOCK_UPGRADE='--upgrade-package NAME'` (or `--upgrade` for all).
UV_VERSION := 0.13.9
LOCK_VENV := /tmp/surgiai-lock
LOCK_FLAGS := --no-config --quiet --universal --python-version 3.11 --generate-hashes \
	$(LOCK_UPGRADE)
LOCK_NOTE := \# Written by `make lock` (uv $(UV_VERSION)) from pyproject.toml and build.in
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml -o requirements/runtime.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml --extra dev \
		-c requirements/runtime.txt -o requirements/dev.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_FLAGS) requirements/build.in -o requirements/build.txt
	sed -i '1i $(LOCK_NOTE)' $(LOCKS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(FRONTEND)/node_modules surgiai/web/static

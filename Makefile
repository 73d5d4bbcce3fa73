# SurgiAI: `make run` starts everything on this machine, `make test` checks everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

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

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
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

typecheck: install
	$(BIN)/mypy surgiai

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

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/surgiai-lock && $(PYTHON) -m venv /tmp/surgiai-lock
	/tmp/surgiai-lock/bin/pip install --quiet '.[dev]'
	/tmp/surgiai-lock/bin/pip freeze --exclude surgiai > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(FRONTEND)/node_modules surgiai/web/static

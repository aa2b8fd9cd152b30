# The two commands: `make run` (serve the console) and `make test` (the whole suite).
SHELL := /bin/bash
PY := .venv/bin/python
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run serve test fresh-test setup hypervisor redis prepare lint clean lab-up lab-down

setup:
	@scripts/setup.sh

hypervisor:
	@scripts/hypervisor.sh

redis:
	@scripts/redis.sh

# Database, administrator, default hosts, and flavors and a demo image for an empty catalog.
prepare: setup hypervisor redis
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py ensure_admin
	@$(PY) manage.py register_default_hosts
	@$(PY) manage.py seed_catalog

run: prepare serve

# Only the processes (what `make run` ends with): Ctrl-C stops them all, exit status 0.
serve:
	@echo "==> serving on http://$${WEB_HOST:-127.0.0.1}:$${WEB_PORT:-8000}/"
	@scripts/serve.sh

test: setup hypervisor
	@scripts/test-deps.sh
	@TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} scripts/redis.sh
	@$(PY) manage.py makemigrations --check --dry-run -v 0 || { echo "ERROR: models changed without a migration"; exit 1; }
	@.venv/bin/ruff check .
	@.venv/bin/pytest $(PYTEST_ARGS)

# .ci/run from a fresh clone of HEAD in a new private folder: what a new user or CI would see.
fresh-test:
	@scripts/fresh-test.sh

# The multi-host harness by hand: two more libvirtds in network namespaces (tests/support/lab.py);
# add them as hosts qemu+tcp://10.213.7.11/system and qemu+tcp://10.213.7.12/system.
lab-up: setup hypervisor
	@$(PY) -m tests.support.lab up

lab-down:
	@$(PY) -m tests.support.lab down

lint:
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

clean:
	rm -rf .state static/vendor node_modules

# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test setup system-packages lint format bench proofs clean

setup:
	@deploy/local/ensure-system-packages.sh rabbitmq-server
	@deploy/local/bootstrap.sh

system-packages:
	@deploy/local/ensure-system-packages.sh rabbitmq-server postgresql

## Start the whole suite with demo data in the foreground (Ctrl-C stops everything).
run: setup
	@$(PY) deploy/local/run.py

## Set up and run every test suite against private RabbitMQ and PostgreSQL servers.
test: system-packages
	@deploy/local/bootstrap.sh
	@$(PY) deploy/test/run_tests.py

lint:
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

format:
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

## The proof suites alone, with a summary table; PROFILE=full for the long versions.
PROFILE ?= ci
proofs: system-packages
	@deploy/local/bootstrap.sh
	@$(PY) tests/run_proofs.py --profile $(PROFILE)

bench: setup
	@$(PY) bench/run_all.py

clean:
	rm -rf var .pytest_cache

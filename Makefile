# Cognate — two commands: `make run` and `make test`.
SHELL := /bin/bash
APT_PACKAGES := libsqlite3-dev libssl-dev libargon2-dev libcrypt-dev zlib1g-dev pkg-config python3-venv postgresql apache2 libapache2-mod-auth-openidc libqrencode-dev libxml2-dev libxmlsec1-dev xmlsec1 chromium chromium-driver zbar-tools nginx prometheus haproxy
VENV := .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test bench deps build build-tests test-swift test-interop test-interop-postgres test-cluster venv clean-data screenshots

## Install what is missing from Debian (needs root or sudo), once; no service they bring is started
## (the tests run their own apache2, nginx, Prometheus, haproxy and PostgreSQL on loopback ports).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    policy=yes; printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; $$SUDO chmod +x /usr/sbin/policy-rc.d; \
	  fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; status=$$?; \
	  [ -z "$$policy" ] || $$SUDO rm -f /usr/sbin/policy-rc.d; \
	  for service in apache2 nginx prometheus; do $$SUDO service $$service stop >/dev/null 2>&1 || true; done; \
	  exit $$status; \
	fi

build: deps
	swift build --product cognate

## Build and start the server on $(HOST):$(PORT) with SQLite in $${COGNATE_DATA_DIR:-./data}.
run: build
	./.build/debug/cognate serve --hostname $(HOST) --port $(PORT)

$(VENV)/.installed: Tests/Interop/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r Tests/Interop/requirements.txt
	touch $@

venv: deps $(VENV)/.installed

build-tests: deps
	swift build --build-tests

## Every suite: Swift tests (store conformance on SQLite and, when PostgreSQL is installed, on a
## throwaway PostgreSQL cluster); then the Python interop suites against the real binary on SQLite
## and, at the same time, the journeys again with every server on PostgreSQL (each run in loopback
## ports of its own; the PostgreSQL run's output follows the SQLite one's); then the timing
## comparisons alone on each database (TIMING_SUITES, below); then the cluster test.
## Built once: BUILT=1 tells the suites' own targets to skip theirs (a no-op `swift build` still
## takes ~40 s, SwiftPM compiling swift-protobuf's plugin and module again).
INTEROP_POSTGRES_LOG := .build/interop-postgres.log
test: build-tests venv
	scripts/with-postgres.sh swift test --skip-build
	@$(MAKE) --no-print-directory test-interop-postgres BUILT=1 COGNATE_TEST_PORTS=26000-32000 ALONGSIDE=1 > $(INTEROP_POSTGRES_LOG) 2>&1 & postgres=$$!; \
	$(MAKE) --no-print-directory test-interop BUILT=1 COGNATE_TEST_PORTS=20000-25999 ALONGSIDE=1; sqlite=$$?; \
	wait $$postgres; on_postgres=$$?; \
	echo "=== the journeys on PostgreSQL (run alongside) ==="; cat $(INTEROP_POSTGRES_LOG); \
	echo "interop on SQLite: exit $$sqlite; on PostgreSQL: exit $$on_postgres"; \
	[ $$sqlite = 0 ] && [ $$on_postgres = 0 ]
	@echo "=== the timing comparisons, alone (on SQLite, then on PostgreSQL) ==="
	COGNATE_BINARY=$(CURDIR)/.build/debug/cognate $(PYTHON) -m pytest -q $(TIMING_SUITES)
	scripts/with-postgres.sh env COGNATE_INTEROP_DATABASE=postgres COGNATE_BINARY=$(CURDIR)/.build/debug/cognate $(PYTHON) -m pytest -q $(TIMING_SUITES)
	$(MAKE) --no-print-directory test-cluster BUILT=1

## Suites that compare response times (accounts against names no one holds): make test runs them
## alone after the two runs side by side (ALONGSIDE=1 leaves them out there), whose load on the
## two cores would blur what they measure.
TIMING_SUITES := Tests/Interop/test_enumeration.py
ALONGSIDE_IGNORE = $(if $(ALONGSIDE),$(addprefix --ignore=,$(TIMING_SUITES)))

test-interop: venv
	[ -n "$(BUILT)" ] || swift build --build-tests
	COGNATE_TEST_PORTS=$(COGNATE_TEST_PORTS) COGNATE_BINARY=$(CURDIR)/.build/debug/cognate $(PYTHON) -m pytest -q --durations=20 $(ALONGSIDE_IGNORE) Tests/Interop

## The journeys on PostgreSQL (a throwaway cluster; each server's data dir gets a database of its
## own): every suite but those that only drive the pages in Chromium (the same pages over the same
## store calls the journeys make; they pass there too: `POSTGRES_SUITES=Tests/Interop`) and the
## cluster tests, which start PostgreSQL clusters of their own.
PAGE_SUITES := test_browser.py test_browser_passkeys.py test_themes.py test_locales.py
POSTGRES_SUITES ?= $(filter-out $(addprefix Tests/Interop/,$(PAGE_SUITES) test_cluster_load.py test_cluster_start.py),$(sort $(wildcard Tests/Interop/test_*.py)))
test-interop-postgres: venv
	[ -n "$(BUILT)" ] || swift build --build-tests
	scripts/with-postgres.sh env COGNATE_TEST_PORTS=$(COGNATE_TEST_PORTS) COGNATE_INTEROP_DATABASE=postgres COGNATE_BINARY=$(CURDIR)/.build/debug/cognate \
		$(PYTHON) -m pytest -q --durations=10 $(if $(ALONGSIDE),$(filter-out $(TIMING_SUITES),$(POSTGRES_SUITES)),$(POSTGRES_SUITES))

## Three nodes on one PostgreSQL behind haproxy under a mixed load for COGNATE_CLUSTER_SECONDS (60): a SIGKILL, a rolling
## restart, the figures, then the after-check (sign-ups kept, no refresh family forked, no code redeemed twice).
test-cluster: venv
	[ -n "$(BUILT)" ] || swift build --build-tests
	COGNATE_CLUSTER_TEST=1 COGNATE_BINARY=$(CURDIR)/.build/debug/cognate $(PYTHON) -m pytest -q -s Tests/Interop/test_cluster_load.py

## Speed of a release build with wrk on loopback (a benchmark, not a test; the release build takes 20+ minutes once).
bench: venv
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get install -y -qq wrk >/dev/null; }
	swift build -c release --product cognate
	COGNATE_BINARY=$(CURDIR)/.build/release/cognate $(PYTHON) scripts/bench.py

## Every hosted page in every state (the preview), as PNGs in screenshots/ (scripts/screenshots.py --help for your own setup).
screenshots: build venv
	COGNATE_BINARY=$(CURDIR)/.build/debug/cognate $(PYTHON) scripts/screenshots.py $(ARGS)

clean-data:
	rm -rf ./data

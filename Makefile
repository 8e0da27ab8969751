# ckpt: the two quick-start commands are `make run` and `make test`.
# Both install what a fresh Debian machine lacks (idempotently), then build in release mode.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libhdf5-dev hdf5-tools libopenblas-dev pkg-config
RUN_DIR ?= runs/default
# Tests run in release: numeric Swift in debug is tens of times slower.
TEST_FLAGS := -c release -Xswiftc -enable-testing

.PHONY: deps build run test bench clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product ckpt

run: build
	.build/release/ckpt train --out $(RUN_DIR)

test: deps
	$(SWIFT) build $(TEST_FLAGS)   # every product, same flags as the tests: end-to-end tests run ckpt, custom-loop, bench-io
	$(SWIFT) test $(TEST_FLAGS)

bench: build
	bash bench/run.sh

clean:
	rm -rf .build runs

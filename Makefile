# ckpt: the two quick-start commands are `make run` and `make test`.
# Both install what a fresh Debian machine lacks (idempotently), then build in release mode.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libhdf5-dev hdf5-tools libopenblas-dev pkg-config openmpi-bin libopenmpi-dev libhdf5-openmpi-dev
RUN_DIR ?= runs/default
# Tests run in release: numeric Swift in debug is tens of times slower.
TEST_FLAGS := -c release -Xswiftc -enable-testing

.PHONY: deps build run test test-python python-deps bench clean mpi

# The MPI flavour (docs/MPI.md): parallel HDF5 + OpenMPI, its own scratch path, so the serial
# build above is untouched. Run it with `mpirun -n N .build-mpi/release/ckpt ...`.
MPI_BUILD := CKPT_MPI=1 $(SWIFT) build -c release --scratch-path .build-mpi --product ckpt

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

mpi: deps
	$(MPI_BUILD)

test: deps
	bash scripts/check-imports.sh && bash scripts/check-imports-test.sh   # the import graph of docs/ARCHITECTURE.md, and its check failing on violations
	$(MPI_BUILD)   # the MPI flavour's ckpt, which the multi-rank tests (MPITests) launch under mpirun
	$(SWIFT) build $(TEST_FLAGS)   # every product, same flags as the tests: end-to-end tests run ckpt, custom-loop, bench-io
	$(SWIFT) test $(TEST_FLAGS)
	$(MAKE) --no-print-directory test-python

# python/ckpt_torch.py's tests: h5py + numpy + pytest from PyPI when missing (small; torch is
# optional and its half of the tests is skipped with a message where it is absent).
PIP_INSTALL := python3 -m pip install -q --disable-pip-version-check
python-deps:
	@python3 -c "import h5py, numpy, pytest" 2>/dev/null || { \
	  echo "installing h5py numpy pytest (pip)"; \
	  $(PIP_INSTALL) h5py numpy pytest 2>/dev/null || $(PIP_INSTALL) --break-system-packages h5py numpy pytest 2>/dev/null || { \
	    echo "pip unavailable: installing python3-h5py python3-numpy python3-pytest (apt)"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-h5py python3-numpy python3-pytest >/dev/null; }; }

test-python: python-deps
	python3 -m pytest -q -rs -p no:cacheprovider python/tests

# One table of every benchmark beside its peers (Benchmarks/run.sh). PYTHON=... picks the Python
# that runs the peers (torch, safetensors, h5py, ...; absent ones show as missing); BENCH_QUICK=1
# is a smoke test (small sizes, few runs).
bench: build
	bash Benchmarks/run.sh

clean:
	rm -rf .build .build-mpi runs

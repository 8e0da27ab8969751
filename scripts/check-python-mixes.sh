#!/usr/bin/env bash
# The test suite must pass with any mix of the optional Python packages, and skip (saying so)
# what it cannot run. This runs every test that starts Python (the Swift suites that call
# python3, and python/tests) under each mix, by putting a `python3` first on PATH whose
# PYTHONPATH holds stub packages that fail to import, the way a missing package does:
#   torch-no-xxhash   torch, h5py, numpy; xxhash blocked   (TORCH_PYTHON, default /opt/torchenv)
#   h5py-no-torch     h5py, numpy; torch, xxhash, safetensors blocked
#   none              torch, h5py, numpy, xxhash, safetensors all blocked (Swift suites only:
#                     `make test-python` installs h5py, numpy and pytest before python/tests)
# usage: scripts/check-python-mixes.sh [mix ...]     (needs the release build of `make test`)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TORCH_PYTHON=${TORCH_PYTHON:-/opt/torchenv/bin/python3}
SUITES='InteropTests|DataFileTests|PythonModuleInteropTests|DiffDamagedFileTests|HDF5ForeignFileTests|HDF5InteropTests|EnumMemberNameTests|BadInputTests|StreamingMemoryTests|CommandConventionTests'
WORK=$(mktemp -d /tmp/ckpt-mixes.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

mix() {   # name, python, blocked packages...
  local name=$1 python=$2; shift 2
  local dir=$WORK/$name
  mkdir -p "$dir/bin" "$dir/stubs"
  for p in "$@"; do
    mkdir -p "$dir/stubs/$p"
    echo "raise ModuleNotFoundError('$p is blocked by scripts/check-python-mixes.sh ($name)')" > "$dir/stubs/$p/__init__.py"
  done
  printf '#!/bin/sh\nPYTHONPATH=%q${PYTHONPATH:+:$PYTHONPATH} exec %q "$@"\n' "$dir/stubs" "$python" > "$dir/bin/python3"
  chmod +x "$dir/bin/python3"
  echo "== $name: $python, blocked: ${*:-nothing}"
  PATH="$dir/bin:$PATH" swift test -c release -Xswiftc -enable-testing --filter "$SUITES" > "$dir/swift.log" 2>&1
  local s=$?
  grep -E "Test run with|skipped" "$dir/swift.log" | sed 's/^/   /' | sort | uniq -c | sort -rn | head -12
  [ $s = 0 ] || { echo "   FAILED: Swift suites (log below)"; grep -E "✘|error" "$dir/swift.log" | head -20; status=1; }
  if [ "$name" != none ]; then
    PATH="$dir/bin:$PATH" python3 -m pytest -q -rs -p no:cacheprovider python/tests > "$dir/pytest.log" 2>&1
    local p=$?
    tail -1 "$dir/pytest.log" | sed 's/^/   pytest: /'
    [ $p = 0 ] || { echo "   FAILED: python/tests"; grep -E "FAILED|Error" "$dir/pytest.log" | head -20; status=1; }
  fi
}

status=0
wanted=${*:-torch-no-xxhash h5py-no-torch none}
for m in $wanted; do
  case $m in
    torch-no-xxhash) if [ -x "$TORCH_PYTHON" ]; then mix "$m" "$TORCH_PYTHON" xxhash; else echo "== $m: skipped ($TORCH_PYTHON not found)"; fi ;;
    h5py-no-torch)   mix "$m" "$(command -v python3)" torch xxhash safetensors ;;
    none)            mix "$m" "$(command -v python3)" torch h5py numpy xxhash safetensors ;;
    *) echo "unknown mix $m"; exit 2 ;;
  esac
done
[ $status = 0 ] && echo "every mix passed" || echo "some mix FAILED"
exit $status

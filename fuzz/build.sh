#!/usr/bin/env bash
# Builds one libFuzzer target of this package (every Swift module, the root package's too,
# with -sanitize=fuzzer) and prints the path of its binary. run.sh and run-torch.sh use it.
#   fuzz/build.sh PRODUCT       (fuzz-load, fuzz-torch); exit status 2 when the build fails
set -uo pipefail
cd "$(dirname "$0")"
swift build -c release --product "$1" \
  -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link >/dev/null || { echo "fuzz build failed" >&2; exit 2; }
echo "$(swift build -c release --show-bin-path)/$1"

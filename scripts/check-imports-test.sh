#!/usr/bin/env bash
# Shows that scripts/check-imports.sh holds: it passes on a small tree that follows its table
# and on this repository, and fails, naming the file and the modules, on each kind of
# violation planted in a copy (an upward Swift import in each spelling, a C include of another
# module, a module without a row, a row without a module, a table with a cycle), including
# `import HDF5` planted in a copy of this repository's CkptCLI.
# Prints failures and a summary; VERBOSE=1 also names every case that passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
check=$here/check-imports.sh
scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-imports-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0

# A tree of four modules: Base <- Top, and a C library CLib (lib.h) used by CUse.
make_tree() {
    local t=$1
    mkdir -p "$t/docs" "$t/Sources/Base" "$t/Sources/Top/Sub" "$t/Sources/CLib" "$t/Sources/CUse/include"
    cat > "$t/docs/ARCHITECTURE.md" <<'DOC'
# Test

| module | may import | headers |
|---|---|---|
| CLib | — | lib.h |
| CUse | CLib | |
| Base | Foundation | |
| Top | `Base`, Glibc | |

After the table.
DOC
    printf 'import Foundation\n' > "$t/Sources/Base/a.swift"
    printf '#if canImport(Glibc)\nimport Glibc\n#endif\n@_exported import Base\n// import Forbidden\nlet s = "import Forbidden"\n' > "$t/Sources/Top/b.swift"
    printf 'public import struct Base.Thing\n' > "$t/Sources/Top/Sub/c.swift"
    printf '#include <lib.h>\n#include <stdio.h>\n' > "$t/Sources/CLib/shim.h"
    printf '#include "use.h"\n#include <lib.h>\n#include <string.h>\n' > "$t/Sources/CUse/use.c"
    printf 'int use(void);\n' > "$t/Sources/CUse/include/use.h"
}

# expect NAME STATUS TREE [WORDS]: the check's exit status on TREE, and WORDS in its output.
expect() {
    local name=$1 status=$2 tree=$3 words=${4:-} out rc=0
    out=$(bash "$check" "$tree" 2>&1) || rc=$?
    if [ "$rc" != "$status" ] || { [ -n "$words" ] && ! grep -qF -- "$words" <<< "$out"; }; then
        echo "FAIL $name: exit $rc (expected $status${words:+, output with \"$words\"}):"
        sed 's/^/    /' <<< "$out"
        failures=$((failures + 1))
    else
        [ -z "${VERBOSE:-}" ] || echo "ok   $name"
    fi
}

# plant NAME: a fresh copy of the sound tree, for one violation.
plant() { local t=$scratch/$1; make_tree "$t"; echo "$t"; }

make_tree "$scratch/sound"
expect "a tree that follows its table passes" 0 "$scratch/sound"
expect "this repository follows docs/ARCHITECTURE.md" 0 "$repo"

t=$(plant upward);    printf 'import Top\n' >> "$t/Sources/Base/a.swift"
expect "an upward import fails" 1 "$t" "Sources/Base/a.swift:2: Base imports Top, which docs/ARCHITECTURE.md does not allow (Base may import: Foundation)"
t=$(plant exported);  printf '@_exported public import Top\n' > "$t/Sources/Base/z.swift"
expect "an @_exported public import fails" 1 "$t" "Sources/Base/z.swift:1: Base imports Top"
t=$(plant kind);      printf 'import class Top.Widget\n' > "$t/Sources/Top/Sub/../../Base/k.swift"
expect "an import of one declaration fails" 1 "$t" "Sources/Base/k.swift:1: Base imports Top"
t=$(plant undocumented); printf '  import Dispatch\n' >> "$t/Sources/Top/Sub/c.swift"
expect "an import of a module the row omits fails" 1 "$t" "Sources/Top/Sub/c.swift:2: Top imports Dispatch, which docs/ARCHITECTURE.md does not allow (Top may import: Base, Glibc)"
t=$(plant include);   printf '#include <lib.h>\n' > "$t/Sources/Base/k.h"
expect "a C header of a module the row omits fails" 1 "$t" "Sources/Base/k.h:1: Base includes <lib.h> of CLib, which"
t=$(plant relative);  printf '#include "../CUse/include/use.h"\n' >> "$t/Sources/CLib/shim.h"
expect "a relative include into another module fails" 1 "$t" "Sources/CLib/shim.h:3: CLib includes <../CUse/include/use.h> of CUse"
t=$(plant public);    printf '#include "use.h"\n' >> "$t/Sources/CLib/shim.h"
expect "another module's public header fails" 1 "$t" "CLib includes <use.h> of CUse"
t=$(plant norow);     mkdir "$t/Sources/Extra"; printf 'import Base\n' > "$t/Sources/Extra/e.swift"
expect "a module without a row fails" 1 "$t" "Sources/Extra: no row"
t=$(plant nodir);     rm -r "$t/Sources/CUse"
expect "a row without a module fails" 1 "$t" "row CUse: no directory Sources/CUse"
t=$(plant cycle);     sed -i 's/^| Base | Foundation |/| Base | Foundation, Top |/' "$t/docs/ARCHITECTURE.md"
expect "a row naming a module below it fails" 1 "$t" "row Base may import Top, which is not above it"
t=$(plant notable);   printf '# No table\n' > "$t/docs/ARCHITECTURE.md"
expect "a document without the table is an error" 2 "$t" "no \"| module | may import |\" table"

# The real graph: `import HDF5` planted in a copy of this repository's CkptCLI.
t=$scratch/repo; mkdir -p "$t/docs"
cp "$repo/docs/ARCHITECTURE.md" "$t/docs/"; cp -R "$repo/Sources" "$t/"
expect "a copy of this repository passes" 0 "$t"
printf 'import HDF5\n' >> "$t/Sources/CkptCLI/Output/FileReader.swift"
expect "import HDF5 in CkptCLI fails" 1 "$t" "Sources/CkptCLI/Output/FileReader.swift:$(wc -l < "$t/Sources/CkptCLI/Output/FileReader.swift"): CkptCLI imports HDF5"

if [ "$failures" -gt 0 ]; then echo "check-imports-test: $failures failed"; exit 1; fi
echo "check-imports-test: all $(grep -c '^expect "' "$0") cases as expected (sound trees pass, planted violations fail)"

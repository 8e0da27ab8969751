#!/usr/bin/env bash
# Holds every module under Sources/ to the import graph documented in docs/ARCHITECTURE.md
# (its "module | may import" table), so the document and the code cannot drift apart.
#
#   scripts/check-imports.sh [ROOT]     ROOT: the repository (default: this script's parent)
#
# Swift: every `import X` line of Sources/<Module>/**/*.swift (attributes such as @_exported,
# access levels such as `public import`, kinds such as `import struct X.Y` and imports under
# #if all count) must name a module the table allows for <Module>. C: every #include of
# Sources/<Module>/**/*.{c,h} that reaches another module (a relative path into another
# Sources/ directory, a header in another module's include/, or a header the table's third
# column assigns to a system-library module such as hdf5.h) must name an allowed module.
# Every directory under Sources/ must have a row, and every row a directory; a row may name
# only modules of rows above it, so the documented graph itself has no cycle.
# Exit status: 0 when all holds, 1 with one line per violation, 2 when the table is missing.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$root/docs/ARCHITECTURE.md
sources=$root/Sources
[ -f "$doc" ] || { echo "check-imports: $doc: no such file" >&2; exit 2; }
[ -d "$sources" ] || { echo "check-imports: $sources: no such directory" >&2; exit 2; }

# The table, as lines "module<TAB>allowed,allowed<TAB>header,header".
table=$(awk '
    function clean(s) { gsub(/`/, "", s); gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    function list(s,   n, parts, i, out, item) {
        n = split(s, parts, ","); out = ""
        for (i = 1; i <= n; i++) {
            item = clean(parts[i])
            if (item == "" || item == "-" || item == "—" || item == "(none)") continue
            out = out (out == "" ? "" : ",") item
        }
        return out
    }
    intable && !/^[ \t]*\|/ { exit }
    intable {
        n = split($0, f, "|")
        if (clean(f[2]) ~ /^:?-+:?$/) next  # the separator row
        print clean(f[2]) "\t" list(f[3]) "\t" (n > 4 ? list(f[4]) : "")
    }
    tolower($0) ~ /^[ \t]*\|[ \t]*module[ \t]*\|[ \t]*may import[ \t]*\|/ { intable = 1 }
' "$doc")
[ -n "$table" ] || { echo "check-imports: $doc: no \"| module | may import |\" table" >&2; exit 2; }

modules=$(cd "$sources" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort)

# Public C headers (Sources/<M>/include/*.h) and the table's headers, as "header<TAB>module".
headers=$(
    cd "$sources"
    find . -path './*/include/*.h' | awk -F/ '{ print $NF "\t" $2 }'
    printf '%s\n' "$table" | awk -F'\t' '{ n = split($3, h, ","); for (i = 1; i <= n; i++) print h[i] "\t" $1 }'
)

# Every Swift import and C include under Sources/, as "path:line:text".
uses=$(
    cd "$root"
    grep -rnE --include='*.swift' \
        '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|package|internal|fileprivate|private|open)[[:space:]]+)?import[[:space:]]' \
        Sources || true
    grep -rnE --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' Sources || true
)

# Passed through the environment: awk -v would interpret backslashes.
TABLE=$table MODULES=$modules HEADERS=$headers awk -F'\t' '
    BEGIN {
        table = ENVIRON["TABLE"]; modules = ENVIRON["MODULES"]; headers = ENVIRON["HEADERS"]
        doc = "docs/ARCHITECTURE.md"; bad = 0
        n = split(table, rows, "\n")
        for (i = 1; i <= n; i++) { split(rows[i], f, "\t"); rowIndex[f[1]] = i }
        for (i = 1; i <= n; i++) {
            split(rows[i], f, "\t")
            row[f[1]] = 1; allowedText[f[1]] = f[2]
            m = split(f[2], a, ",")
            for (j = 1; j <= m; j++) {
                allowed[f[1], a[j]] = 1
                # Layers point one way: a row may name only modules of rows above it.
                if ((a[j] in rowIndex) && rowIndex[a[j]] >= i) {
                    print doc ": row " f[1] " may import " a[j] ", which is not above it in the table (a cycle or an upward import)"
                    bad = 1
                }
            }
        }
        n = split(modules, dirs, "\n")
        for (i = 1; i <= n; i++) {
            isModule[dirs[i]] = 1
            if (!(dirs[i] in row)) { print "Sources/" dirs[i] ": no row in the \"module | may import\" table of " doc; bad = 1 }
        }
        for (r in row) if (!(r in isModule)) { print doc ": row " r ": no directory Sources/" r; bad = 1 }
        n = split(headers, hs, "\n")
        for (i = 1; i <= n; i++) { split(hs[i], f, "\t"); if (f[1] != "") headerOwner[f[1]] = f[2] }
    }
    function check(where, module, used, how) {
        if (used == "" || used == module || (module, used) in allowed) return
        text = allowedText[module] == "" ? "nothing" : allowedText[module]
        gsub(/,/, ", ", text)
        printf "%s: %s %s %s, which %s does not allow (%s may import: %s)\n", where, module, how, used, doc, module, text
        bad = 1
    }
    {
        # "Sources/<Module>/...:<line>:<text>" (a path holds no colon here).
        split($0, parts, ":"); path = parts[1]; line = parts[2]
        text = substr($0, length(path) + length(line) + 3)
        split(path, p, "/"); module = p[2]
        if (!(module in row)) next  # reported above
        if (path ~ /\.swift$/) {
            s = text
            sub(/^[ \t]*(@[A-Za-z_]+[ \t]+)*((public|package|internal|fileprivate|private|open)[ \t]+)?import[ \t]+/, "", s)
            sub(/^(typealias|struct|class|enum|protocol|let|var|func)[ \t]+/, "", s)
            match(s, /^[A-Za-z_][A-Za-z0-9_]*/)
            check(path ":" line, module, substr(s, RSTART, RLENGTH), "imports")
        } else {
            s = text
            sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", s); sub(/[>"].*$/, "", s)
            used = ""
            if (match(s, /(^|\/)\.\.\/[A-Za-z0-9_]+\//)) {  # "../CHDF5/shim.h": another Sources/ directory
                d = substr(s, RSTART, RLENGTH); sub(/^\/?\.\.\//, "", d); sub(/\/$/, "", d)
                if (d in isModule) used = d
            }
            if (used == "") { b = s; sub(/^.*\//, "", b); if (b in headerOwner) used = headerOwner[b] }
            check(path ":" line, module, used, "includes <" s "> of")
        }
    }
    END { exit bad }
' <<< "$uses" || { echo "check-imports: the import graph differs from $doc (fix the import, or the table if the design changed)" >&2; exit 1; }
echo "check-imports: every module under Sources/ imports only what docs/ARCHITECTURE.md allows"

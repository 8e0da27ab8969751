#!/usr/bin/env bash
# Trial "full disk": `ckpt train` writing its checkpoints onto a small tmpfs (mounted by this
# script; needs root, skipped with a message where mount fails) until the file system is full.
# Passes when the command fails with a message that says what failed (no space), every
# checkpoint already in the directory still verifies, and no temporary is left behind.
source "$(dirname "$0")/common.sh"
SIZE_KB="${SIZE_KB:-1500}"
mnt="$WORK/mnt"; mkdir -p "$mnt"
if ! mount -t tmpfs -o "size=${SIZE_KB}k" tmpfs "$mnt" 2>"$WORK/mount.err"; then
  echo "full disk: SKIP (cannot mount a tmpfs here: $(head -c 200 "$WORK/mount.err"))"
  exit 0
fi
trap 'umount "$mnt" 2>/dev/null; cleanup' EXIT
cfg="$WORK/cfg.json"; write_tiny_config "$cfg" 20 1
"$CKPT" train --config "$cfg" --out "$mnt/run" >"$WORK/out" 2>"$WORK/err"; rc=$?
msg=$(grep -v '^saved\|^epoch\|^\[' "$WORK/err" | tail -n 3)
n=0; bad=0
for f in "$mnt"/run/*.h5; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  "$CKPT" verify "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); echo "does not verify: $f" >&2; }
done
temps=$(find "$mnt" -name '.*.partial-*' | wc -l)
result=PASS
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || result=FAIL
echo "$msg" | grep -qi 'no space' || result=FAIL
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ] && [ "$temps" -eq 0 ] || result=FAIL
echo "full disk (${SIZE_KB} KiB tmpfs): exit $rc, message: \"$(echo "$msg" | tail -n 1)\";" \
  "$n checkpoints left, $bad fail verify; $temps temporaries left -> $result"
[ "$result" = PASS ]

#!/usr/bin/env bash
# Trial "kill at random": `ckpt train` with a checkpoint every step, killed with SIGKILL at
# random moments (TRIALS times, default 60), restarted with `ckpt resume DIR` after each kill.
# After every kill: every *.h5 in the run directory must pass `ckpt verify`. At the end the
# run's final checkpoint must equal an uninterrupted run's (`ckpt diff`, exit 0), leftover
# temporaries (.<name>.partial-*) must never have been picked up as checkpoints, and none may
# be left once the run has finished (each start removes those of killed writers).
# ASYNC=1 trains and resumes with --async-save (checkpoints written in a background thread).
# MPI_RANKS=N trains and resumes data-parallel under `mpirun -n N` (the MPI flavour,
# .build-mpi/release/ckpt) and kills one rank, chosen at random, with SIGKILL: mpirun then ends
# the others, as a lost node ends a job. The reference run is the serial one: the files must be
# bit-identical to it whatever the rank count.
# Prints one figure line; exit 0 when the trial passes.
source "$(dirname "$0")/common.sh"
TRIALS="${TRIALS:-60}"
EPOCHS="${EPOCHS:-6}"
SEED="${SEED:-$RANDOM}"
RANDOM=$SEED
SAVE_ARGS=(); [ -n "${ASYNC:-}" ] && SAVE_ARGS=(--async-save)
RUN=("$CKPT")
if [ -n "${MPI_RANKS:-}" ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # read by mpirun, not by ckpt
  RUN=(mpirun -n "$MPI_RANKS" --oversubscribe "${CKPT_MPI:-$ROOT/.build-mpi/release/ckpt}")
fi
cfg="$WORK/cfg.json"; write_tiny_config "$cfg" "$EPOCHS" 1
final="epoch-$EPOCHS.h5"

t0=$(date +%s.%N)
"$CKPT" train --config "$cfg" --out "$WORK/ref" >/dev/null 2>&1 || { echo "reference run failed" >&2; exit 1; }
[ -n "${MPI_RANKS:-}" ] && { t0=$(date +%s.%N); "${RUN[@]}" train --config "$cfg" --out "$WORK/ref-mpi" >/dev/null 2>&1; }
t1=$(date +%s.%N)
# Kill moments are uniform in [0.02 s, runtime of the whole reference run].
span_ms=$(python3 -c "print(max(100, int(($t1 - $t0) * 1000)))")

kills=0; starts=0; campaigns=0; verify_fail=0; verified=0; temps_seen=0; temps_left=0; resume_fail=0; differ=0
found=0
declare -A checked=()
# A campaign: a fresh directory trained to the end through kills and resumes. Kill moments are
# uniform in [20 ms, a third of the uninterrupted runtime], so each campaign sees several kills.
while [ "$kills" -lt "$TRIALS" ]; do
  campaigns=$((campaigns + 1))
  run="$WORK/run-$campaigns"; mkdir -p "$run"
  while :; do
    if compgen -G "$run/*.h5" >/dev/null; then
      "${RUN[@]}" resume "$run" "${SAVE_ARGS[@]}" >"$WORK/log" 2>&1 & pid=$!
    else
      "${RUN[@]}" train --config "$cfg" --out "$run" "${SAVE_ARGS[@]}" >"$WORK/log" 2>&1 & pid=$!
    fi
    starts=$((starts + 1))
    ms=$(( 20 + (RANDOM * 32768 + RANDOM) % (span_ms / 3) ))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    done_run=0
    victim=$pid
    [ -n "${MPI_RANKS:-}" ] && victim=$(pgrep -P "$pid" | shuf -n 1)
    if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
      wait "$pid" 2>/dev/null; kills=$((kills + 1))
    else
      wait "$pid"; rc=$?
      if [ "$rc" -ne 0 ]; then resume_fail=$((resume_fail + 1)); cat "$WORK/log" >&2; fi
      done_run=1
    fi
    # Every file that looks like a checkpoint and is new since the last look must verify;
    # temporaries are only counted (resume must skip them, and the next start proves it).
    temps=$(find "$run" -maxdepth 1 -name '.*.partial-*' | wc -l)
    [ "$temps" -gt "$temps_seen" ] && temps_seen=$temps
    for f in "$run"/*.h5; do
      [ -e "$f" ] || continue
      id="$(stat -c '%i-%Y' "$f")-$f"
      [ -n "${checked[$id]:-}" ] && continue
      checked[$id]=1; verified=$((verified + 1))
      if ! "$CKPT" verify "$f" >"$WORK/v" 2>&1; then
        verify_fail=$((verify_fail + 1)); echo "verify failed: $f" >&2; cat "$WORK/v" >&2
      fi
    done
    [ "$done_run" = 1 ] && break
    [ "$starts" -gt $((TRIALS * 10)) ] && { echo "too many restarts" >&2; resume_fail=$((resume_fail + 1)); break 2; }
  done
  found=$((found + $(ls "$run"/*.h5 | wc -l)))
  temps_left=$((temps_left + $(find "$run" -maxdepth 1 -name '.*.partial-*' | wc -l)))
  if ! "$CKPT" diff "$run/$final" "$WORK/ref/$final" >"$WORK/diff" 2>&1; then
    differ=$((differ + 1)); echo "campaign $campaigns: $final differs from the uninterrupted run" >&2; cat "$WORK/diff" >&2
  fi
  rm -rf "$run"
done
same=identical; [ "$differ" -eq 0 ] || same="$differ DIFFERENT"

result=PASS
[ "$verify_fail" -eq 0 ] && [ "$same" = identical ] && [ "$resume_fail" -eq 0 ] && [ "$temps_left" -eq 0 ] || result=FAIL
echo "kill -9 at random${ASYNC:+ (async saves)}${MPI_RANKS:+ (one of $MPI_RANKS MPI ranks)} (seed $SEED): $kills kills in $campaigns runs ($starts starts);" \
  "$found checkpoints found, $verified checkpoint versions verified, $verify_fail failed;" \
  "up to $temps_seen leftover temporaries at once (ignored by resume), temporaries left: $temps_left;" \
  "$resume_fail failed restarts;" \
  "final $final vs uninterrupted: $same -> $result"
[ "$result" = PASS ]

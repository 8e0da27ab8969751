#!/usr/bin/env bash
# The measurements of docs/SCALE.md: scripts/mpi/phdf5_cost.c at 1..8 ranks (oversubscribed past
# the cores), a ~1 GiB state in 64 tensors, and the collective metadata cost as tensors grow
# (1 MiB of data in total, so creation dominates). CSV on stdout. Timings on a shared machine are noisy.
set -euo pipefail
dir=${1:-/tmp}
exe=/tmp/phdf5_cost.$$
mpicc -O2 "$(dirname "$0")/phdf5_cost.c" $(pkg-config --cflags --libs hdf5-openmpi) -o "$exe"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "ranks,tensors,bytes,create_s,write_s,close_s,open_s,read_s"
for n in 1 2 4 8; do mpirun -n $n --oversubscribe "$exe" "$dir/scale-$$.h5" 64 1024; done
for t in 100 1000 10000; do for n in 1 2 4 8; do mpirun -n $n --oversubscribe "$exe" "$dir/scale-$$.h5" $t 1; done; done
rm -f "$exe"

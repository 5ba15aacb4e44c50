#!/bin/sh
# Ranks x threads scaling of `scae train` (docs/benchmarks.md, "Ranks x threads"): the same run
# (PBMC, hvg:2000, --epochs E) as 1 rank x 1 thread, 1 x 2 and 2 x 1, interleaved for ROUNDS
# rounds; prints the median wall time of each layout and the load average before and after.
# usage: benchmarks/mpi_ranks.sh SCAE [DATA_DIR] [EPOCHS] [ROUNDS]
set -eu
scae=$1
data=${2:-${SCAE_DATA_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}/human_pbmc_soupx}
epochs=${3:-5}
rounds=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
echo "load before: $(cat /proc/loadavg)"
run() { # LABEL RANKS THREADS
  start=$(date +%s.%N)
  if [ "$2" = 1 ]; then
    OMP_NUM_THREADS=$3 "$scae" train --data "$data" --out "$work/m.json" --epochs "$epochs" --threads "$3" --quiet >/dev/null
  else
    OMP_NUM_THREADS=$3 $mpirun -np "$2" "$scae" train --data "$data" --out "$work/m.json" --epochs "$epochs" --threads "$3" --quiet >/dev/null 2>&1
  fi
  echo "$1 $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" >>"$work/times"
}
for round in $(seq "$rounds"); do
  run 1x1 1 1
  run 1x2 1 2
  run 2x1 2 1
done
echo "load after: $(cat /proc/loadavg)"
for layout in 1x1 1x2 2x1; do
  median=$(grep "^$layout " "$work/times" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$layout ranks x threads: median ${median} s over $rounds runs ($(grep "^$layout " "$work/times" | cut -d' ' -f2 | tr '\n' ' '))"
done

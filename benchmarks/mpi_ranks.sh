#!/bin/sh
# Ranks x threads scaling of `scae train` (docs/benchmarks.md, "Ranks x threads"): PBMC, hvg:2000,
# as 1 rank x 1 thread, 1 x 2 and 2 x 1, interleaved for ROUNDS rounds. Each layout runs 1 epoch
# and EPOCHS epochs; the difference over EPOCHS - 1 is the training time per epoch, free of
# reading, preprocessing and MPI start-up (the 1-epoch wall time). Prints medians and the load.
# usage: benchmarks/mpi_ranks.sh SCAE [DATA_DIR] [EPOCHS] [ROUNDS]
set -eu
scae=$1
data=${2:-${SCAE_DATA_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}/human_pbmc_soupx}
epochs=${3:-21}
rounds=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
echo "load before: $(cat /proc/loadavg)"
seconds() { # RANKS THREADS EPOCHS: wall seconds of one run
  start=$(date +%s.%N)
  if [ "$1" = 1 ]; then
    OMP_NUM_THREADS=$2 "$scae" train --data "$data" --out "$work/m.json" --epochs "$3" --threads "$2" --quiet >"$work/summary"
  else
    OMP_NUM_THREADS=$2 $mpirun -np "$1" "$scae" train --data "$data" --out "$work/m.json" --epochs "$3" --threads "$2" --quiet >"$work/summary" 2>/dev/null
  fi
  grep -q "\"epochs\":$3," "$work/summary" || { echo "run stopped early: $(cat "$work/summary")" >&2; exit 1; }
  awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}
for round in $(seq "$rounds"); do
  for layout in 1x1 1x2 2x1; do
    ranks=${layout%x*} threads=${layout#*x}
    short=$(seconds "$ranks" "$threads" 1)
    long=$(seconds "$ranks" "$threads" "$epochs")
    echo "$layout $short $(awk -v s="$short" -v l="$long" -v e="$epochs" 'BEGIN { printf "%.3f", (l - s) / (e - 1) }')" >>"$work/times"
  done
done
echo "load after: $(cat /proc/loadavg)"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for layout in 1x1 1x2 2x1; do
  echo "$layout: 1-epoch run $(grep "^$layout " "$work/times" | cut -d' ' -f2 | median) s, training $(grep "^$layout " "$work/times" | cut -d' ' -f3 | median) s/epoch (median of $rounds; per round: $(grep "^$layout " "$work/times" | cut -d' ' -f3 | tr '\n' ' '))"
done

#!/usr/bin/env bash
# Time and peak memory of `scae train` and `scae transfer` as cells grow (docs/benchmarks.md,
# "Scale"): simulates 100k, 300k and 1M cells x 2,000 genes, then for each size trains one epoch
# on all genes and applies that model with `transfer --no-native` and the cell labels. Peak RSS
# from /usr/bin/time -v. Needs ~75 GB of disk for the 1M simulation (plain matrix.mtx).
#   usage: benchmarks/scale.sh SCAE_BINARY WORK_DIR [CELLS...]   (default cells: 100000 300000 1000000)
set -euo pipefail
scae=$(realpath "$1")
work=$2
shift 2
[ $# -gt 0 ] && sizes=("$@") || sizes=(100000 300000 1000000)
mkdir -p "$work"
cd "$work"
measure() { # name command...: one line "name seconds peak_GB" on stdout
  local name=$1
  shift
  /usr/bin/time -v "$@" >"$name.out" 2>"$name.err"
  awk -v n="$name" '/Elapsed \(wall clock\)/ { split($NF, t, ":"); s = (length(t) == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
                    /Maximum resident/ { kb = $NF } END { printf "%-24s %8.1f s %6.2f GB\n", n, s, kb / 1048576 }' "$name.err"
}
echo "machine load before: $(cat /proc/loadavg)"
for n in "${sizes[@]}"; do
  [ -d "sim$n/A" ] || "$scae" simulate --out "sim$n" --cells "$n" --genes 2000 --tissues 1 --seed 5 >/dev/null
  measure "train_$n" "$scae" train --data "sim$n/A" --genes all --epochs 1 --threads 2 --quiet --out "model_$n.json"
  measure "transfer_$n" "$scae" transfer --model "model_$n.json" --data "sim$n/A" --labels "sim$n/A/labels.tsv" --no-native \
    --threads 2 --quiet --out "transfer_$n"
done
echo "machine load after: $(cat /proc/loadavg)"

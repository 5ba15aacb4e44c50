#!/usr/bin/env bash
# Time and peak memory of `scae train` and `scae transfer` as cells grow (docs/benchmarks.md,
# "Scale"): simulates 100k, 300k and 1M cells x 2,000 genes, then for each size trains one epoch
# on all genes and applies that model with `transfer --no-native` and the cell labels. Peak RSS
# from /usr/bin/time -v. Needs ~75 GB of disk for the 1M simulation (plain matrix.mtx).
# The epoch alone (after reading and preprocessing, from the summary's epoch_seconds) is printed
# beside its GEMM limit: the dense FLOPs of the layers after the sparse first one (6ab per cell and
# layer of a x b weights: 128 x 64, 64 x 128, 128 x 2,000) over 2 x one core's float GEMM rate,
# measured by SCAE_BENCH (default: scae_bench beside SCAE_BINARY) when it exists.
#   usage: benchmarks/scale.sh SCAE_BINARY WORK_DIR [CELLS...]   (default cells: 100000 300000 1000000)
set -euo pipefail
scae=$(realpath "$1")
bench=$(realpath -m "${SCAE_BENCH:-$(dirname "$scae")/scae_bench}")
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
gflops=0
[ -x "$bench" ] && gflops=$(OMP_NUM_THREADS=1 "$bench" gemm --cells 128 --hidden 128 --genes 2000 | tail -n 1 |
  /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["gflops_one_core"])')
echo "one core's GEMM: $gflops GFLOP/s (0: not measured)"
epoch_line() { # the epoch after reading, and its GEMM limit on 2 threads
  /usr/bin/python3 - "$1" "$gflops" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
flops = d["train_cells"] * 6 * (128 * 64 + 64 * 128 + 128 * d["genes"])
gflops = float(sys.argv[2])
limit = flops / 1e9 / (2 * gflops) if gflops > 0 else float("nan")
print(f"  epoch after reading: {d['epoch_seconds'][0]:.1f} s for {d['train_cells']} cells; {flops / 1e9:.0f} dense GFLOP; "
      f"GEMM limit on 2 threads {limit:.1f} s ({d['epoch_seconds'][0] / limit:.2f}x)")
PY
}
echo "machine load before: $(cat /proc/loadavg)"
for n in "${sizes[@]}"; do
  [ -d "sim$n/A" ] || "$scae" simulate --out "sim$n" --cells "$n" --genes 2000 --tissues 1 --seed 5 >/dev/null
  measure "train_$n" "$scae" train --data "sim$n/A" --genes all --epochs 1 --threads 2 --quiet --out "model_$n.json"
  measure "transfer_$n" "$scae" transfer --model "model_$n.json" --data "sim$n/A" --labels "sim$n/A/labels.tsv" --no-native \
    --threads 2 --quiet --out "transfer_$n"
  epoch_line "train_$n.out"
done
echo "machine load after: $(cat /proc/loadavg)"

#!/usr/bin/env bash
# Trains the reference workload with scae and with PyTorch on the same data, same threads,
# in one run, and prints both JSON lines and the speed ratio.
# usage: benchmarks/train_vs_torch.sh [THREADS] [EPOCHS] [DATA_DIR]
#   default data: 10,000 cells x 2,000 genes at ~10% nonzero, generated into /tmp.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
threads=${1:-2}
epochs=${2:-5}
data=${3:-/tmp/scae_bench_train_10k}
bench=${SCAE_BENCH:-$here/../build/bin/scae_bench}
py=/usr/bin/python3
[ -d "$data" ] || $py "$here/make_counts.py" --out "$data" --cells 10000 --genes 2000 --density 0.10 >&2
# Both sides wait passively: with OpenMP's default spin-wait, PyTorch's idle OpenMP threads
# compete with OpenBLAS's threads for the cores (on a 2-core machine PyTorch took 1.25-1.45
# s/epoch at two threads instead of 0.54), and scae's idle threads slowed it too (0.54 vs 0.38).
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE
scae=$("$bench" train --data "$data" --epochs "$epochs" --threads "$threads")
torch=$($py "$here/train_torch.py" --data "$data" --epochs "$epochs" --threads "$threads")
echo "$scae"
echo "$torch"
$py - "$scae" "$torch" <<'PY'
import json, sys
s, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"what": "train_ratio", "threads": s["threads"], "torch_blas": t.get("blas"),
                  "speedup_vs_pytorch": t["sec_per_epoch"] / s["sec_per_epoch"],
                  "final_loss_rel_diff": abs(s["final_loss"] - t["final_loss"]) / t["final_loss"]}))
PY

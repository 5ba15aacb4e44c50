#!/bin/sh
# `scae denoise --shard`, `scae pathways --shard` and `scae annotate --shard` under mpirun, each
# rank reading only its block of the cells of an .h5ad, against one process reading the whole file:
# one process with --shard writes the same bytes; 2 and 3 ranks write denoised counts within 1e-4
# (relative) of them (the calibration's sums are added in another order), the same pathway report,
# byte for byte (rank 0 scores the same gathered subsample), and labels of which at most 0.5% differ
# (confidences within 1e-3 where they agree, deviances within 1e-4: blocks are encoded apart). The target has 6,000 cells, more than the 5,000 of the
# calibration's samples and of pathways' --max-cells, so the seeded samples are drawn over all
# ranks' cells and gathered. Refusals: an .h5ad output of denoise --shard, pathways --shard
# --max-cells 0, and a 10x directory.
# usage: shard_inference.sh SCAE WORKDIR PYTHON MPIEXEC [MPIEXEC OPTIONS...]
set -eu
scae=$1 work=$2 python=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
h5py_python=
for candidate in "$python" /usr/bin/python3; do
  if "$candidate" -c 'import h5py, numpy' 2>/dev/null; then h5py_python=$candidate; break; fi
done
if [ -z "$h5py_python" ]; then
  if [ "${CI:-}" = true ]; then echo "python3 with h5py and numpy missing in CI (the test writes an .h5ad)"; exit 1; fi
  echo "SKIPPED: no python3 with h5py and numpy to write the .h5ad"; exit 0
fi
mpi() { "$@" 2>>mpi.err; }
"$scae" simulate --out sim --cells 6000 --genes 200 --tissues 2 --seed 21 >/dev/null
"$h5py_python" "$here/write_h5ad_csr.py" sim/B b.h5ad
"$scae" train --data sim/A --labels sim/A/labels.tsv --genes all --epochs 2 --batch 128 --threads 1 --quiet --out model.json >/dev/null

# Denoised counts: the default calibration (groups) and blend.
compare_tsv() { "$python" "$here/compare_tsv.py" "$1" "$2"; } # same cells and header, values within 1e-4
for calibrate in groups blend; do
  flags="--model model.json --data b.h5ad --calibrate $calibrate"
  "$scae" denoise $flags --out "one_$calibrate.tsv" >"one_$calibrate.json" 2>>mpi.err
  "$scae" denoise $flags --shard --out "shard1_$calibrate.tsv" >"shard1_$calibrate.json" 2>>mpi.err
  cmp "one_$calibrate.tsv" "shard1_$calibrate.tsv"
  "$python" - "one_$calibrate.json" "shard1_$calibrate.json" <<'PY'
import json, sys
one, shard = (json.load(open(p)) for p in sys.argv[1:3])
assert one["calibration"] == shard["calibration"], (one, shard)
assert shard["calibration"]["cells"] == 6000, shard
PY
  for ranks in 2 3; do
    mpi "$@" -np $ranks "$scae" denoise $flags --shard --out "shard${ranks}_$calibrate.tsv" >"shard${ranks}_$calibrate.json" ||
      { cat mpi.err; exit 1; }
    grep -q "\"ranks\":$ranks" "shard${ranks}_$calibrate.json" || { cat "shard${ranks}_$calibrate.json"; exit 1; }
    compare_tsv "one_$calibrate.tsv" "shard${ranks}_$calibrate.tsv"
  done
done
grep -q '"groups":[1-9]' one_groups.json || { echo "the groups calibration found no groups: the test would not cover their sums"; cat one_groups.json; exit 1; }

# Pathways: the same subsample of 5,000 of the 6,000 cells, scored by rank 0.
flags="--model model.json --data b.h5ad --gmt sim/gene_sets.gmt --groups sim/B/labels.tsv --steps 16 --threads 1"
"$scae" pathways $flags --out path_one >path_one.json 2>>mpi.err
"$scae" pathways $flags --shard --out path_shard1 >path_shard1.json 2>>mpi.err
for ranks in 2 3; do
  mpi "$@" -np $ranks "$scae" pathways $flags --shard --out "path_shard$ranks" >"path_shard$ranks.json" || { cat mpi.err; exit 1; }
done
for ranks in 1 2 3; do
  for f in path_one/*; do cmp "$f" "path_shard$ranks/$(basename "$f")"; done
  "$python" - path_one.json "path_shard$ranks.json" <<'PY'
import json, sys
one, shard = (json.load(open(p)) for p in sys.argv[1:3])
for j in (one, shard):
    j.pop("seconds"), j.pop("out")
assert one == shard, (one, shard)
assert one["cells"] == 5000, one
PY
done
echo "pathways --shard on 1, 2 and 3 ranks: the one-process report, byte for byte ($(ls path_one | wc -l) files)"

# Annotation: every rank encodes and scores its block; rank 0 labels all cells.
aflags="--model model.json --data b.h5ad --labels sim/B/labels.tsv --threads 1"
"$scae" annotate $aflags --out ann_one >/dev/null 2>>mpi.err
"$scae" annotate $aflags --shard --out ann_shard1 >/dev/null 2>>mpi.err
for f in cells.tsv node_support.tsv report.md; do cmp "ann_one/$f" "ann_shard1/$f"; done
for ranks in 2 3; do
  mpi "$@" -np $ranks "$scae" annotate $aflags --shard --out "ann_shard$ranks" >/dev/null || { cat mpi.err; exit 1; }
  cmp ann_one/node_support.tsv "ann_shard$ranks/node_support.tsv"
  "$python" - ann_one/cells.tsv "ann_shard$ranks/cells.tsv" <<'PY'
import sys
one, other = ([line.rstrip("\n").split("\t") for line in open(p)] for p in sys.argv[1:3])
assert len(one) == len(other) == 6001 and one[0] == other[0], "different shapes or headers"
assert all(a[0] == b[0] and a[5] == b[5] for a, b in zip(one[1:], other[1:])), "different cells or target labels"
same = sum(a[1] == b[1] for a, b in zip(one[1:], other[1:]))
worst = max(abs(float(a[2]) - float(b[2])) for a, b in zip(one[1:], other[1:]) if a[1] == b[1])
deviance = max(abs(float(a[6]) - float(b[6])) / max(abs(float(a[6])), 1e-6) for a, b in zip(one[1:], other[1:]))
print("%s: %d of 6000 labels as one process, confidences within %.2g, deviances within %.2g (relative)" % (sys.argv[2], same, worst, deviance))
assert same >= 5970 and worst < 1e-3 and deviance < 1e-4, (same, worst, deviance)
PY
done

# Refusals.
if "$scae" denoise --model model.json --data b.h5ad --shard --out x.h5ad 2>refuse1.txt; then echo "denoise --shard to .h5ad exited 0"; exit 1; fi
grep -q "writes TSV" refuse1.txt || { cat refuse1.txt; exit 1; }
status=0
"$scae" pathways $flags --shard --max-cells 0 --out x 2>refuse2.txt || status=$?
[ $status -eq 2 ] && grep -q "max-cells must be at least 1" refuse2.txt || { echo "exit $status"; cat refuse2.txt; exit 1; }
if "$@" -np 2 "$scae" denoise --model model.json --data sim/B --shard --out x.tsv 2>refuse3.txt; then echo "denoise --shard on a 10x directory exited 0"; exit 1; fi
grep -q "cannot be read one block of cells at a time" refuse3.txt || { cat refuse3.txt; exit 1; }
echo "denoise and annotate --shard on 1 rank: the one-process output byte for byte; on 2 and 3 within tolerance; pathways --shard the same report; refusals named"

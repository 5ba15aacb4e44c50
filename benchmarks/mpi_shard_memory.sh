#!/bin/sh
# Peak memory per rank of `scae train --shard` against one process reading the whole file
# (docs/cluster.md, docs/benchmarks.md): a simulated atlas of CELLS cells x GENES genes written
# as a CSR .h5ad (benchmarks/make_atlas_h5ad.py), trained EPOCHS epochs on hvg:2000 with one
# thread per rank, as one process without --shard and under mpirun with --shard on each of RANKS.
# Prints per layout the peak RSS of every rank (GNU time's %M, appended to a file by each rank:
# mpirun may drop a rank's last stderr lines at exit), the wall seconds of the run, and
# the load before and after; a rank's peak includes reading, preprocessing and training.
# usage: benchmarks/mpi_shard_memory.sh SCAE [CELLS] [GENES] [EPOCHS] [RANKS]
set -eu
scae=$1
cells=${2:-100000}
genes=${3:-5000}
epochs=${4:-1}
ranks=${5:-"1 2 4"}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
"$python" "$here/make_atlas_h5ad.py" "$work/atlas.h5ad" "$cells" "$genes"
echo "atlas: $cells cells x $genes genes, $(du -m "$work/atlas.h5ad" | cut -f1) MB on disk"
echo "load before: $(cat /proc/loadavg)"
common="--data $work/atlas.h5ad --genes hvg:2000 --epochs $epochs --batch 512 --threads 1 --quiet"
run() { # LABEL COMMAND...: wall seconds and every process's peak RSS
  label=$1
  shift
  start=$(date +%s.%N)
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE "$@" >"$work/summary" 2>"$work/err" || { cat "$work/err"; exit 1; }
  end=$(date +%s.%N)
  peaks=$(awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $2 / 1024 }' "$work/peaks")
  rm -f "$work/peaks"
  echo "$label: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s, peak RSS per process (MB): $peaks; $(tail -1 "$work/summary")"
}
run "1 process, whole file" /usr/bin/time -a -o "$work/peaks" -f "peak_kb %M" "$scae" train $common --out "$work/one.json"
for r in $ranks; do
  run "$r rank(s), --shard" $mpirun -np "$r" /usr/bin/time -a -o "$work/peaks" -f "peak_kb %M" "$scae" train $common --shard --out "$work/shard$r.json"
  "$python" "$here/../tests/scripts/compare_models_close.py" "$work/one.json" "$work/shard$r.json" 1e-3 || true
done
echo "load after: $(cat /proc/loadavg)"

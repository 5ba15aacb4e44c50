#!/bin/sh
# Peak memory per rank of `scae train --shard` and `scae embed --shard` against one process
# reading the whole file (docs/cluster.md, docs/benchmarks.md): a simulated atlas of CELLS cells x
# GENES genes written as a CSR .h5ad (benchmarks/make_atlas_h5ad.py), trained EPOCHS epochs on
# hvg:2000 with one thread per rank, as one process without --shard and under mpirun with --shard
# on each of RANKS; then each model embeds every cell the same way (one process: the whole file;
# R ranks: embed --shard with the R-rank model). Prints per run the peak RSS of every rank (GNU
# time's %M, appended to a file by each rank: mpirun may drop a rank's last stderr lines at exit),
# the wall seconds, the JSON summary (epoch_seconds: training alone), and the load before and
# after; a rank's peak includes reading, preprocessing and training. Each sharded model is compared
# with the one-process model by benchmarks/rank_gap.py: losses, weights and the latents of every
# 10th cell (docs/cluster.md says why the weights differ by more than rounding).
# usage: benchmarks/mpi_shard_memory.sh SCAE [CELLS] [GENES] [EPOCHS] [RANKS]
# ATLAS=FILE.h5ad uses that file instead of writing one (written by make_atlas_h5ad.py with CELLS
# and GENES); KEEP=DIR keeps the models and latents there; DENOISE=1 also times `scae denoise`
# with the one-process model, whole and with --shard on each of RANKS (TSV output, cells x model
# genes: about 8 bytes per value on disk while it runs).
set -eu
scae=$1
cells=${2:-100000}
genes=${3:-5000}
epochs=${4:-1}
ranks=${5:-"1 2 4"}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  out=$(cd "$KEEP" && pwd)
else
  out=$work
fi
trap 'rm -rf "$work"' EXIT
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
atlas=${ATLAS:-$work/atlas.h5ad}
[ -n "${ATLAS:-}" ] || "$python" "$here/make_atlas_h5ad.py" "$atlas" "$cells" "$genes"
echo "atlas: $cells cells x $genes genes, $(du -m "$atlas" | cut -f1) MB on disk ($atlas)"
echo "load before: $(cat /proc/loadavg)"
common="--data $atlas --genes hvg:2000 --epochs $epochs --batch 512 --threads 1 --quiet"
run() { # LABEL COMMAND...: wall seconds and every process's peak RSS
  label=$1
  shift
  start=$(date +%s.%N)
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE "$@" >"$work/summary" 2>"$work/err" || { cat "$work/err"; exit 1; }
  end=$(date +%s.%N)
  peaks=$(awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 / 1024 }' "$work/peaks")
  rm -f "$work/peaks"
  echo "$label: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s, peak RSS per process (MB): $peaks; $(tail -1 "$work/summary")"
}
timed="/usr/bin/time -a -o $work/peaks -f %M" # peak RSS in KB, one line per process
run "train, 1 process, whole file" $timed "$scae" train $common --out "$out/one.json"
for r in $ranks; do
  run "train, $r rank(s), --shard" $mpirun -np "$r" $timed "$scae" train $common --shard --out "$out/shard$r.json"
done
echo "load between: $(cat /proc/loadavg)"
run "embed, 1 process, whole file" $timed "$scae" embed --model "$out/one.json" --data "$atlas" --out "$out/one_latent.tsv"
for r in $ranks; do
  run "embed, $r rank(s), --shard (the $r-rank model)" $mpirun -np "$r" $timed "$scae" embed --model "$out/shard$r.json" --data "$atlas" --shard --out "$out/latent$r.tsv"
done
if [ -n "${DENOISE:-}" ]; then # the one-process model's denoised counts (TSV), whole and with --shard
  run "denoise, 1 process, whole file" $timed "$scae" denoise --model "$out/one.json" --data "$atlas" --out "$work/denoised.tsv"
  for r in $ranks; do
    run "denoise, $r rank(s), --shard" $mpirun -np "$r" $timed "$scae" denoise --model "$out/one.json" --data "$atlas" --shard --out "$work/denoised$r.tsv"
    echo "  $(du -m "$work/denoised.tsv" | cut -f1) MB of TSV; $(cmp "$work/denoised.tsv" "$work/denoised$r.tsv" >/dev/null 2>&1 && echo "the same bytes as one process" || echo "not the same bytes as one process")"
    rm -f "$work/denoised$r.tsv"
  done
  rm -f "$work/denoised.tsv"
fi
echo "load after: $(cat /proc/loadavg)"
for r in $ranks; do
  "$python" "$here/rank_gap.py" "$out/one.json" "$out/shard$r.json" "$out/one_latent.tsv" "$out/latent$r.tsv" 10 || true
done

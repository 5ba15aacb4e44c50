#!/bin/sh
# `scae train --checkpoint` stopped by SIGTERM mid-run exits 143 with the state saved and no model
# written; `--resume` then ends with the model of the uninterrupted run, bit for bit.
# usage: checkpoint_sigterm.sh SCAE WORKDIR PYTHON
set -eu
scae=$1 work=$2 python=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$scae" simulate --out sim --cells 1500 --genes 200 --tissues 1 --seed 11 >/dev/null
common="--data sim/A --genes all --epochs 30 --batch 8 --threads 1 --quiet"
"$scae" train $common --out straight.json >/dev/null
"$scae" train $common --out stopped.json --checkpoint ck.json >/dev/null 2>stderr.txt &
pid=$!
# The first checkpoint is written after epoch 1: stop the run then, in the middle of epoch 2.
tries=0
while [ ! -f ck.json ] && [ $tries -lt 1200 ]; do sleep 0.05; tries=$((tries + 1)); done
kill -TERM $pid
status=0
wait $pid || status=$?
if [ $status -ne 143 ]; then echo "expected exit code 143 after SIGTERM, got $status"; cat stderr.txt; exit 1; fi
grep -q "continue with --resume ck.json" stderr.txt || { echo "no resume hint on stderr:"; cat stderr.txt; exit 1; }
[ ! -e stopped.json ] || { echo "a stopped run wrote its model"; exit 1; }
"$python" -c "import json,sys; sys.exit(0 if json.load(open('ck.json'))['progress']['cells_done'] > 0 else 1)" ||
  { echo "the checkpoint is not from the middle of the run"; exit 1; }
"$scae" train $common --out resumed.json --resume ck.json >/dev/null
"$python" "$here/compare_models.py" straight.json resumed.json
# Other options are refused with the difference named.
if "$scae" train $common --lr 0.002 --out other.json --resume ck.json 2>other.txt; then echo "a resume with another --lr ran"; exit 1; fi
grep -q "learning_rate 0.001, this run has 0.002" other.txt || { cat other.txt; exit 1; }
echo "SIGTERM: exit 143, checkpoint saved; resumed run equals the uninterrupted one"

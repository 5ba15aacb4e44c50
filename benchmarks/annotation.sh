#!/usr/bin/env bash
# Label transfer across a real shift, on labelled data you have: for each hidden type and seed, a
# PBMC reference half without that type trains a model (scae train --labels, defaults), which
# annotates the other half as it is and without a random third of the model's genes, under each
# missing-gene method. Prints one markdown row per (method, target), averaged over hidden types
# and seeds; docs/annotation.md quotes it.
#   benchmarks/annotation.sh [SCAE] [DATA_DIR] [OUT]   (defaults: build/bin/scae, ../shared/data/human_pbmc_soupx, /tmp/scae-annotation)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scae=${1:-$here/../build/bin/scae}
data=${2:-$here/../../shared/data/human_pbmc_soupx}
out=${3:-/tmp/scae-annotation}
py=/usr/bin/python3
split="$py $here/annotation_split.py"
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
for seed in 1 2 3; do
  for hidden in B MNP NK T_CD8; do
    d="$out/s$seed-$hidden"
    $split split "$data" "$d" --hide "$hidden" --seed "$seed" > /dev/null
    "$scae" train --data "$d/reference" --labels "$d/reference/labels.tsv" --out "$d/model.json" --seed "$seed" --quiet > /dev/null
    $split drop "$d/target" "$d/model.json" "$d/target_drop" --seed "$seed" > /dev/null
    for target in target target_drop; do
      for method in zero reference_mean conditional; do
        "$scae" transfer --model "$d/model.json" --data "$d/$target" --labels "$d/$target/labels.tsv" --no-native --quiet \
          --missing-genes "$method" --seed "$seed" --out "$d/report-$target-$method" > "$d/report.json"
        $py - "$d/report.json" "$seed" "$hidden" "$target" "$method" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); lt = r["label_transfer"]
print(json.dumps({"seed": sys.argv[2], "hidden": sys.argv[3], "target": sys.argv[4], "method": sys.argv[5],
                  "unknown_seen": lt["unknown_share"], "accuracy": lt["accuracy"], "nearest_accuracy": lt["nearest_accuracy"],
                  "unknown_hidden": lt["unseen_unknown_share"], "knn": r["latent"]["foreign"]["knn_accuracy"],
                  "denoise": r["denoising"]["foreign"]["ratio_to_gene_mean"],
                  "untrusted": r.get("node_support", {}).get("untrusted_nodes", -1)}))
PY
      done
    done
  done
done
$py - "$results" <<'PY'
import json, sys, collections, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| target | missing genes | unknown, seen types | accuracy of labelled | kNN majority accuracy | unknown, hidden type | within-target kNN | denoising (x gene mean) | untrusted nodes |")
print("|---|---|---|---|---|---|---|---|---|")
groups = collections.defaultdict(list)
for r in rows: groups[(r["target"], r["method"])].append(r)
for (target, method), g in sorted(groups.items()):
    m = lambda k: st.mean(x[k] for x in g)
    print(f"| {'all genes' if target == 'target' else 'a third of model genes removed'} | {method} | {m('unknown_seen'):.3f} | {m('accuracy'):.3f} | "
          f"{m('nearest_accuracy'):.3f} | {m('unknown_hidden'):.3f} | {m('knn'):.3f} | {m('denoise'):.3f} | {m('untrusted'):.1f} |")
print()
print("| hidden type | unknown, hidden (conditional, all genes) | same, a third removed |")
print("|---|---|---|")
for h in ["B", "MNP", "NK", "T_CD8"]:
    a = [x["unknown_hidden"] for x in rows if x["hidden"] == h and x["method"] == "conditional" and x["target"] == "target"]
    b = [x["unknown_hidden"] for x in rows if x["hidden"] == h and x["method"] == "conditional" and x["target"] == "target_drop"]
    print(f"| {h} | {st.mean(a):.3f} | {st.mean(b):.3f} |")
PY

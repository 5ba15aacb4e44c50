#!/usr/bin/env python3
"""Held-out annotation checks on labelled 10x data: a labelled reference half with one cell type
hidden, and a target half with optionally a random share of the model's genes removed.

  annotation_split.py split DATA_DIR OUT_DIR --hide TYPE [--seed S] [--ignore LABEL ...]
      writes OUT_DIR/reference and OUT_DIR/target (10x layout, labels.tsv in each); the reference
      holds half of the cells minus every cell of TYPE, the target the other half.
  annotation_split.py drop TARGET_DIR MODEL.json OUT_DIR --fraction F [--seed S]
      writes TARGET_DIR without a random share F of the model's genes (a third by default).
  annotation_split.py score REPORT_DIR --hidden TYPE [--label-map FILE]
      reads REPORT_DIR/cells.tsv and prints, as JSON: unknown share of seen types, accuracy of the
      labelled seen cells, unknown share of the hidden type.
"""
import argparse, gzip, json, os, sys
import numpy as np
import scipy.io, scipy.sparse


def read_lines(path):
    with gzip.open(path, "rt") as f:
        return [l.rstrip("\n") for l in f]


def read_10x(d):
    m = scipy.io.mmread(os.path.join(d, "matrix.mtx.gz")).tocsc()  # genes x cells
    features = read_lines(os.path.join(d, "features.tsv.gz"))
    barcodes = read_lines(os.path.join(d, "barcodes.tsv.gz"))
    labels = {}
    path = os.path.join(d, "labels.tsv")
    if os.path.exists(path):
        with open(path) as f:
            next(f)
            for line in f:
                b, l = line.rstrip("\n").split("\t")[:2]
                labels[b] = l
    return m, features, barcodes, labels


def write_10x(d, m, features, barcodes, labels):
    os.makedirs(d, exist_ok=True)
    with gzip.open(os.path.join(d, "matrix.mtx.gz"), "wb") as f:
        scipy.io.mmwrite(f, scipy.sparse.coo_matrix(m), field="integer")
    with gzip.open(os.path.join(d, "features.tsv.gz"), "wt") as f:
        f.write("".join(x + "\n" for x in features))
    with gzip.open(os.path.join(d, "barcodes.tsv.gz"), "wt") as f:
        f.write("".join(x + "\n" for x in barcodes))
    with open(os.path.join(d, "labels.tsv"), "w") as f:
        f.write("barcode\tlabel\n" + "".join(f"{b}\t{labels[b]}\n" for b in barcodes if b in labels))


def split(a):
    m, features, barcodes, labels = read_10x(a.data)
    rng = np.random.default_rng(a.seed)
    keep = [i for i, b in enumerate(barcodes) if labels.get(b, "") not in a.ignore]
    order = rng.permutation(keep)
    half = len(order) // 2
    ref = sorted(i for i in order[:half] if labels.get(barcodes[i]) != a.hide)
    tgt = sorted(order[half:])
    for name, cells in (("reference", ref), ("target", tgt)):
        write_10x(os.path.join(a.out, name), m[:, cells], features, [barcodes[i] for i in cells], labels)
    print(json.dumps({"reference_cells": len(ref), "target_cells": len(tgt), "hidden": a.hide}))


def drop(a):
    m, features, barcodes, labels = read_10x(a.target)
    model = json.load(open(a.model))
    genes = model["genes"]["ids"] if isinstance(model["genes"], dict) else [g["id"] for g in model["genes"]]
    rng = np.random.default_rng(a.seed)
    gone = set(rng.choice(genes, size=int(round(a.fraction * len(genes))), replace=False))
    rows = [i for i, f in enumerate(features) if f.split("\t")[0] not in gone]
    write_10x(a.out, m[rows, :], [features[i] for i in rows], barcodes, labels)
    print(json.dumps({"model_genes": len(genes), "removed": len(gone)}))


def score(a):
    mapping = {}
    if a.label_map:
        for line in open(a.label_map):
            k, v = line.rstrip("\n").split("\t")[:2]
            mapping[k] = v
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(a.report, "cells.tsv"))]
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    seen = unknown_seen = right = called = hidden = unknown_hidden = 0
    for r in rows[1:]:
        truth, pred = r[col["label"]], r[col["predicted_label"]]
        if truth == "" or truth in a.ignore:
            continue
        pred = mapping.get(pred, pred)
        if truth == a.hidden:
            hidden += 1
            unknown_hidden += pred == "unknown"
        else:
            seen += 1
            if pred == "unknown":
                unknown_seen += 1
            else:
                called += 1
                right += pred == truth
    print(json.dumps({"seen_cells": seen, "unknown_share_seen": unknown_seen / max(1, seen),
                      "accuracy_called": right / max(1, called), "hidden_cells": hidden,
                      "unknown_share_hidden": unknown_hidden / max(1, hidden)}))


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
sub = p.add_subparsers(dest="cmd", required=True)
s = sub.add_parser("split"); s.add_argument("data"); s.add_argument("out"); s.add_argument("--hide", required=True)
s.add_argument("--seed", type=int, default=1); s.add_argument("--ignore", nargs="*", default=["?", "Unassigned"])
d = sub.add_parser("drop"); d.add_argument("target"); d.add_argument("model"); d.add_argument("out")
d.add_argument("--fraction", type=float, default=1 / 3); d.add_argument("--seed", type=int, default=1)
c = sub.add_parser("score"); c.add_argument("report"); c.add_argument("--hidden", required=True)
c.add_argument("--label-map"); c.add_argument("--ignore", nargs="*", default=["?", "Unassigned"])
a = p.parse_args()
{"split": split, "drop": drop, "score": score}[a.cmd](a)

#!/usr/bin/python3
"""Reads the same Cell Ranger .h5 and AnnData .h5ad files with scae (`scae_bench read --file`)
and with h5py + scipy / anndata, in one run.

usage: /usr/bin/python3 benchmarks/read_hdf5_vs_python.py [SCAE_BENCH] [--out DIR] [--cells N]
       [--genes N] [--density D] [--repeat R]

SCAE_BENCH defaults to build/bin/scae_bench. The first call writes, under /tmp unless --out
says otherwise, random counts (20,000 cells x 20,000 genes at 5% by default: 20 M entries) as
  - cellranger.h5   Cell Ranger 3 layout (genes x cells compressed over cells, int32 data,
                    int64 indices, gzip chunks), as Cell Ranger writes it;
  - csr.h5ad        anndata's write_h5ad of the cells x genes CSR (float32);
  - csc.h5ad        the same matrix as CSC (the layout that needs a counting pass).
For each file it prints one JSON line: scae's best time over R reads and the Python peer's
(h5py reads of data/indices/indptr + scipy's csc_matrix(...).T.tocsr() for the .h5, as scanpy's
read_10x_h5 does; anndata.read_h5ad + .tocsr() for the .h5ad), the speed-up, each reader's peak
resident memory in a child process of its own (wait4), and scae's peak above its resident
memory before reading, over the size of the CSR result (nnz * (4 + 4) + (cells + 1) * 4 bytes).
Target: that ratio <= 1.1. Exits 1 if the readers disagree.
"""
import argparse
import json
import os
import subprocess
import sys

PEER = r"""
import json, sys, time
import numpy as np
path = sys.argv[1]
start = time.perf_counter()
if path.endswith(".h5"):
    import h5py, scipy.sparse as sp
    with h5py.File(path, "r") as f:
        g = f["matrix"]
        genes, cells = g["shape"][:]
        m = sp.csc_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=(genes, cells)).T.tocsr()
        barcodes, ids = g["barcodes"][:], g["features/id"][:]
else:
    import anndata
    a = anndata.read_h5ad(path)
    m = a.X.tocsr()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "nnz": int(m.nnz), "cells": m.shape[0], "genes": m.shape[1],
                  "total": float(m.data.astype(np.float64).sum())}))
"""

WRITE = r"""
import sys
import h5py, numpy as np, scipy.sparse as sp, anndata
out, cells, genes, density = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rng = np.random.default_rng(1)
per_cell = rng.binomial(genes, density, size=cells)
indptr = np.concatenate([[0], np.cumsum(per_cell)])
indices = np.concatenate([np.sort(rng.choice(genes, k, replace=False)) for k in per_cell]).astype(np.int32)
data = (rng.geometric(0.6, size=indptr[-1])).astype(np.float32)  # counts >= 1
m = sp.csr_matrix((data, indices, indptr), shape=(cells, genes))
with h5py.File(f"{out}/cellranger.h5", "w") as f:
    g = f.create_group("matrix")
    g.create_dataset("data", data=m.data.astype("<i4"), compression="gzip", chunks=(80000,))
    g.create_dataset("indices", data=m.indices.astype("<i8"), compression="gzip", chunks=(80000,))
    g.create_dataset("indptr", data=m.indptr.astype("<i8"), compression="gzip", chunks=(min(80000, cells + 1),))
    g["shape"] = np.array([genes, cells], dtype="<i4")
    g["barcodes"] = np.array([f"CELL{c:08d}-1".encode() for c in range(cells)])
    feats = g.create_group("features")
    feats["id"] = np.array([f"ENSG{k:011d}".encode() for k in range(genes)])
    feats["name"] = np.array([f"GENE{k}".encode() for k in range(genes)])
    feats["feature_type"] = np.array([b"Gene Expression"] * genes)
obs = __import__("pandas").DataFrame(index=[f"CELL{c:08d}-1" for c in range(cells)])
var = __import__("pandas").DataFrame(index=[f"GENE{k}" for k in range(genes)])
anndata.AnnData(m, obs=obs, var=var).write_h5ad(f"{out}/csr.h5ad", compression="gzip")
anndata.AnnData(m.tocsc(), obs=obs, var=var).write_h5ad(f"{out}/csc.h5ad", compression="gzip")
open(f"{out}/complete", "w").write("ok\n")
"""


def run_child(command):
    """Runs `command`, returns (JSON lines it printed, its peak RSS in MB)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"read_hdf5_vs_python: {' '.join(command)} exited with {code}")
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return lines, usage.ru_maxrss * 1024 / 1e6  # Linux reports KiB


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", nargs="?", default=os.path.join(here, "..", "build", "bin", "scae_bench"))
    parser.add_argument("--out", help="folder for the generated files (default: under /tmp)")
    parser.add_argument("--cells", type=int, default=20000)
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--density", default="0.05")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = args.out or f"/tmp/scae_bench_hdf5_{args.cells}x{args.genes}_{args.density}"
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(out, "complete")):
        subprocess.run([sys.executable, "-c", WRITE, out, str(args.cells), str(args.genes), args.density], check=True)

    disagree = False
    for name in ("cellranger.h5", "csr.h5ad", "csc.h5ad"):
        path = os.path.join(out, name)
        (scae,), scae_peak = run_child([args.bench, "read", "--file", path, "--repeat", str(args.repeat)])
        (peer,), peer_peak = run_child([sys.executable, "-c", PEER, path])
        same = all(scae[k] == peer[k] for k in ("cells", "genes", "nnz")) and abs(scae["total"] - peer["total"]) <= 1e-9 * peer["total"]
        disagree = disagree or not same
        above = scae["peak_rss_mb"] - scae["rss_before_mb"]
        report = {
            "what": "read_hdf5_vs_python",
            "file": name,
            "file_mb": round(scae["file_mb"], 1),
            "cells": scae["cells"],
            "genes": scae["genes"],
            "nnz": scae["nnz"],
            "same_result": same,
            "scae_seconds": round(scae["seconds"], 3),
            "python_seconds": round(peer["seconds"], 3),
            "python_reader": "h5py + scipy" if name.endswith(".h5") else "anndata.read_h5ad",
            "speedup": round(peer["seconds"] / scae["seconds"], 2),
            "csr_mb": round(scae["csr_mb"], 1),
            "scae_peak_mb": round(scae_peak, 1),
            "scae_rss_before_mb": round(scae["rss_before_mb"], 1),
            "scae_peak_above_start_over_csr": round(above / scae["csr_mb"], 3),
            "python_peak_mb": round(peer_peak, 1),
        }
        report["memory_target_met"] = report["scae_peak_above_start_over_csr"] <= 1.1
        print(json.dumps(report), flush=True)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())

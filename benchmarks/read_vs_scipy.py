#!/usr/bin/python3
"""Reads the same 10x matrix with scae (`scae_bench read`) and with scipy.io.mmread, in one run.

usage: /usr/bin/python3 benchmarks/read_vs_scipy.py [SCAE_BENCH] [--out DIR] [--cells N]
       [--genes N] [--density D] [--repeat R]

SCAE_BENCH defaults to build/bin/scae_bench. The first call generates a random 10x directory
(plain .mtx and .mtx.gz, 20,000 x 20,000 at 5% by default, about 330 MB) under /tmp and reuses
it afterwards. For each format it prints one JSON line: scae's best time over R reads, scipy's
time for mmread plus the transpose to cells x genes CSR (what scae returns), the speed-up, and
the peak resident memory of each reader, measured in a child process of its own (wait4), next
to the size of the CSR result (nnz * (4 + 4) + (cells + 1) * 4 bytes for float values and int
indices). Targets: speed-up >= 10, scae peak < 1.5 x CSR. Exits 1 if the two readers disagree.
"""
import argparse
import json
import os
import subprocess
import sys

SCIPY_CHILD = r"""
import json, sys, time
import numpy as np, scipy.io
start = time.perf_counter()
csr = scipy.io.mmread(sys.argv[1]).T.tocsr()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "nnz": int(csr.nnz), "cells": csr.shape[0], "genes": csr.shape[1],
                  "total": float(csr.data.astype(np.float64).sum())}))
"""


def run_child(command):
    """Runs `command`, returns (JSON lines it printed, its peak RSS in MB)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"read_vs_scipy: {' '.join(command)} exited with {child.returncode}")
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
    out = args.out or f"/tmp/scae_bench_read_{args.cells}x{args.genes}_{args.density}"
    common = ["--out", out, "--cells", str(args.cells), "--genes", str(args.genes), "--density", args.density]

    timed, _ = run_child([args.bench, "read", *common, "--repeat", str(args.repeat)])
    disagree = False
    for scae in timed:
        _, scae_peak = run_child([args.bench, "read", *common, "--format", scae["format"], "--repeat", "1"])
        (scipy,), scipy_peak = run_child([sys.executable, "-c", SCIPY_CHILD, scae["matrix"]])
        same = all(scae[k] == scipy[k] for k in ("cells", "genes", "nnz", "total"))
        disagree = disagree or not same
        report = {
            "what": "read_vs_scipy",
            "format": scae["format"],
            "matrix": scae["matrix"],
            "file_mb": round(scae["file_mb"], 1),
            "cells": scae["cells"],
            "genes": scae["genes"],
            "nnz": scae["nnz"],
            "same_result": same,
            "scae_seconds": round(scae["seconds"], 3),
            "scipy_seconds": round(scipy["seconds"], 3),
            "speedup": round(scipy["seconds"] / scae["seconds"], 1),
            "csr_mb": round(scae["csr_mb"], 1),
            "scae_peak_mb": round(scae_peak, 1),
            "scae_peak_over_csr": round(scae_peak / scae["csr_mb"], 3),
            "scipy_peak_mb": round(scipy_peak, 1),
        }
        report["targets_met"] = report["speedup"] >= 10 and report["scae_peak_over_csr"] < 1.5
        print(json.dumps(report), flush=True)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())

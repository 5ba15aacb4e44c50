#!/usr/bin/env python3
"""Writes a synthetic 10x directory of low-rank Poisson counts (genes x cells Matrix Market)."""
import argparse, gzip, os

import numpy as np
import scipy.io
import scipy.sparse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--cells", type=int, default=10000)
    p.add_argument("--genes", type=int, default=2000)
    p.add_argument("--density", type=float, default=0.10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--chunk-rows", type=int, default=0, help="draw this many cells at a time (0: all at once)")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    # Rates from 10 cell programs; scaled so that about `density` of the entries are nonzero.
    programs = rng.gamma(0.3, 1.0, size=(10, a.genes))
    membership = rng.dirichlet(np.full(10, 0.2), size=a.cells)
    depth = rng.lognormal(0, 0.3, size=(a.cells, 1))
    if a.chunk_rows <= 0:
        rates = membership @ programs * depth
        lo, hi = 1e-4, 1e2
        for _ in range(40):  # bisection on a global scale to hit the density
            mid = np.sqrt(lo * hi)
            lo, hi = (mid, hi) if np.mean(1 - np.exp(-rates * mid)) < a.density else (lo, mid)
        counts = scipy.sparse.csr_matrix(rng.poisson(rates * np.sqrt(lo * hi)).astype(np.int32))
    else:  # the same model a block of cells at a time, for matrices too large to hold dense
        def blocks():
            for first in range(0, a.cells, a.chunk_rows):
                yield membership[first:first + a.chunk_rows] @ programs * depth[first:first + a.chunk_rows]
        lo, hi = 1e-4, 1e2
        for _ in range(40):
            mid = np.sqrt(lo * hi)
            mean = sum(float(np.sum(1 - np.exp(-r * mid))) for r in blocks()) / (a.cells * a.genes)
            lo, hi = (mid, hi) if mean < a.density else (lo, mid)
        counts = scipy.sparse.vstack([scipy.sparse.csr_matrix(rng.poisson(r * np.sqrt(lo * hi)).astype(np.int32)) for r in blocks()]).tocsr()
    os.makedirs(a.out, exist_ok=True)
    suffix = ".gz" if a.gzip else ""
    opener = gzip.open if a.gzip else open
    with opener(os.path.join(a.out, "matrix.mtx" + suffix), "wb") as f:
        scipy.io.mmwrite(f, counts.T.tocoo(), field="integer")
    with opener(os.path.join(a.out, "features.tsv" + suffix), "wt") as f:
        f.writelines(f"G{g}\tGene{g}\tGene Expression\n" for g in range(a.genes))
    with opener(os.path.join(a.out, "barcodes.tsv" + suffix), "wt") as f:
        f.writelines(f"cell{c}\n" for c in range(a.cells))
    print(f"wrote {a.out}: {a.cells} cells x {a.genes} genes, density {counts.nnz / counts.shape[0] / counts.shape[1]:.4f}")


if __name__ == "__main__":
    main()

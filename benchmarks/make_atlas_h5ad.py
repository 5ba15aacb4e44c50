"""Writes a simulated atlas as an AnnData .h5ad with CSR float32 counts, block by block (memory
stays at one block): CELLS cells of TYPES types over GENES genes, each cell's counts Poisson
around its type's profile times a log-normal library size (mean about DEPTH UMI). For measuring
`scae train --shard` at sizes a one-process read would find large (benchmarks/mpi_ranks.sh).
usage: make_atlas_h5ad.py OUT.h5ad CELLS [GENES] [DEPTH] [SEED]"""
import sys

import h5py
import numpy as np


def strings(group, name, values):
    d = group.create_dataset(name, data=np.array(values, dtype=object), dtype=h5py.string_dtype())
    d.attrs["encoding-type"] = "string-array"
    d.attrs["encoding-version"] = "0.2.0"


def main():
    out, cells = sys.argv[1], int(sys.argv[2])
    genes = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    depth = float(sys.argv[4]) if len(sys.argv) > 4 else 2000
    rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    types = 12
    base = rng.normal(0, 1.8, genes)
    profiles = np.exp(base + rng.normal(0, 0.8, (types, genes)) * (rng.random((types, genes)) < 0.1))
    profiles /= profiles.sum(axis=1, keepdims=True)
    with h5py.File(out, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        x = f.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array([cells, genes], dtype=np.int64)
        data = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 16,))
        indices = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 16,))
        indptr = np.zeros(cells + 1, dtype=np.int64)
        block = 5000
        for first in range(0, cells, block):
            n = min(block, cells - first)
            kind = rng.integers(0, types, n)
            size = depth * np.exp(rng.normal(0, 0.4, n) - 0.08)
            counts = rng.poisson(profiles[kind] * size[:, None]).astype(np.float32)
            rows, cols = np.nonzero(counts)
            at = data.shape[0]
            data.resize((at + rows.size,))
            indices.resize((at + rows.size,))
            data[at:] = counts[rows, cols]
            indices[at:] = cols.astype(np.int32)
            indptr[first + 1:first + n + 1] = at + np.cumsum(np.bincount(rows, minlength=n))
        x.create_dataset("indptr", data=indptr)
        for name, index in (("obs", ["cell%08d" % i for i in range(cells)]), ("var", ["GENE%05d" % g for g in range(genes)])):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dataframe"
            g.attrs["encoding-version"] = "0.2.0"
            g.attrs["_index"] = "_index"
            g.attrs["column-order"] = np.array([], dtype="S1")
            strings(g, "_index", index)
        for name in ("layers", "obsm", "obsp", "varm", "varp", "uns"):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dict"
            g.attrs["encoding-version"] = "0.1.0"


main()

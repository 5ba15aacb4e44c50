"""Writes a 10x directory (matrix.mtx, features.tsv, barcodes.tsv, each possibly .gz) as an AnnData .h5ad
whose X is CSR float32 counts, in anndata's current encoding, with h5py and numpy alone (the
sharded-training tests and benchmarks/mpi_ranks.sh read it by blocks of cells).
usage: write_h5ad_csr.py DIR OUT.h5ad"""
import gzip
import os
import sys

import h5py
import numpy as np


def opened(path):
    """The file, or its .gz twin, as text."""
    return open(path) if os.path.exists(path) else gzip.open(path + ".gz", "rt")


def lines(path):
    with opened(path) as f:
        return [line.rstrip("\n") for line in f]


def strings(group, name, values):
    d = group.create_dataset(name, data=np.array(values, dtype=object), dtype=h5py.string_dtype())
    d.attrs["encoding-type"] = "string-array"
    d.attrs["encoding-version"] = "0.2.0"


def frame(f, name, index, columns):
    g = f.create_group(name)
    g.attrs["encoding-type"] = "dataframe"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["_index"] = "_index"
    g.attrs["column-order"] = np.array(list(columns), dtype=object) if columns else np.array([], dtype="S1")
    strings(g, "_index", index)
    for key, values in columns.items():
        strings(g, key, values)


def main():
    source, out = sys.argv[1:3]
    features = [line.split("\t") for line in lines(source + "/features.tsv")]
    barcodes = lines(source + "/barcodes.tsv")
    with opened(source + "/matrix.mtx") as f:
        header = [line for line in f if not line.startswith("%")]
    genes, cells, _ = (int(v) for v in header[0].split())
    entries = np.loadtxt(header[1:], dtype=np.float64, ndmin=2)
    gene, cell, value = entries[:, 0].astype(np.int64) - 1, entries[:, 1].astype(np.int64) - 1, entries[:, 2]
    order = np.lexsort((gene, cell))
    gene, cell, value = gene[order], cell[order], value[order]
    indptr = np.zeros(cells + 1, dtype=np.int64)
    np.add.at(indptr, cell + 1, 1)
    indptr = np.cumsum(indptr)
    with h5py.File(out, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        x = f.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array([cells, genes], dtype=np.int64)
        x.create_dataset("data", data=value.astype(np.float32), chunks=True)
        x.create_dataset("indices", data=gene.astype(np.int32), chunks=True)
        x.create_dataset("indptr", data=indptr)
        frame(f, "obs", barcodes, {})
        frame(f, "var", [r[0] for r in features], {"gene_symbols": [r[1] if len(r) > 1 else r[0] for r in features]})
        for name in ("layers", "obsm", "obsp", "varm", "varp", "uns"):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dict"
            g.attrs["encoding-version"] = "0.1.0"


main()

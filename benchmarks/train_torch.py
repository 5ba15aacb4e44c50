#!/usr/bin/env python3
"""PyTorch peer of `scae_bench train`: the same reference workload on the same 10x directory.

Prints one JSON line like scae_bench. Run with Debian's python3 (python3-torch, python3-scipy).
"""
import argparse, gzip, json, os, time

import numpy as np
import scipy.io
import torch


def read_10x_matrix(directory):
    path = os.path.join(directory, "matrix.mtx.gz")
    if not os.path.exists(path):
        path = os.path.join(directory, "matrix.mtx")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return scipy.io.mmread(f).T.tocsr().astype(np.float32)  # cells x genes


def blas_library():
    """The BLAS actually loaded: Debian's torch is built against the generic libblas.so.3
    interface, which the alternatives system resolves to OpenBLAS or to the slow reference BLAS."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if line.split()[-1].rsplit("/", 1)[-1].startswith(("libblas", "libopenblas"))}
    return ",".join(sorted(paths)) or "none found"


class Autoencoder(torch.nn.Module):
    def __init__(self, genes):
        super().__init__()
        sizes = [genes, 128, 64, 128, genes]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        for layer in self.layers:
            torch.nn.init.xavier_normal_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def forward(self, x):
        for layer in self.layers:
            x = torch.nn.functional.softplus(layer(x))
        return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    counts = read_10x_matrix(a.data)
    target = torch.from_numpy(counts.toarray())
    inputs = torch.log1p(target)
    model = Autoencoder(target.shape[1])
    poisson = torch.nn.PoissonNLLLoss(log_input=False, full=False, eps=1e-8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    bottleneck = model.layers[1].weight  # 64 x 128: rows are the bottleneck nodes
    eye = torch.eye(bottleneck.shape[0])
    n = target.shape[0]
    start = time.perf_counter()
    for epoch in range(a.epochs):
        order = torch.randperm(n)
        total = 0.0
        for first in range(0, n, a.batch):
            idx = order[first:first + a.batch]
            rate = model(inputs[idx])
            loss = poisson(rate, target[idx]) + 0.05 * torch.linalg.norm(eye - bottleneck @ bottleneck.T)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
    seconds = time.perf_counter() - start
    print(json.dumps({"what": "train", "impl": "pytorch", "torch": torch.__version__,
                      "blas": blas_library(),
                      "n": n, "g": target.shape[1], "nnz": int(counts.nnz), "epochs": a.epochs,
                      "threads": a.threads, "sec_per_epoch": seconds / a.epochs, "final_loss": total / n}))


if __name__ == "__main__":
    main()

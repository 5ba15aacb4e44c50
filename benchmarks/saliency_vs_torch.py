#!/usr/bin/python3
"""Saliency of every bottleneck node: scae's batched formulation against the PyTorch loop over
nodes (one backward pass per node; guided backprop via hooks that clamp the gradient at every
activation output), on the same weights and counts, in one run.

Runs `scae_bench saliency --export PREFIX`, which times scae and writes its model, counts and
result; then times PyTorch on those, checks that both give the same per-node, per-gene mean
|saliency|, and prints the three JSON lines (scae, torch, ratio).

Both sides run with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=THREADS (see threading_env).

usage: /usr/bin/python3 benchmarks/saliency_vs_torch.py [--cells 1000] [--genes 2000]
       [--nodes 64] [--hidden 128] [--method guided|vanilla|gradxinput] [--threads 2]
       [--repeat 3] [--bench build/bin/scae_bench]
"""
import argparse
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def threading_env(threads):
    """The threading environment of both sides. PyTorch runs its element-wise ops on OpenMP
    threads and its matrix products on OpenBLAS's own threads; with OpenMP's default spin-wait
    the idle OpenMP threads keep the cores busy while OpenBLAS computes, which made PyTorch's
    loop 2-3x slower at two threads than with passive waiting (measured on a 2-core machine).
    Passive waiting is PyTorch's best setting there and costs scae nothing measurable."""
    return {"OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_NUM_THREADS": str(threads)}


if __name__ == "__main__":
    # OpenMP and OpenBLAS read their environment when they load (numpy already loads OpenBLAS),
    # so it is set before the imports below.
    _early = argparse.ArgumentParser(add_help=False)
    _early.add_argument("--threads", type=int, default=2)
    os.environ.update(threading_env(_early.parse_known_args()[0].threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from train_torch import blas_library  # noqa: E402  (the BLAS the process actually loaded)


def activation(name, beta):
    if name == "softplus":
        return lambda z: torch.nn.functional.softplus(z, beta=beta)
    if name == "relu":
        return torch.relu
    if name == "sigmoid":
        return torch.sigmoid
    if name == "tanh":
        return torch.tanh
    if name == "identity":
        return lambda z: z
    raise ValueError(name)


def load(prefix):
    with open(prefix + ".json") as f:
        meta = json.load(f)
    raw = np.fromfile(prefix + ".bin", dtype=np.float32)
    at = 0

    def take(rows, cols):
        nonlocal at
        block = raw[at:at + rows * cols].reshape(rows, cols)
        at += rows * cols
        return torch.from_numpy(block.copy())

    layers = []
    for layer in meta["layers"]:
        w = take(layer["inputs"], layer["outputs"])
        b = take(1, layer["outputs"])
        layers.append((w, b, activation(layer["activation"], layer["beta"]), layer["activation"] != "identity"))
    counts = take(meta["cells"], meta["genes"])
    mean_abs = take(meta["nodes"], meta["genes"])
    mean = take(meta["nodes"], meta["genes"])
    return meta, layers, counts, mean_abs, mean


def torch_loop(layers, x, nodes, method):
    """One forward pass, then one backward pass per node; returns mean |saliency| and mean."""
    xg = x.clone().requires_grad_(True)
    h = xg
    for w, b, act, is_activation in layers:
        h = act(h @ w + b)
        if method == "guided" and is_activation:
            h.register_hook(lambda g: g.clamp(min=0))
    sum_abs = torch.empty(nodes, x.shape[1])
    total = torch.empty(nodes, x.shape[1])
    for k in range(nodes):
        xg.grad = None
        h[:, k].sum().backward(retain_graph=True)
        g = xg.grad
        if method == "gradxinput":
            g = g * x
        sum_abs[k] = g.abs().sum(0)
        total[k] = g.sum(0)
    return sum_abs / x.shape[0], total / x.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cells", type=int, default=1000)
    p.add_argument("--genes", type=int, default=2000)
    p.add_argument("--nodes", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--method", default="guided", choices=["guided", "vanilla", "gradxinput"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--bench", default=os.environ.get("SCAE_BENCH", os.path.join(HERE, "..", "build", "bin", "scae_bench")))
    p.add_argument("--export", default="/tmp/scae_bench_saliency")
    a = p.parse_args()

    env = dict(os.environ)  # threading_env(a.threads), set at start-up
    scae_line = subprocess.run(
        [a.bench, "saliency", "--cells", str(a.cells), "--genes", str(a.genes), "--nodes", str(a.nodes),
         "--hidden", str(a.hidden), "--method", a.method, "--threads", str(a.threads), "--repeat", str(a.repeat),
         "--export", a.export], check=True, capture_output=True, text=True, env=env).stdout.strip()
    scae = json.loads(scae_line)

    torch.set_num_threads(a.threads)
    meta, layers, counts, want_abs, want_mean = load(a.export)
    x = torch.log1p(counts)
    best = float("inf")
    for _ in range(a.repeat):
        start = time.perf_counter()
        got_abs, got_mean = torch_loop(layers, x, meta["nodes"], a.method)
        best = min(best, time.perf_counter() - start)
    scale = float(want_abs.abs().max())
    difference = float((got_abs - want_abs).abs().max()) / scale
    mean_difference = float((got_mean - want_mean).abs().max()) / scale
    torch_json = {"what": "saliency", "impl": "torch", "torch": torch.__version__, "method": a.method, "cells": a.cells,
                  "genes": a.genes, "hidden": a.hidden, "nodes": a.nodes, "threads": a.threads, "seconds": best,
                  "blas": blas_library(), "env": threading_env(a.threads)}
    print(scae_line)
    print(json.dumps(torch_json))
    print(json.dumps({"what": "saliency_ratio", "method": a.method, "threads": a.threads,
                      "speedup_vs_pytorch": best / scae["seconds"],
                      "max_rel_diff_mean_abs": difference, "max_rel_diff_mean": mean_difference}))


if __name__ == "__main__":
    main()

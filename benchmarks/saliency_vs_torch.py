#!/usr/bin/python3
"""Saliency of every bottleneck node: scae's batched formulation against the PyTorch loop over
nodes (one backward pass per node; guided backprop via hooks that clamp the gradient at every
activation output), on the same weights and counts, in one run.

--method ig --baseline mean --weighted times the attribution `scae pathways` uses by default:
integrated gradients from the mean cell (midpoint rule, --steps points), averaged per node over
cells with each cell's activity weight max(0, activation - mean activation). PyTorch runs it as
one forward pass over all path points of all cells and one backward pass per node.

Runs `scae_bench saliency --export PREFIX`, which times scae and writes its model, counts and
result; then times PyTorch on those, checks that both give the same per-node, per-gene mean
|saliency|, and prints the three JSON lines (scae, torch, ratio).

Both sides run with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=THREADS (see threading_env).

usage: /usr/bin/python3 benchmarks/saliency_vs_torch.py [--cells 1000] [--genes 2000]
       [--nodes 64] [--hidden 128] [--method guided|vanilla|gradxinput|ig] [--baseline zeros|mean]
       [--steps 64] [--weighted] [--threads 2] [--repeat 3] [--bench build/bin/scae_bench]
"""
import argparse
import json
import os
import subprocess
import sys
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

# The activation table of the saliency fixture's generator, so that the two cannot drift apart.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "interpret"))
from make_fixture import activation  # noqa: E402


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
    weighted = take(meta["nodes"], meta["genes"]) if meta.get("weighted") else None
    return meta, layers, counts, mean_abs, mean, weighted


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


def torch_integrated(layers, x, nodes, baseline, steps, weighted):
    """Integrated gradients of every node from `baseline` (zeros or the mean cell): one forward
    pass over all steps x cells path points, one backward pass per node. Returns mean |IG|,
    mean IG and, with `weighted`, the activity-weighted mean IG."""
    cells = x.shape[0]
    base = x.mean(0, keepdim=True) if baseline == "mean" else torch.zeros(1, x.shape[1])
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps
    path = (base + alphas.view(-1, 1, 1) * (x - base).unsqueeze(0)).reshape(steps * cells, -1).requires_grad_(True)
    h = path
    for w, b, act, _ in layers:
        h = act(h @ w + b)
    with torch.no_grad():
        z = x
        for w, b, act, _ in layers:
            z = act(z @ w + b)
        weights = (z - z.mean(0, keepdim=True)).clamp(min=0)
    sum_abs = torch.empty(nodes, x.shape[1])
    total = torch.empty(nodes, x.shape[1])
    weighted_mean = torch.empty(nodes, x.shape[1]) if weighted else None
    for k in range(nodes):
        path.grad = None
        h[:, k].sum().backward(retain_graph=True)
        ig = path.grad.view(steps, cells, -1).mean(0) * (x - base)
        sum_abs[k] = ig.abs().sum(0)
        total[k] = ig.sum(0)
        if weighted:
            wk = weights[:, k]
            weighted_mean[k] = (wk.unsqueeze(1) * ig).sum(0) / wk.sum().clamp(min=1e-30)
    return sum_abs / cells, total / cells, weighted_mean


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cells", type=int, default=1000)
    p.add_argument("--genes", type=int, default=2000)
    p.add_argument("--nodes", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--method", default="guided", choices=["guided", "vanilla", "gradxinput", "ig"])
    p.add_argument("--baseline", default="zeros", choices=["zeros", "mean"])
    p.add_argument("--steps", type=int, default=64)
    p.add_argument("--weighted", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--bench", default=os.environ.get("SCAE_BENCH", os.path.join(HERE, "..", "build", "bin", "scae_bench")))
    p.add_argument("--export", default="/tmp/scae_bench_saliency")
    a = p.parse_args()

    env = dict(os.environ)  # threading_env(a.threads), set at start-up
    scae_line = subprocess.run(
        [a.bench, "saliency", "--cells", str(a.cells), "--genes", str(a.genes), "--nodes", str(a.nodes),
         "--hidden", str(a.hidden), "--method", a.method, "--threads", str(a.threads), "--repeat", str(a.repeat),
         "--baseline", a.baseline, "--steps", str(a.steps), "--export", a.export] + (["--weighted"] if a.weighted else []),
        check=True, capture_output=True, text=True, env=env).stdout.strip()
    scae = json.loads(scae_line)

    torch.set_num_threads(a.threads)
    meta, layers, counts, want_abs, want_mean, want_weighted = load(a.export)
    x = torch.log1p(counts)
    best = float("inf")
    got_weighted = None
    for _ in range(a.repeat):
        start = time.perf_counter()
        if a.method == "ig":
            got_abs, got_mean, got_weighted = torch_integrated(layers, x, meta["nodes"], a.baseline, a.steps, a.weighted)
        else:
            got_abs, got_mean = torch_loop(layers, x, meta["nodes"], a.method)
        best = min(best, time.perf_counter() - start)
    scale = float(want_abs.abs().max())
    difference = float((got_abs - want_abs).abs().max()) / scale
    mean_difference = float((got_mean - want_mean).abs().max()) / scale
    weighted_difference = None
    if want_weighted is not None and got_weighted is not None:
        weighted_difference = float((got_weighted - want_weighted).abs().max()) / float(want_weighted.abs().max())
    torch_json = {"what": "saliency", "impl": "torch", "torch": torch.__version__, "method": a.method,
                  "baseline": a.baseline, "steps": a.steps, "weighted": a.weighted, "cells": a.cells,
                  "genes": a.genes, "hidden": a.hidden, "nodes": a.nodes, "threads": a.threads, "seconds": best,
                  "blas": blas_library(), "env": threading_env(a.threads)}
    print(scae_line)
    print(json.dumps(torch_json))
    print(json.dumps({"what": "saliency_ratio", "method": a.method, "threads": a.threads,
                      "speedup_vs_pytorch": best / scae["seconds"],
                      "max_rel_diff_mean_abs": difference, "max_rel_diff_mean": mean_difference,
                      "max_rel_diff_weighted": weighted_difference}))


if __name__ == "__main__":
    main()

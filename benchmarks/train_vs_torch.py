#!/usr/bin/env python3
"""Training speed in one run: scae at 1, 2, 4, ... threads (up to the cores there are), PyTorch
at each thread count (its best is the reference), and the machine's GEMM limit, on three
workloads: the reference (10,000 cells x 2,000 genes, batch 128), a larger one (20,000 x 5,000)
and the reference with batch 512.

Runs are interleaved (every configuration once, then again, `--repeat` times) and the median
is reported, so that a burst of load from other processes hits every configuration alike.
Both sides wait passively (OMP_WAIT_POLICY=PASSIVE): spinning idle threads of one side would
steal the cores of the other on a small or shared machine.

The GEMM limit is an epoch's dense FLOPs / (threads x one core's float GEMM rate at the output
layer's shapes), the rate measured by `scae_bench gemm` in the same run (its best repetition).
What the machine gives a second thread is measured in the same run too: `scae_bench
gemm-scaling` times those products on one thread and as two independent halves on two, and
the cost of a thread join. scae's CPU seconds per epoch (all threads) are reported beside the
wall time: on a shared machine they say what the threads cost, whatever the wait for a core.

usage: /usr/bin/python3 benchmarks/train_vs_torch.py [--bench build/bin/scae_bench] [--epochs 3]
           [--repeat 3] [--workloads reference,large,batch512] [--threads 1,2] [--no-torch]
"""
import argparse, json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = {  # name: (cells, genes, batch)
    "reference": (10000, 2000, 128),
    "large": (20000, 5000, 128),
    "batch512": (10000, 2000, 512),
}


def run_json(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_model():
    """The CPU's name as the kernel reports it (what `lscpu` calls Model name)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bin", "scae_bench"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workloads", default="reference,large,batch512")
    p.add_argument("--threads", default="", help="thread counts (default 1, 2, 4, ... up to the cores)")
    p.add_argument("--data-root", default="/tmp")
    p.add_argument("--no-torch", action="store_true")
    a = p.parse_args()
    cores = os.cpu_count() or 1
    threads = [int(t) for t in a.threads.split(",")] if a.threads else [t for t in (1, 2, 4, 8, 16, 32, 64, 128) if t <= cores]
    py = sys.executable
    results = []
    for name in a.workloads.split(","):
        cells, genes, batch = WORKLOADS[name]
        data = os.path.join(a.data_root, f"scae_bench_train_{cells}x{genes}")
        if not os.path.isdir(data):
            subprocess.run([py, os.path.join(HERE, "make_counts.py"), "--out", data, "--cells", str(cells), "--genes", str(genes),
                            "--density", "0.10"] + (["--chunk-rows", "2000"] if cells * genes > 5e7 else []), check=True, stdout=sys.stderr)
        gemm = run_json([a.bench, "gemm", "--cells", str(batch), "--hidden", "128", "--genes", str(genes)], 1)
        halves = run_json([a.bench, "gemm-scaling", "--cells", str(batch), "--hidden", "128", "--genes", str(genes)], 2) if cores > 1 else None
        scae = {t: [] for t in threads}
        cpu = {t: [] for t in threads}
        torch = {t: [] for t in threads}
        loads = []
        final = {}
        for _ in range(a.repeat):
            for t in threads:
                loads.append(load())
                s = run_json([a.bench, "train", "--data", data, "--epochs", str(a.epochs), "--threads", str(t), "--batch", str(batch)], t)
                scae[t].append(s["sec_per_epoch"])
                cpu[t].append(s["cpu_sec_per_epoch"])
                isa = s.get("instruction_set", "unknown")
                final.setdefault("scae", {})[t] = s["final_loss"]
                flops = s["dense_gflop_per_epoch"]
                if not a.no_torch:
                    r = run_json([py, os.path.join(HERE, "train_torch.py"), "--data", data, "--epochs", str(a.epochs), "--threads", str(t),
                                  "--batch", str(batch)], t)
                    torch[t].append(r["sec_per_epoch"])
                    final.setdefault("torch", {})[t] = r["final_loss"]
                    blas = r.get("blas")
        median = {t: statistics.median(v) for t, v in scae.items()}
        cpu_median = {t: statistics.median(v) for t, v in cpu.items()}
        row = {"what": "train_scaling", "workload": name, "cpu": cpu_model(), "instruction_set": isa, "cores": cores,
               "cells": cells, "genes": genes, "batch": batch, "epochs": a.epochs,
               "repeat": a.repeat, "gemm_gflops_one_core": gemm["gflops_one_core"], "dense_gflop_per_epoch": flops,
               "load_min_max": [min(loads), max(loads)], "scae_sec_per_epoch": scae, "scae_median": median,
               "speedup_vs_1_thread": {t: median[1] / median[t] for t in threads} if 1 in median else None,
               "gemm_limit_sec": {t: flops / (t * gemm["gflops_one_core"]) for t in threads},
               "times_gemm_limit": {t: median[t] / (flops / (t * gemm["gflops_one_core"])) for t in threads},
               "scae_cpu_sec_per_epoch": cpu, "scae_cpu_median": cpu_median,
               "cpu_vs_1_thread": {t: cpu_median[t] / cpu_median[1] for t in threads} if 1 in cpu_median else None,
               "two_halves": halves, "final_loss": final}
        if not a.no_torch:
            tmed = {t: statistics.median(v) for t, v in torch.items()}
            best = min(tmed, key=tmed.get)
            row.update({"torch_sec_per_epoch": torch, "torch_median": tmed, "torch_best_threads": best, "torch_blas": blas,
                        "speedup_vs_torch_best": {t: tmed[best] / median[t] for t in threads}})
        print(json.dumps(row), flush=True)
        results.append(row)
    # A readable summary of the medians.
    for r in results:
        print(f"\n{r['workload']} on {r['cpu']} ({r['cores']} cores), scae built for {r['instruction_set']}")
        print(f"{r['cells']} cells x {r['genes']} genes, batch {r['batch']}; one core's GEMM "
              f"{r['gemm_gflops_one_core']:.1f} GFLOP/s; {r['dense_gflop_per_epoch']:.2f} dense GFLOP/epoch; load "
              f"{r['load_min_max'][0]:.1f}-{r['load_min_max'][1]:.1f}")
        h = r["two_halves"]
        if h:
            print(f"two independent halves of the products on 2 threads: {h['speedup_median']:.2f}x one thread (median), "
                  f"{h['speedup_best']:.2f}x (best); a join costs {h['empty_region_us_median']:.0f} us (empty region), "
                  f"{h['barrier_in_region_us_median']:.0f} us (barrier), medians")
        print("threads  scae s/epoch  speed-up  x GEMM limit  CPU s/epoch  CPU vs 1" + ("  vs PyTorch best" if "torch_median" in r else ""))
        for t in r["scae_median"]:
            line = (f"{t:7d}  {r['scae_median'][t]:12.3f}  {(r['speedup_vs_1_thread'] or {}).get(t, float('nan')):8.2f}  "
                    f"{r['times_gemm_limit'][t]:12.2f}  {r['scae_cpu_median'][t]:11.3f}  {(r['cpu_vs_1_thread'] or {}).get(t, float('nan')):8.2f}")
            if "torch_median" in r:
                line += f"  {r['speedup_vs_torch_best'][t]:15.2f}"
            print(line)
        if "torch_median" in r:
            print("PyTorch s/epoch by threads: " + ", ".join(f"{t}: {v:.3f}" for t, v in r["torch_median"].items()) +
                  f" (best {r['torch_best_threads']}; BLAS {r['torch_blas']})")


if __name__ == "__main__":
    main()

"""How far a model trained on R ranks is from the one-process model, in the terms that matter
(docs/cluster.md, "How far R ranks are from one process"): the recipe (genes, target sum) must be
equal; the losses' relative gap; per layer the largest weight difference and the relative
Frobenius norm of the difference; and, given the two models' latent TSVs of the same cells
(scae embed), the relative Frobenius norm of the latent difference and the largest difference
against the largest activation, over every STRIDE-th cell. Prints; exits 1 only when the recipes
differ (the gaps are reported, not judged: see docs/cluster.md for what to expect).
usage: rank_gap.py ONE.json OTHER.json [ONE_LATENT.tsv OTHER_LATENT.tsv [STRIDE]]"""
import base64
import json
import math
import struct
import sys


def floats(w):
    raw = base64.b64decode(w["data"])
    return struct.unpack("<%df" % (len(raw) // 4), raw)


a, b = (json.load(open(p)) for p in sys.argv[1:3])
same_recipe = all(a.get(key) == b.get(key) for key in ("genes", "input_transform"))
la = [(e["train_loss"], e["validation_loss"]) for e in a["history"]["epochs"]]
lb = [(e["train_loss"], e["validation_loss"]) for e in b["history"]["epochs"]]
loss_gap = max(abs(x - y) / abs(x) for p, q in zip(la, lb) for x, y in zip(p, q)) if la and len(la) == len(lb) else float("inf")
layers, total_d2, total_a2 = [], 0.0, 0.0
for wa, wb in zip(a["weights"], b["weights"]):
    x, y = floats(wa), floats(wb)
    d2 = sum((u - v) ** 2 for u, v in zip(x, y))
    a2 = sum(u * u for u in x)
    total_d2 += d2
    total_a2 += a2
    layers.append("%s %.2g (rel. %.2g)" % (wa["name"], max(abs(u - v) for u, v in zip(x, y)), math.sqrt(d2 / a2) if a2 > 0 else 0.0))
print("%s vs %s: recipe %s; losses within %.2g (relative); weights: relative norm of the difference %.2g; largest difference per layer: %s" % (
    sys.argv[1], sys.argv[2], "equal" if same_recipe else "DIFFERENT", loss_gap, math.sqrt(total_d2 / total_a2), ", ".join(layers)))
if len(sys.argv) > 4:
    stride = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    d2 = a2 = worst = largest = 0.0
    cells = 0
    with open(sys.argv[3]) as fa, open(sys.argv[4]) as fb:
        if fa.readline() != fb.readline():
            print("latents: different headers")
            sys.exit(1)
        for i, (la_, lb_) in enumerate(zip(fa, fb)):
            if i % stride:
                continue
            pa, pb = la_.rstrip("\n").split("\t"), lb_.rstrip("\n").split("\t")
            if pa[0] != pb[0]:
                print("latents: different cells at row %d" % (i + 1))
                sys.exit(1)
            for u, v in zip(map(float, pa[1:]), map(float, pb[1:])):
                d2 += (u - v) ** 2
                a2 += u * u
                worst = max(worst, abs(u - v))
                largest = max(largest, abs(u))
            cells += 1
    print("latents over %d cells: relative norm of the difference %.2g, largest difference %.2g (largest activation %.3g)" % (
        cells, math.sqrt(d2 / a2) if a2 > 0 else 0.0, worst, largest))
sys.exit(0 if same_recipe else 1)

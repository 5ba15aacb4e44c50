"""Exits 0 when two scae model files hold the same preprocessing (genes, target sum) exactly and
weights and losses within a relative tolerance (default 1e-4 of the largest weight; losses 1e-5):
a sharded run on R ranks against one process. Prints the largest gaps.
usage: compare_models_close.py A.json B.json [WEIGHT_TOLERANCE]"""
import base64
import json
import struct
import sys

a, b = (json.load(open(path)) for path in sys.argv[1:3])
tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
problems = []
for key in ("genes", "input_transform"):
    if a.get(key) != b.get(key):
        problems.append("%s differ" % key)
floats = lambda w: struct.unpack("<%df" % (len(base64.b64decode(w["data"])) // 4), base64.b64decode(w["data"]))
worst = 0.0
scale = max(max(abs(v) for v in floats(w)) for w in a["weights"])
for wa, wb in zip(a["weights"], b["weights"]):
    if (wa["rows"], wa["cols"]) != (wb["rows"], wb["cols"]):
        problems.append("weight %s has another shape" % wa["name"])
        continue
    worst = max([worst] + [abs(x - y) for x, y in zip(floats(wa), floats(wb))])
if worst > tolerance * scale:
    problems.append("weights differ by up to %.3g (largest weight %.3g)" % (worst, scale))
la = [(e["train_loss"], e["validation_loss"]) for e in a["history"]["epochs"]]
lb = [(e["train_loss"], e["validation_loss"]) for e in b["history"]["epochs"]]
loss_gap = max(abs(x - y) / abs(x) for p, q in zip(la, lb) for x, y in zip(p, q)) if la and len(la) == len(lb) else float("inf")
if loss_gap > 1e-5:
    problems.append("losses differ by %.3g (relative): %s vs %s" % (loss_gap, la, lb))
print("%s vs %s: weights within %.3g (largest weight %.3g), losses within %.3g (relative)" % (sys.argv[1], sys.argv[2], worst, scale, loss_gap))
if problems:
    print("; ".join(problems))
    sys.exit(1)

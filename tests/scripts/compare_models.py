"""Exits 0 when two scae model files hold the same weights and training history, bit for bit
(the created time, the data path and epoch timings may differ); else prints what differs."""
import json
import sys

a, b = (json.load(open(path)) for path in sys.argv[1:3])
losses = lambda m: [(e["train_loss"], e["validation_loss"]) for e in m["history"]["epochs"]]
problems = []
if a["weights"] != b["weights"]:
    problems.append("weights differ")
if losses(a) != losses(b):
    problems.append("history differs: %s vs %s" % (losses(a), losses(b)))
for key in ("best_epoch", "stopped_early"):
    if a["history"].get(key) != b["history"].get(key):
        problems.append("history.%s differs" % key)
if problems:
    print("%s vs %s: %s" % (sys.argv[1], sys.argv[2], "; ".join(problems)))
    sys.exit(1)

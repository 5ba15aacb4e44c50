"""Exits 0 when two TSV tables of cells (a header, then a cell id and numbers per line) have the
same header, cells and shape, and every number within 1e-4 (relative) of the other's; prints the
worst difference. Usage: compare_tsv.py ONE OTHER [WHAT], WHAT naming OTHER in the message."""
import sys

one, other = ([line.rstrip("\n").split("\t") for line in open(p)] for p in sys.argv[1:3])
what = sys.argv[3] if len(sys.argv) > 3 else sys.argv[2]
assert len(one) == len(other) > 1 and one[0] == other[0], "different shapes or headers"
worst = 0.0
for a, b in zip(one[1:], other[1:]):
    assert a[0] == b[0] and len(a) == len(b), "different rows"
    for x, y in zip(a[1:], b[1:]):
        worst = max(worst, abs(float(x) - float(y)) / max(abs(float(x)), 1e-6))
print("%s: within %.2g (relative) of %s over %d cells" % (what, worst, sys.argv[1], len(one) - 1))
assert worst < 1e-4, worst

#!/usr/bin/python3
"""Reruns the commands that docs/tutorial.md and README.md show and checks every figure they quote
against what the commands produce now, so that the docs cannot drift unnoticed.

    /usr/bin/python3 docs/figures.py [--scae build/bin/scae] [--data ../shared/data]
                                     [--work /tmp/scae-figures] [--reuse] [--only SECTION ...]

The commands are taken from the docs' own ```sh blocks (with `build/bin/scae` and `$D` replaced by
--scae and --data) and run in --work; --reuse keeps outputs a previous run left there. Each check is
a sentence of the docs with the figures left as {} slots: the script fills the slots with what it
measured and looks for the sentence in the doc (whitespace and line breaks ignored). It prints each
check as ok or with the measured sentence, then a summary; the exit status is 1 when a figure
differs. --update-images copies the runs' pictures over those in docs/img. Figures come out in the docs' style (3 decimals for scores, z with 1, q with 1 or 2
significant digits), so a changed figure is a changed sentence to paste.

A model is the same for any thread count on one instruction set, not across them (docs/tutorial.md,
first paragraph). With a `scae` built for another instruction set than the one the docs name, a
sentence whose words and node numbers are as quoted and whose other figures differ only in their last
digits (at most 2 units of the quoted last digit, 1 for a whole number, or 1%; a set's q on the same
side of 0.05) passes as "near"; anything else, such as another node, set or number of calls, differs.

It takes about 20 minutes on 2 cores (the 5,000-gene PBMC model is most of it), too long for ctest:
run it after a change that can move the figures (training, saliency, statistics, preprocessing)
and update the docs from its output. Figures of commands the docs mention only in passing
(`--calibrate` variants, other seeds, `--permutations 100000`, the simulator columns) are not
rerun; the summary lists them.
"""
import argparse
import csv
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_RERUN = [
    "tutorial 2b: the --calibrate none|genes|genes_shrunk columns and the simulator columns",
    "tutorial 3: the Hallmark calls of --seed 1 and --seed 2, and --permutations 100000 (86 s)",
    "tutorial 3: the per-set null at 10,000 permutations and the models that gave no Hallmark call",
    "interpretation.md and benchmarks.md (their own scripts: benchmarks/)",
]


def sh_blocks(path):
    """The ```sh blocks of a markdown file, each as one string with continuation lines joined."""
    text = open(path, encoding="utf-8").read()
    return [b.replace("\\\n", " ") for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def squash(text):
    return re.sub(r"\s+", " ", text).strip()


def fmt3(x):
    return f"{x:.3f}"


def fmt_z(x):
    return f"{x:.1f}"


def fmt_q(q):
    """q as the docs write it: 1.3e-7 below 1e-4, else one significant digit (0.0007, 0.02)."""
    if q < 1e-4:
        mantissa, exponent = f"{q:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{q:.1g}" if q < 0.01 else f"{q:.2g}"


def fmt_auc(x):
    return f"{x:.2f}" if round(x, 2) < 1 else f"{x:.3f}"


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


class Run:
    def __init__(self, args):
        self.args = args
        self.scae = os.path.abspath(args.scae)
        self.data = os.path.abspath(args.data)
        self.work = os.path.abspath(args.work)
        os.makedirs(self.work, exist_ok=True)
        self.done = set()
        self.results = []  # (doc, status, text)
        self.foreign_isa = False  # set by main: scae was built for another instruction set than the docs'
        self.near = 0  # figures that passed as within their last digits (foreign_isa only)

    def command(self, line):
        """Runs one shown command line in the work folder; returns its stdout."""
        line = line.strip()
        if not line or line.startswith("cmake ") or line.startswith("D="):
            return ""
        line = line.replace("build/bin/scae", shlex.quote(self.scae)).replace("$D", shlex.quote(self.data))
        if line in self.done:
            return ""
        out = re.search(r"--out (\S+)", line)
        target = os.path.join(self.work, out.group(1)) if out else None
        log = os.path.join(self.work, (os.path.basename(out.group(1)) if out else "command") + ".stdout")
        if self.args.reuse and target and os.path.exists(target) and os.path.exists(log):
            self.done.add(line)
            return open(log, encoding="utf-8").read()
        start = time.time()
        print(f"  $ {line}", flush=True)
        p = subprocess.run(line, shell=True, cwd=self.work, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"exit {p.returncode}: {line}\n{p.stderr[-2000:]}")
        print(f"    ({time.time() - start:.0f} s)", flush=True)
        open(log, "w", encoding="utf-8").write(p.stdout)
        open(log.replace(".stdout", ".stderr"), "w", encoding="utf-8").write(p.stderr)
        self.done.add(line)
        return p.stdout

    def block(self, doc, out_name):
        """Runs the doc's ```sh block that writes `--out out_name`."""
        blocks = [b for b in sh_blocks(os.path.join(ROOT, doc)) if re.search(rf"--out {re.escape(out_name)}(\s|$)", b)]
        if not blocks:
            raise RuntimeError(f"{doc} shows no command with --out {out_name}")
        out = ""
        for line in blocks[0].splitlines():
            out += self.command(line)
        return out

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def check(self, doc, template, *values):
        """Fills the {} slots of `template` with `values` and looks for it in `doc`. On a build for
        another instruction set than the docs' (self.foreign_isa), a sentence whose words are as
        quoted and whose figures differ only in their last digits (last_digits_agree) passes as
        "near"."""
        sentence = template.format(*values)
        text = squash(open(os.path.join(ROOT, doc), encoding="utf-8").read())
        ok = squash(sentence) in text
        near = False
        if not ok and self.foreign_isa:
            measured = [v if isinstance(v, (Word, Q)) else format(v, spec) for (_, _, spec, _), v in zip(slots(template), values)]
            quoted = quoted_figures(text, template, measured)
            numbers = [m for m in measured if is_figure(m)]
            near = quoted is not None and all(
                (float(q) < 0.05) == (float(m) < 0.05) if isinstance(m, Q) else last_digits_agree(q, m) for q, m in zip(quoted, numbers))
        self.results.append((doc, ok or near, sentence))
        self.near += near
        print(f"  {'ok  ' if ok else 'near' if near else 'DIFF'} {doc}: {squash(sentence)}", flush=True)


def slots(template):
    """The {} slots of a format string: (literal before, field, format spec, conversion) each."""
    import string

    return [part for part in string.Formatter().parse(template) if part[1] is not None]


NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?"


class Word(str):
    """A slot's value that names something (a node number): it must be as quoted on any build."""


class Q(str):
    """A slot's q-value (as fmt_q writes it). A step-up q of one set moves with every p near the
    threshold, so on another build's model it agrees when the call is the same: both below 0.05
    or both not."""


def is_figure(measured):
    """A slot's measured string that is a number to compare within its last digits."""
    return not isinstance(measured, Word) and re.fullmatch(NUMBER, measured) is not None


def quoted_figures(text, template, measured):
    """The figures the doc quotes where `template` has the `measured` figures: the sentence with
    the template's words and the measured words as written (squash's spaces), each slot that
    measured a number free; its numbers in order, or None when there is no such sentence.

    >>> quoted_figures("| B | 30 (0.98) | B cells |", "| {} | {} ({}) | {} |", ["B", Word("30"), "0.97", "B cells"])
    ['0.98']
    >>> quoted_figures("| B | 30 (0.98) | B cells |", "| {} | {} ({}) | {} |", ["B", Word("31"), "0.98", "B cells"]) is None
    True
    """
    import string

    parts = list(string.Formatter().parse(template))
    pattern, value = "", iter(measured)
    for literal, field, _, _ in parts:
        pattern += re.escape(re.sub(r"\s+", " ", literal)).replace("\\ ", r"\s*")
        if field is not None:
            m = next(value)
            pattern += f"({NUMBER})" if is_figure(m) else re.escape(squash(m)).replace("\\ ", r"\s*")
    found = re.search(pattern, text)
    return list(found.groups()) if found else None


def last_digits_agree(quoted, measured):
    """Whether two numbers differ only as two builds whose models differ in their last bits make
    them: by at most 2 units of the quoted last digit (1 unit for a whole number), or 1% of it,
    whichever is more.

    >>> [last_digits_agree(q, m) for q, m in [("1.961", "1.962"), ("1.6e-7", "1.8e-7"), ("227", "228"), ("2,170", "2,190")]]
    [True, True, True, True]
    >>> [last_digits_agree(q, m) for q, m in [("0.66", "0.70"), ("1.6e-7", "2.0e-7"), ("4", "6"), ("0.0006", "0.0009")]]
    [False, False, False, False]
    """
    q, m = float(quoted.replace(",", "")), float(measured.replace(",", ""))
    mantissa, _, exponent = quoted.replace(",", "").partition("e")
    decimals = len(mantissa.partition(".")[2])
    unit = 10.0 ** (-decimals) * (10.0 ** int(exponent) if exponent else 1.0)
    whole = decimals == 0 and not exponent
    return abs(q - m) <= max((1 if whole else 2) * unit, 0.01 * abs(q)) * (1 + 1e-9)


def row_norms(model_path, counts_detected):
    """Mean row norm of the first layer's weights over the quarter of model genes detected in the
    fewest cells and over the quarter detected in the most."""
    import base64
    import numpy as np

    m = json.load(open(model_path))
    w = next(e for e in m["weights"] if e["name"] == "layer0.weight")
    weights = np.frombuffer(base64.b64decode(w["data"]), "<f4").reshape(w["rows"], w["cols"])
    norms = np.linalg.norm(weights, axis=1)
    detected = np.array([counts_detected.get(g, 0) for g in m["genes"]["ids"]])
    order = np.argsort(detected, kind="stable")
    quarter = len(order) // 4
    return norms[order[:quarter]].mean(), norms[order[-quarter:]].mean()


def detection(data_dir):
    """Cells in which each gene (by id) is detected, from a 10x directory."""
    import gzip

    import scipy.io

    m = scipy.io.mmread(gzip.open(os.path.join(data_dir, "matrix.mtx.gz"))).tocsr()  # genes x cells
    with gzip.open(os.path.join(data_dir, "features.tsv.gz"), "rt") as f:
        ids = [line.split("\t")[0].strip() for line in f]
    return dict(zip(ids, (m > 0).sum(axis=1).A1.tolist()))


def section_train(run):
    run.block("docs/tutorial.md", "headneck.json")
    m = json.load(open(run.path("headneck.json")))
    h = m["history"]
    run.check("docs/tutorial.md", "On these {} cells it stopped after {} epochs and kept the best one (epoch {}).",
              m["provenance"]["cells"], len(h["epochs"]), h["best_epoch"])


def section_transfer(run):
    run.block("docs/tutorial.md", "melanoma")
    r = json.load(open(run.path("melanoma", "report.json")))
    a = r["alignment"]
    run.check("docs/tutorial.md", "({} of {} found;", f"{a['matched']:,}", f"{a['n_model_genes']:,}")
    lat = r["latent"]
    run.check("docs/tutorial.md", "| space ({} melanoma cells, {} labels) |", lat["foreign"]["cells"], lat["foreign"]["classes"])
    names = {"foreign": "foreign (trained on head and neck)", "native": "native (trained on melanoma)", "pca": "PCA"}
    for key, name in names.items():
        s = lat[key]
        run.check("docs/tutorial.md", "| {} | {} | {} | {} | {} |", name, fmt3(s["knn_accuracy"]), fmt3(s["knn_macro_f1"]),
                  fmt3(s["kmeans_ari"]), fmt3(s["kmeans_nmi"]))
    lt = r["label_transfer"]
    run.check("docs/tutorial.md", "gives accuracy {} on the {} melanoma cells whose label exists", fmt3(lt["nearest_accuracy"]),
              lt["shared_label_cells"])
    d = r["denoising"]
    ratio = lambda k: f"{d[k]['ratio_to_gene_mean']:.2f}"
    run.check("docs/tutorial.md", "on {} held-out melanoma cells the head-and-neck model, calibrated as `scae denoise` applies it, "
              "scores {}x the gene-mean deviance (uncalibrated {}x; native {}x and PCA {}x, calibrated alike)", d["held_out_cells"], ratio("foreign"),
              ratio("foreign_raw"), ratio("native"), ratio("pca"))


def section_denoise(run):
    run.block("docs/tutorial.md", "breast")
    r = json.load(open(run.path("breast", "report.json")))
    d = r["denoising"]
    run.check("docs/tutorial.md", "(PBMC model from `scae train` defaults, {} held-out breast tumour cells, {} genes;",
              d["held_out_cells"], f"{d['genes']:,}")
    for key, name in [("foreign_raw", "foreign, `--calibrate none`"), ("native", "native (trained on Xa of held-in target cells), `groups`"),
                      ("pca", "PCA, 50 components of the model's input space, `groups`")]:
        run.check("docs/tutorial.md", "| {} | {} |", name, fmt3(d[key]["ratio_to_gene_mean"]))
    run.check("docs/tutorial.md", "| **foreign, `groups` (default)** | **{}** |", fmt3(d["foreign"]["ratio_to_gene_mean"]))
    run.check("docs/tutorial.md", "| gene mean (Poisson deviance) | 1.000 ({}) |", fmt3(d["gene_mean"]["poisson_deviance"]))


def node_call_rows(path):
    return {row["group"]: row for row in read_tsv(path)}


def panglao_name(name):
    """PANGLAO_B_CELLS_NAIVE as the docs write it: B cells naive (abbreviations of 1-2 letters stay capitals)."""
    words = name.removeprefix("PANGLAO_").split("_")
    return " ".join(w if len(w) <= 2 else w.lower() for w in words)


def section_annotate(run):
    import csv
    import gzip

    import scipy.io

    run.block("docs/tutorial.md", "breast_cells")
    r = json.load(open(run.path("breast_cells", "report.json")))
    for label, cells in r["label_transfer"]["predicted_counts"].items():
        run.check("docs/tutorial.md", "| {} | {} |", label, cells)
    # Which cells got which call: PTPRC (immune) and EPCAM/KRT18 (epithelial) counts per cell.
    data = os.path.join(run.args.data, "human_breast_tumor_copykat")
    m = scipy.io.mmread(gzip.open(os.path.join(data, "matrix.mtx.gz"))).tocsr()  # genes x cells
    with gzip.open(os.path.join(data, "features.tsv.gz"), "rt") as f:
        symbols = [line.rstrip("\n").split("\t")[1] for line in f]
    with gzip.open(os.path.join(data, "barcodes.tsv.gz"), "rt") as f:
        barcodes = [line.strip() for line in f]
    row = lambda g: dict(zip(barcodes, m[symbols.index(g)].toarray().ravel()))
    ptprc, epcam, krt18 = row("PTPRC"), row("EPCAM"), row("KRT18")
    immune_all = immune_called = epi_all = epi_unknown = 0
    for c in csv.DictReader(open(run.path("breast_cells", "cells.tsv")), delimiter="\t"):
        b, label = c["cell"], c["predicted_label"]
        if ptprc[b] > 0:
            immune_all += 1
            immune_called += label in ("MNP", "T_CD4", "T_CD8")
        elif epcam[b] + krt18[b] > 0:
            epi_all += 1
            epi_unknown += label == "unknown"
    run.check("docs/tutorial.md", "are called MNP or T ({} of {})", immune_called, immune_all)
    run.check("docs/tutorial.md", "are `unknown` ({} of {})", epi_unknown, epi_all)


def section_panglao(run):
    run.block("docs/tutorial.md", "pbmc_calls")
    out = open(run.path("pbmc_calls.stdout")).read()
    summary = json.loads(out.strip().splitlines()[-1])
    run.check("docs/tutorial.md", "On PBMC ({} cells; {} PanglaoDB sets with at least 5 of the {} model genes)", f"{summary['cells']:,}",
              summary["sets_scored"], f"{json.load(open(run.path('pbmc.json')))['architecture']['genes']:,}")
    calls = node_call_rows(run.path("pbmc_calls", "node_calls.tsv"))
    names = {"B": "B", "MNP": "MNP", "NK": "NK", "T_CD4": "T CD4", "T_CD8": "T CD8"}
    for group, shown in names.items():
        c = calls.get(group)
        if c is None:
            run.results.append(("docs/tutorial.md", False, f"no node call for group {group}"))
            continue
        genes = ", ".join(c["top_genes"].split(",")[:8])
        run.check("docs/tutorial.md", "| {} | {} ({}) | {} | {} | {} | {} |", shown, Word(c["node"]), fmt_auc(float(c["auc"])), panglao_name(c["top_set"]),
                  fmt_z(float(c["z"])), Q(fmt_q(float(c["q"]))), genes)


def top_genes(path, node, n):
    return [row["gene"] for row in read_tsv(path) if row["node"] == str(node)][:n]


def calls_of(folder, alpha=0.05):
    rows = read_tsv(os.path.join(folder, "scores.tsv"))
    return sorted((r for r in rows if r["q"] not in ("NaN", "") and float(r["q"]) < alpha), key=lambda r: (float(r["q"]), -float(r["z"])))


def activity(folder):
    """Per node: the group whose cells activate it most, with that group's AUC."""
    best = {}
    for row in read_tsv(os.path.join(folder, "node_activity.tsv")):
        k, auc = row["node"], float(row["auc"])
        if k not in best or auc > best[k][1]:
            best[k] = (row["group"], auc)
    return best


def section_go(run):
    run.block("docs/tutorial.md", "pbmc_go")
    summary = json.loads(open(run.path("pbmc_go.stdout")).read().strip().splitlines()[-1])
    folder = run.path("pbmc_go")
    calls = calls_of(folder)
    run.check("docs/tutorial.md", "({} cells; {} GO Biological Process sets with at least 10 model genes; {} of 64 nodes silent): "
              "{} calls at q < 0.05.", f"{summary['cells']:,}", f"{summary['sets_scored']:,}", len(summary["silent_nodes"]), len(calls))
    act = activity(folder)
    for node in sorted({c["node"] for c in calls}, key=lambda k: int(k)):
        mine = [c for c in calls if c["node"] == node]
        best = max(mine, key=lambda c: float(c["z"]))
        group, auc = act[node]
        run.check("docs/tutorial.md", "Node {} ({}, AUC {}; top genes {}): {} of the calls, the strongest *{}* (z {}, q {}).", Word(node), group,
                  fmt_auc(auc), ", ".join(top_genes(os.path.join(folder, "top_genes.tsv"), node, 3)), len(mine),
                  best["description"] or best["set"], fmt_z(float(best["z"])), Q(fmt_q(float(best["q"]))))
    # Input weights with and without decay (same data, same seed; pbmc.json from section 3).
    detected = detection(os.path.join(run.data, "human_pbmc_soupx"))
    rare, common = row_norms(run.path("pbmc.json"), detected)
    rare_wd, common_wd = row_norms(run.path("pbmc_wd.json"), detected)
    run.check("docs/tutorial.md", "(mean row norm {:.2f}, against {:.2f} for the most often detected quarter;", rare, common)
    run.check("docs/tutorial.md", "(row norms {:.2f} vs {:.2f})", rare_wd, common_wd)
    best_loss = lambda path: min(e["validation_loss"] for e in json.load(open(path))["history"]["epochs"] if e["validation_loss"] is not None)
    run.check("docs/tutorial.md", "(best validation loss {:.4f} against {:.4f} without)", best_loss(run.path("pbmc_wd.json")),
              best_loss(run.path("pbmc.json")))


def section_hallmark2k(run):
    run.block("docs/tutorial.md", "pbmc_wd_hallmark")
    folder = run.path("pbmc_wd_hallmark")
    calls = calls_of(folder)
    act = activity(folder)
    names = lambda cs: ", ".join(f"*{c['set'].replace('HALLMARK_', '').lower().replace('_', ' ')}*" for c in cs)
    run.check("docs/tutorial.md", "the reference on the model above gives {} calls (pooled null)", len(calls))
    for node in sorted({c["node"] for c in calls}, key=lambda k: min(float(c["q"]) for c in calls if c["node"] == k)):
        group, auc = act[node]
        mine = [c for c in calls if c["node"] == node]
        run.check("docs/tutorial.md", "node {} ({}, AUC {}; top genes {}) on {}", Word(node), group, fmt_auc(auc),
                  ", ".join(top_genes(os.path.join(folder, "top_genes.tsv"), node, 5)), names(mine))


def section_hallmark(run):
    run.block("docs/tutorial.md", "pbmc_hallmark")
    summary = json.loads(open(run.path("pbmc_hallmark.stdout")).read().strip().splitlines()[-1])
    h = json.load(open(run.path("pbmc5k.json")))["history"]
    calls = calls_of(run.path("pbmc_hallmark"))
    qs = sorted({fmt_q(float(c["q"])) for c in calls})
    run.check("docs/tutorial.md", "Training stopped after {} epochs (best {}); {} of the 64 nodes are silent. {} calls at q < 0.05, q {}:",
              len(h["epochs"]), h["best_epoch"], len(summary["silent_nodes"]), len(calls), " to ".join(qs[:1] + qs[1:][-1:]))
    act = activity(run.path("pbmc_hallmark"))
    for c in calls:
        group, auc = act[c["node"]]
        name = c["set"].replace("HALLMARK_", "").lower().replace("_", " ")
        run.check("docs/tutorial.md", "Node {} ({}, AUC {}; top genes {}): *{}* (z {}).", Word(c["node"]), group, fmt_auc(auc),
                  ", ".join(top_genes(run.path("pbmc_hallmark", "top_genes.tsv"), c["node"], 4)), name, fmt_z(float(c["z"])))


def section_demo(run):
    out_dir = run.path("scae-demo")
    if not (run.args.reuse and os.path.exists(os.path.join(out_dir, "pathways_B")) and os.path.exists(run.path("demo.stdout"))):
        start = time.time()
        print(f"  $ {run.scae} demo --out {out_dir}", flush=True)
        p = subprocess.run([run.scae, "demo", "--out", out_dir], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"scae demo exit {p.returncode}\n{p.stderr[-2000:]}")
        open(run.path("demo.stdout"), "w").write(p.stdout)
        print(f"    ({time.time() - start:.0f} s)", flush=True)
    found = re.search(r"planted programs found\s+(\d+) of (\d+) shared by A and B;\s+(\d+) of (\d+) B-only", open(run.path("demo.stdout")).read())
    words = ["none", "one", "two", "three", "four", "five", "six"]
    run.check("docs/tutorial.md", "recovers {} of the {} programs the tissues share", found.group(1), found.group(2))
    run.check("docs/tutorial.md", "and {} of the {} programs only B has", words[int(found.group(3))], found.group(4))
    rows = read_tsv(os.path.join(out_dir, "pathways_B", "scores.tsv"))
    calls = calls_of(os.path.join(out_dir, "pathways_B"))
    decoys = sum(1 for c in calls if c["set"].startswith("DECOY"))
    nodes = {r["node"] for r in rows}
    silent = sum(1 for k in nodes if all(r["q"] == "NaN" for r in rows if r["node"] == k))
    run.check("docs/tutorial.md", "{} of the {} calls fall on decoys, within what a false discovery rate of 5% allows; {} of the {} nodes "
              "are silent and left out.", words[decoys].capitalize() if decoys < len(words) else decoys, len(calls), silent, len(nodes))


IMAGES = {  # the docs' pictures and the outputs they are
    "melanoma/latent.svg": "melanoma_latent.svg",
    "pbmc_go/heatmap.svg": "pbmc_go_heatmap.svg",
    "pbmc_hallmark/heatmap.svg": "pbmc_hallmark_heatmap.svg",
    "scae-demo/pathways_B/heatmap.svg": "demo_heatmap.svg",
}

SECTIONS = {
    "train": section_train,
    "transfer": section_transfer,
    "denoise": section_denoise,
    "annotate": section_annotate,
    "panglao": section_panglao,
    "go": section_go,
    "hallmark2k": section_hallmark2k,
    "hallmark": section_hallmark,
    "demo": section_demo,
}


def instruction_set_note(scae):
    """A warning when `scae` was built for another instruction set than the tutorial's figures
    (its first paragraph names it), or None. Models are bit-identical across thread counts on one
    instruction set only, so there the nodes, their genes and the last digits are expected to
    differ."""
    text = squash(open(os.path.join(ROOT, "docs", "tutorial.md"), encoding="utf-8").read())
    quoted = re.search(r"built for (\w+) as `scae --version` says", text)
    version = subprocess.run([scae, "--version"], capture_output=True, text=True).stdout
    built = re.search(r"\((\w+)\)", version)
    if not quoted or not built:
        return f"note: cannot tell which instruction set gave the figures ({version.strip()!r})"
    if quoted.group(1) == built.group(1):
        return None
    return (f"note: the tutorial's figures come from a build for {quoted.group(1)}; {scae} was built for "
            f"{built.group(1)}, whose models differ in their last bits: node numbers, their top genes and "
            f"the last digits of scores are expected to differ (docs/tutorial.md, first paragraph)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scae", default=os.path.join(ROOT, "build", "bin", "scae"))
    p.add_argument("--data", default=os.environ.get("SCAE_DATA_DIR", os.path.join(ROOT, "..", "shared", "data")))
    p.add_argument("--work", default="/tmp/scae-figures")
    p.add_argument("--reuse", action="store_true", help="keep outputs a previous run left in --work")
    p.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run these sections only")
    p.add_argument("--update-images", action="store_true", help="copy the runs' pictures over the docs' (docs/img)")
    args = p.parse_args()
    run = Run(args)
    isa_note = instruction_set_note(run.scae)
    run.foreign_isa = isa_note is not None
    if isa_note:
        print(isa_note, flush=True)
    failed = []
    for name, section in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        print(f"[{name}]", flush=True)
        try:
            section(run)
        except Exception as e:  # a section that cannot run is a failure, reported with the rest
            failed.append(name)
            print(f"  FAILED: {type(e).__name__}: {e}", flush=True)
    if args.update_images:
        import shutil

        for source, image in IMAGES.items():
            if os.path.exists(run.path(source)):
                shutil.copyfile(run.path(source), os.path.join(ROOT, "docs", "img", image))
                print(f"copied {source} to docs/img/{image}")
    diffs = [r for r in run.results if not r[1]]
    near = f" ({run.near} of them within their last digits, a build for another instruction set)" if run.near else ""
    print(f"\n{len(run.results) - len(diffs)} of {len(run.results)} figures as the docs quote them{near}; "
          f"{len(diffs)} differ; sections that failed: {', '.join(failed) or 'none'}")
    print("not rerun: " + "; ".join(NOT_RERUN))
    if isa_note:
        print(isa_note)
    return 1 if diffs or failed else 0


if __name__ == "__main__":
    sys.exit(main())

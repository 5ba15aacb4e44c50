#pragma once
/// @file simulate.hpp
/// @brief `scae simulate`: write the built-in simulator's tissues as 10x directories.

#include "scae/cli/common.hpp"
#include "scae/data/simulate.hpp"
#include "scae/data/write_simulation.hpp"

namespace scae::cli {

/// `scae simulate`; returns the exit code.
/// @param args  the words after "simulate"
/// @param out  where a JSON summary of what was written prints
/// @param err  where errors print
/// @return the exit code (Exit)
inline int simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* usage = "usage: scae simulate --out DIR [--cells N] [--genes G] [--tissues T] [--seed S] [--threads T]\n"
                        "  writes DIR/A, DIR/B, ... (10x directories with labels.tsv), DIR/gene_sets.gmt (planted\n"
                        "  programs and decoys) and DIR/truth.json\n"
                        "  --cells N    cells per tissue, 1..1000000 (default 1500)\n"
                        "  --genes G    genes, 1..100000 (default 2000)\n"
                        "  --tissues T  tissues, 1..26 (default 2); cells x genes x tissues at most 2147483647\n"
                        "  --threads T  threads drawing cells, at most the hardware threads (default 0: all); the\n"
                        "               data do not depend on it\n";
    return guarded("simulate", args, usage, out, err, [&] {
        const Args a(args, {"out", "cells", "genes", "tissues", "seed", "threads"});
        data::SimulationOptions o;
        o.cells_per_tissue = Index(a.integer("cells", o.cells_per_tissue, 1, 1000000));
        o.n_genes = Index(a.integer("genes", o.n_genes, 1, 100000));
        o.n_tissues = Index(a.integer("tissues", o.n_tissues, 1, 26));
        o.seed = std::uint64_t(a.integer("seed", std::int64_t(o.seed)));
        o.threads = a.threads();
        if (double(o.cells_per_tissue) * double(o.n_genes) * double(o.n_tissues) > 2147483647.0)
            throw UsageError("--cells x --genes x --tissues is " +
                             std::to_string((long long)(o.cells_per_tissue) * o.n_genes * o.n_tissues) +
                             " matrix entries, expected at most 2147483647 (scae indexes sparse values with int)");
        const std::string out_dir = output_folder(a, "out", {});
        const auto sim = data::simulate(o);
        report::ReportFolder folder(out_dir);
        folder.write([&](const std::string& dir) { data::write_simulation(sim, dir); });
        folder.commit();
        out << nlohmann::json{{"out", a.required("out")}, {"tissues", sim.tissues.size()}, {"cells_per_tissue", o.cells_per_tissue},
                              {"genes", o.n_genes}, {"programs", sim.programs.size()}, {"gene_sets", sim.gene_sets.size()}}
                   .dump()
            << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

#pragma once
/// @file demo.hpp
/// @brief `scae demo`: the whole method on the built-in simulator, end to end, by running
/// the other subcommands: simulate two tissues that share gene programs, train on A, apply
/// the foreign model to B, and map B's bottleneck nodes to the planted programs.

#include "scae/cli/pathways.hpp"
#include "scae/cli/simulate.hpp"
#include "scae/cli/train.hpp"
#include "scae/cli/transfer.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <optional>

namespace scae::cli {

namespace detail {

/// `value` with `digits` decimals, for the summary.
inline std::string fixed(double value, int digits = 3) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << value;
    return s.str();
}

/// Reads a TSV with a header into column-name -> values.
inline std::vector<std::map<std::string, std::string>> read_tsv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(where(path, 0, "cannot open"));
    std::string line;
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream s(line);
        std::string f;
        while (std::getline(s, f, '\t')) fields.push_back(f);
        if (header.empty()) {
            header = fields;
            continue;
        }
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
        rows.push_back(row);
    }
    return rows;
}

/// For each planted program: on the node with the highest permutation z for it, does it have
/// the highest z of all sets (as interpret::evaluate_recovery defines recovery)?
inline std::pair<int, int> planted_recovered(const std::string& scores_tsv, const std::vector<std::string>& planted) {
    std::map<std::string, std::map<std::string, double>> score; // node -> set -> z
    for (const auto& row : read_tsv(scores_tsv)) score[row.at("node")][row.at("set")] = std::stod(row.at("z"));
    int recovered = 0;
    for (const std::string& set : planted) {
        std::string best_node;
        double best = -1;
        for (const auto& [node, sets] : score) {
            auto it = sets.find(set);
            if (it != sets.end() && it->second > best) best = it->second, best_node = node;
        }
        if (best_node.empty()) continue;
        const auto& sets = score[best_node];
        const auto top = std::max_element(sets.begin(), sets.end(), [](auto& x, auto& y) { return x.second < y.second; });
        recovered += top->first == set;
    }
    return {recovered, int(planted.size())};
}

} // namespace detail

/// `scae demo`; returns the exit code.
/// @param args  the words after "demo"
/// @param out  where the summary prints
/// @param err  where progress and errors print
/// @return Exit::ok, or the exit code of guarded() for a failure
inline int demo(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* usage = "usage: scae demo [--out DIR] [--seed S] [--threads T] [--quiet]\n"
                        "  simulates tissues A and B sharing planted gene programs, trains on A, applies the\n"
                        "  foreign model to B (next to a native model and PCA), maps B's bottleneck nodes to the\n"
                        "  planted programs, and prints a summary. Outputs go to DIR (default scae-demo).\n";
    return guarded("demo", args, usage, out, err, [&] {
        const Args a(args, {"out", "seed", "threads"}, {"quiet"});
        const auto start = std::chrono::steady_clock::now();
        const std::string seed = std::to_string(a.integer("seed", 42)), threads = std::to_string(a.threads());
        const std::string out_dir = a.has("out") ? output_folder(a, "out", {}) : std::string("scae-demo");
        report::ReportFolder folder(out_dir); // every output is moved into out_dir once the demo is complete
        const std::string dir = folder.path().string();
        std::vector<std::string> common = {"--seed", seed, "--threads", threads};
        if (a.has("quiet")) common.push_back("--quiet");
        auto with = [&](std::vector<std::string> v) {
            v.insert(v.end(), common.begin(), common.end());
            return v;
        };
        std::ostringstream quiet; // the subcommands' JSON lines; the demo prints its own summary
        auto step = [&](const char* what, int code) {
            if (code != ok) throw Error(std::string("demo step '") + what + "' failed");
        };
        err << "scae demo: simulating tissues A and B into " << out_dir << "\n";
        data::SimulationOptions simulation;
        simulation.seed = std::uint64_t(a.integer("seed", 42));
        simulation.threads = a.threads(); // every core unless told (the library's default is one)
        const data::Simulation sim = data::simulate(simulation);
        data::write_simulation(sim, dir + "/data");
        err << "scae demo: training on tissue A\n";
        step("train", train(with({"--data", dir + "/data/A", "--labels", dir + "/data/A/labels.tsv", "--genes", "all",
                                  "--epochs", "60", "--out", dir + "/model_A.json"}),
                            quiet, err));
        {
            // The model names the data it was trained on where the demo leaves them, not in the
            // temporary folder it builds them in.
            transfer::ModelFile model = transfer::load_model(dir + "/model_A.json");
            model.provenance.data_path = out_dir + "/data/A";
            model.provenance.extra["labels"] = out_dir + "/data/A/labels.tsv";
            transfer::save_model(dir + "/model_A.json", model);
        }
        err << "scae demo: applying the foreign model to tissue B\n";
        const Args transfer_args(with({"--model", dir + "/model_A.json", "--data", dir + "/data/B", "--labels", dir + "/data/B/labels.tsv",
                                       "--epochs", "60"}),
                                 transfer_option_names(), {"native", "no-native", "quiet"});
        const TransferRun run = run_transfer_command(transfer_args, err);
        std::filesystem::create_directories(dir + "/transfer_B");
        write_transfer_report(dir + "/transfer_B", run.result, run.model, run.data.barcodes, run.labels,
                              {out_dir + "/model_A.json", out_dir + "/data/B", out_dir + "/data/B/labels.tsv"});
        err << "scae demo: mapping bottleneck nodes of B to gene sets\n";
        // The reference method (guided backprop, median score, per-set null): on this simulation it
        // finds 5 of 6 shared programs and no B-only one, the default 4 and 1 (docs/interpretation.md).
        step("pathways", pathways({"--model", dir + "/model_A.json", "--data", dir + "/data/B", "--gmt", dir + "/data/gene_sets.gmt",
                                   "--reference", "--permutations", "1000", "--seed", seed, "--threads", threads, "--out", dir + "/pathways_B"},
                                  quiet, err));

        // The model saw tissue A only: programs shared by A and B are what it can explain in B;
        // B's own programs are a negative control (a node for them would be a false discovery).
        std::vector<std::string> shared, b_only;
        for (const auto& p : sim.programs) {
            if (p.tissue.empty()) shared.push_back(p.name);
            if (p.tissue == "B") b_only.push_back(p.name);
        }
        const std::string scores = dir + "/pathways_B/scores.tsv";
        const auto [recovered, n_shared] = detail::planted_recovered(scores, shared);
        const auto [false_found, n_b_only] = detail::planted_recovered(scores, b_only);
        folder.commit();
        using detail::fixed;
        const transfer::TransferResults& r = run.result;
        const auto knn = [](const std::optional<eval::EmbeddingScores>& e) { return e ? fixed(e->knn_accuracy) : std::string("-"); };
        const auto ari = [](const std::optional<eval::EmbeddingScores>& e) { return e ? fixed(e->kmeans_ari) : std::string("-"); };
        const auto deviance = [&](const char* name) {
            const auto* p = r.predictor(name);
            return p ? fixed(p->score.poisson_deviance) : std::string("-");
        };
        std::optional<eval::EmbeddingScores> foreign, native, pca;
        if (r.latent_scores) foreign = r.latent_scores->foreign, native = r.latent_scores->native, pca = r.latent_scores->pca;
        out << "scae demo: foreign model trained on tissue A, applied unchanged to tissue B\n"
            << "  gene coverage           " << fixed(r.alignment.coverage, 3) << "\n"
            << "  kNN accuracy on B       foreign " << knn(foreign) << "   native " << knn(native) << "   PCA " << knn(pca) << "\n"
            << "  k-means ARI on B        foreign " << ari(foreign) << "   native " << ari(native) << "   PCA " << ari(pca) << "\n"
            << "  label transfer A->B     accuracy " << (r.label_transfer ? fixed(r.label_transfer->accuracy) : std::string("-")) << " on "
            << (r.label_transfer ? r.label_transfer->shared_label_cells : 0) << " cells of shared types\n"
            << "  denoising (deviance)    foreign " << deviance("foreign") << "   native " << deviance("native") << "   PCA "
            << deviance("pca") << "   gene mean " << deviance("gene_mean") << "\n"
            << "  planted programs found  " << recovered << " of " << n_shared << " shared by A and B;  " << false_found
            << " of " << n_b_only << " B-only programs, unseen in training (expect 0)\n"
            << "                          (found: the top set, by z, of the node with the program's highest z)\n"
            << "  outputs                 " << out_dir << "/transfer_B/report.md, " << out_dir << "/pathways_B/heatmap.svg\n"
            << "  time                    "
            << fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1) << " s\n";
        return int(ok);
    });
}

} // namespace scae::cli

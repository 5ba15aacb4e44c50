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

namespace scae::cli {

namespace detail {

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
        step("simulate", simulate({"--out", dir + "/data", "--seed", seed}, quiet, err));
        err << "scae demo: training on tissue A\n";
        step("train", train(with({"--data", dir + "/data/A", "--labels", dir + "/data/A/labels.tsv", "--genes", "all",
                                  "--epochs", "60", "--out", dir + "/model_A.json"}),
                            quiet, err));
        err << "scae demo: applying the foreign model to tissue B\n";
        step("transfer", transfer(with({"--model", dir + "/model_A.json", "--data", dir + "/data/B", "--labels",
                                        dir + "/data/B/labels.tsv", "--epochs", "60", "--out", dir + "/transfer_B"}),
                                  quiet, err));
        err << "scae demo: mapping bottleneck nodes of B to gene sets\n";
        // The reference method (guided backprop, median score, per-set null): on this simulation it
        // finds 5 of 6 shared programs and no B-only one, the default 4 and 1 (docs/interpretation.md).
        step("pathways", pathways({"--model", dir + "/model_A.json", "--data", dir + "/data/B", "--gmt", dir + "/data/gene_sets.gmt",
                                   "--reference", "--permutations", "1000", "--seed", seed, "--threads", threads, "--out", dir + "/pathways_B"},
                                  quiet, err));

        std::ifstream report_file(dir + "/transfer_B/report.json"), truth_file(dir + "/data/truth.json");
        if (!report_file || !truth_file) throw Error(where(dir, 0, "the demo's report.json or truth.json is missing"));
        const auto report = nlohmann::json::parse(report_file);
        const auto truth = nlohmann::json::parse(truth_file);
        // The model saw tissue A only: programs shared by A and B are what it can explain in B;
        // B's own programs are a negative control (a node for them would be a false discovery).
        std::vector<std::string> shared, b_only;
        for (const auto& p : truth["programs"]) {
            const std::string tissue = p.value("tissue", std::string());
            if (tissue.empty()) shared.push_back(p["name"]);
            if (tissue == "B") b_only.push_back(p["name"]);
        }
        const std::string scores = dir + "/pathways_B/scores.tsv";
        const auto [recovered, n_shared] = detail::planted_recovered(scores, shared);
        const auto [false_found, n_b_only] = detail::planted_recovered(scores, b_only);
        folder.commit();
        const auto& lat = report["latent"];
        const auto& dn = report["denoising"];
        using detail::fixed;
        out << "scae demo: foreign model trained on tissue A, applied unchanged to tissue B\n"
            << "  gene coverage           " << fixed(report["alignment"]["coverage"], 3) << "\n"
            << "  kNN accuracy on B       foreign " << fixed(lat["foreign"]["knn_accuracy"]) << "   native "
            << fixed(lat["native"]["knn_accuracy"]) << "   PCA " << fixed(lat["pca"]["knn_accuracy"]) << "\n"
            << "  k-means ARI on B        foreign " << fixed(lat["foreign"]["kmeans_ari"]) << "   native "
            << fixed(lat["native"]["kmeans_ari"]) << "   PCA " << fixed(lat["pca"]["kmeans_ari"]) << "\n"
            << "  label transfer A->B     accuracy " << fixed(report["label_transfer"]["accuracy"]) << " on "
            << report["label_transfer"]["shared_label_cells"] << " cells of shared types\n"
            << "  denoising (deviance)    foreign " << fixed(dn["foreign"]["poisson_deviance"]) << "   native "
            << fixed(dn["native"]["poisson_deviance"]) << "   PCA " << fixed(dn["pca"]["poisson_deviance"]) << "   gene mean "
            << fixed(dn["gene_mean"]["poisson_deviance"]) << "\n"
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

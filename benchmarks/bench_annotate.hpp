#pragma once
// scae_bench annotate: labels for many target cells from a labelled reference in a bottleneck
// (transfer::annotate: the mutual-nearest-neighbour alignment, the vote, and the conformal
// p-values of the distance and fit tests), on Gaussian clusters in --dims dimensions. Encoding
// the cells is the model pass `scae embed` times (docs/benchmarks.md, Scale).
#include "scae/cli/args.hpp"
#include "scae/core/random.hpp"
#include "scae/transfer/annotation_scores.hpp"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

namespace scae_bench {

/// Options: --reference 20000 --target 1000000 --dims 64 --types 10 --threads 0 --seed 1 --alignment mnn.
inline int bench_annotate(const std::vector<std::string>& args) {
    using namespace scae;
    const cli::Args a(args, {"reference", "target", "dims", "types", "threads", "seed", "alignment"}, {});
    const Index n_reference = Index(a.integer("reference", 20000, 2, 10000000)), n_target = Index(a.integer("target", 1000000, 1, 100000000));
    const Index dims = Index(a.integer("dims", 64, 1, 4096)), types = Index(a.integer("types", 10, 1, 1000));
    const ThreadScope threads(a.threads(), ThreadScope::EigenThreads::same);
    Rng rng(std::uint64_t(a.integer("seed", 1, 0, 1 << 30)));
    Matrix<float> centres(types, dims);
    for (Index i = 0; i < centres.size(); ++i) centres.data()[i] = float(4 * rng.normal());
    const auto draw = [&](Index n, Matrix<float>& points, std::vector<std::string>& labels, std::vector<double>& fit) {
        points.resize(n, dims);
        for (Index r = 0; r < n; ++r) {
            const Index t = r % types;
            for (Index d = 0; d < dims; ++d) points(r, d) = centres(t, d) + float(rng.normal());
            labels.push_back("type" + std::to_string(t));
            fit.push_back(0.5 + 0.1 * rng.normal());
        }
    };
    Matrix<float> reference, target;
    std::vector<std::string> reference_labels, target_labels;
    std::vector<double> reference_fit, target_fit;
    draw(n_reference, reference, reference_labels, reference_fit);
    draw(n_target, target, target_labels, target_fit);
    transfer::AnnotateOptions options;
    options.alignment.method = transfer::latent_alignment_from_string(a.get("alignment", "mnn"));
    const auto start = std::chrono::steady_clock::now();
    const transfer::Annotation annotation = transfer::annotate(reference, reference_labels, target, options, reference_fit, target_fit);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const transfer::LabelTransferScores s = transfer::score_annotation(annotation, target_labels);
    std::cout << nlohmann::json{{"bench", "annotate"}, {"reference", n_reference}, {"target", n_target}, {"dims", dims}, {"types", types},
                                {"threads", a.threads()}, {"seconds", seconds}, {"unknown_share", s.unknown_share}, {"accuracy", s.accuracy},
                                {"alignment", transfer::to_string(annotation.alignment.method)}, {"mnn_pairs", annotation.alignment.pairs}}
                     .dump()
              << "\n";
    return 0;
}

} // namespace scae_bench

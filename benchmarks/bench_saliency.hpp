#pragma once
// scae_bench saliency: saliency of every bottleneck node for every cell, summarised per node
// and gene (mean |saliency| and mean), with the batched all-node formulation; with --weighted,
// also the activity-weighted mean that `scae pathways` ranks genes by (its default: integrated
// gradients from the mean cell, --method ig --baseline mean --weighted).
// benchmarks/saliency_vs_torch.py runs the PyTorch loop over nodes on the exported weights.
#include "scae/cli/args.hpp"
#include "scae/interpret/node_activity.hpp"
#include "scae/interpret/summary.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae_bench {

namespace detail {

/// Appends the float32 values of `m` (row-major) to `out`.
inline void append_floats(std::ofstream& out, const scae::Matrix<float>& m) {
    out.write(reinterpret_cast<const char*>(m.data()), std::streamsize(m.size() * sizeof(float)));
}

} // namespace detail

/// Options: --cells 1000 --genes 2000 --hidden 128 --nodes 64 --density 0.1 --method guided
/// --threads 2 --repeat 3 --seed 1 [--baseline zeros|mean] [--steps N] [--weighted] [--block CELLS]
/// [--export PREFIX]. --weighted times the whole attribution of `scae pathways`: the encoder pass
/// for activity_weights() and the weighted summary. With --export it writes PREFIX.json
/// (shapes, activations, method) and PREFIX.bin (float32: each encoder layer's weight
/// (inputs x outputs) and bias, the counts (cells x genes), then the result's mean |saliency|,
/// mean saliency and, with --weighted, weighted mean (nodes x genes)) for the PyTorch peer.
inline int bench_saliency(const std::vector<std::string>& args) {
    using namespace scae;
    cli::Args a(args, {"cells", "genes", "hidden", "nodes", "density", "method", "threads", "repeat", "seed", "block", "export",
                       "baseline", "steps"},
                {"weighted"});
    const Index cells = a.integer("cells", 1000), genes = a.integer("genes", 2000);
    const Index hidden = a.integer("hidden", 128), nodes = a.integer("nodes", 64);
    const double density = a.number("density", 0.1);
    const int threads = int(a.integer("threads", 2)), repeat = std::max(1, int(a.integer("repeat", 3)));
    const std::uint64_t seed = std::uint64_t(a.integer("seed", 1));
    interpret::SaliencyOptions options;
    options.method = interpret::method_from_string(a.get("method", "guided"));
    options.block_cells = a.integer("block", options.block_cells);
    options.baseline = a.get("baseline", "zeros") == "mean" ? interpret::Baseline::mean_cell : interpret::Baseline::zeros;
    options.steps = int(a.integer("steps", options.steps));
    options.threads = threads; // the library's default is one thread
    const bool weighted = a.has("weighted");
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#endif

    // A random model (weights as initialised, biases drawn so that activations vary) and
    // sparse counts at the given density.
    nn::AutoencoderOptions model_options;
    model_options.encoder_sizes = {hidden, nodes};
    model_options.seed = seed;
    nn::Autoencoder<float> model(genes, model_options);
    Rng rng(seed + 1);
    for (auto& layer : model.layers)
        for (Index i = 0; i < layer.bias.value.size(); ++i) layer.bias.value.data()[i] = float(0.5 * rng.normal());
    std::vector<Eigen::Triplet<float>> entries;
    for (Index c = 0; c < cells; ++c)
        for (Index g = 0; g < genes; ++g)
            if (rng.uniform() < density) entries.emplace_back(int(c), int(g), float(1 + rng.below(20)));
    Csr<float> counts(cells, genes);
    counts.setFromTriplets(entries.begin(), entries.end());
    counts.makeCompressed();

    double best = 1e300;
    std::vector<interpret::SaliencySummary> summary;
    for (int r = 0; r < repeat; ++r) {
        const auto start = std::chrono::steady_clock::now();
        if (weighted) {
            const interpret::NodeSaliency<float> saliency(model, counts, options);
            const Matrix<double> weights = interpret::activity_weights(model.encode(counts));
            summary = interpret::summarize_node_saliency(saliency, std::vector<int>(std::size_t(cells), 0), 1, options.block_cells, weights);
        } else {
            summary = interpret::summarize_node_saliency(model, counts, options);
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }

    if (a.has("export")) {
        const std::string prefix = a.required("export");
        nlohmann::json layers = nlohmann::json::array();
        for (std::size_t l = 0; l < model.encoder_layers(); ++l)
            layers.push_back({{"inputs", model.layers[l].inputs()}, {"outputs", model.layers[l].outputs()},
                              {"activation", nn::to_string(model.layers[l].activation)}, {"beta", model.layers[l].beta}});
        std::ofstream meta(prefix + ".json");
        meta << nlohmann::json{{"cells", cells}, {"genes", genes}, {"nodes", nodes}, {"method", interpret::to_string(options.method)},
                               {"baseline", options.baseline == interpret::Baseline::mean_cell ? "mean" : "zeros"},
                               {"steps", options.steps}, {"weighted", weighted}, {"input", "log1p"}, {"layers", layers}}
                    .dump()
             << "\n";
        std::ofstream bin(prefix + ".bin", std::ios::binary);
        for (std::size_t l = 0; l < model.encoder_layers(); ++l) {
            detail::append_floats(bin, model.layers[l].weight.value);
            detail::append_floats(bin, model.layers[l].bias.value);
        }
        detail::append_floats(bin, Matrix<float>(counts));
        detail::append_floats(bin, summary[0].mean_abs.cast<float>());
        detail::append_floats(bin, summary[0].mean.cast<float>());
        if (weighted) detail::append_floats(bin, summary[0].weighted.cast<float>());
        if (!meta || !bin) throw Error("scae_bench saliency: could not write " + prefix + ".json / .bin");
    }
    std::cout << nlohmann::json{{"what", "saliency"}, {"impl", "scae"}, {"method", interpret::to_string(options.method)},
                                {"baseline", options.baseline == interpret::Baseline::mean_cell ? "mean" : "zeros"},
                                {"steps", options.steps}, {"weighted", weighted},
                                {"cells", cells}, {"genes", genes}, {"hidden", hidden}, {"nodes", nodes}, {"threads", threads},
                                {"seconds", best}}
                     .dump()
              << std::endl;
    return 0;
}

} // namespace scae_bench

#pragma once
// scae_bench train: the reference training workload of Kinalis et al. 2019 on a 10x directory.
#include "scae/cli/args.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/train/train.hpp"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

namespace scae_bench {

/// Reference workload: log1p input, raw-count target, genes -> 128 -> 64 -> 128 -> genes,
/// softplus after every layer, Xavier-normal weights, Poisson NLL (no Stirling term) plus
/// 0.05 ||I - W2^T W2||_F, Adam lr 1e-3, batch 128, reshuffled every epoch, no held-out cells.
inline int bench_train(const std::vector<std::string>& args) {
    scae::cli::Args a(args, {"data", "epochs", "threads", "seed", "batch"});
    const std::string dir = a.required("data");
    const auto data = scae::io::read_counts<float>(dir);
    scae::nn::AutoencoderOptions model_options; // the defaults are the reference architecture
    model_options.seed = std::uint64_t(a.integer("seed", 42));
    scae::nn::Autoencoder<float> model(data.genes(), model_options);
    scae::train::TrainOptions options;
    options.epochs = int(a.integer("epochs", 5));
    options.batch_size = int(a.integer("batch", 128));
    options.threads = int(a.integer("threads", 2));
    options.validation_fraction = 0;
    options.patience = 0;
    options.restore_best = false;
    options.progress = scae::train::ProgressMode::never;
    const auto start = std::chrono::steady_clock::now();
    const auto history = scae::train::fit(model, data.counts, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json out = {{"what", "train"},
                          {"impl", "scae"},
                          {"n", data.cells()},
                          {"g", data.genes()},
                          {"nnz", data.counts.nonZeros()},
                          {"epochs", options.epochs},
                          {"threads", options.threads},
                          {"sec_per_epoch", seconds / options.epochs},
                          {"final_loss", history.epochs.back().train_loss}};
    std::cout << out.dump() << std::endl;
    return 0;
}

} // namespace scae_bench

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
    // Dense products per epoch: every layer after the sparse first one costs 2ab per cell
    // forward and 4ab backward (input and weight gradients), for a inputs and b outputs.
    double dense_flops = 0;
    for (std::size_t i = 1; i < model.layers.size(); ++i)
        dense_flops += 6.0 * double(model.layers[i].inputs()) * double(model.layers[i].outputs()) * double(data.cells());
    nlohmann::json out = {{"what", "train"},
                          {"impl", "scae"},
                          {"n", data.cells()},
                          {"g", data.genes()},
                          {"nnz", data.counts.nonZeros()},
                          {"epochs", options.epochs},
                          {"threads", options.threads},
                          {"batch", options.batch_size},
                          {"dense_gflop_per_epoch", dense_flops / 1e9},
                          {"sec_per_epoch", seconds / options.epochs},
                          {"final_loss", history.epochs.back().train_loss}};
    std::cout << out.dump() << std::endl;
    return 0;
}

} // namespace scae_bench

namespace scae_bench {

/// One core's float GEMM rate (Eigen, the kernel scae's layers call) at the output layer's
/// three shapes for a batch: z = h W (cells x hidden x genes), dh = dz W^T and dW = h^T dz.
/// Prints GFLOP/s; the training benchmark divides an epoch's dense FLOPs by it.
inline int bench_gemm(const std::vector<std::string>& args) {
    scae::cli::Args a(args, {"cells", "hidden", "genes", "seconds"});
    const Eigen::Index cells = a.integer("cells", 128), hidden = a.integer("hidden", 128), genes = a.integer("genes", 2000);
    const double budget = a.number("seconds", 1.0);
    Eigen::setNbThreads(1);
    using M = scae::Matrix<float>;
    const M h = M::Random(cells, hidden), w = M::Random(hidden, genes), dz = M::Random(cells, genes);
    M z(cells, genes), dh(cells, hidden), dw(hidden, genes);
    const double flops = 3.0 * 2.0 * double(cells) * double(hidden) * double(genes);
    double best = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int rep = 0; rep < 1000; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        z.noalias() = h * w;
        dh.noalias() = dz * w.transpose();
        dw.noalias() = h.transpose() * dz;
        const auto t1 = std::chrono::steady_clock::now();
        best = std::max(best, flops / std::chrono::duration<double>(t1 - t0).count()); // the quietest moment
        if (std::chrono::duration<double>(t1 - start).count() > budget && rep >= 4) break;
    }
    const double check = double(z.sum() + dh.sum() + dw.sum()); // keeps the products
    nlohmann::json out = {{"what", "gemm"}, {"cells", cells}, {"hidden", hidden}, {"genes", genes},
                          {"gflops_one_core", best / 1e9}, {"checksum_finite", std::isfinite(check)}};
    std::cout << out.dump() << std::endl;
    return 0;
}

} // namespace scae_bench

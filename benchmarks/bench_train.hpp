#pragma once
// scae_bench train: the reference training workload of Kinalis et al. 2019 on a 10x directory.
#include "scae/cli/args.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/train/train.hpp"
#include "scae/version.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <time.h>
#include <numeric>
#include <iostream>
#include <nlohmann/json.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae_bench {

/// CPU seconds used so far by all threads of this process: what a run costs whatever else
/// the machine runs (threads that wait passively use none).
inline double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

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
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const auto history = scae::train::fit(model, data.counts, options);
    const double cpu = cpu_seconds() - cpu_start;
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
                          {"cpu_sec_per_epoch", cpu / options.epochs},
                          {"final_loss", history.epochs.back().train_loss},
                          {"instruction_set", scae::instruction_set()}};
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

namespace scae_bench {

/// What two cores of this machine give to two independent halves of the step's products: the
/// output layer's three products (z = h W, dh = dz W^T, dW = h^T dz, cells x hidden x genes)
/// on one thread, then the same total work as two halves of the genes, each thread its own
/// matrices, in one OpenMP region; and what a join costs when every thread is there: an
/// empty region, and a barrier inside a region. (A barrier is cheaper than a region, but it
/// too waits for the last thread, which on a shared machine is what a join costs.)
/// With OMP_WAIT_POLICY=PASSIVE this bounds what any split of the step can gain here.
inline int bench_gemm_scaling(const std::vector<std::string>& args) {
    scae::cli::Args a(args, {"cells", "hidden", "genes", "repeat"});
    const Eigen::Index cells = a.integer("cells", 128), hidden = a.integer("hidden", 128), genes = a.integer("genes", 2000);
    const int repeat = int(a.integer("repeat", 200));
    Eigen::setNbThreads(1);
    using M = scae::Matrix<float>;
    using clock = std::chrono::steady_clock;
    struct Half {
        M h, w, dz, z, dh, dw;
    };
    auto make = [&](Eigen::Index g) {
        return Half{M::Random(cells, hidden), M::Random(hidden, g), M::Random(cells, g), M(cells, g), M(cells, hidden), M(hidden, g)};
    };
    auto run = [](Half& x) {
        x.z.noalias() = x.h * x.w;
        x.dh.noalias() = x.dz * x.w.transpose();
        x.dw.noalias() = x.h.transpose() * x.dz;
    };
    Half whole = make(genes);
    std::vector<Half> halves{make(genes / 2), make(genes - genes / 2)};
    const double flops = 6.0 * double(cells) * double(hidden) * double(genes);
    int threads = 1;
#ifdef _OPENMP
    threads = std::min(2, omp_get_max_threads());
#endif
    // Interleaved, so that load from other processes falls on both alike; medians and bests.
    std::vector<double> one, two, wake, barrier;
    double cpu_two = 0;
    for (int rep = 0; rep < repeat; ++rep) {
        auto t0 = clock::now();
        run(whole);
        auto t1 = clock::now();
        const std::clock_t c0 = std::clock();
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(threads)
#endif
        for (int i = 0; i < 2; ++i) run(halves[std::size_t(i)]);
        auto t2 = clock::now();
        cpu_two += double(std::clock() - c0) / CLOCKS_PER_SEC;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
        { asm volatile("" ::: "memory"); }
#endif
        auto t3 = clock::now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
        for (int i = 0; i < 10; ++i) {
#pragma omp barrier
        }
#endif
        auto t4 = clock::now();
        barrier.push_back(std::chrono::duration<double>(t4 - t3).count() / 10);
        one.push_back(std::chrono::duration<double>(t1 - t0).count());
        two.push_back(std::chrono::duration<double>(t2 - t1).count());
        wake.push_back(std::chrono::duration<double>(t3 - t2).count());
    }
    auto median = [](std::vector<double> v) {
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    auto best = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
    const double check = double(whole.z.sum() + halves[0].dw.sum() + halves[1].dh.sum());
    nlohmann::json out = {{"what", "gemm_scaling"}, {"cells", cells}, {"hidden", hidden}, {"genes", genes}, {"threads", threads},
                          {"repeat", repeat},
                          {"one_thread_ms_median", 1e3 * median(one)}, {"one_thread_ms_best", 1e3 * best(one)},
                          {"two_halves_ms_median", 1e3 * median(two)}, {"two_halves_ms_best", 1e3 * best(two)},
                          {"speedup_median", median(one) / median(two)}, {"speedup_best", best(one) / best(two)},
                          {"gflops_one_core_best", flops / best(one) / 1e9},
                          {"two_halves_cpu_over_wall", cpu_two / std::accumulate(two.begin(), two.end(), 0.0)},
                          {"empty_region_us_median", 1e6 * median(wake)}, {"empty_region_us_best", 1e6 * best(wake)},
                          {"barrier_in_region_us_median", 1e6 * median(barrier)},
                          {"checksum_finite", std::isfinite(check)}};
    std::cout << out.dump() << std::endl;
    return 0;
}

} // namespace scae_bench

// scae_bench: performance measurements of scae. Each subcommand prints one JSON line;
// the Python scripts beside this file run the PyTorch/scipy peer in the same run.
#include "bench_annotate.hpp"
#include "bench_read.hpp"
#include "bench_saliency.hpp"
#include "bench_train.hpp"

#include <iostream>

int main(int argc, char** argv) {
    const std::string usage =
        "usage: scae_bench train --data DIR [--epochs E] [--threads T] [--batch B] [--seed S]\n"
        "       scae_bench gemm [--cells B] [--hidden H] [--genes G] [--seconds S]\n"
        "       scae_bench read [--dir DIR] [--cells N] [--genes G] [--density D] [--repeat R] [--format mtx|gz]\n"
        "       scae_bench read --file FILE.h5|FILE.h5ad [--layer L] [--repeat R]\n"
        "       scae_bench saliency [--cells N] [--genes G] [--hidden H] [--nodes K] [--density D] [--method M]\n"
        "                           [--threads T] [--repeat R] [--seed S] [--export PREFIX]\n"
        "       scae_bench annotate [--reference N] [--target N] [--dims D] [--types K] [--threads T] [--seed S] [--alignment A]\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string what = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (what == "train") return scae_bench::bench_train(args);
        if (what == "gemm") return scae_bench::bench_gemm(args);
        if (what == "gemm-scaling") return scae_bench::bench_gemm_scaling(args);
        if (what == "read") return scae_bench::bench_read(argc - 1, argv + 1);
        if (what == "saliency") return scae_bench::bench_saliency(args);
        if (what == "annotate") return scae_bench::bench_annotate(args);
    } catch (const scae::cli::UsageError& e) {
        std::cerr << "scae_bench " << what << ": " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "scae_bench " << what << ": " << e.what() << "\n";
        return 1;
    }
    std::cerr << usage;
    return 2;
}

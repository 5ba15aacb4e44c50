#pragma once
// Test helpers: where the real data and the fixtures live, and the CI rule
// that a missing dataset fails in CI (CI=true) and is a visible skip elsewhere.
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/data/simulate.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/train/train.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>
#include <doctest/doctest.h>

namespace scae_test {

inline std::string data_dir() {
    if (const char* env = std::getenv("SCAE_DATA_DIR"); env && *env) return env;
    return SCAE_DEFAULT_DATA_DIR;
}

inline std::string fixtures_dir() { return SCAE_FIXTURES_DIR; }

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

/// True when `relative` exists under the data directory. When it does not:
/// a failed check in CI, a printed skip message elsewhere.
inline bool have_data(const std::string& relative) {
    const auto path = std::filesystem::path(data_dir()) / relative;
    if (std::filesystem::exists(path)) return true;
    if (in_ci()) {
        FAIL_CHECK("real data missing in CI: " << path.string());
    } else {
        MESSAGE("SKIPPED (real data not found): " << path.string()
                << "; set SCAE_DATA_DIR to run this check");
    }
    return false;
}

/// A small autoencoder's settings: encoder layers `sizes` (the decoder mirrors them), defaults otherwise.
inline scae::nn::AutoencoderOptions small_architecture(std::vector<scae::Index> sizes) {
    scae::nn::AutoencoderOptions o;
    o.encoder_sizes = std::move(sizes);
    return o;
}

/// A short, silent training run: `epochs` epochs of minibatches of `batch` cells at learning rate 1e-2.
inline scae::train::TrainOptions quick_training(int epochs, int batch) {
    scae::train::TrainOptions t;
    t.epochs = epochs;
    t.batch_size = batch;
    t.learning_rate = 1e-2;
    return t;
}

/// Noise counts: each entry 0 with probability `zero_fraction`, else uniform in
/// lowest..lowest + values - 1. Deterministic for a seed.
inline scae::Csr<float> random_counts(scae::Index cells, scae::Index genes, std::uint64_t seed, double zero_fraction = 0.5,
                                      int lowest = 0, int values = 30) {
    scae::Rng rng(seed);
    scae::Matrix<float> m(cells, genes);
    for (scae::Index i = 0; i < m.size(); ++i)
        m.data()[i] = rng.uniform() < zero_fraction ? 0.0f : float(lowest + int(rng.below(std::uint64_t(values))));
    scae::Csr<float> counts = m.sparseView();
    counts.makeCompressed();
    return counts;
}

/// A gene set by name and member symbols, as the pathway tests build them.
struct NamedSet {
    std::string name;
    std::vector<std::string> genes;
};

/// A simulated tissue as the count matrix a reader would return.
inline scae::io::CountMatrix<float> as_counts(const scae::data::SimulatedTissue& t) {
    scae::io::CountMatrix<float> m;
    m.counts = t.counts;
    m.gene_ids = t.gene_ids;
    m.gene_symbols = t.gene_symbols;
    m.barcodes = t.barcodes;
    return m;
}

} // namespace scae_test

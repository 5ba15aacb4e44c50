#pragma once
/// @file reference_input.hpp
/// @brief What a model keeps of its training cells' input, so that it can stand in for genes a
/// target lacks (missing_genes.hpp) and say which nodes rest on them (node_support.hpp).
///
/// The model's input x (a cell's transformed counts over the model genes) is summarised by its
/// mean and a regularised covariance of low rank plus a diagonal,
///
///     Cov(x) ~ W W^T + diag(noise),   W = the top principal axes scaled by their spread,
///
/// which is all a Gaussian conditional expectation of the missing genes given the present ones
/// needs (Tipping and Bishop's probabilistic PCA with a per-gene residual, as in factor
/// analysis). It is small (genes x (components + 3) floats) and computed once, at training.

#include "scae/core/types.hpp"
#include "scae/eval/pca.hpp"
#include "scae/nn/input_transform.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace scae::transfer {

/// Summary of the training cells' model input (see the file comment). Empty in models trained
/// before format 1.2.
struct ReferenceInput {
    RowVector<float> mean;        ///< 1 x genes: mean transformed input of each model gene
    RowVector<float> count_share; ///< 1 x genes: each gene's mean share of a cell's counts over the model genes
    Matrix<float> loadings;       ///< genes x components: W, principal axes times the square root of their variance
    RowVector<float> noise;       ///< 1 x genes: each gene's variance not carried by W (regularised, positive)

    /// Whether the model holds no summary (trained before format 1.2).
    /// @return true when `mean` is empty
    bool empty() const { return mean.size() == 0; }
    /// Model genes summarised.
    /// @return the length of `mean`
    Index genes() const { return mean.size(); }
};

/// Settings of fit_reference_input().
struct ReferenceInputOptions {
    /// Principal axes kept (default 32, capped at cells - 1 and genes). More axes let present genes
    /// predict missing ones more closely; each costs one float per gene in the model file.
    Index components = 32;
    /// Floor of each gene's residual variance, as a share of its total variance (default 0.05): no
    /// gene is taken as perfectly predictable, which keeps the conditional expectation stable.
    double noise_floor = 0.05;
    std::uint64_t seed = 0; ///< the randomized PCA's test matrix
};

/// Summarises the model input of `counts` (cells x model genes, raw counts) under `transform`.
/// Linear in cells: one pass for the moments and a sparse randomized PCA.
/// @param counts  the training cells' raw counts over the model genes, compressed
/// @param transform  the model's input transform
/// @param options  axes kept, noise floor, seed
/// @return the summary (empty when `counts` has fewer than 2 cells)
template <class T>
ReferenceInput fit_reference_input(const Csr<T>& counts, const nn::InputTransform& transform, const ReferenceInputOptions& options = {}) {
    ReferenceInput r;
    const Index cells = counts.rows(), genes = counts.cols();
    if (cells < 2 || genes < 1) return r;
    std::vector<T> input(std::size_t(counts.nonZeros()));
    nn::transform_values(counts, transform, input.data());
    const int* outer = counts.outerIndexPtr();
    const int* inner = counts.innerIndexPtr();
    const T* values = counts.valuePtr();
    std::vector<double> sum(std::size_t(genes), 0.0), squares(std::size_t(genes), 0.0), share(std::size_t(genes), 0.0);
    Index counted = 0;
    for (Index c = 0; c < cells; ++c) {
        double total = 0;
        for (int p = outer[c]; p < outer[c + 1]; ++p) total += double(values[p]);
        if (total > 0) ++counted;
        for (int p = outer[c]; p < outer[c + 1]; ++p) {
            const double x = double(input[std::size_t(p)]);
            sum[std::size_t(inner[p])] += x;
            squares[std::size_t(inner[p])] += x * x;
            if (total > 0) share[std::size_t(inner[p])] += double(values[p]) / total;
        }
    }
    r.mean.resize(genes);
    r.count_share.resize(genes);
    std::vector<double> variance(static_cast<std::size_t>(genes));
    for (Index g = 0; g < genes; ++g) {
        const std::size_t i = std::size_t(g);
        const double mean = sum[i] / double(cells);
        r.mean(g) = float(mean);
        r.count_share(g) = float(share[i] / double(std::max<Index>(1, counted)));
        variance[i] = std::max(0.0, (squares[i] - double(cells) * mean * mean) / double(cells - 1));
    }
    eval::PcaOptions pca_options;
    pca_options.components = std::max<Index>(1, std::min({options.components, cells - 1, genes}));
    pca_options.seed = options.seed;
    const CsrView<T> view{cells, genes, outer, inner, input.data()};
    const eval::Pca pca = eval::fit_pca(view, pca_options);
    const Index k = pca.components.rows();
    r.loadings.resize(genes, k);
    for (Index a = 0; a < k; ++a) {
        const double spread = std::sqrt(std::max(0.0, pca.explained_variance(a)));
        for (Index g = 0; g < genes; ++g) r.loadings(g, a) = float(pca.components(a, g) * spread);
    }
    r.noise.resize(genes);
    double mean_variance = 0;
    for (double v : variance) mean_variance += v / double(genes);
    for (Index g = 0; g < genes; ++g) {
        const double v = variance[std::size_t(g)];
        const double carried = double(r.loadings.row(g).squaredNorm());
        r.noise(g) = float(std::max(v - carried, options.noise_floor * v + 1e-6 * mean_variance + 1e-12));
    }
    return r;
}

/// Mean Poisson deviance per cell between raw counts and a model's expected counts, over the
/// genes not `absent`: how badly the model reconstructs each cell. A type the model never saw is
/// reconstructed badly, whatever its place in the bottleneck (annotate.hpp's fit test).
/// @param counts  raw counts, cells x model genes
/// @param rates  the model's expected counts for the same cells
/// @param absent  model genes the data lack (empty: none), left out
/// @param out  receives one mean deviance per cell
template <class T>
void mean_cell_deviance(const Csr<T>& counts, const Matrix<T>& rates, const std::vector<bool>& absent, double* out) {
    const auto present = [&](Index g) { return absent.empty() || !absent[std::size_t(g)]; };
    Index scored = 0;
    for (Index g = 0; g < counts.cols(); ++g) scored += present(g);
    for (Index r = 0; r < counts.rows(); ++r) {
        double d = 0; // the y = 0 terms, 2 mu, for every gene; corrected at the counts below
        for (Index g = 0; g < counts.cols(); ++g)
            if (present(g)) d += 2 * double(rates(r, g));
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            if (!present(it.col())) continue;
            const double y = it.value(), mu = std::max(double(rates(r, it.col())), 1e-8);
            d += 2 * (y * std::log(y / mu) - y);
        }
        out[r] = d / double(std::max<Index>(1, scored));
    }
}

} // namespace scae::transfer

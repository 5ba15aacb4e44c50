#pragma once
/// @file summary.hpp
/// @brief Per node and gene, the mean |saliency| and the signed mean over all cells or over
/// groups of cells, in one pass whose memory does not grow with the number of cells.

#include "scae/interpret/node_saliency.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace scae::interpret {

/// Every node's saliency averaged over one group of cells.
struct SaliencySummary {
    Matrix<double> mean_abs; ///< nodes x genes: mean over the cells of |saliency|
    Matrix<double> mean;     ///< nodes x genes: mean over the cells of the signed saliency
    Index cells = 0;         ///< cells averaged
};

/// Running sums behind SaliencySummary, fed block by block with NodeSaliency's gene-major blocks.
class SummarySums {
public:
    /// Sums for `groups` groups of cells, `nodes` nodes and `genes` genes.
    SummarySums(int groups, Index nodes, Index genes)
        : abs_(std::size_t(groups), Matrix<double>::Zero(genes, nodes)),
          signed_(std::size_t(groups), Matrix<double>::Zero(genes, nodes)), cells_(std::size_t(groups), 0) {}

    /// Adds a gene-major block of all nodes (genes x (n * nodes), column c * nodes + k) for n
    /// cells whose groups are `group[0..n)` (-1: the cell belongs to no group).
    template <class T>
    void add(const Matrix<T>& block, Index n, const int* group) {
        const Index nodes = abs_.front().cols();
        for (Index c = 0; c < n; ++c)
            if (group[c] >= 0) ++cells_[std::size_t(group[c])];
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (block.size() > 65536)
#endif
        for (Index g = 0; g < block.rows(); ++g) {
            const T* row = block.row(g).data();
            for (Index c = 0; c < n; ++c) {
                if (group[c] < 0) continue;
                double* a = abs_[std::size_t(group[c])].row(g).data();
                double* s = signed_[std::size_t(group[c])].row(g).data();
                for (Index k = 0; k < nodes; ++k) {
                    const double v = double(row[c * nodes + k]);
                    a[k] += std::abs(v);
                    s[k] += v;
                }
            }
        }
    }

    /// The means so far, one summary per group (nodes x genes).
    std::vector<SaliencySummary> summaries() const {
        std::vector<SaliencySummary> out(abs_.size());
        for (std::size_t q = 0; q < abs_.size(); ++q) {
            const double scale = cells_[q] > 0 ? 1.0 / double(cells_[q]) : 0.0;
            out[q].mean_abs = abs_[q].transpose() * scale;
            out[q].mean = signed_[q].transpose() * scale;
            out[q].cells = cells_[q];
        }
        return out;
    }

private:
    std::vector<Matrix<double>> abs_, signed_; // per group: genes x nodes
    std::vector<Index> cells_;
};

/// Summarises every bottleneck node's saliency over the cells of raw `counts`, block by block
/// (memory: one block of options.block_cells x nodes x genes values plus the sums).
/// `group[c]` in [0, G) puts cell c in group `group[c]` and -1 leaves it out; the result has
/// one summary per group 0..G-1. An empty `group` makes one group of all cells.
/// Throws scae::Error when `group` has the wrong length.
template <class T>
std::vector<SaliencySummary> summarize_node_saliency(const nn::Autoencoder<T>& model, const Csr<T>& counts,
                                                     const SaliencyOptions& options = {}, std::vector<int> group = {}) {
    if (group.empty()) group.assign(std::size_t(counts.rows()), 0);
    if (Index(group.size()) != counts.rows())
        throw Error("summarize_node_saliency: " + std::to_string(group.size()) + " group labels for " +
                    std::to_string(counts.rows()) + " cells");
    const int groups = group.empty() ? 1 : std::max(1, *std::max_element(group.begin(), group.end()) + 1);
    NodeSaliency<T> saliency(model, counts, options);
    SummarySums sums(groups, saliency.nodes(), saliency.genes());
    Matrix<T> block;
    for (Index first = 0; first < saliency.cells(); first += options.block_cells) {
        const Index n = std::min(options.block_cells, saliency.cells() - first);
        saliency.compute(first, n, 0, saliency.nodes(), block);
        sums.add(block, n, group.data() + first);
    }
    return sums.summaries();
}

} // namespace scae::interpret

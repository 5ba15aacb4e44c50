#pragma once
/// @file summary.hpp
/// @brief Per node and gene, the mean |saliency|, the signed mean and the activity-weighted
/// signed mean over all cells or over groups of cells, in one pass whose memory does not grow
/// with the number of cells.

#include "scae/core/parallelize.hpp"
#include "scae/interpret/node_saliency.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace scae::interpret {

/// Every node's saliency averaged over one group of cells.
struct SaliencySummary {
    Matrix<double> mean_abs; ///< nodes x genes: mean over the cells of |saliency|
    Matrix<double> mean;     ///< nodes x genes: mean over the cells of the signed saliency
    /// nodes x genes: the signed saliency averaged with each cell's weight for the node (empty
    /// without weights). With activity_weights() it is what raises the node where it is raised.
    Matrix<double> weighted;
    RowVector<double> weight;  ///< per node: the sum of the weights behind `weighted`
    Index cells = 0;         ///< cells averaged
};

/// Summarises `saliency` over each group of cells: `group[c]` in [0, groups) puts input row c
/// in that group, -1 leaves it out; the result has one summary per group. Each group's cells
/// are taken `block_cells` at a time; threads share a block's nodes, and each node's sums
/// have one writer and a fixed order, so the result does not depend on the thread count.
/// Memory: the block's gradients plus one block_cells x genes map per thread. `weights`
/// (optional, cells x nodes, non-negative) also fills SaliencySummary::weighted.
/// Throws scae::Error when `group` or `weights` has the wrong shape or a label is outside [-1, groups).
/// @param saliency  the prepared saliency of the cells
/// @param group  one entry per input row: its group, or -1
/// @param groups  number of groups
/// @param block_cells  cells per block (at least 1)
/// @param weights  each cell's weight per node, or empty for none
/// @return `groups` summaries; an empty group's are zeros with `cells` 0
/// @throws Error for `block_cells` below 1 (and the shapes above)
template <class T>
std::vector<SaliencySummary> summarize_node_saliency(const NodeSaliency<T>& saliency, const std::vector<int>& group, int groups,
                                                     Index block_cells, const Matrix<double>& weights = {}) {
    if (Index(group.size()) != saliency.cells())
        throw Error("summarize_node_saliency: " + std::to_string(group.size()) + " group labels for " +
                    std::to_string(saliency.cells()) + " cells");
    if (block_cells < 1) throw Error("summarize_node_saliency: block_cells must be at least 1");
    const bool weighted = weights.size() > 0;
    if (weighted && (weights.rows() != saliency.cells() || weights.cols() != saliency.nodes()))
        throw Error("summarize_node_saliency: weights are " + std::to_string(weights.rows()) + " x " + std::to_string(weights.cols()) +
                    ", expected cells x nodes (" + std::to_string(saliency.cells()) + " x " + std::to_string(saliency.nodes()) + ")");
    std::vector<std::vector<Index>> members(std::size_t(std::max(groups, 0)));
    for (std::size_t c = 0; c < group.size(); ++c) {
        if (group[c] < -1 || group[c] >= groups)
            throw Error("summarize_node_saliency: group label " + std::to_string(group[c]) + " outside [-1, " + std::to_string(groups) + ")");
        if (group[c] >= 0) members[std::size_t(group[c])].push_back(Index(c));
    }
    const Index nodes = saliency.nodes(), genes = saliency.genes();
    std::vector<SaliencySummary> out(members.size());
    for (SaliencySummary& summary : out) {
        summary.mean_abs = summary.mean = Matrix<double>::Zero(nodes, genes);
        if (weighted) {
            summary.weighted = summary.mean;
            summary.weight = RowVector<double>::Zero(nodes);
        }
    }
    // Each block's gradients are computed once for all nodes (the ops inside split their own
    // work over threads); then the threads share the block's nodes, each with its own buffers.
    struct Buffers {
        MapScratch<T> scratch;
        Matrix<T> map;
        RowVector<T> block_abs, block_sum, block_weighted;
    };
    std::vector<Buffers> buffers(static_cast<std::size_t>(parallel_threads(nodes)));
    NodeGradients<T> gradients;
    for (std::size_t q = 0; q < members.size(); ++q) {
        const Index cells = Index(members[q].size());
        for (Index first = 0; first < cells; first += block_cells) {
            const Index n = std::min(block_cells, cells - first);
            saliency.gradients({members[q].begin() + first, members[q].begin() + first + n}, 0, nodes, gradients);
            parallelize([&](int thread, Index start, Index length) {
                Buffers& b = buffers[std::size_t(thread)];
                for (Index k = start; k < start + length; ++k) {
                    saliency.map(gradients, k, b.map, b.scratch);
                    b.block_abs.setZero(genes);
                    b.block_sum.setZero(genes);
                    for (Index c = 0; c < n; ++c) {
                        b.block_abs += b.map.row(c).cwiseAbs();
                        b.block_sum += b.map.row(c);
                    }
                    out[q].mean_abs.row(k) += b.block_abs.template cast<double>();
                    out[q].mean.row(k) += b.block_sum.template cast<double>();
                    if (!weighted) continue;
                    b.block_weighted.setZero(genes);
                    for (Index c = 0; c < n; ++c) {
                        const double w = weights(gradients.cells[std::size_t(c)], k);
                        if (w == 0) continue;
                        b.block_weighted += T(w) * b.map.row(c);
                        out[q].weight(k) += w;
                    }
                    out[q].weighted.row(k) += b.block_weighted.template cast<double>();
                }
            }, nodes);
        }
    }
    for (std::size_t q = 0; q < out.size(); ++q) { // sums to means
        out[q].cells = Index(members[q].size());
        const double scale = out[q].cells > 0 ? 1.0 / double(out[q].cells) : 0.0;
        out[q].mean_abs *= scale;
        out[q].mean *= scale;
        for (Index k = 0; weighted && k < nodes; ++k)
            out[q].weighted.row(k) *= out[q].weight(k) > 0 ? 1.0 / out[q].weight(k) : 0.0;
    }
    return out;
}

/// Summarises every bottleneck node's saliency over the cells of raw `counts`, block by block.
/// `group[c]` in [0, G) puts cell c in group `group[c]` and -1 leaves it out; the result has
/// one summary per group 0..G-1. An empty `group` makes one group of all cells.
/// Throws scae::Error when `group` has the wrong length or there are no cells.
/// @param model  the trained model
/// @param counts  raw counts, cells x genes in model gene order
/// @param options  method, baseline, steps, block size and threads
/// @param group  one entry per cell: its group, or -1; empty for one group of all cells
/// @return one summary per group, 0 to the largest entry of `group`
template <class T>
std::vector<SaliencySummary> summarize_node_saliency(const nn::Autoencoder<T>& model, const Csr<T>& counts,
                                                     const SaliencyOptions& options = {}, std::vector<int> group = {}) {
    const ThreadScope thread_scope(options.threads);
    if (group.empty()) group.assign(std::size_t(counts.rows()), 0);
    if (counts.rows() == 0) throw Error("summarize_node_saliency: no cells to summarise");
    const int groups = std::max(1, *std::max_element(group.begin(), group.end()) + 1);
    return summarize_node_saliency(NodeSaliency<T>(model, counts, options), group, groups, options.block_cells);
}

/// The summary of the union of disjoint groups, from theirs.
/// @param parts  summaries of disjoint groups of the same nodes and genes
/// @return their cell-weighted (for `weighted`, weight-weighted) mean
inline SaliencySummary pool_summaries(const std::vector<SaliencySummary>& parts) {
    SaliencySummary all;
    for (const SaliencySummary& part : parts) {
        if (all.mean_abs.size() == 0) {
            all.mean_abs = Matrix<double>::Zero(part.mean_abs.rows(), part.mean_abs.cols());
            all.mean = all.mean_abs;
        }
        all.mean_abs += part.mean_abs * double(part.cells);
        all.mean += part.mean * double(part.cells);
        all.cells += part.cells;
        if (part.weighted.size() == 0) continue;
        if (all.weighted.size() == 0) {
            all.weighted = Matrix<double>::Zero(part.weighted.rows(), part.weighted.cols());
            all.weight = RowVector<double>::Zero(part.weight.size());
        }
        all.weighted += part.weight.asDiagonal() * part.weighted;
        all.weight += part.weight;
    }
    if (all.cells > 0) {
        all.mean_abs /= double(all.cells);
        all.mean /= double(all.cells);
    }
    for (Index k = 0; k < all.weight.size(); ++k) all.weighted.row(k) *= all.weight(k) > 0 ? 1.0 / all.weight(k) : 0.0;
    return all;
}

} // namespace scae::interpret

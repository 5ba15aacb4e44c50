#pragma once
/// @file node_calls.hpp
/// @brief The table a biologist reads first: for each labelled group of cells, the node that
/// marks it best and what that node is called.
///
/// For each group: its best node (the highest AUC of activation, group against the other
/// labelled cells; NodeActivity), that node's top set (highest z) with its z and q, the next
/// sets by z, and the node's top genes by the attribution the scores rank (top_genes()).

#include "scae/interpret/pathways.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace scae::interpret {

/// Node `k`'s `top` genes (columns), largest first, by the attribution its set scores use:
/// with activity weighting, the activity-weighted signed attribution (the genes that raise the
/// node where it is raised; the gene scale of PathwayOptions::normalize_genes is left out, as it
/// only makes sets comparable across nodes); with uniform weighting, mean |saliency| times the
/// gene's standard deviation of the model input (the node's first-order change for a one-sd
/// change of the gene: saliency alone is per unit of input, so it would rank first the genes the
/// data hardly moves). Throws scae::Error when the result lacks what this needs.
/// @param r  the result of score_pathways()
/// @param k  the node, from 0
/// @param top  most genes to return (fewer when the model has fewer)
/// @return gene columns, largest attribution first (ties by column)
inline std::vector<Index> top_genes(const PathwayResult& r, Index k, std::size_t top) {
    const bool weighted = r.weighting == CellWeighting::activity;
    const Matrix<double>& values = weighted ? r.summary.weighted : r.summary.mean_abs;
    if (k < 0 || k >= values.rows()) throw Error("top_genes: node " + std::to_string(k) + " out of range");
    if (!weighted && r.input_sd.size() != values.cols())
        throw Error("top_genes: the result has no input standard deviation for each of its " + std::to_string(values.cols()) + " genes");
    const auto value = [&](Index g) { return weighted ? values(k, g) : values(k, g) * r.input_sd(g); };
    std::vector<Index> order(std::size_t(values.cols()));
    std::iota(order.begin(), order.end(), Index(0));
    const std::size_t shown = std::min(top, order.size());
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(shown), order.end(),
                      [&](Index a, Index b) { return value(a) > value(b) || (value(a) == value(b) && a < b); });
    order.resize(shown);
    return order;
}

/// One group's call.
struct NodeCall {
    std::string group;              ///< the group's label
    Index cells = 0;                ///< its analysed cells
    Index node = -1;                ///< the node with the highest AUC for the group
    double auc = 0;                 ///< that AUC
    bool silent = false;            ///< the node is silent (then q is NaN)
    std::vector<Index> sets;        ///< the node's top sets by z (columns of the result), best first
    std::vector<Index> genes;       ///< the node's top genes (top_genes())
};

/// Settings of node_calls().
struct NodeCallOptions {
    std::size_t sets = 3;  ///< sets per call: the top one and the next (default 3)
    std::size_t genes = 10; ///< top genes per call (default 10)
};

/// Every group's call, in the order of r.activity.groups (empty without groups).
/// @param r  the result of score_pathways(), with groups
/// @param options  sets and genes per call
/// @return one call per group; a lone group gets node -1 and no sets or genes
inline std::vector<NodeCall> node_calls(const PathwayResult& r, const NodeCallOptions& options = {}) {
    std::vector<NodeCall> calls;
    const NodeActivity& a = r.activity;
    for (Index g = 0; g < a.auc.rows(); ++g) {
        NodeCall call;
        call.group = a.groups[std::size_t(g)];
        call.cells = a.cells[std::size_t(g)];
        for (Index k = 0; k < a.auc.cols(); ++k)
            if (std::isfinite(a.auc(g, k)) && (call.node < 0 || a.auc(g, k) > call.auc)) {
                call.node = k;
                call.auc = a.auc(g, k);
            }
        if (call.node < 0) { // one group only: no other cells to tell it from
            calls.push_back(call);
            continue;
        }
        call.silent = std::find(r.silent.begin(), r.silent.end(), call.node) != r.silent.end();
        std::vector<Index> order(std::size_t(r.z.cols()));
        std::iota(order.begin(), order.end(), Index(0));
        const auto z = [&](Index j) { return std::isnan(r.z(call.node, j)) ? -std::numeric_limits<double>::infinity() : r.z(call.node, j); };
        const std::size_t shown = std::min(options.sets, order.size());
        std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(shown), order.end(),
                          [&](Index x, Index y) { return z(x) > z(y) || (z(x) == z(y) && x < y); });
        call.sets.assign(order.begin(), order.begin() + std::ptrdiff_t(shown));
        call.genes = top_genes(r, call.node, options.genes);
        calls.push_back(std::move(call));
    }
    return calls;
}

} // namespace scae::interpret

#pragma once
/// @file node_activity.hpp
/// @brief Which groups of cells (cell types) activate each bottleneck node: what ties a node's
/// pathways to the cells it stands for.
///
/// For each group and node: the node's mean activation on the group's cells, on the other
/// labelled cells, and the AUC of the activation for telling the group from the rest (the
/// chance that a group cell activates the node more than another cell; 1 means every group cell
/// does). Unlabelled cells ("") take no part.

#include "scae/core/error.hpp"
#include "scae/data/normalize.hpp"
#include "scae/interpret/statistics.hpp"

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace scae::interpret {

/// Each node's activation per group of cells; see the file comment. Matrices are groups x nodes.
struct NodeActivity {
    std::vector<std::string> groups; ///< labels, in order of first appearance
    std::vector<Index> cells;        ///< cells per group
    Matrix<double> mean_group;       ///< mean activation on the group's cells
    Matrix<double> mean_rest;        ///< mean activation on the other labelled cells
    Matrix<double> auc;              ///< AUC of group vs rest (NaN when there is no other cell)
};

namespace detail {

/// The labels' distinct values in order of first appearance ("" is no group), and each cell's index.
inline std::vector<std::string> group_index(const std::vector<std::string>& labels, std::vector<int>& index) {
    std::vector<std::string> names;
    std::map<std::string, int> seen;
    index.assign(labels.size(), -1);
    for (std::size_t c = 0; c < labels.size(); ++c) {
        if (labels[c].empty()) continue;
        const auto [it, fresh] = seen.emplace(labels[c], int(names.size()));
        if (fresh) names.push_back(labels[c]);
        index[c] = it->second;
    }
    return names;
}

} // namespace detail

/// Activity of every node of `latent` (cells x nodes, e.g. Autoencoder::encode) per group of
/// `labels` (one per cell, "" for none). Throws scae::Error when the lengths differ.
/// @param latent  activations, cells x nodes
/// @param labels  one group label per cell, "" for none
/// @return the groups' activity; no groups when no cell is labelled
template <class T>
NodeActivity node_activity(const Matrix<T>& latent, const std::vector<std::string>& labels) {
    if (Index(labels.size()) != latent.rows())
        throw Error("node_activity: " + std::to_string(labels.size()) + " labels for " + std::to_string(latent.rows()) + " cells");
    NodeActivity a;
    std::vector<int> group_of;
    a.groups = detail::group_index(labels, group_of);
    const Index groups = Index(a.groups.size()), nodes = latent.cols();
    std::vector<Index> labelled;
    a.cells.assign(a.groups.size(), 0);
    for (std::size_t c = 0; c < group_of.size(); ++c)
        if (group_of[c] >= 0) {
            labelled.push_back(Index(c));
            ++a.cells[std::size_t(group_of[c])];
        }
    a.mean_group.setZero(groups, nodes);
    a.mean_rest = a.auc = a.mean_group;
    // Each group's positions among the labelled cells: the AUC is then the rank AUC of those
    // positions in the node's ranking, and one ranking per node serves every group.
    std::vector<std::vector<Index>> members(a.groups.size());
    for (std::size_t i = 0; i < labelled.size(); ++i) members[std::size_t(group_of[std::size_t(labelled[i])])].push_back(Index(i));
    std::vector<double> values(labelled.size());
    for (Index k = 0; k < nodes; ++k) {
        double total = 0;
        for (std::size_t i = 0; i < labelled.size(); ++i) total += values[i] = double(latent(labelled[i], k));
        const std::vector<double> ranks = mid_ranks(values);
        for (Index g = 0; g < groups; ++g) {
            double sum = 0;
            for (Index i : members[std::size_t(g)]) sum += values[std::size_t(i)];
            const double n = double(a.cells[std::size_t(g)]), rest = double(labelled.size()) - n;
            a.mean_group(g, k) = sum / n;
            a.mean_rest(g, k) = rest > 0 ? (total - sum) / rest : std::numeric_limits<double>::quiet_NaN();
            a.auc(g, k) = set_rank_auc(ranks, members[std::size_t(g)]);
        }
    }
    return a;
}

/// Each node's standard deviation of activation over the cells of `latent` (cells x nodes).
/// @param latent  activations, cells x nodes
/// @return 1 x nodes sample standard deviations (zeros for fewer than two cells)
template <class T>
RowVector<double> activation_sd(const Matrix<T>& latent) {
    const Index n = latent.rows();
    if (n < 2) return RowVector<double>::Zero(latent.cols());
    const Matrix<Double<T>> x = latent.template cast<double>();
    const RowVector<Double<T>> mean = x.colwise().mean();
    return ((x.rowwise() - mean).array().square().colwise().sum() / double(n - 1)).sqrt().matrix();
}

/// Each cell's weight for each node (cells x nodes): how far the cell raises the node above its
/// mean over the cells, max(0, activation - mean), from Autoencoder::encode (`latent`). Averaging
/// attributions with these weights explains what raises a node where it is raised (the cells it
/// stands for), rather than its small wobble in the cells it ignores.
/// @param latent  activations, cells x nodes
/// @return the weights, cells x nodes, each 0 or more
template <class T>
Matrix<double> activity_weights(const Matrix<T>& latent) {
    const Matrix<Double<T>> x = latent.template cast<double>();
    if (x.rows() == 0) return x;
    const RowVector<Double<T>> mean = x.colwise().mean();
    return (x.rowwise() - mean).cwiseMax(0.0);
}

/// How far each gene's model input stands from its mean in the cells that raise each node: the
/// mean input weighted by activity_weights() minus the mean over all cells. Positive where the
/// gene is up in the node's cells, negative where it is down there: it tells a set whose presence
/// raises a node from one whose absence does, which a signed attribution alone does not (a gene
/// that lowers the node and is missing from its cells has a positive attribution too).
/// @param input    the model input of the cells, cells x genes
/// @param weights  activity_weights() of the same cells, cells x nodes
/// @return nodes x genes; a node that no cell raises gets zeros
/// @throws Error when `weights` has another number of cells than `input`
template <class T>
Matrix<double> input_shift(const Csr<T>& input, const Matrix<double>& weights) {
    if (weights.rows() != input.rows())
        throw Error("input_shift: weights for " + std::to_string(weights.rows()) + " cells, input of " + std::to_string(input.rows()));
    // One pass over the stored entries: each gene's weighted sums (a row of genes x nodes) and sum.
    Matrix<double> sums = Matrix<double>::Zero(input.cols(), weights.cols());
    Vector<double> plain = Vector<double>::Zero(input.cols());
    for (Index c = 0; c < input.rows(); ++c)
        for (typename Csr<T>::InnerIterator it(input, c); it; ++it) {
            sums.row(it.col()) += double(it.value()) * weights.row(c);
            plain(it.col()) += double(it.value());
        }
    Matrix<double> shift(weights.cols(), input.cols());
    for (Index k = 0; k < shift.rows(); ++k) {
        const double total = weights.col(k).sum();
        if (total > 0 && input.rows() > 0) shift.row(k) = (sums.col(k) / total - plain / double(input.rows())).transpose();
        else shift.row(k).setZero();
    }
    return shift;
}

/// The nodes whose activation hardly varies over the cells: standard deviation below `fraction`
/// of the median node's. A softplus node pushed far below zero on every cell is such a node; it
/// carries almost nothing about these cells, so its pathways say little about them, whatever
/// their statistics. On PBMC the silent nodes of two models had at most 0.93% of the median sd
/// and the others at least 33%, hence the default 5%.
///
/// A node that marks a group of cells is never silent, however small its spread: a node that only
/// the cells of a rare type raise has a small standard deviation over all cells (on PBMC x mouse
/// immune cells the granulocyte node, AUC 1.00, was at 1% of the median sd). With `activity`
/// (groups given), a node whose AUC for some group is at least `marker_auc` is kept.
/// @param sd  each node's standard deviation of activation (activation_sd())
/// @param fraction  of the median node's sd below which a node is silent (default 0.05)
/// @param activity  the groups' activity (node_activity()), or nullptr for no groups; not owned
/// @param marker_auc  AUC for some group at which a node is kept whatever its sd (default 0.9)
/// @return the silent nodes, ascending
inline std::vector<Index> silent_nodes(const RowVector<double>& sd, double fraction = 0.05, const NodeActivity* activity = nullptr,
                                       double marker_auc = 0.9) {
    if (sd.size() == 0) return {};
    const double median = data::median(std::vector<double>(sd.data(), sd.data() + sd.size()));
    std::vector<Index> out;
    for (Index k = 0; k < sd.size(); ++k) {
        if (!(sd(k) < fraction * median)) continue;
        bool marks = false;
        for (Index g = 0; activity && k < activity->auc.cols() && g < activity->auc.rows(); ++g) marks = marks || activity->auc(g, k) >= marker_auc;
        if (!marks) out.push_back(k);
    }
    return out;
}

/// The group that activates node `k` most (highest AUC) when that AUC is at least `min_auc`,
/// otherwise "".
/// @param a  the groups' activity (node_activity())
/// @param k  the node, a column of `a.auc`
/// @param min_auc  AUC a group needs
/// @return the group's label, or ""
inline std::string most_active_group(const NodeActivity& a, Index k, double min_auc) {
    Index best = -1;
    for (Index g = 0; g < a.auc.rows(); ++g)
        if (a.auc(g, k) >= min_auc && (best < 0 || a.auc(g, k) > a.auc(best, k))) best = g;
    return best < 0 ? std::string() : a.groups[std::size_t(best)];
}

} // namespace scae::interpret

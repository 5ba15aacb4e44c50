#pragma once
/// @file pathway_report.hpp
/// @brief The files of a pathway analysis: the long table of node x set statistics, each
/// node's top genes, the group contrasts, and a heatmap of nodes x pathways.

#include "scae/interpret/node_calls.hpp"
#include "scae/report/heatmap_svg.hpp"
#include "scae/report/tsv.hpp"
#include "scae/report/write_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

namespace scae::interpret {

/// What the report shows.
struct PathwayReportOptions {
    std::size_t top_genes = 20; ///< genes per node in the top-genes table (default 20)
    double alpha = 0.05;        ///< a pair is a significant call when q < alpha (default 0.05)
    /// With groups, the heatmap names each node after the group that activates it most, when
    /// that group's AUC (NodeActivity) is at least this (default 0.8).
    double activity_auc = 0.8;
};

/// The long table: one line per node and set with `node, set, score, z, p, q, n_genes,
/// permutations, description` (nodes numbered from 0, as Target::node counts them).
inline std::string pathway_scores_tsv(const PathwayResult& r) {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(std::size_t(r.score.size()));
    for (Index k = 0; k < r.score.rows(); ++k)
        for (Index j = 0; j < r.score.cols(); ++j)
            rows.push_back({std::to_string(k), r.sets[std::size_t(j)].name, report::tsv_number(r.score(k, j)),
                            report::tsv_number(r.z(k, j)), report::tsv_number(r.p(k, j)), report::tsv_number(r.q(k, j)),
                            std::to_string(r.sets[std::size_t(j)].genes.size()), std::to_string(r.permutations(k, j)),
                            r.sets[std::size_t(j)].description});
    return report::tsv_text({"node", "set", "score", "z", "p", "q", "n_genes", "permutations", "description"}, rows);
}

/// Each node's `top` genes (top_genes()): `node, rank, gene, attribution, sd_scaled_saliency,
/// mean_abs_saliency, mean_saliency, input_sd` (rank from 1), where attribution is the
/// activity-weighted signed attribution (NaN with uniform weighting) and sd_scaled_saliency
/// is mean |saliency| times input_sd. `gene_symbols` names the model's genes.
inline std::string top_genes_tsv(const PathwayResult& r, const std::vector<std::string>& gene_symbols, std::size_t top) {
    const Matrix<double>& abs = r.summary.mean_abs;
    if (Index(gene_symbols.size()) != abs.cols())
        throw Error("top_genes_tsv: " + std::to_string(gene_symbols.size()) + " gene symbols for " + std::to_string(abs.cols()) + " genes");
    std::vector<std::vector<std::string>> rows;
    for (Index k = 0; k < abs.rows(); ++k) {
        const std::vector<Index> genes = top_genes(r, k, top);
        for (std::size_t i = 0; i < genes.size(); ++i) {
            const Index g = genes[i];
            const double attribution =
                r.summary.weighted.size() > 0 ? r.summary.weighted(k, g) : std::numeric_limits<double>::quiet_NaN();
            rows.push_back({std::to_string(k), std::to_string(i + 1), gene_symbols[std::size_t(g)], report::tsv_number(attribution),
                            report::tsv_number(abs(k, g) * r.input_sd(g)), report::tsv_number(abs(k, g)),
                            report::tsv_number(r.summary.mean(k, g)), report::tsv_number(r.input_sd(g))});
        }
    }
    return report::tsv_text({"node", "rank", "gene", "attribution", "sd_scaled_saliency", "mean_abs_saliency", "mean_saliency", "input_sd"}, rows);
}

/// The node calls (node_calls()): `group, cells, node, auc, top_set, z, p, q, second_set,
/// second_z, third_set, third_z, top_genes` (genes comma-separated; silent nodes have q NaN).
inline std::string node_calls_tsv(const PathwayResult& r, const std::vector<NodeCall>& calls, const std::vector<std::string>& gene_symbols) {
    std::vector<std::vector<std::string>> rows;
    const std::string nan = report::tsv_number(std::numeric_limits<double>::quiet_NaN());
    for (const NodeCall& c : calls) {
        std::vector<std::string> row{c.group, std::to_string(c.cells), c.node < 0 ? "" : std::to_string(c.node), report::tsv_number(c.auc)};
        for (std::size_t i = 0; i < 3; ++i) {
            const bool has = i < c.sets.size();
            row.push_back(has ? r.sets[std::size_t(c.sets[i])].name : "");
            row.push_back(has ? report::tsv_number(r.z(c.node, c.sets[i])) : nan);
            if (i == 0) {
                row.push_back(has ? report::tsv_number(r.p(c.node, c.sets[i])) : nan);
                row.push_back(has ? report::tsv_number(r.q(c.node, c.sets[i])) : nan);
            }
        }
        std::string genes;
        for (Index g : c.genes) genes += (genes.empty() ? "" : ",") + gene_symbols.at(std::size_t(g));
        row.push_back(genes);
        rows.push_back(std::move(row));
    }
    return report::tsv_text({"group", "cells", "node", "auc", "top_set", "z", "p", "q", "second_set", "second_z", "third_set",
                             "third_z", "top_genes"},
                            rows);
}

/// The group contrasts: `group, cells, node, set, score_group, score_rest, difference`.
inline std::string contrasts_tsv(const PathwayResult& r) {
    std::vector<std::vector<std::string>> rows;
    for (const GroupContrast& g : r.contrasts)
        for (Index k = 0; k < g.in_group.rows(); ++k)
            for (Index j = 0; j < g.in_group.cols(); ++j)
                rows.push_back({g.group, std::to_string(g.cells), std::to_string(k), r.sets[std::size_t(j)].name,
                                report::tsv_number(g.in_group(k, j)), report::tsv_number(g.rest(k, j)),
                                report::tsv_number(g.in_group(k, j) - g.rest(k, j))});
    return report::tsv_text({"group", "cells", "node", "set", "score_group", "score_rest", "difference"}, rows);
}

/// Which groups activate each node (PathwayResult::activity): `group, cells, node, mean_group,
/// mean_rest, auc`.
inline std::string node_activity_tsv(const PathwayResult& r) {
    const NodeActivity& a = r.activity;
    std::vector<std::vector<std::string>> rows;
    for (Index g = 0; g < a.auc.rows(); ++g)
        for (Index k = 0; k < a.auc.cols(); ++k)
            rows.push_back({a.groups[std::size_t(g)], std::to_string(a.cells[std::size_t(g)]), std::to_string(k),
                            report::tsv_number(a.mean_group(g, k)), report::tsv_number(a.mean_rest(g, k)),
                            report::tsv_number(a.auc(g, k))});
    return report::tsv_text({"group", "cells", "node", "mean_group", "mean_rest", "auc"}, rows);
}

/// The score of every node for each pathway standardised across the nodes (mean 0, sd 1 per
/// column), so that pathways of different typical saliency share one colour scale.
inline Matrix<double> scale_per_pathway(const Matrix<double>& score) {
    Matrix<double> out = score;
    const double nodes = double(score.rows());
    for (Index j = 0; j < score.cols(); ++j) {
        const double mean = score.col(j).mean();
        const double sd = nodes > 1 ? std::sqrt((score.col(j).array() - mean).square().sum() / (nodes - 1)) : 0.0;
        out.col(j) = (score.col(j).array() - mean) / (sd > 0 ? sd : 1.0);
    }
    return out;
}

/// The collection prefix, up to and including the first '_', that every one of two or more
/// `labels` starts with and outgrows ("HALLMARK_" for MSigDB Hallmark names), or "".
inline std::string shared_label_prefix(const std::vector<std::string>& labels) {
    if (labels.size() < 2) return "";
    const std::size_t end = labels.front().find('_');
    if (end == std::string::npos) return "";
    for (const std::string& label : labels)
        if (label.size() <= end + 1 || label.compare(0, end + 1, labels.front(), 0, end + 1) != 0) return "";
    return labels.front().substr(0, end + 1);
}

/// The heatmap of nodes x pathways: each score over the mean score of its random sets (so that
/// nodes of small overall saliency compare fairly), then scaled per pathway (scale_per_pathway);
/// only nodes and pathways with at least one call q < alpha (all of them when there is none, as
/// the title then says), significant calls marked. Nodes are ordered by the pathway they score highest
/// on, so that associations line up along a diagonal. With groups, a node is named after the
/// group that activates it most (options.activity_auc), and a silent node (PathwayResult::silent)
/// is called so. A collection prefix every shown set name shares ("HALLMARK_") is said once, in
/// the title.
inline std::string pathway_heatmap_svg(const PathwayResult& r, const PathwayReportOptions& options = {}) {
    const Matrix<double> over_null = r.null_mean.size() == r.score.size()
                                         ? Matrix<double>(r.score.cwiseQuotient(r.null_mean.cwiseMax(1e-300)))
                                         : r.score;
    const Matrix<double> scaled = scale_per_pathway(over_null);
    const auto significant = [&](Index k, Index j) { return r.q(k, j) < options.alpha; };
    std::vector<Index> rows, cols;
    for (Index k = 0; k < r.score.rows(); ++k)
        for (Index j = 0; j < r.score.cols(); ++j)
            if (significant(k, j)) {
                rows.push_back(k);
                break;
            }
    for (Index j = 0; j < r.score.cols(); ++j)
        for (Index k = 0; k < r.score.rows(); ++k)
            if (significant(k, j)) {
                cols.push_back(j);
                break;
            }
    const bool none = rows.empty();
    if (none) {
        rows.resize(std::size_t(r.score.rows()));
        std::iota(rows.begin(), rows.end(), Index(0));
        cols.resize(std::size_t(r.score.cols()));
        std::iota(cols.begin(), cols.end(), Index(0));
    }
    // Diagonal order: by the position of each node's best shown pathway, then by that value.
    std::vector<std::pair<std::size_t, double>> best(std::size_t(r.score.rows()), {0, 0.0});
    for (Index k : rows) {
        std::size_t at = 0;
        for (std::size_t c = 1; c < cols.size(); ++c)
            if (scaled(k, cols[c]) > scaled(k, cols[at])) at = c;
        best[std::size_t(k)] = {at, scaled(k, cols[at])};
    }
    std::stable_sort(rows.begin(), rows.end(), [&](Index a, Index b) {
        const auto& x = best[std::size_t(a)];
        const auto& y = best[std::size_t(b)];
        return x.first != y.first ? x.first < y.first : x.second > y.second;
    });
    Matrix<double> values(Index(rows.size()), Index(cols.size()));
    report::Mask marks(values.rows(), values.cols());
    std::vector<std::string> row_names, col_names;
    for (std::size_t a = 0; a < rows.size(); ++a) {
        std::string group = r.activity.groups.empty() ? "" : most_active_group(r.activity, rows[a], options.activity_auc);
        if (std::find(r.silent.begin(), r.silent.end(), rows[a]) != r.silent.end()) group = "silent";
        row_names.push_back("node " + std::to_string(rows[a]) + (group.empty() ? "" : " (" + group + ")"));
        for (std::size_t b = 0; b < cols.size(); ++b) {
            values(Index(a), Index(b)) = scaled(rows[a], cols[b]);
            marks(Index(a), Index(b)) = significant(rows[a], cols[b]);
        }
    }
    const std::vector<std::string> set_labels = display_names(r.sets);
    for (Index j : cols) col_names.push_back(set_labels[std::size_t(j)]);
    const std::string prefix = shared_label_prefix(col_names);
    for (std::string& name : col_names) name.erase(0, prefix.size());
    report::HeatmapOptions h;
    char alpha[32];
    std::snprintf(alpha, sizeof alpha, "%g", options.alpha);
    h.title = "Bottleneck nodes x " + (prefix.empty() ? std::string("pathways") : prefix + "* sets") + " (" + to_string(r.method) +
              " saliency, " + to_string(r.score_kind) + " score)" + (none ? std::string(": no call reaches q < ") + alpha : std::string());
    h.scale = report::ColourScale::diverging;
    h.value_label = "score over random sets, scaled per pathway";
    h.mark_label = std::string("q < ") + alpha;
    return report::heatmap_svg(values, row_names, col_names, h, marks);
}

/// Writes the report into the existing directory `dir`: scores.tsv (pathway_scores_tsv),
/// top_genes.tsv, heatmap.svg, and with groups node_calls.tsv, contrasts.tsv and node_activity.tsv. Each file is
/// written atomically. Throws scae::Error when a file cannot be written.
inline void write_pathway_report(const std::string& dir, const PathwayResult& r, const std::vector<std::string>& gene_symbols,
                                 const PathwayReportOptions& options = {}) {
    const std::filesystem::path base(dir);
    report::write_text_atomic((base / "scores.tsv").string(), pathway_scores_tsv(r));
    report::write_text_atomic((base / "top_genes.tsv").string(), top_genes_tsv(r, gene_symbols, options.top_genes));
    report::write_text_atomic((base / "heatmap.svg").string(), pathway_heatmap_svg(r, options));
    if (!r.contrasts.empty()) report::write_text_atomic((base / "contrasts.tsv").string(), contrasts_tsv(r));
    if (!r.activity.groups.empty()) {
        report::write_text_atomic((base / "node_activity.tsv").string(), node_activity_tsv(r));
        NodeCallOptions calls;
        calls.genes = options.top_genes;
        report::write_text_atomic((base / "node_calls.tsv").string(), node_calls_tsv(r, node_calls(r, calls), gene_symbols));
    }
}

} // namespace scae::interpret

#pragma once
/// @file pathway_report.hpp
/// @brief The files of a pathway analysis: the long table of node x set statistics, each
/// node's top genes, the group contrasts, and a heatmap of nodes x pathways.

#include "scae/interpret/node_calls.hpp"
#include "scae/interpret/node_meaning.hpp"
#include "scae/report/heatmap_svg.hpp"
#include "scae/report/tsv.hpp"
#include "scae/core/atomic_file.hpp"

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
    /// contrasts.tsv keeps, per group, this many node x set pairs with the largest difference
    /// (score on the group's cells minus score on the rest), largest first; 0 keeps every pair,
    /// which for 64 nodes x 2,000 GO sets x 8 groups is a million lines (default 100).
    std::size_t contrast_rows = 100;
};

/// The long table: one line per node and set with `node, set, score, z, p, q, presence, n_genes,
/// permutations, description` (nodes numbered from 0, as Target::node counts them; presence is
/// PathwayResult::presence, NaN without activity weighting).
/// @param r the result of score_pathways()
/// @return the table with its header line
inline std::string pathway_scores_tsv(const PathwayResult& r) {
    const auto presence = [&](Index k, Index j) {
        return report::tsv_number(r.presence.size() > 0 ? r.presence(k, j) : std::numeric_limits<double>::quiet_NaN());
    };
    std::vector<std::vector<std::string>> rows;
    rows.reserve(std::size_t(r.score.size()));
    for (Index k = 0; k < r.score.rows(); ++k)
        for (Index j = 0; j < r.score.cols(); ++j)
            rows.push_back({std::to_string(k), r.sets[std::size_t(j)].name, report::tsv_number(r.score(k, j)),
                            report::tsv_number(r.z(k, j)), report::tsv_number(r.p(k, j)), report::tsv_number(r.q(k, j)), presence(k, j),
                            std::to_string(r.sets[std::size_t(j)].genes.size()), std::to_string(r.permutations(k, j)),
                            r.sets[std::size_t(j)].description});
    return report::tsv_text({"node", "set", "score", "z", "p", "q", "presence", "n_genes", "permutations", "description"}, rows);
}

/// Each node's `top` genes (top_genes()): `node, rank, gene, attribution, sd_scaled_saliency,
/// mean_abs_saliency, mean_saliency, input_sd` (rank from 1), where attribution is the
/// activity-weighted signed attribution (NaN with uniform weighting) and sd_scaled_saliency
/// is mean |saliency| times input_sd. `gene_symbols` names the model's genes.
/// @param r the result of score_pathways()
/// @param gene_symbols the model genes' symbols, in model column order
/// @param top genes per node
/// @return the table with its header line
/// @throws Error when `gene_symbols` does not name every gene of `r`
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

/// The node calls (node_calls()): `group, cells, node, auc, top_set, z, p, q, presence,
/// second_set, second_z, third_set, third_z, top_genes` (genes comma-separated; silent nodes have
/// q NaN; presence is the top set's PathwayResult::presence: near 1 its genes' presence raises the
/// node, near 0 their absence does). With `meanings` (a model named on its training tissue, scae
/// train --gmt) four more: `training_set` (the set that named the node in training), `meaning`
/// (kept, changed or untested: compare_meaning()), `coordination` and `tracking` (its two halves).
/// @param r the result of score_pathways()
/// @param calls node_calls() of `r`
/// @param gene_symbols the model genes' symbols, in model column order
/// @param meanings compare_meaning() on the same data, one per node, or empty
/// @return the table with its header line
inline std::string node_calls_tsv(const PathwayResult& r, const std::vector<NodeCall>& calls, const std::vector<std::string>& gene_symbols,
                                  const std::vector<NodeMeaning>& meanings = {}) {
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
                row.push_back(has && r.presence.size() > 0 ? report::tsv_number(r.presence(c.node, c.sets[i])) : nan);
            }
        }
        std::string genes;
        for (Index g : c.genes) genes += (genes.empty() ? "" : ",") + gene_symbols.at(std::size_t(g));
        row.push_back(genes);
        if (!meanings.empty()) {
            const NodeMeaning* m = c.node < 0 ? nullptr : &meanings.at(std::size_t(c.node));
            row.push_back(m ? m->set : "");
            row.push_back(m ? to_string(m->meaning) : "");
            row.push_back(m ? report::tsv_number(m->coordination) : nan);
            row.push_back(m ? report::tsv_number(m->tracking) : nan);
        }
        rows.push_back(std::move(row));
    }
    std::vector<std::string> header{"group", "cells", "node", "auc", "top_set", "z", "p", "q", "presence", "second_set", "second_z", "third_set",
                                    "third_z", "top_genes"};
    if (!meanings.empty()) header.insert(header.end(), {"training_set", "meaning", "coordination", "tracking"});
    return report::tsv_text(header, rows);
}

/// The group contrasts: `group, cells, node, set, score_group, score_rest, difference`; per
/// group the `rows` pairs of largest difference, largest first (ties in node, then set order),
/// or with `rows` 0 every pair in node, then set order.
/// @param r the result of score_pathways() with groups
/// @param rows pairs per group, largest difference first; 0: all
/// @return the table with its header line (only that without groups)
inline std::string contrasts_tsv(const PathwayResult& r, std::size_t rows = 0) {
    std::vector<std::vector<std::string>> lines;
    for (const GroupContrast& g : r.contrasts) {
        const Matrix<double> difference = g.in_group - g.rest;
        std::vector<Index> order(std::size_t(difference.size()));
        std::iota(order.begin(), order.end(), Index(0));
        const std::size_t kept = rows == 0 ? order.size() : std::min(rows, order.size());
        if (rows > 0) // NaN differences (a group of no cells) last
            std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(kept), order.end(), [&](Index a, Index b) {
                const double x = difference.data()[a], y = difference.data()[b];
                if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
                return x != y ? x > y : a < b;
            });
        for (std::size_t i = 0; i < kept; ++i) {
            const Index k = order[i] / difference.cols(), j = order[i] % difference.cols();
            lines.push_back({g.group, std::to_string(g.cells), std::to_string(k), r.sets[std::size_t(j)].name,
                             report::tsv_number(g.in_group(k, j)), report::tsv_number(g.rest(k, j)), report::tsv_number(difference(k, j))});
        }
    }
    return report::tsv_text({"group", "cells", "node", "set", "score_group", "score_rest", "difference"}, lines);
}

/// Which groups activate each node (PathwayResult::activity): `group, cells, node, mean_group,
/// mean_rest, auc`.
/// @param r the result of score_pathways() with groups
/// @return the table with its header line (only that without groups)
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
/// @param score  nodes x sets
/// @return nodes x sets; a column equal on every node (or a single node) becomes 0
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
/// @param labels  the set names shown
/// @return the prefix, or ""
inline std::string shared_label_prefix(const std::vector<std::string>& labels) {
    if (labels.size() < 2) return "";
    const std::size_t end = labels.front().find('_');
    if (end == std::string::npos) return "";
    for (const std::string& label : labels)
        if (label.size() <= end + 1 || label.compare(0, end + 1, labels.front(), 0, end + 1) != 0) return "";
    return labels.front().substr(0, end + 1);
}

/// The heatmap of pathways x nodes: each score over the mean score of its random sets (so that
/// nodes of small overall saliency compare fairly), then scaled per pathway (scale_per_pathway);
/// only pathways and nodes with at least one call q < alpha, significant calls marked. With no
/// call at all it draws no cells and says so. Pathways are the rows, so that their names (GO's
/// term names are long) read whole and horizontally and the canvas is as wide as they are; nodes
/// are ordered by the pathway they score highest on, so that associations line up along a
/// diagonal. With groups, a node is named after the group that activates it most
/// (options.activity_auc), and a silent node (PathwayResult::silent) is called so. A collection
/// prefix every shown set name shares ("HALLMARK_") is said once, in the title.
/// @param r the result of score_pathways()
/// @param options alpha, activity_auc
/// @return the SVG document
inline std::string pathway_heatmap_svg(const PathwayResult& r, const PathwayReportOptions& options = {}) {
    char alpha[32];
    std::snprintf(alpha, sizeof alpha, "%g", options.alpha);
    const auto significant = [&](Index k, Index j) { return r.q(k, j) < options.alpha; };
    std::vector<Index> nodes, sets;
    for (Index k = 0; k < r.score.rows(); ++k)
        for (Index j = 0; j < r.score.cols(); ++j)
            if (significant(k, j)) {
                nodes.push_back(k);
                break;
            }
    for (Index j = 0; j < r.score.cols(); ++j)
        for (Index k = 0; k < r.score.rows(); ++k)
            if (significant(k, j)) {
                sets.push_back(j);
                break;
            }
    const std::string heading = std::string("Bottleneck nodes x pathways (") + to_string(r.method) + " saliency, " + to_string(r.score_kind) + " score)";
    if (nodes.empty()) {
        const std::string message = "No significant call: none of the " + std::to_string(r.score.rows()) + " nodes x " +
                                    std::to_string(r.score.cols()) + " pathways reaches q < " + alpha + " (scores.tsv has them all)";
        const double width = std::max(report::text_width(heading, 15), report::text_width(message, 11)) + 24;
        return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
               report::svg_number(width) + "\" height=\"64\" viewBox=\"0 0 " + report::svg_number(width) +
               " 64\" font-family=\"sans-serif\" font-size=\"11\">\n<rect x=\"0\" y=\"0\" width=\"" + report::svg_number(width) +
               "\" height=\"64\" fill=\"white\"/>\n<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + report::xml_escape(heading) +
               "</text>\n<text x=\"12\" y=\"48\">" + report::xml_escape(message) + "</text>\n</svg>\n";
    }
    const Matrix<double> over_null = r.null_mean.size() == r.score.size()
                                         ? Matrix<double>(r.score.cwiseQuotient(r.null_mean.cwiseMax(1e-300)))
                                         : r.score;
    const Matrix<double> scaled = scale_per_pathway(over_null);
    // Diagonal order: by the position of each node's best shown pathway, then by that value.
    std::vector<std::pair<std::size_t, double>> best(std::size_t(r.score.rows()), {0, 0.0});
    for (Index k : nodes) {
        std::size_t at = 0;
        for (std::size_t c = 1; c < sets.size(); ++c)
            if (scaled(k, sets[c]) > scaled(k, sets[at])) at = c;
        best[std::size_t(k)] = {at, scaled(k, sets[at])};
    }
    std::stable_sort(nodes.begin(), nodes.end(), [&](Index a, Index b) {
        const auto& x = best[std::size_t(a)];
        const auto& y = best[std::size_t(b)];
        return x.first != y.first ? x.first < y.first : x.second > y.second;
    });
    Matrix<double> values(Index(sets.size()), Index(nodes.size()));
    report::Mask marks(values.rows(), values.cols());
    std::vector<std::string> set_names, node_names;
    for (std::size_t b = 0; b < nodes.size(); ++b) {
        std::string group = r.activity.groups.empty() ? "" : most_active_group(r.activity, nodes[b], options.activity_auc);
        if (std::find(r.silent.begin(), r.silent.end(), nodes[b]) != r.silent.end()) group = "silent";
        node_names.push_back("node " + std::to_string(nodes[b]) + (group.empty() ? "" : " (" + group + ")"));
        for (std::size_t a = 0; a < sets.size(); ++a) {
            values(Index(a), Index(b)) = scaled(nodes[b], sets[a]);
            marks(Index(a), Index(b)) = significant(nodes[b], sets[a]);
        }
    }
    const std::vector<std::string> set_labels = display_names(r.sets, std::string::npos); // whole: the canvas fits them
    for (Index j : sets) set_names.push_back(set_labels[std::size_t(j)]);
    const std::string prefix = shared_label_prefix(set_names);
    for (std::string& name : set_names) name.erase(0, prefix.size());
    report::HeatmapOptions h;
    h.title = prefix.empty() ? heading : "Bottleneck nodes x " + prefix + "* sets" + heading.substr(heading.find(" ("));
    h.scale = report::ColourScale::diverging;
    h.value_label = "score over random sets, scaled per pathway";
    h.mark_label = std::string("q < ") + alpha;
    return report::heatmap_svg(values, set_names, node_names, h, marks);
}

/// Writes the report into the existing directory `dir`: scores.tsv (pathway_scores_tsv),
/// top_genes.tsv, heatmap.svg, and with groups node_calls.tsv, contrasts.tsv (options.contrast_rows
/// per group) and node_activity.tsv; with `meanings`, node_meaning.tsv (node_meaning_tsv()) and
/// node_calls.tsv's columns on them. Each file is written atomically. Throws scae::Error when a file cannot be written.
/// @param dir an existing directory
/// @param r the result of score_pathways()
/// @param gene_symbols the model genes' symbols, in model column order
/// @param options what the files show
/// @param meanings compare_meaning() on the same data (a model named on its training tissue), or empty
inline void write_pathway_report(const std::string& dir, const PathwayResult& r, const std::vector<std::string>& gene_symbols,
                                 const PathwayReportOptions& options = {}, const std::vector<NodeMeaning>& meanings = {}) {
    const std::filesystem::path base(dir);
    write_text_atomically((base / "scores.tsv").string(), pathway_scores_tsv(r));
    write_text_atomically((base / "top_genes.tsv").string(), top_genes_tsv(r, gene_symbols, options.top_genes));
    write_text_atomically((base / "heatmap.svg").string(), pathway_heatmap_svg(r, options));
    if (!r.contrasts.empty()) write_text_atomically((base / "contrasts.tsv").string(), contrasts_tsv(r, options.contrast_rows));
    if (!r.activity.groups.empty()) {
        write_text_atomically((base / "node_activity.tsv").string(), node_activity_tsv(r));
        NodeCallOptions calls;
        calls.genes = options.top_genes;
        write_text_atomically((base / "node_calls.tsv").string(), node_calls_tsv(r, node_calls(r, calls), gene_symbols, meanings));
    }
    if (!meanings.empty()) write_text_atomically((base / "node_meaning.tsv").string(), node_meaning_tsv(meanings));
}

} // namespace scae::interpret

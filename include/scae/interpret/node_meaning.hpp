#pragma once
/// @file node_meaning.hpp
/// @brief Does a node keep, on a new tissue, the meaning it was named with on its training
/// tissue? Each named node keeps its top set's coordinated component (the first principal
/// component of the set's genes on the training cells); on the target the node keeps its meaning
/// when that component is still coordinated there and the node still moves with it.
///
/// Why a component. A node's attributions follow the first layer's weights, so a node ranks the
/// sets it was trained on near the top on any data, even with every gene's name shuffled; and a
/// node is a weighted sum of its input columns, so it correlates with the sum of its set's genes
/// whatever those columns hold (docs/interpretation.md). What a shuffled or absent programme lacks
/// is co-expression: its genes no longer rise and fall together. So, for the node's training set
/// with p genes,
///   - on the training cells (reference_meaning(), name_nodes.hpp): standardise each gene's model input, take the
///     top eigenvector w of their correlation matrix (unit length) and its eigenvalue lambda (the
///     component's variance; 1 when the genes are uncorrelated), and the correlation r of the
///     node's activation with the score Z w (w oriented so that r >= 0);
///   - on the target (compare_meaning()): standardise the same genes on the target's cells and
///     take the variance along the *training* w, rho = w' C w / w'w (a gene that does not vary there
///     counts 0), and the node's correlation r_here with the score.
/// The node keeps its meaning when both halves hold: `coordination` = (rho - 1) / (lambda - 1) is
/// at least `share` (the target keeps at least that share of the component's coordinated
/// variance) and `tracking` = r_here / r is at least `share`. A node is untested when it had no
/// name in training, when its set was not coordinated there (lambda at or below the
/// Marchenko-Pastur edge (1 + sqrt(p / cells))^2 of uncorrelated genes) or it hardly followed the
/// set (r < min_r), or when the target lacks more than half of the set's genes.
///
/// Measured on the simulator (docs/interpretation.md): it tells a programme that is absent on the
/// target from one that is present and still followed, and flags nodes under shuffled gene names;
/// it does not see a node that still follows a present programme but more weakly than in
/// training (those read as kept).

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/data/subset.hpp"
#include "scae/interpret/model_input.hpp"
#include "scae/interpret/recovery.hpp"
#include "scae/interpret/reference_meaning.hpp"
#include "scae/report/tsv.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace scae::interpret {

/// A node's meaning on the target.
enum class Meaning {
    kept,     ///< its training set's component is still coordinated here and the node still follows it
    changed,  ///< one of the two no longer holds
    untested, ///< no name in training, a set that was not coordinated or not followed there, or genes the target lacks
};

/// Names of Meaning, as node_calls.tsv writes them.
inline constexpr EnumNames<Meaning, 3> meaning_names{{{Meaning::kept, "kept"}, {Meaning::changed, "changed"}, {Meaning::untested, "untested"}}};

/// The name of `m`.
/// @param m a meaning
/// @return "kept", "changed" or "untested"
inline std::string to_string(Meaning m) { return enum_name(m, meaning_names); }

/// Settings of compare_meaning().
struct MeaningOptions {
    /// The share of the training component's coordinated variance, and of the node's correlation
    /// with it, that the target must keep for the node to keep its meaning (default 0.5).
    double share = 0.5;
    /// A node whose correlation with its set's component was below this in training is untested:
    /// the set named it, but it hardly moved with the set (default 0.3).
    double min_r = 0.3;
};

/// One node's comparison.
struct NodeMeaning {
    Index node = 0;                    ///< the bottleneck node
    Meaning meaning = Meaning::untested; ///< the verdict
    std::string set;                   ///< its training set ("" when unnamed)
    double training_q = std::numeric_limits<double>::quiet_NaN(); ///< that set's q in training (NaN when unnamed)
    double eigenvalue = std::numeric_limits<double>::quiet_NaN(); ///< lambda, its component's variance in training (NaN when unnamed)
    double edge = std::numeric_limits<double>::quiet_NaN();       ///< the Marchenko-Pastur edge lambda had to pass (NaN when unnamed)
    double training_r = std::numeric_limits<double>::quiet_NaN(); ///< r, the node's correlation with the component in training (NaN when unnamed)
    double coordination = std::numeric_limits<double>::quiet_NaN(); ///< (rho - 1) / (lambda - 1) here (NaN when untested)
    double tracking = std::numeric_limits<double>::quiet_NaN();     ///< r_here / r (NaN when untested)
    std::string reason;                ///< why it is untested, or which half failed ("" when kept)
};

namespace detail {

/// Model input of `genes` (columns) over `cells` (rows of `counts`), dense, cells x genes.
template <class T>
Matrix<double> set_input(const Csr<T>& input, const std::vector<Index>& genes) {
    std::vector<Index> at(std::size_t(input.cols()), -1);
    for (std::size_t i = 0; i < genes.size(); ++i) at[std::size_t(genes[i])] = Index(i);
    Matrix<double> x = Matrix<double>::Zero(input.rows(), Index(genes.size()));
    for (Index c = 0; c < input.rows(); ++c)
        for (typename Csr<T>::InnerIterator it(input, c); it; ++it)
            if (const Index j = at[std::size_t(it.col())]; j >= 0) x(c, j) = double(it.value());
    return x;
}

/// Standardises each column of `x` in place (mean 0, sd 1, n - 1 in the denominator); a column
/// that does not vary becomes 0.
/// @param x  cells x genes, at least two rows
/// @return whether each column varies
inline std::vector<bool> standardise(Matrix<double>& x) {
    std::vector<bool> varies(std::size_t(x.cols()), false);
    const double n = double(x.rows());
    for (Index g = 0; g < x.cols(); ++g) {
        const double mean = x.col(g).mean();
        x.col(g).array() -= mean;
        const double sd = std::sqrt(x.col(g).squaredNorm() / (n - 1));
        if (sd > 1e-9 * (1 + std::abs(mean))) {
            x.col(g) /= sd;
            varies[std::size_t(g)] = true;
        } else {
            x.col(g).setZero();
        }
    }
    return varies;
}

/// The model input and bottleneck activations of rows `cells` of `counts`.
template <class T>
std::pair<Csr<T>, Matrix<double>> input_and_activation(const nn::Autoencoder<T>& model, const Csr<T>& counts, const std::vector<Index>& cells) {
    if (counts.cols() != model.genes())
        throw Error("node meaning: the data has " + std::to_string(counts.cols()) + " genes, the model " + std::to_string(model.genes()));
    for (Index c : cells)
        if (c < 0 || c >= counts.rows()) throw Error("node meaning: cell " + std::to_string(c) + " out of range (" + std::to_string(counts.rows()) + " cells)");
    const Csr<T> rows = data::select_rows(counts, cells);
    return {model_input(model, rows), model.encode(rows).template cast<double>()};
}

} // namespace detail

/// Compares every node's training component with the node on the target (see the file comment).
/// @param reference  the model's ReferenceMeaning (reference_meaning() on its training cells)
/// @param model  the model as applied to the target (adapted to the genes it lacks, if so)
/// @param counts  the target's counts, cells x genes in model gene order
/// @param cells  the rows of `counts` to use (PathwayResult::cells), at least 3
/// @param present  per model gene, whether the target's file has it (the alignment); empty: all
/// @param options  the share the target must keep, and the training correlation a test needs
/// @return one NodeMeaning per node
/// @throws Error when the node counts or the gene counts differ, or an option is out of range
template <class T>
std::vector<NodeMeaning> compare_meaning(const ReferenceMeaning& reference, const nn::Autoencoder<T>& model, const Csr<T>& counts,
                                         const std::vector<Index>& cells, const std::vector<bool>& present = {},
                                         const MeaningOptions& options = {}) {
    if (Index(reference.nodes.size()) != model.latent_size())
        throw Error("compare_meaning: the model keeps training components for " + std::to_string(reference.nodes.size()) + " nodes, but has " +
                    std::to_string(model.latent_size()));
    if (!(options.share > 0 && options.share <= 1)) throw Error("compare_meaning: MeaningOptions::share must be in (0, 1]");
    if (!(options.min_r >= 0 && options.min_r < 1)) throw Error("compare_meaning: MeaningOptions::min_r must be in [0, 1)");
    if (!present.empty() && Index(present.size()) != model.genes())
        throw Error("compare_meaning: " + std::to_string(present.size()) + " presence flags for a model of " + std::to_string(model.genes()) + " genes");
    if (cells.size() < 3) throw Error("compare_meaning: " + std::to_string(cells.size()) + " cells; at least 3 are needed");
    const auto [input, activation] = detail::input_and_activation(model, counts, cells);
    std::vector<NodeMeaning> out(reference.nodes.size());
    for (std::size_t k = 0; k < out.size(); ++k) {
        const NodeProgramme& p = reference.nodes[k];
        NodeMeaning& m = out[k];
        m.node = Index(k);
        m.set = p.set;
        if (!p.named()) {
            m.reason = "no set named it in training";
            continue;
        }
        m.training_q = p.q;
        m.eigenvalue = p.eigenvalue;
        m.edge = p.edge;
        m.training_r = p.r;
        if (p.loadings.empty() || !(p.eigenvalue > p.edge)) {
            m.reason = "its set was not coordinated in training";
            continue;
        }
        if (!(p.r >= options.min_r)) {
            m.reason = "it hardly followed its set in training";
            continue;
        }
        if (p.loadings.size() != p.genes.size())
            throw Error("compare_meaning: node " + std::to_string(k) + " keeps " + std::to_string(p.loadings.size()) + " loadings for " +
                        std::to_string(p.genes.size()) + " genes; expected one per gene");
        std::vector<Index> genes;
        std::vector<double> w;
        for (std::size_t g = 0; g < p.genes.size(); ++g) {
            if (p.genes[g] < 0 || p.genes[g] >= model.genes())
                throw Error("compare_meaning: node " + std::to_string(k) + "'s set holds gene column " + std::to_string(p.genes[g]) + ", outside the model's " +
                            std::to_string(model.genes()));
            if (present.empty() || present[std::size_t(p.genes[g])]) {
                genes.push_back(p.genes[g]);
                w.push_back(p.loadings[g]);
            }
        }
        if (2 * genes.size() < p.genes.size() || genes.size() < 2) {
            m.reason = "the target lacks " + std::to_string(p.genes.size() - genes.size()) + " of its set's " + std::to_string(p.genes.size()) + " genes";
            continue;
        }
        Matrix<double> x = detail::set_input(input, genes);
        detail::standardise(x); // a gene that does not vary here adds nothing along w
        const Eigen::Map<const Vector<double>> loadings(w.data(), Index(w.size()));
        const double weight = loadings.squaredNorm();
        if (!(weight > 0)) {
            m.reason = "the genes the target has carry none of its set's component";
            continue;
        }
        const Vector<double> score = x * loadings;
        const double rho = score.squaredNorm() / double(x.rows() - 1) / weight;
        m.coordination = (rho - 1) / (p.eigenvalue - 1);
        m.tracking = activation_correlation(Matrix<double>(activation.col(Index(k))), Matrix<double>(score))(0, 0) / p.r;
        const bool coordinated = m.coordination >= options.share, followed = m.tracking >= options.share;
        m.meaning = coordinated && followed ? Meaning::kept : Meaning::changed;
        m.reason = coordinated ? (followed ? "" : "the node no longer follows its set's component")
                               : (followed ? "its set's component is not coordinated here" : "its set's component is not coordinated here, nor followed");
    }
    return out;
}

/// node_meaning.tsv: `node, meaning, training_set, training_q, eigenvalue, edge, training_r,
/// coordination, tracking, reason`, one row per node (NaN where a value does not apply).
/// @param meanings  compare_meaning()'s result
/// @return the table with its header line
inline std::string node_meaning_tsv(const std::vector<NodeMeaning>& meanings) {
    std::vector<std::vector<std::string>> rows;
    for (const NodeMeaning& m : meanings)
        rows.push_back({std::to_string(m.node), to_string(m.meaning), m.set, report::tsv_number(m.training_q), report::tsv_number(m.eigenvalue),
                        report::tsv_number(m.edge), report::tsv_number(m.training_r), report::tsv_number(m.coordination), report::tsv_number(m.tracking),
                        m.reason});
    return report::tsv_text({"node", "meaning", "training_set", "training_q", "eigenvalue", "edge", "training_r", "coordination", "tracking", "reason"}, rows);
}

} // namespace scae::interpret

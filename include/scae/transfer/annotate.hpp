#pragma once
/// @file annotate.hpp
/// @brief Cell-type labels for a target from a model's labelled reference cells, with a
/// confidence that is a calibrated p-value and the label `unknown` where no reference type fits.
///
/// Each target cell gets the majority label c of its k nearest reference cells in the bottleneck.
/// Its nonconformity is the mean distance to its k nearest reference cells *of type c*. The same
/// score of every reference cell of type c, computed without that cell (leave one out), is the
/// calibration set of c, and the cell's confidence is the conformal p-value
///
///     p = (1 + #{reference cells of c scoring at least the cell's score}) / (1 + n_c),
///
/// the share of type-c reference cells that lie at least as far from their own type as this
/// cell does (split by type: Vovk's Mondrian conformal prediction). A cell with p < error_rate is
/// `unknown`. For target cells drawn like the reference cells of their type, P(p < a) <= a, so at
/// most a share error_rate of cells of reference types is called `unknown` (tested on held-out
/// reference cells); cells of a type the reference lacks lie far from every type and get small p.
///
/// An encoder never trained on a cell type may still map it close to a known one. What it
/// cannot do is reconstruct it: with the reference cells' and the target cells' mean
/// deviance (reference_input.hpp's mean_cell_deviance) given, a second p-value of the same
/// form compares the cell's fit with the fit of the reference cells of c, and the confidence is
/// min(1, 2 min(p_latent, p_fit)) (Bonferroni), which keeps the guarantee above. (The deviance
/// grows with depth; a target sequenced much deeper than the reference has more cells `unknown`.)

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/classification.hpp"
#include "scae/eval/neighbours.hpp"
#include "scae/eval/subsample.hpp"
#include "scae/transfer/latent_alignment.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace scae::transfer {

/// The label of a cell no reference type fits.
inline const std::string unknown_label = "unknown";

/// Settings of annotate().
struct AnnotateOptions {
    Index k = 15; ///< neighbours that vote, and over which a cell's distance to a type is averaged
    /// Share of cells of reference types allowed to be called `unknown` (default 0.05): a cell is
    /// `unknown` when its conformal p-value is below this. In (0, 1).
    double error_rate = 0.05;
    /// Labelled reference cells used at most: a larger reference is replaced by a stratified
    /// subsample of this size (seeded), which keeps the search linear in target cells.
    Index max_reference_cells = 20000;
    std::uint64_t seed = 0; ///< the reference subsample (and the alignment's target subsample)
    /// How the target's bottleneck is moved onto the reference's first (default mutual nearest
    /// neighbours; its seed is replaced by `seed`). With mnn, the target's deviances are also scaled
    /// by the ratio of the paired reference cells' median fit to the paired target cells' median,
    /// so that a deeper or noisier target as a whole does not fail the fit test.
    LatentAlignmentOptions alignment{};
};

/// Labels, confidences and what they rest on.
struct Annotation {
    std::vector<std::string> labels;   ///< one per target cell: a reference label, or unknown_label
    std::vector<std::string> nearest;  ///< one per target cell: the kNN majority label, also where `labels` says unknown
    std::vector<double> confidence;    ///< one per target cell: the conformal p-value of `nearest`, in (0, 1]
    std::vector<double> vote;          ///< one per target cell: share of the k neighbours with the label `nearest`
    bool fit_tested = false;           ///< whether the confidence also tests the reconstruction (fits were given)
    LatentAlignmentResult alignment;   ///< how the target's bottleneck was moved onto the reference's
    double fit_scale = 1;              ///< the factor the target's deviances were scaled by (mnn pairs; 1 otherwise)
    Index reference_cells = 0;         ///< labelled reference cells used (after subsampling)
    Index reference_cells_total = 0;   ///< labelled reference cells in the model
    double error_rate = 0.05;          ///< the level a cell is called unknown below
    std::map<std::string, Index> counts; ///< target cells per label, unknown included
    std::map<std::string, Index> reference_types; ///< the reference types that can be predicted, with their cells used
};

namespace detail {

/// Mean distance of each row of `n`, leaving out its first `skip` neighbours (the cell itself).
template <class Neighbours>
std::vector<double> mean_distances(const Neighbours& n, Index skip) {
    std::vector<double> out(std::size_t(n.distances.rows()));
    const Index k = n.distances.cols() - skip;
    for (Index r = 0; r < n.distances.rows(); ++r)
        out[std::size_t(r)] = k > 0 ? n.distances.row(r).tail(k).mean() : 0.0;
    return out;
}

/// The conformal p-value of `score` against the ascending `calibration` scores: (1 + how many are
/// at least `score`) / (1 + how many there are).
inline double conformal_p(const std::vector<double>& calibration, double score) {
    const auto at_least = calibration.end() - std::lower_bound(calibration.begin(), calibration.end(), score);
    return double(1 + at_least) / double(1 + calibration.size());
}

} // namespace detail

/// Labels target cells from a labelled reference in the same latent space (see the file comment).
/// Reference cells with an empty label do not take part; types with a single reference cell
/// cannot be calibrated and are left out (a target cell nearest to them gets another label or unknown).
/// @param reference  reference coordinates, cells x dims
/// @param reference_labels  one label per reference cell ("": not used)
/// @param target  target coordinates, cells x the same dims
/// @param options  k, error rate, reference subsample
/// @param reference_fit  one mean deviance per reference cell (mean_cell_deviance), or empty (no
/// fit test; nor for a type with fewer than 2 / error_rate cells, whose p-value could not get low enough)
/// @param target_fit  one per target cell, or empty (both or neither)
/// @return one label, confidence and vote share per target cell, and counts per label
/// @throws Error when labels and cells differ in number, dims differ, k < 1, the error rate is not
/// in (0, 1), or no reference type has two cells
template <class Scalar>
Annotation annotate(const Matrix<Scalar>& reference, const std::vector<std::string>& reference_labels, const Matrix<Scalar>& target,
                    const AnnotateOptions& options = {}, const std::vector<double>& reference_fit = {},
                    const std::vector<double>& target_fit = {}) {
    const bool fit = !reference_fit.empty() || !target_fit.empty();
    if (fit && (Index(reference_fit.size()) != reference.rows() || Index(target_fit.size()) != target.rows()))
        throw Error("annotate: " + std::to_string(reference_fit.size()) + " reference and " + std::to_string(target_fit.size()) +
                    " target fits for " + std::to_string(reference.rows()) + " and " + std::to_string(target.rows()) + " cells");
    if (Index(reference_labels.size()) != reference.rows())
        throw Error("annotate: " + std::to_string(reference_labels.size()) + " labels for " + std::to_string(reference.rows()) + " reference cells");
    if (reference.cols() != target.cols())
        throw Error("annotate: the reference has " + std::to_string(reference.cols()) + " dimensions, the target " + std::to_string(target.cols()));
    if (options.k < 1) throw Error("annotate: k must be at least 1");
    if (!(options.error_rate > 0 && options.error_rate < 1)) throw Error("annotate: the error rate must be in (0, 1)");
    if (options.max_reference_cells < 2) throw Error("annotate: max_reference_cells must be at least 2");
    // Labelled reference cells, subsampled by type, and the types with at least two cells.
    std::vector<Index> labelled;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < reference_labels.size(); ++i)
        if (!reference_labels[i].empty()) labelled.push_back(Index(i)), labels.push_back(reference_labels[i]);
    Annotation out;
    out.error_rate = options.error_rate;
    out.fit_tested = fit;
    out.reference_cells_total = Index(labelled.size());
    std::map<std::string, std::vector<Index>> by_type; // rows of `reference`
    for (Index i : eval::stratified_subsample(labels, options.max_reference_cells, options.seed))
        by_type[labels[std::size_t(i)]].push_back(labelled[std::size_t(i)]);
    std::vector<Index> voters;
    std::vector<int> voter_type; // index into type_names
    std::vector<std::string> type_names;
    for (auto it = by_type.begin(); it != by_type.end();) {
        if (it->second.size() < 2) {
            it = by_type.erase(it);
            continue;
        }
        type_names.push_back(it->first);
        for (Index r : it->second) voters.push_back(r), voter_type.push_back(int(type_names.size() - 1));
        out.reference_types[it->first] = Index(it->second.size());
        ++it;
    }
    if (by_type.empty()) throw Error("annotate: no reference cell type has two labelled cells; expected a labelled reference");
    out.reference_cells = Index(voters.size());
    const Matrix<Scalar> train = reference(voters, Eigen::all);
    // The target moved onto the reference, and its fits put on the reference's scale.
    Matrix<Scalar> moved = target;
    LatentAlignmentOptions alignment = options.alignment;
    alignment.seed = options.seed;
    out.alignment = align_latent(train, moved, alignment);
    std::vector<double> scaled_fit = target_fit;
    if (fit && out.alignment.pairs >= 10) {
        const auto median = [](std::vector<double> v) {
            std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
            return v[v.size() / 2];
        };
        std::vector<double> reference_side, target_side;
        for (Index r : out.alignment.paired_reference) reference_side.push_back(reference_fit[std::size_t(voters[std::size_t(r)])]);
        for (Index t : out.alignment.paired_target) target_side.push_back(target_fit[std::size_t(t)]);
        const double t = median(target_side);
        if (t > 0) out.fit_scale = median(reference_side) / t;
        for (double& f : scaled_fit) f *= out.fit_scale;
    }
    // Per type: its reference cells and their calibration scores (leave one out), ascending.
    struct Type {
        Matrix<Scalar> members;
        Index k = 0;
        std::vector<double> calibration;
        std::vector<double> fit_calibration;
    };
    std::map<std::string, Type> types;
    for (const auto& [name, rows] : by_type) {
        Type& t = types[name];
        t.members = reference(rows, Eigen::all);
        t.k = std::min<Index>(options.k, t.members.rows() - 1);
        t.calibration = detail::mean_distances(eval::nearest_neighbours(t.members, t.members, t.k + 1), 1);
        std::sort(t.calibration.begin(), t.calibration.end());
        if (fit) {
            for (Index r : rows) t.fit_calibration.push_back(reference_fit[std::size_t(r)]);
            std::sort(t.fit_calibration.begin(), t.fit_calibration.end());
            // Two tests at level error_rate / 2 need a p-value that can fall below it: 2 / (n + 1) < error_rate.
            if (2.0 / double(t.fit_calibration.size() + 1) >= options.error_rate) t.fit_calibration.clear();
        }
    }
    const Index n_target = target.rows();
    out.nearest.resize(std::size_t(n_target));
    out.vote.resize(std::size_t(n_target));
    out.confidence.assign(std::size_t(n_target), 1.0);
    // Target cells in blocks, so that the neighbour lists stay small on an atlas.
    const Index block = 65536;
    std::vector<Index> tally(type_names.size()); // votes per type of one cell, reused
    for (Index first = 0; first < n_target; first += block) {
        const Index count = std::min(block, n_target - first);
        const Matrix<Scalar> query = moved.middleRows(first, count);
        const eval::Neighbours votes = eval::nearest_neighbours(train, query, options.k);
        std::map<std::string, std::vector<Index>> won; // rows of `query` by their majority type
        for (Index c = 0; c < count; ++c) {
            std::fill(tally.begin(), tally.end(), Index(0));
            for (Index j = 0; j < votes.indices.cols(); ++j) ++tally[std::size_t(voter_type[std::size_t(votes.indices(c, j))])];
            // Most votes; a tie goes to the type of the nearest neighbour among the tied.
            Index best = 0;
            int winner = 0;
            for (Index j = 0; j < votes.indices.cols(); ++j) {
                const int t = voter_type[std::size_t(votes.indices(c, j))];
                if (tally[std::size_t(t)] > best) best = tally[std::size_t(t)], winner = t;
            }
            out.nearest[std::size_t(first + c)] = type_names[std::size_t(winner)];
            out.vote[std::size_t(first + c)] = double(best) / double(votes.indices.cols());
            won[type_names[std::size_t(winner)]].push_back(c);
        }
        for (const auto& [name, rows] : won) {
            const Type& t = types.at(name);
            const std::vector<double> score =
                detail::mean_distances(eval::nearest_neighbours(t.members, Matrix<Scalar>(query(rows, Eigen::all)), t.k), 0);
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const Index cell = first + rows[i];
                double p = detail::conformal_p(t.calibration, score[i]);
                if (!t.fit_calibration.empty()) p = std::min(1.0, 2 * std::min(p, detail::conformal_p(t.fit_calibration, scaled_fit[std::size_t(cell)])));
                out.confidence[std::size_t(cell)] = p;
            }
        }
    }
    out.labels.resize(std::size_t(n_target));
    for (Index c = 0; c < n_target; ++c) {
        const std::size_t i = std::size_t(c);
        out.labels[i] = out.confidence[i] < options.error_rate ? unknown_label : out.nearest[i];
        ++out.counts[out.labels[i]];
    }
    return out;
}

/// Checks that every reference label a label map names is a label of the model's reference.
/// @param label_map  reference label -> target label
/// @param reference_labels  the model's reference labels (ModelFile::reference_labels)
/// @param what  the map's name in the message (its file)
/// @throws Error naming `what` and the first unknown label, with the labels that exist
inline void check_label_map(const std::map<std::string, std::string>& label_map, const std::vector<std::string>& reference_labels,
                            const std::string& what) {
    if (label_map.empty()) return;
    if (reference_labels.empty())
        fail(what, 0, "a label map needs a model with reference labels (scae train --labels); this model has none");
    const std::set<std::string> known(reference_labels.begin(), reference_labels.end());
    for (const auto& [from, to] : label_map)
        if (!known.count(from)) {
            std::string list;
            for (const auto& l : known) list += (list.empty() ? "" : ", ") + l;
            fail(what, 0, "maps the reference label '" + from + "', which the model's reference does not have (it has: " + list + ")");
        }
}

} // namespace scae::transfer

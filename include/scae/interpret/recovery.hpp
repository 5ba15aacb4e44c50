#pragma once
/// @file recovery.hpp
/// @brief Checking a pathway analysis against planted truth (the simulator's gene programs).
///
/// What "truly associated" means. A node encodes a planted program when its activation follows
/// the program's activity across cells: Pearson r over cells >= min_correlation (default 0.5).
/// A trained autoencoder is free to spread a program over several nodes or to leave it out, so
/// the truth is read from the trained model's activations, not assumed one program per node;
/// decoy sets are never truly associated. The sign counts where the attribution is signed
/// (CellWeighting::activity, the default): a node that falls as the program rises has the
/// program's genes at the bottom of its ranking, so z is low there, rightly; a truth of |r|
/// would count that pair as a miss (on the simulator's weak programs, AUROC 0.6 against |r|
/// where it is 0.99 against r: docs/interpretation.md). With uniform weighting (|saliency|) the
/// sign is ignored, as |saliency| ignores it.
///
/// What "recovered" means. For a planted set, take the node with the highest z for it; the
/// program is recovered when, on that node, it has the highest z of all sets, planted and
/// decoy. Programs that no node encodes cannot be recovered by any saliency method and are
/// counted apart (`encoded`).
///
/// The AUROC ranks all node x set pairs by z against the truth: the chance that a truly
/// associated pair has a higher z than a pair that is not.

#include "scae/interpret/pathways.hpp"

#include <string>
#include <vector>

namespace scae::interpret {

/// Truth and thresholds of evaluate_recovery().
struct RecoveryOptions {
    double min_correlation = 0.5; ///< r (|r| for unsigned attributions) at which a node counts as encoding a program (default 0.5)
};

/// How well a pathway analysis found the planted programs.
struct Recovery {
    std::vector<std::string> programs; ///< the planted sets that were scored, in result order
    std::vector<bool> encoded;         ///< some node encodes the program
    std::vector<Index> best_node;      ///< node with the highest z for the program
    std::vector<std::string> top_set;  ///< the set with the highest z on that node
    std::vector<bool> recovered;       ///< top_set is the program itself
    std::size_t encoded_count = 0;     ///< programs some node encodes
    std::size_t recovered_count = 0;   ///< programs recovered (encoded or not)
    std::size_t recovered_encoded = 0; ///< encoded programs recovered
    std::size_t true_pairs = 0;        ///< node x set pairs that are truly associated
    double auroc = 0;                  ///< of z against the truth over all node x set pairs
};

/// Pearson correlation over cells of each node's activation (`latent`, cells x nodes) with each
/// program's activity (`activity`, cells x programs): nodes x programs. Constant columns give 0.
/// @param latent  activations, cells x nodes
/// @param activity  the planted programs' activity, cells x programs (same cells, same order)
/// @return Pearson r, nodes x programs
/// @throws Error when the cell counts differ
template <class Scalar>
Matrix<double> activation_correlation(const Matrix<Scalar>& latent, const Matrix<Scalar>& activity) {
    if (latent.rows() != activity.rows())
        throw Error("activation_correlation: " + std::to_string(latent.rows()) + " cells of activations, " +
                    std::to_string(activity.rows()) + " of activity");
    const auto centred = [](const Matrix<Scalar>& m) {
        Matrix<Double<Scalar>> c = m.template cast<double>();
        c.rowwise() -= c.colwise().mean();
        for (Index j = 0; j < c.cols(); ++j) {
            const double norm = c.col(j).norm();
            c.col(j) *= norm > 0 ? 1.0 / norm : 0.0;
        }
        return c;
    };
    return centred(latent).transpose() * centred(activity);
}

/// Evaluates `result` against the truth: `program_names[p]` is the set name of planted program
/// p and column p of `correlation` (nodes x programs, activation_correlation()) its node
/// correlations. Sets not named are decoys. Throws scae::Error when shapes disagree.
/// @param result  the result of score_pathways()
/// @param program_names  the planted programs' set names
/// @param correlation  nodes x programs, activation_correlation()
/// @param options  the truth's threshold
/// @return per planted program that was scored, and overall
inline Recovery evaluate_recovery(const PathwayResult& result, const std::vector<std::string>& program_names,
                                  const Matrix<double>& correlation, const RecoveryOptions& options = {}) {
    if (correlation.rows() != result.z.rows() || correlation.cols() != Index(program_names.size()))
        throw Error("evaluate_recovery: correlation is " + std::to_string(correlation.rows()) + " x " +
                    std::to_string(correlation.cols()) + ", expected nodes x programs (" + std::to_string(result.z.rows()) +
                    " x " + std::to_string(program_names.size()) + ")");
    const Index nodes = result.z.rows(), sets = result.z.cols();
    const bool signed_truth = result.weighting == CellWeighting::activity;
    std::vector<double> scores;
    std::vector<bool> truth;
    Recovery r;
    for (Index j = 0; j < sets; ++j) {
        const std::string& name = result.sets[std::size_t(j)].name;
        const auto found = std::find(program_names.begin(), program_names.end(), name);
        const Index p = found == program_names.end() ? -1 : Index(found - program_names.begin());
        bool encoded = false;
        for (Index k = 0; k < nodes; ++k) {
            const double follows = p < 0 ? 0.0 : signed_truth ? correlation(k, p) : std::abs(correlation(k, p));
            const bool associated = p >= 0 && follows >= options.min_correlation;
            encoded = encoded || associated;
            scores.push_back(result.z(k, j));
            truth.push_back(associated);
            r.true_pairs += associated;
        }
        if (p < 0) continue;
        Index best = 0, top = 0;
        result.z.col(j).maxCoeff(&best);
        result.z.row(best).maxCoeff(&top);
        r.programs.push_back(name);
        r.encoded.push_back(encoded);
        r.best_node.push_back(best);
        r.top_set.push_back(result.sets[std::size_t(top)].name);
        r.recovered.push_back(top == j);
        r.encoded_count += encoded;
        r.recovered_count += top == j;
        r.recovered_encoded += encoded && top == j;
    }
    r.auroc = auroc(scores, truth);
    return r;
}

} // namespace scae::interpret

#pragma once
/// @file knn.hpp
/// @brief k-nearest-neighbour classification on a latent space, and its
/// stratified k-fold cross-validation: how well do cell types separate?
///
/// Voting rule: each query takes the class held by most of its k nearest
/// training cells. A tie in votes goes to the tied class whose voters have
/// the smaller summed distance (the closer group); a tie in that too goes to
/// the class that sorts first. Neighbours at equal distance are taken in
/// training-row order. So predictions are deterministic.

#include "scae/core/parallelize.hpp"
#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/classification.hpp"
#include "scae/eval/labels.hpp"
#include "scae/eval/neighbours.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace scae::eval {

/// Settings of the k-nearest-neighbour classifier.
struct KnnOptions {
    /// Neighbours that vote; capped at the number of training cells.
    Index k = 15;
    /// Distance between cells.
    Metric metric = Metric::euclidean;
};

/// Settings of the cross-validation.
struct CvOptions {
    /// Number of folds, at least 2 and at most the number of cells.
    Index folds = 5;
    /// Seed of the shuffle that assigns cells to folds.
    std::uint64_t seed = 0;
};

/// Out-of-fold predictions of a cross-validation and their scores.
template <class Label>
struct KnnCvResult {
    /// Accuracy, per-class and macro F1 and the confusion matrix, pooled over
    /// all out-of-fold predictions (each cell predicted exactly once).
    ClassificationReport<Label> report;
    /// Predicted label of each cell, made by the model that did not see it.
    std::vector<Label> predicted;
    /// Fold (0..folds-1) each cell was held out in.
    std::vector<int> fold;
    /// Accuracy within each fold.
    std::vector<double> fold_accuracy;
};

/// Majority vote over neighbours (see the file comment for tie-breaking).
/// `codes` are the training labels as 0..n_classes-1; returns one code per query row.
/// @param neighbours  the nearest training rows of each query, indices into `codes`
/// @param codes       the class code of each training row
/// @param n_classes   number of classes; every code must be below it
/// @return the predicted code of each query
inline std::vector<int> vote(const Neighbours& neighbours, const std::vector<int>& codes,
                             int n_classes) {
    const Index n_query = neighbours.indices.rows();
    std::vector<int> predicted(static_cast<std::size_t>(n_query));
    parallelize([&](int, Index first, Index length) {
        std::vector<int> votes(static_cast<std::size_t>(n_classes));
        std::vector<double> distance_sum(static_cast<std::size_t>(n_classes));
        for (Index q = first; q < first + length; ++q) {
            std::fill(votes.begin(), votes.end(), 0);
            std::fill(distance_sum.begin(), distance_sum.end(), 0.0);
            for (Index j = 0; j < neighbours.indices.cols(); ++j) {
                const int c = codes[static_cast<std::size_t>(neighbours.indices(q, j))];
                ++votes[c];
                distance_sum[c] += neighbours.distances(q, j);
            }
            int best = 0;
            for (int c = 1; c < n_classes; ++c)
                if (votes[c] > votes[best] ||
                    (votes[c] == votes[best] && distance_sum[c] < distance_sum[best]))
                    best = c;
            predicted[static_cast<std::size_t>(q)] = best;
        }
    }, n_query, 0, double(n_query) * double(neighbours.indices.cols() + n_classes));
    return predicted;
}

/// Predicts a label for each row of `query_X` from the `options.k` nearest
/// rows of `train_X`. Throws scae::Error when train_labels does not have one
/// label per training row, when there are no training rows, or for bad
/// shapes, k or values (see nearest_neighbours).
/// @param train_X       training cells x features
/// @param train_labels  one label per training cell
/// @param query_X       query cells x the same features
/// @param options       k and metric
/// @return one predicted label per query row
/// @throws Error on a label count that does not match, no training rows, mismatched columns,
/// a bad k or non-finite values
template <class Scalar, class Label>
std::vector<Label> knn_predict(const Matrix<Scalar>& train_X, const std::vector<Label>& train_labels,
                               const Matrix<Scalar>& query_X, const KnnOptions& options = {}) {
    if (static_cast<Index>(train_labels.size()) != train_X.rows())
        fail("knn_predict", 0,
             std::to_string(train_labels.size()) + " labels for " + std::to_string(train_X.rows()) +
                 " training rows; expected one label per row");
    const auto encoded = encode_labels(train_labels);
    const Neighbours neighbours = nearest_neighbours(train_X, query_X, options.k, options.metric);
    const auto codes = vote(neighbours, encoded.codes, static_cast<int>(encoded.classes.size()));
    std::vector<Label> predicted;
    predicted.reserve(codes.size());
    for (int c : codes) predicted.push_back(encoded.classes[static_cast<std::size_t>(c)]);
    return predicted;
}

/// Assigns each cell to one of `folds` folds so that every class is spread
/// as evenly as possible (per-class and total fold sizes differ by at most 1).
/// Cells of a class are shuffled with `seed`; classes are dealt in code order,
/// each continuing where the previous one stopped.
/// @param codes      the class code of each cell
/// @param n_classes  number of classes; every code must be below it
/// @param folds      number of folds, 2..codes.size()
/// @param seed       seed of the shuffles
/// @return the fold (0..folds-1) of each cell
/// @throws Error when `folds` is out of range
inline std::vector<int> stratified_folds(const std::vector<int>& codes, int n_classes, Index folds,
                                         std::uint64_t seed) {
    if (folds < 2 || folds > static_cast<Index>(codes.size()))
        fail("stratified_folds", 0,
             "folds = " + std::to_string(folds) + " for " + std::to_string(codes.size()) +
                 " cells; expected 2 <= folds <= cells");
    std::vector<std::vector<Index>> members(static_cast<std::size_t>(n_classes));
    for (std::size_t i = 0; i < codes.size(); ++i) members[codes[i]].push_back(Index(i));
    Rng rng(seed);
    std::vector<int> fold(codes.size());
    Index dealt = 0;
    for (auto& cells : members) {
        rng.shuffle(cells);
        for (Index cell : cells) fold[static_cast<std::size_t>(cell)] = int(dealt++ % folds);
    }
    return fold;
}

/// Stratified k-fold cross-validation of the kNN classifier on `X` (cells in
/// rows) with `labels`. Throws scae::Error for a label count that does not
/// match the rows, fewer than 2 cells, or a bad fold count.
/// @param X        cells x features
/// @param labels   one label per cell
/// @param options  k and metric of the classifier
/// @param cv       number of folds and seed
/// @return the pooled out-of-fold report, predictions, folds and per-fold accuracies
/// @throws Error on a label count that does not match, non-finite values or a bad fold count
template <class Scalar, class Label>
KnnCvResult<Label> knn_cross_validate(const Matrix<Scalar>& X, const std::vector<Label>& labels,
                                      const KnnOptions& options = {},
                                      const CvOptions& cv = {}) {
    if (static_cast<Index>(labels.size()) != X.rows())
        fail("knn_cross_validate", 0,
             std::to_string(labels.size()) + " labels for " + std::to_string(X.rows()) +
                 " rows; expected one label per row");
    require_finite(X, "knn_cross_validate");
    const auto encoded = encode_labels(labels);
    const int n_classes = static_cast<int>(encoded.classes.size());

    KnnCvResult<Label> result;
    result.fold = stratified_folds(encoded.codes, n_classes, cv.folds, cv.seed);
    std::vector<int> predicted(labels.size());
    result.fold_accuracy.resize(static_cast<std::size_t>(cv.folds));
    for (Index f = 0; f < cv.folds; ++f) {
        std::vector<Index> train_rows, test_rows;
        for (std::size_t i = 0; i < labels.size(); ++i)
            (result.fold[i] == f ? test_rows : train_rows).push_back(Index(i));
        std::vector<int> train_codes;
        train_codes.reserve(train_rows.size());
        for (Index r : train_rows) train_codes.push_back(encoded.codes[static_cast<std::size_t>(r)]);
        const Matrix<Scalar> train_X = X(train_rows, Eigen::all);
        const Matrix<Scalar> test_X = X(test_rows, Eigen::all);
        const auto fold_codes =
            vote(nearest_neighbours(train_X, test_X, options.k, options.metric), train_codes,
                 n_classes);
        Index correct = 0;
        for (std::size_t j = 0; j < test_rows.size(); ++j) {
            const auto cell = static_cast<std::size_t>(test_rows[j]);
            predicted[cell] = fold_codes[j];
            correct += fold_codes[j] == encoded.codes[cell] ? 1 : 0;
        }
        result.fold_accuracy[static_cast<std::size_t>(f)] =
            double(correct) / double(test_rows.size());
    }
    result.report = report_from_confusion(
        encoded.classes, confusion_from_codes(encoded.codes, predicted, n_classes));
    result.predicted.reserve(labels.size());
    for (int c : predicted) result.predicted.push_back(encoded.classes[static_cast<std::size_t>(c)]);
    return result;
}

} // namespace scae::eval

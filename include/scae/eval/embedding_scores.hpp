#pragma once
/// @file embedding_scores.hpp
/// @brief How well a latent space separates known cell labels: kNN classification by
/// cross-validation, k-means clustering against the labels, silhouette.

#include "scae/eval/classification.hpp"
#include "scae/eval/kmeans.hpp"
#include "scae/eval/knn.hpp"
#include "scae/eval/partition_agreement.hpp"
#include "scae/eval/silhouette.hpp"
#include "scae/eval/subsample.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <nlohmann/json.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace scae::eval {

/// Settings of score_embedding.
struct EmbeddingScoreOptions {
    eval::KnnOptions knn{};        ///< k = 15, euclidean by default
    eval::Metric second_metric = eval::Metric::cosine; ///< kNN accuracy is also reported with this metric
    Index folds = 5;               ///< stratified cross-validation folds
    /// Cross-validated kNN and the silhouette compare every pair of cells, so with more
    /// labelled cells than this they run on a stratified subsample of this size (seeded by
    /// `seed`; eval::stratified_subsample). k-means is fitted on the same subsample and then
    /// assigns every labelled cell, so its scores cover all cells.
    Index max_cells = 20000;
    std::uint64_t seed = 0;        ///< folds, subsample and k-means starts
};

/// Label agreement of one latent space.
struct EmbeddingScores {
    Index cells = 0;            ///< labelled cells scored (k-means scores cover all of them)
    Index subsample_cells = 0;  ///< cells the kNN and silhouette scores ran on (= cells unless subsampled)
    Index classes = 0;          ///< distinct labels
    double knn_accuracy = 0;    ///< kNN (euclidean) cross-validated accuracy
    double knn_macro_f1 = 0;    ///< same, macro-F1
    double knn_cosine_accuracy = 0; ///< kNN with the cosine metric
    double knn_cosine_macro_f1 = 0; ///< same, macro-F1
    double kmeans_ari = 0;      ///< k-means (k = classes) adjusted Rand index against the labels
    double kmeans_nmi = 0;      ///< same, normalised mutual information
    double silhouette = 0;      ///< mean silhouette of the labels in the latent space
};

/// JSON form of the scores.
/// @param j receives a JSON object with one field per score
/// @param s the scores
template <class Json>
void to_json(Json& j, const EmbeddingScores& s) {
    j = {{"cells", s.cells},           {"subsample_cells", s.subsample_cells}, {"classes", s.classes},
         {"knn_accuracy", s.knn_accuracy}, {"knn_macro_f1", s.knn_macro_f1}, {"knn_cosine_accuracy", s.knn_cosine_accuracy},
         {"knn_cosine_macro_f1", s.knn_cosine_macro_f1}, {"kmeans_ari", s.kmeans_ari},
         {"kmeans_nmi", s.kmeans_nmi},     {"silhouette", s.silhouette}};
}

namespace detail {

/// Rows `rows` of `m` as doubles.
template <class Scalar>
Matrix<double> rows_as_double(const Matrix<Scalar>& m, const std::vector<Index>& rows) {
    Matrix<Double<Scalar>> out(Index(rows.size()), m.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(Index(i)) = m.row(rows[i]).template cast<double>();
    return out;
}

} // namespace detail

/// Scores `latent` (cells x dims) against `labels`; cells whose label is empty are left out.
/// Time and memory are linear in cells (see EmbeddingScoreOptions::max_cells).
/// Throws scae::Error when fewer than two labelled classes remain.
/// @param latent coordinates, cells x dims
/// @param labels one label per cell ("" for unlabelled)
/// @param options kNN, folds, subsample size and seed
/// @return the scores of the labelled cells
/// @throws Error when labels and cells differ in number, max_cells < 2, or fewer than two
/// labelled classes remain
template <class Scalar>
EmbeddingScores score_embedding(const Matrix<Scalar>& latent, const std::vector<std::string>& labels,
                                const EmbeddingScoreOptions& options = {}) {
    if (Index(labels.size()) != latent.rows()) throw Error("score_embedding: one label per cell expected");
    if (options.max_cells < 2) throw Error("score_embedding: max_cells must be at least 2");
    std::vector<Index> keep;
    std::vector<std::string> kept_labels;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (!labels[i].empty()) {
            keep.push_back(Index(i));
            kept_labels.push_back(labels[i]);
        }
    EmbeddingScores s;
    s.cells = Index(keep.size());
    s.classes = Index(std::set<std::string>(kept_labels.begin(), kept_labels.end()).size());
    if (s.classes < 2) throw Error("score_embedding: at least two labelled classes are needed");
    // The subsample, as positions within the labelled cells.
    const std::vector<Index> sample = eval::stratified_subsample(kept_labels, options.max_cells, options.seed);
    std::vector<Index> sample_rows;
    std::vector<std::string> sample_labels;
    for (Index i : sample) sample_rows.push_back(keep[std::size_t(i)]), sample_labels.push_back(kept_labels[std::size_t(i)]);
    const Matrix<Double<Scalar>> x = detail::rows_as_double(latent, sample_rows);
    s.subsample_cells = x.rows();
    const eval::CvOptions cv{std::min<Index>(options.folds, s.subsample_cells), options.seed};
    const auto euclidean = eval::knn_cross_validate(x, sample_labels, options.knn, cv);
    s.knn_accuracy = euclidean.report.accuracy;
    s.knn_macro_f1 = euclidean.report.macro_f1;
    eval::KnnOptions second = options.knn;
    second.metric = options.second_metric;
    const auto cosine = eval::knn_cross_validate(x, sample_labels, second, cv);
    s.knn_cosine_accuracy = cosine.report.accuracy;
    s.knn_cosine_macro_f1 = cosine.report.macro_f1;
    s.silhouette = eval::silhouette_score(x, sample_labels);
    eval::KMeansOptions km;
    km.seed = options.seed;
    auto clusters = eval::kmeans(x, s.classes, km);
    if (s.subsample_cells < s.cells) {
        // Every labelled cell joins its nearest centroid, block by block.
        std::vector<int> all(keep.size());
        const std::size_t block = 65536;
        std::vector<int> assigned;
        Vector<Double<Scalar>> sq_distance;
        for (std::size_t first = 0; first < keep.size(); first += block) {
            const std::vector<Index> rows(keep.begin() + std::ptrdiff_t(first), keep.begin() + std::ptrdiff_t(std::min(keep.size(), first + block)));
            assigned.assign(rows.size(), 0);
            sq_distance.resize(Index(rows.size()));
            eval::assign_to_nearest(detail::rows_as_double(latent, rows), clusters.centroids, assigned, sq_distance);
            std::copy(assigned.begin(), assigned.end(), all.begin() + std::ptrdiff_t(first));
        }
        clusters.labels = std::move(all);
    }
    s.kmeans_ari = eval::adjusted_rand_index(kept_labels, clusters.labels);
    s.kmeans_nmi = eval::normalized_mutual_information(kept_labels, clusters.labels);
    return s;
}

} // namespace scae::eval

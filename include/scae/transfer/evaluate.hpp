#pragma once
/// @file evaluate.hpp
/// @brief How well a latent space separates known cell labels: kNN classification by
/// cross-validation, k-means clustering against the labels, silhouette.

#include "scae/eval/classification.hpp"
#include "scae/eval/kmeans.hpp"
#include "scae/eval/knn.hpp"
#include "scae/eval/partition_agreement.hpp"
#include "scae/eval/silhouette.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace scae::transfer {

/// Settings of score_embedding.
struct EmbeddingScoreOptions {
    eval::KnnOptions knn{};        ///< k = 15, euclidean by default
    eval::Metric second_metric = eval::Metric::cosine; ///< kNN accuracy is also reported with this metric
    Index folds = 5;               ///< stratified cross-validation folds
    std::uint64_t seed = 0;        ///< folds and k-means starts
};

/// Label agreement of one latent space.
struct EmbeddingScores {
    Index cells = 0;            ///< labelled cells scored
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
inline void to_json(nlohmann::json& j, const EmbeddingScores& s) {
    j = {{"cells", s.cells},           {"classes", s.classes},         {"knn_accuracy", s.knn_accuracy},
         {"knn_macro_f1", s.knn_macro_f1}, {"knn_cosine_accuracy", s.knn_cosine_accuracy},
         {"knn_cosine_macro_f1", s.knn_cosine_macro_f1}, {"kmeans_ari", s.kmeans_ari},
         {"kmeans_nmi", s.kmeans_nmi},     {"silhouette", s.silhouette}};
}

/// Scores `latent` (cells x dims) against `labels`; cells whose label is empty are left out.
/// Throws scae::Error when fewer than two labelled classes remain.
template <class Scalar>
EmbeddingScores score_embedding(const Matrix<Scalar>& latent, const std::vector<std::string>& labels,
                                const EmbeddingScoreOptions& options = {}) {
    if (Index(labels.size()) != latent.rows()) throw Error("score_embedding: one label per cell expected");
    std::vector<Index> keep;
    std::vector<std::string> kept_labels;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (!labels[i].empty()) {
            keep.push_back(Index(i));
            kept_labels.push_back(labels[i]);
        }
    Matrix<double> x(Index(keep.size()), latent.cols());
    for (std::size_t i = 0; i < keep.size(); ++i) x.row(Index(i)) = latent.row(keep[i]).template cast<double>();
    EmbeddingScores s;
    s.cells = x.rows();
    s.classes = Index(std::set<std::string>(kept_labels.begin(), kept_labels.end()).size());
    if (s.classes < 2) throw Error("score_embedding: at least two labelled classes are needed");
    const eval::CvOptions cv{std::min<Index>(options.folds, s.cells), options.seed};
    const auto euclidean = eval::knn_cross_validate(x, kept_labels, options.knn, cv);
    s.knn_accuracy = euclidean.report.accuracy;
    s.knn_macro_f1 = euclidean.report.macro_f1;
    eval::KnnOptions second = options.knn;
    second.metric = options.second_metric;
    const auto cosine = eval::knn_cross_validate(x, kept_labels, second, cv);
    s.knn_cosine_accuracy = cosine.report.accuracy;
    s.knn_cosine_macro_f1 = cosine.report.macro_f1;
    eval::KMeansOptions km;
    km.seed = options.seed;
    const auto clusters = eval::kmeans(x, s.classes, km);
    s.kmeans_ari = eval::adjusted_rand_index(kept_labels, clusters.labels);
    s.kmeans_nmi = eval::normalized_mutual_information(kept_labels, clusters.labels);
    s.silhouette = eval::silhouette_score(x, kept_labels);
    return s;
}

/// Predicts target labels from a labelled source latent space (kNN), then scores them on
/// the target cells whose label also occurs in the source. `predicted` receives one label
/// per target cell.
template <class Scalar>
nlohmann::json label_transfer(const Matrix<Scalar>& source_latent, const std::vector<std::string>& source_labels,
                              const Matrix<Scalar>& target_latent, const std::vector<std::string>& target_labels,
                              std::vector<std::string>& predicted, const eval::KnnOptions& knn = {}) {
    std::vector<Index> rows;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < source_labels.size(); ++i)
        if (!source_labels[i].empty()) rows.push_back(Index(i)), labels.push_back(source_labels[i]);
    Matrix<Scalar> train(Index(rows.size()), source_latent.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) train.row(Index(i)) = source_latent.row(rows[i]);
    predicted = eval::knn_predict(train, labels, target_latent, knn);
    const std::set<std::string> known(labels.begin(), labels.end());
    std::vector<std::string> truth, guess;
    for (std::size_t i = 0; i < target_labels.size(); ++i)
        if (known.count(target_labels[i])) truth.push_back(target_labels[i]), guess.push_back(predicted[i]);
    nlohmann::json out = {{"shared_label_cells", truth.size()}, {"target_cells", target_labels.size()}};
    if (!truth.empty()) {
        out["accuracy"] = eval::accuracy(truth, guess);
        out["macro_f1"] = eval::macro_f1(truth, guess);
    }
    return out;
}

} // namespace scae::transfer

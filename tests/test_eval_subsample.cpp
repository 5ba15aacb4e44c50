// The stratified, seeded subsample that the all-pairs scores (kNN cross-validation,
// silhouette) and the label-transfer reference run on at scale.
#include <doctest/doctest.h>

#include "scae/eval/subsample.hpp"
#include "scae/eval/embedding_scores.hpp"
#include "scae/transfer/annotation_scores.hpp"

#include <map>
#include <set>

namespace test_eval_subsample {

using scae::Index;
using namespace scae::eval;

namespace {
/// 10,000 labels: 60% "a", 30% "b", 9.9% "c", one "rare", interleaved.
std::vector<std::string> skewed_labels() {
    std::vector<std::string> labels;
    for (int i = 0; i < 9999; ++i) labels.push_back(i % 10 < 6 ? "a" : i % 10 < 9 ? "b" : "c");
    labels.insert(labels.begin() + 5000, "rare");
    return labels;
}
} // namespace

TEST_CASE("the subsample keeps each class's share, every class, and is seeded") {
    const auto labels = skewed_labels();
    const auto rows = stratified_subsample(labels, 1000, 7);
    REQUIRE(rows.size() == 1000);
    CHECK(std::is_sorted(rows.begin(), rows.end()));
    CHECK(std::set<Index>(rows.begin(), rows.end()).size() == rows.size());
    std::map<std::string, int> count;
    for (Index r : rows) ++count[labels[std::size_t(r)]];
    CHECK(count["rare"] == 1); // kept though its share is 0.1 of a cell
    CHECK(std::abs(count["a"] - 600) <= 1);
    CHECK(std::abs(count["b"] - 300) <= 1);
    CHECK(std::abs(count["c"] - 99) <= 1);
    CHECK(stratified_subsample(labels, 1000, 7) == rows);  // same seed, same cells
    CHECK(stratified_subsample(labels, 1000, 8) != rows);  // another seed, other cells
}

TEST_CASE("no subsample when there are no more cells than asked; bad sizes are errors") {
    const std::vector<std::string> labels = {"x", "y", "x"};
    CHECK(stratified_subsample(labels, 3, 1) == std::vector<Index>{0, 1, 2});
    CHECK(stratified_subsample(labels, 100, 1) == std::vector<Index>{0, 1, 2});
    CHECK_THROWS_AS(stratified_subsample(labels, 0, 1), scae::Error);
}

TEST_CASE("score_embedding states its subsample, and k-means covers every cell") {
    // Three well separated groups of 2,000 cells in 4-D.
    const Index n = 6000;
    scae::Matrix<float> latent(n, 4);
    std::vector<std::string> labels;
    scae::Rng rng(3);
    for (Index i = 0; i < n; ++i) {
        const int g = int(i % 3);
        for (Index j = 0; j < 4; ++j) latent(i, j) = float((j == g ? 8.0 : 0.0) + rng.normal());
        labels.push_back("g" + std::to_string(g));
    }
    scae::eval::EmbeddingScoreOptions options;
    options.max_cells = 900;
    const auto s = scae::eval::score_embedding(latent, labels, options);
    CHECK(s.cells == n);
    CHECK(s.subsample_cells == 900);
    CHECK(s.knn_accuracy > 0.99);
    CHECK(s.kmeans_ari > 0.99);
    CHECK(s.silhouette > 0.5);
    CHECK(nlohmann::json(s)["subsample_cells"] == 900);
    options.max_cells = 100000;
    CHECK(scae::eval::score_embedding(latent, labels, options).subsample_cells == n);
}

TEST_CASE("label transfer predicts every target cell from a stated reference subsample") {
    const Index n = 3000;
    scae::Matrix<float> reference(n, 2), target(n / 2, 2);
    std::vector<std::string> reference_labels, target_labels;
    for (Index i = 0; i < n; ++i) {
        reference(i, 0) = float(i % 2 == 0 ? -5 : 5) + float(i % 17) * 0.01f;
        reference(i, 1) = float(i % 13) * 0.01f;
        reference_labels.push_back(i % 2 == 0 ? "left" : "right");
    }
    for (Index i = 0; i < n / 2; ++i) {
        target(i, 0) = float(i % 3 == 0 ? -5 : 5) + float(i % 17) * 0.01f; // new cells drawn like the reference's
        target(i, 1) = float(i % 13) * 0.01f;
        target_labels.push_back(i % 3 == 0 ? "left" : "right");
    }
    scae::transfer::AnnotateOptions options;
    options.max_reference_cells = 500;
    const auto annotation = scae::transfer::annotate(reference, reference_labels, target, options);
    const auto s = scae::transfer::score_annotation(annotation, target_labels);
    CHECK(s.reference_cells == 500);
    CHECK(s.reference_cells_total == n);
    CHECK(annotation.labels.size() == std::size_t(n / 2));
    CHECK(s.accuracy == 1.0);
    CHECK(nlohmann::json(s)["reference_cells"] == 500);
}

} // namespace test_eval_subsample

// k-nearest-neighbour search, kNN classification and its cross-validation.
// Expected answers are worked out by hand in the comments of each test.
#include <doctest/doctest.h>

#include "scae/eval/knn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace test_eval_knn {

using scae::Index;
using scae::Matrix;
using namespace scae::eval;

namespace {
/// Three well-separated blobs in 2-D, `per_class` cells each, labelled "A", "B", "C".
void three_blobs(Index per_class, Matrix<double>& X, std::vector<std::string>& labels) {
    const double centre[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    X.resize(3 * per_class, 2);
    labels.clear();
    for (Index c = 0; c < 3; ++c)
        for (Index i = 0; i < per_class; ++i) {
            const Index row = c * per_class + i;
            X(row, 0) = centre[c][0] + std::sin(1.3 * double(row));
            X(row, 1) = centre[c][1] + std::cos(0.7 * double(row));
            labels.push_back(std::string(1, char('A' + c)));
        }
}
} // namespace

TEST_CASE("nearest_neighbours returns sorted neighbours with ties in row order") {
    Matrix<double> ref(5, 1);
    ref << 0.0, 1.0, 3.0, -1.0, 6.0;
    Matrix<double> query(1, 1);
    query << 0.0;
    const auto nn = nearest_neighbours(ref, query, 3);
    // Distances 0 (row 0), 1 (rows 1 and 3, tie -> row 1 first), 3 (row 2).
    CHECK(nn.indices(0, 0) == 0);
    CHECK(nn.indices(0, 1) == 1);
    CHECK(nn.indices(0, 2) == 3);
    CHECK(nn.distances(0, 0) == doctest::Approx(0.0));
    CHECK(nn.distances(0, 2) == doctest::Approx(1.0));
    // k beyond the reference size is capped.
    CHECK(nearest_neighbours(ref, query, 50).indices.cols() == 5);
}

TEST_CASE("nearest_neighbours in many blocks equals a direct search") {
    const Index n_ref = 3000, n_query = 1100, dims = 5, k = 7;
    Matrix<float> ref(n_ref, dims), query(n_query, dims);
    for (Index i = 0; i < ref.size(); ++i) ref.data()[i] = float(std::sin(0.91 * double(i)));
    for (Index i = 0; i < query.size(); ++i) query.data()[i] = float(std::cos(1.37 * double(i)));
    for (Metric metric : {Metric::euclidean, Metric::cosine}) {
        const auto nn = nearest_neighbours(ref, query, k, metric);
        const Matrix<double> direct = pairwise_distances(query, ref, metric);
        for (Index q : {Index(0), Index(531), n_query - 1}) {
            std::vector<double> row(direct.row(q).data(), direct.row(q).data() + n_ref);
            std::sort(row.begin(), row.end());
            for (Index j = 0; j < k; ++j) {
                CHECK(nn.distances(q, j) == doctest::Approx(row[j]).epsilon(1e-6));
                CHECK(direct(q, nn.indices(q, j)) == doctest::Approx(row[j]).epsilon(1e-6));
            }
        }
    }
}

TEST_CASE("pairwise distances: euclidean and cosine known values, zero rows under cosine") {
    Matrix<double> A(2, 2), B(2, 2);
    A << 3, 4, 0, 0;
    B << 0, 0, 1, 0;
    const auto e = pairwise_distances(A, B);
    CHECK(e(0, 0) == doctest::Approx(5.0));
    CHECK(e(0, 1) == doctest::Approx(std::sqrt(4.0 + 16.0)));
    const auto c = pairwise_distances(A, B, Metric::cosine);
    CHECK(c(0, 1) == doctest::Approx(1.0 - 0.6)); // cos angle = 3/5
    CHECK(c(1, 1) == doctest::Approx(1.0));       // zero vector: similarity 0
    CHECK(c(0, 0) == doctest::Approx(1.0));
}

TEST_CASE("knn_predict classifies well-separated blobs") {
    Matrix<double> X;
    std::vector<std::string> labels;
    three_blobs(20, X, labels);
    Matrix<double> query(3, 2);
    query << 0.5, -0.2, 9.0, 1.0, -0.5, 11.0;
    const auto predicted = knn_predict(X, labels, query);
    CHECK(predicted == std::vector<std::string>{"A", "B", "C"});
    CHECK(knn_predict(X, labels, query, {5, Metric::cosine})[1] == "B");
}

TEST_CASE("vote ties go to the closer class, then to the class that sorts first") {
    Matrix<double> train(2, 1), query(1, 1);
    train << -2.0, 1.0; // "a" at distance 2, "b" at distance 1
    query << 0.0;
    const std::vector<std::string> labels{"a", "b"};
    // One vote each; "b"'s voter is closer.
    CHECK(knn_predict(train, labels, query, {2, Metric::euclidean})[0] == "b");
    // Same distance sum too: "a" sorts first.
    train << -1.0, 1.0;
    CHECK(knn_predict(train, labels, query, {2, Metric::euclidean})[0] == "a");
}

TEST_CASE("k larger than a class lets the majority class win; cosine differs from euclidean") {
    Matrix<double> train(5, 1), query(1, 1);
    train << 0.0, 0.1, 5.0, 5.1, 5.2;
    query << 0.05;
    const std::vector<int> labels{1, 1, 2, 2, 2};
    CHECK(knn_predict(train, labels, query, {1, Metric::euclidean})[0] == 1);
    // k = 5 covers every training cell: class 2 holds 3 of the 5 votes.
    CHECK(knn_predict(train, labels, query, {5, Metric::euclidean})[0] == 2);
    CHECK(knn_predict(train, labels, query, {99, Metric::euclidean})[0] == 2);

    Matrix<double> t2(2, 2), q2(1, 2);
    t2 << 10.0, 0.0, 1.0, 1.0; // "far" lies along the query's direction, "near" is close
    q2 << 2.0, 0.1;
    const std::vector<std::string> l2{"far", "near"};
    CHECK(knn_predict(t2, l2, q2, {1, Metric::euclidean})[0] == "near");
    CHECK(knn_predict(t2, l2, q2, {1, Metric::cosine})[0] == "far");
}

TEST_CASE("knn_predict rejects bad input") {
    Matrix<double> train(3, 2), query(1, 3);
    train.setZero();
    query.setZero();
    const std::vector<int> labels{0, 1, 1};
    CHECK_THROWS_AS(knn_predict(train, labels, query), scae::Error); // column mismatch
    Matrix<double> q2 = Matrix<double>::Zero(1, 2);
    CHECK_THROWS_AS(knn_predict(train, std::vector<int>{0, 1}, q2), scae::Error);
    CHECK_THROWS_AS(knn_predict(train, labels, q2, {0, Metric::euclidean}), scae::Error);
    CHECK_THROWS_AS(knn_predict(Matrix<double>(0, 2), std::vector<int>{}, q2), scae::Error);
    q2(0, 1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(knn_predict(train, labels, q2), scae::Error);
}

TEST_CASE("cross-validation on separated blobs is perfect, folds are stratified and seeded") {
    Matrix<double> X;
    std::vector<std::string> labels;
    three_blobs(23, X, labels);
    const auto cv = knn_cross_validate(X, labels, {15, Metric::euclidean}, {5, 42});
    CHECK(cv.report.accuracy == 1.0);
    CHECK(cv.report.macro_f1 == 1.0);
    CHECK(cv.predicted == labels);
    CHECK(cv.fold_accuracy.size() == 5);
    CHECK(cv.report.classes == std::vector<std::string>{"A", "B", "C"});
    // 23 cells of a class over 5 folds: 4 or 5 per fold; totals 69 = 14 x 4 + 13.
    for (int f = 0; f < 5; ++f) {
        Index total = 0;
        for (Index c = 0; c < 3; ++c) {
            Index in_fold = 0;
            for (Index i = 0; i < 23; ++i) in_fold += cv.fold[c * 23 + i] == f ? 1 : 0;
            CHECK((in_fold == 4 || in_fold == 5));
            total += in_fold;
        }
        CHECK((total == 13 || total == 14));
    }
    const auto again = knn_cross_validate(X, labels, {15, Metric::euclidean}, {5, 42});
    CHECK(again.fold == cv.fold);
    const auto other_seed = knn_cross_validate(X, labels, {15, Metric::euclidean}, {5, 43});
    CHECK(other_seed.fold != cv.fold);
}

TEST_CASE("cross-validation predictions equal knn_predict on each fold's split") {
    // Overlapping classes so that some predictions are wrong.
    const Index n = 240;
    Matrix<double> X(n, 3);
    std::vector<int> labels(n);
    scae::Rng rng(3);
    for (Index i = 0; i < n; ++i) {
        labels[i] = int(i % 3);
        for (Index j = 0; j < 3; ++j) X(i, j) = rng.normal() + (j == labels[i] ? 1.5 : 0.0);
    }
    const KnnOptions options{9, Metric::cosine};
    const auto cv = knn_cross_validate(X, labels, options, {4, 7});
    CHECK(cv.report.accuracy > 0.4);
    CHECK(cv.report.accuracy < 1.0);
    for (int f = 0; f < 4; ++f) {
        std::vector<Index> train_rows, test_rows;
        std::vector<int> train_labels;
        for (Index i = 0; i < n; ++i) {
            if (cv.fold[i] == f) {
                test_rows.push_back(i);
            } else {
                train_rows.push_back(i);
                train_labels.push_back(labels[i]);
            }
        }
        const Matrix<double> train = X(train_rows, Eigen::all);
        const Matrix<double> test = X(test_rows, Eigen::all);
        const auto predicted = knn_predict(train, train_labels, test, options);
        Index correct = 0;
        for (std::size_t j = 0; j < test_rows.size(); ++j) {
            CHECK(predicted[j] == cv.predicted[test_rows[j]]);
            correct += predicted[j] == labels[test_rows[j]] ? 1 : 0;
        }
        CHECK(cv.fold_accuracy[f] == doctest::Approx(double(correct) / double(test_rows.size())));
    }
    CHECK(cv.report.accuracy == doctest::Approx(accuracy(labels, cv.predicted)));
    CHECK(cv.report.macro_f1 == doctest::Approx(macro_f1(labels, cv.predicted)));
}

TEST_CASE("cross-validation edge cases: one class, tiny classes, bad input") {
    Matrix<double> X(6, 1);
    X << 0, 1, 2, 3, 4, 5;
    const std::vector<std::string> same(6, "");
    const auto single = knn_cross_validate(X, same, {}, {3, 0});
    CHECK(single.report.accuracy == 1.0);
    CHECK(single.report.classes == std::vector<std::string>{""});
    // A class with one cell can never be predicted when it is held out: F1 0 for it.
    const std::vector<std::string> rare{"x", "x", "x", "x", "x", "y"};
    const auto cv = knn_cross_validate(X, rare, {3, Metric::euclidean}, {2, 0});
    CHECK(cv.report.f1[1] == 0.0);
    CHECK(cv.report.macro_f1 < 1.0);
    CHECK_THROWS_AS(knn_cross_validate(X, rare, {}, {1, 0}), scae::Error);
    CHECK_THROWS_AS(knn_cross_validate(X, rare, {}, {7, 0}), scae::Error);
    CHECK_THROWS_AS(knn_cross_validate(X, std::vector<std::string>(5, "x")), scae::Error);
}

} // namespace test_eval_knn

// k-means: hand-checkable answers, recovery of separated blobs, determinism,
// degenerate inputs and bad input.
#include <doctest/doctest.h>

#include "scae/core/random.hpp"
#include "scae/eval/kmeans.hpp"
#include "scae/eval/partition_agreement.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace test_eval_kmeans {

using scae::Index;
using scae::Matrix;
using namespace scae::eval;

TEST_CASE("two obvious groups on a line") {
    Matrix<double> X(6, 1);
    X << 0, 1, 2, 10, 11, 12;
    const auto result = kmeans(X, 2);
    std::vector<double> centres{result.centroids(0, 0), result.centroids(1, 0)};
    std::sort(centres.begin(), centres.end());
    CHECK(centres[0] == doctest::Approx(1.0));
    CHECK(centres[1] == doctest::Approx(11.0));
    CHECK(result.inertia == doctest::Approx(4.0)); // 1 + 0 + 1 on each side
    CHECK(result.labels[0] == result.labels[2]);
    CHECK(result.labels[3] == result.labels[5]);
    CHECK(result.labels[0] != result.labels[3]);
    CHECK(result.converged);
}

TEST_CASE("recovers separated blobs, deterministic for a seed, labels match centroids") {
    const Index per_class = 200;
    Matrix<float> X(3 * per_class, 4);
    std::vector<int> truth;
    scae::Rng rng(11);
    for (Index row = 0; row < X.rows(); ++row) {
        const int c = int(row / per_class);
        truth.push_back(c);
        for (Index j = 0; j < 4; ++j) X(row, j) = float(rng.normal() + (j == c ? 8.0 : 0.0));
    }
    KMeansOptions options;
    options.seed = 5;
    const auto first = kmeans(X, 3, options);
    CHECK(adjusted_rand_index(truth, first.labels) == doctest::Approx(1.0));
    const auto second = kmeans(X, 3, options);
    CHECK(second.labels == first.labels);
    CHECK(second.centroids == first.centroids);
    CHECK(second.inertia == first.inertia);

    const Matrix<double> points = X.cast<double>();
    double inertia = 0;
    for (Index i = 0; i < points.rows(); ++i) {
        Index nearest = 0;
        for (Index c = 1; c < 3; ++c)
            if ((points.row(i) - first.centroids.row(c)).squaredNorm() <
                (points.row(i) - first.centroids.row(nearest)).squaredNorm())
                nearest = c;
        CHECK(first.labels[i] == nearest);
        inertia += (points.row(i) - first.centroids.row(nearest)).squaredNorm();
    }
    CHECK(first.inertia == doctest::Approx(inertia));
}

TEST_CASE("more restarts never do worse than the first start alone") {
    // Ten overlapping groups: single starts land in different local optima.
    Matrix<double> X(500, 2);
    scae::Rng rng(2);
    for (Index i = 0; i < X.rows(); ++i) {
        X(i, 0) = rng.normal() + 3.0 * double(i % 10);
        X(i, 1) = rng.normal() + 2.0 * double(i % 3);
    }
    KMeansOptions one;
    one.restarts = 1;
    KMeansOptions many;
    many.restarts = 10;
    // Same seed: the first of the ten starts is the single start.
    CHECK(kmeans(X, 10, many).inertia <= kmeans(X, 10, one).inertia);
}

TEST_CASE("degenerate cases: k = 1, k = cells, duplicate cells") {
    Matrix<double> X(4, 2);
    X << 0, 0, 2, 0, 0, 2, 2, 2;
    const auto one = kmeans(X, 1);
    CHECK(one.centroids(0, 0) == doctest::Approx(1.0));
    CHECK(one.centroids(0, 1) == doctest::Approx(1.0));
    CHECK(one.inertia == doctest::Approx(8.0));
    const auto all = kmeans(X, 4);
    CHECK(all.inertia == doctest::Approx(0.0));
    const Matrix<double> same = Matrix<double>::Ones(5, 3);
    const auto dup = kmeans(same, 3);
    CHECK(dup.inertia == doctest::Approx(0.0));
    CHECK(dup.labels.size() == 5);
}

TEST_CASE("empty clusters restart at the cells farthest from their centres") {
    Matrix<double> X(6, 1);
    X << 0, 1, 2, 10, 11, 12;
    Matrix<double> start(3, 1);
    start << 0, 100, 200; // every cell goes to the first centre
    KMeansOptions options;
    options.max_iterations = 1;
    const auto one_step = lloyd(X, start, options, 0.0);
    CHECK(one_step.centroids(0, 0) == doctest::Approx(6.0)); // mean of all cells
    CHECK(one_step.centroids(1, 0) == doctest::Approx(12.0)); // farthest from 0
    CHECK(one_step.centroids(2, 0) == doctest::Approx(11.0)); // next farthest
    CHECK_FALSE(one_step.converged);
    options.max_iterations = 100;
    const auto settled = lloyd(X, start, options, 0.0);
    CHECK(settled.converged);
    for (int c = 0; c < 3; ++c)
        CHECK(std::count(settled.labels.begin(), settled.labels.end(), c) > 0);
}

TEST_CASE("kmeans rejects bad input") {
    Matrix<double> X = Matrix<double>::Zero(3, 2);
    CHECK_THROWS_AS(kmeans(X, 0), scae::Error);
    CHECK_THROWS_AS(kmeans(X, 4), scae::Error);
    KMeansOptions options;
    options.restarts = 0;
    CHECK_THROWS_AS(kmeans(X, 2, options), scae::Error);
    options = {};
    options.tolerance = -1;
    CHECK_THROWS_AS(kmeans(X, 2, options), scae::Error);
    X(2, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(kmeans(X, 2), scae::Error);
}

} // namespace test_eval_kmeans

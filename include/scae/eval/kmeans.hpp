#pragma once
/// @file kmeans.hpp
/// @brief k-means clustering of cells (Lloyd iterations from k-means++
/// starts, best of several restarts), deterministic for a seed.

#include "scae/core/parallelize.hpp"
#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/distance.hpp"
#include "scae/eval/row_products.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace scae::eval {

/// Settings of k-means.
struct KMeansOptions {
    /// Independent k-means++ starts; the run with the lowest inertia is kept.
    Index restarts = 10;
    /// Lloyd iterations per start.
    Index max_iterations = 300;
    /// A start has converged when the summed squared movement of the centroids
    /// in one iteration is at most tolerance x (mean per-feature variance of
    /// the data), the scale-free rule scikit-learn uses.
    double tolerance = 1e-4;
    /// Seed of the k-means++ draws.
    std::uint64_t seed = 0;
};

/// A clustering found by k-means.
struct KMeansResult {
    /// Cluster (0..k-1) of each cell: the nearest of `centroids`.
    std::vector<int> labels;
    /// k x features cluster centres.
    Matrix<double> centroids;
    /// Sum over cells of the squared distance to their centroid.
    double inertia = 0;
    /// Lloyd iterations used by the kept start.
    Index iterations = 0;
    /// Whether the kept start met the tolerance before max_iterations.
    bool converged = false;
};

/// Index of the nearest centroid for every row (ties to the lower index) and
/// the squared distance to it, one matrix product per block of rows. (The k-means steps are
/// templates, instantiated with `double` by kmeans(), so that including this header compiles no
/// Eigen product.)
/// @param points       cells x features
/// @param centroids    k x features
/// @param labels       receives the nearest centroid of each cell; must hold points.rows() entries
/// @param sq_distance  receives the squared distance to it; must hold points.rows() entries
template <class Real>
void assign_to_nearest(const Matrix<Real>& points, const Matrix<Real>& centroids, std::vector<int>& labels,
                       Vector<Real>& sq_distance) {
    const Vector<Real> centroid_sq_norms = centroids.rowwise().squaredNorm();
    const Index n = points.rows();
    const Index chunks = row_chunks(n);
    parallelize_each([&](Index chunk) {
        const Index first = chunk_start(n, chunks, chunk);
        const Index count = chunk_start(n, chunks, chunk + 1) - first;
        const Matrix<Real> d = ranking_distances(points.middleRows(first, count), centroids,
                                                   centroid_sq_norms, Metric::euclidean);
        for (Index r = 0; r < count; ++r) {
            Index best = 0;
            for (Index c = 1; c < d.cols(); ++c)
                if (d(r, c) < d(r, best)) best = c;
            labels[static_cast<std::size_t>(first + r)] = static_cast<int>(best);
            sq_distance[first + r] = d(r, best);
        }
    }, chunks, 0, double(n) * double(centroids.rows()) * double(points.cols()));
}

/// k-means++ seeding: each new centre is a cell drawn with probability
/// proportional to its squared distance to the nearest centre so far.
/// @param points  cells x features
/// @param k       number of centres, 1..points.rows()
/// @param rng     the generator the draws come from (advanced)
/// @return k x features starting centres, each a row of `points`
template <class Real>
Matrix<Real> kmeans_plus_plus(const Matrix<Real>& points, Index k, Rng& rng) {
    const Index n = points.rows();
    Matrix<Real> centres(k, points.cols());
    centres.row(0) = points.row(static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))));
    Vector<Real> nearest_sq = (points.rowwise() - centres.row(0)).rowwise().squaredNorm();
    for (Index c = 1; c < k; ++c) {
        // Summed in the same order as the walk below, so the walk always ends
        // on a cell with nonzero weight.
        double total = 0;
        for (Index i = 0; i < n; ++i) total += nearest_sq[i];
        Index chosen = n - 1;
        if (total > 0) {
            const double target = rng.uniform() * total;
            double cumulative = 0;
            for (Index i = 0; i < n; ++i) {
                cumulative += nearest_sq[i];
                if (cumulative > target) {
                    chosen = i;
                    break;
                }
            }
        } else {
            // Fewer distinct cells than clusters: any cell is as good as another.
            chosen = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n)));
        }
        centres.row(c) = points.row(chosen);
        nearest_sq = nearest_sq.cwiseMin((points.rowwise() - centres.row(c)).rowwise().squaredNorm());
    }
    return centres;
}

/// One k-means run (Lloyd iterations) from `centroids`.
/// @param points              cells x features
/// @param centroids           k x features starting centres
/// @param options             `max_iterations` is read
/// @param absolute_tolerance  converged when the summed squared centroid movement is at most this
/// @return the clustering from these starts
template <class Real>
KMeansResult lloyd(const Matrix<Real>& points, Matrix<Real> centroids, const KMeansOptions& options,
                   double absolute_tolerance) {
    const Index n = points.rows();
    const Index k = centroids.rows();
    KMeansResult run;
    run.labels.assign(static_cast<std::size_t>(n), 0);
    Vector<Real> sq_distance(n);
    std::vector<Index> counts(static_cast<std::size_t>(k));
    for (run.iterations = 1; run.iterations <= options.max_iterations; ++run.iterations) {
        assign_to_nearest(points, centroids, run.labels, sq_distance);
        Matrix<Real> updated = Matrix<Real>::Zero(k, points.cols());
        std::fill(counts.begin(), counts.end(), Index(0));
        for (Index i = 0; i < n; ++i) {
            const int c = run.labels[static_cast<std::size_t>(i)];
            updated.row(c) += points.row(i);
            ++counts[c];
        }
        // Each empty cluster restarts at the next cell worst served by its centre.
        std::vector<Index> farthest;
        std::size_t relocated = 0;
        for (Index c = 0; c < k; ++c) {
            if (counts[c] > 0) {
                updated.row(c) /= double(counts[c]);
                continue;
            }
            if (farthest.empty()) {
                farthest.resize(static_cast<std::size_t>(n));
                std::iota(farthest.begin(), farthest.end(), Index(0));
                std::stable_sort(farthest.begin(), farthest.end(),
                                 [&](Index a, Index b) { return sq_distance[a] > sq_distance[b]; });
            }
            updated.row(c) = points.row(farthest[relocated++ % farthest.size()]);
        }
        const double shift = (updated - centroids).squaredNorm();
        centroids = std::move(updated);
        if (shift <= absolute_tolerance) {
            run.converged = true;
            break;
        }
    }
    run.iterations = std::min(run.iterations, options.max_iterations);
    // Final labels and inertia belong to the final centroids.
    assign_to_nearest(points, centroids, run.labels, sq_distance);
    run.inertia = 0;
    for (Index i = 0; i < n; ++i)
        run.inertia += (points.row(i) - centroids.row(run.labels[static_cast<std::size_t>(i)])).squaredNorm();
    run.centroids = std::move(centroids);
    return run;
}

/// Clusters the rows of `X` into `k` groups. Throws scae::Error unless
/// 1 <= k <= rows, restarts and max_iterations are positive, the tolerance
/// is non-negative and all values are finite.
/// @param X        cells x features
/// @param k        number of clusters
/// @param options  restarts, iterations, tolerance and seed
/// @return the clustering of the start with the lowest inertia
/// @throws Error on k, options or values out of range
template <class Scalar>
KMeansResult kmeans(const Matrix<Scalar>& X, Index k, const KMeansOptions& options = {}) {
    if (k < 1 || k > X.rows())
        fail("kmeans", 0,
             "k = " + std::to_string(k) + " for " + std::to_string(X.rows()) +
                 " cells; expected 1 <= k <= cells");
    if (options.restarts < 1 || options.max_iterations < 1 || !(options.tolerance >= 0))
        fail("kmeans", 0, "restarts and max_iterations must be >= 1 and tolerance >= 0");
    require_finite(X, "kmeans");
    const Matrix<Double<Scalar>> points = X.template cast<double>();
    const RowVector<Double<Scalar>> mean = points.colwise().mean();
    const double mean_variance =
        (points.rowwise() - mean).colwise().squaredNorm().mean() / double(points.rows());
    const double absolute_tolerance = options.tolerance * mean_variance;

    Rng rng(options.seed);
    KMeansResult best;
    best.inertia = std::numeric_limits<double>::infinity();
    for (Index restart = 0; restart < options.restarts; ++restart) {
        KMeansResult run = lloyd(points, kmeans_plus_plus(points, k, rng), options, absolute_tolerance);
        if (run.inertia < best.inertia) best = std::move(run);
    }
    return best;
}

} // namespace scae::eval

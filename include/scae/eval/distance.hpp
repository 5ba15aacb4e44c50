#pragma once
/// @file distance.hpp
/// @brief Euclidean and cosine distances between rows of dense matrices,
/// computed block-wise with matrix products (|a|^2 + |b|^2 - 2 a.b) so that
/// tens of thousands of cells take seconds, not minutes.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace scae::eval {

/// How far apart two cells are in a latent space.
enum class Metric {
    euclidean, ///< sqrt(sum (a_i - b_i)^2)
    cosine,    ///< 1 - a.b / (|a| |b|); a zero row is at distance 1 from everything
};

/// Throws scae::Error naming `context` unless every entry of `X` is finite.
/// @param X        the matrix to check
/// @param context  the name the message starts with
/// @throws Error naming the first row with a NaN or infinite value
template <class Scalar>
void require_finite(const Matrix<Scalar>& X, const std::string& context) {
    if (X.allFinite()) return;
    for (Index r = 0; r < X.rows(); ++r)
        if (!X.row(r).allFinite())
            fail(context, 0, "row " + std::to_string(r) + " holds a NaN or infinite value");
}

/// The rows of `X` in double precision, scaled to unit length for the cosine
/// metric (zero rows stay zero), ready for `ranking_distances`.
/// @param X       cells x features
/// @param metric  cosine normalises the rows; euclidean copies them
/// @return the prepared rows, same shape as `X`
template <class Scalar>
Matrix<double> prepare_rows(const Matrix<Scalar>& X, Metric metric) {
    Matrix<Double<Scalar>> out = X.template cast<double>();
    if (metric == Metric::cosine) {
        for (Index r = 0; r < out.rows(); ++r) {
            const double norm = out.row(r).norm();
            if (norm > 0) out.row(r) /= norm;
        }
    }
    return out;
}

/// Distances used for ranking, between prepared rows `queries` and `references`:
/// squared euclidean distances (clamped at 0 against rounding) or cosine
/// distances. `reference_sq_norms` holds the squared norms of `references`' rows.
/// The result is queries.rows() x references.rows().
/// @param queries             prepared query rows (prepare_rows()), a block or a matrix
/// @param references          prepared reference rows, as many columns as `queries`
/// @param reference_sq_norms  squared norm of each row of `references` (read for euclidean only)
/// @param metric              the metric the rows were prepared for
/// @return queries.rows() x references.rows() ranking distances
template <class QueryBlock>
Matrix<double> ranking_distances(const Eigen::MatrixBase<QueryBlock>& queries,
                                 const Matrix<double>& references,
                                 const Vector<double>& reference_sq_norms, Metric metric) {
    Matrix<Double<QueryBlock>> d(queries.rows(), references.rows());
    d.noalias() = queries * references.transpose();
    // One fused pass over the block: it is far larger than the cache.
    if (metric == Metric::cosine) {
        d.array() = (1.0 - d.array()).cwiseMax(0.0).cwiseMin(2.0);
    } else {
        const Vector<Double<QueryBlock>> query_sq_norms = queries.rowwise().squaredNorm();
        for (Index r = 0; r < d.rows(); ++r)
            d.row(r).array() = (reference_sq_norms.transpose().array() - 2.0 * d.row(r).array() +
                                query_sq_norms[r])
                                   .cwiseMax(0.0);
    }
    return d;
}

/// Converts a ranking distance into the reported distance (sqrt for euclidean).
/// @param ranking_distance  a value from ranking_distances()
/// @param metric            the metric it was computed with
/// @return the distance in the metric's own units
inline double reported_distance(double ranking_distance, Metric metric) {
    return metric == Metric::euclidean ? std::sqrt(ranking_distance) : ranking_distance;
}

/// All distances between the rows of `A` and the rows of `B` (A.rows() x B.rows()).
/// Meant for small inputs; nearest_neighbours handles large ones in blocks.
/// @param A       rows to measure from
/// @param B       rows to measure to, as many columns as `A`
/// @param metric  the distance
/// @return A.rows() x B.rows() distances
/// @throws Error when `A` and `B` differ in columns
template <class Scalar>
Matrix<double> pairwise_distances(const Matrix<Scalar>& A, const Matrix<Scalar>& B,
                                  Metric metric = Metric::euclidean) {
    if (A.cols() != B.cols())
        fail("pairwise_distances", 0,
             "matrices differ in columns: " + std::to_string(A.cols()) + " vs " +
                 std::to_string(B.cols()));
    const Matrix<Double<Scalar>> a = prepare_rows(A, metric);
    const Matrix<Double<Scalar>> b = prepare_rows(B, metric);
    const Vector<Double<Scalar>> b_sq_norms = b.rowwise().squaredNorm();
    Matrix<Double<Scalar>> d = ranking_distances(a, b, b_sq_norms, metric);
    if (metric == Metric::euclidean) d.array() = d.array().sqrt();
    return d;
}

} // namespace scae::eval

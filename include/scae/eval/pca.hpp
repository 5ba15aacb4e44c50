#pragma once
/// @file pca.hpp
/// @brief Principal component analysis of a dense or sparse cells x features
/// matrix (centred, not scaled; a sparse one is centred implicitly and never
/// densified), with the fitted mean and axes kept so other data (another
/// tissue, a held-out batch) can be projected onto the same axes.
///
/// Two solvers: the exact eigen-decomposition of the features x features
/// covariance (used automatically when there are few features, e.g. a
/// latent space), and randomized SVD (Halko, Martinsson & Tropp 2011) with
/// power iterations for wide matrices such as cells x genes. Randomized SVD
/// is exact whenever components + oversampling reaches min(cells, features).
///
/// Sign convention: each component is flipped so that its largest-magnitude
/// loading (the first, on ties) is positive, so results are deterministic.

#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/distance.hpp"
#include "scae/eval/row_products.hpp"
#include "scae/eval/sparse_products.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace scae::eval {

/// Which algorithm computes the components.
enum class PcaSolver {
    automatic,  ///< covariance when features <= covariance_max_features, else randomized
    covariance, ///< exact eigen-decomposition of the features x features covariance
    randomized, ///< randomized SVD of the centred data
};

/// Settings of PCA.
struct PcaOptions {
    /// Number of components; capped at min(cells, features).
    Index components = 50;
    /// Algorithm; see PcaSolver.
    PcaSolver solver = PcaSolver::automatic;
    /// Largest feature count for which `automatic` picks the covariance solver.
    Index covariance_max_features = 500;
    /// Extra random directions sampled beyond `components` (randomized solver).
    Index oversampling = 10;
    /// Power iterations sharpening the sampled subspace (randomized solver).
    Index power_iterations = 7;
    /// Seed of the random test matrix (randomized solver).
    std::uint64_t seed = 0;
};

/// A fitted PCA: the axes, how much variance each carries, and the training scores.
struct Pca {
    /// Per-feature mean of the training data (1 x features), subtracted before projecting.
    RowVector<double> mean;
    /// components x features; each row a unit-length principal axis.
    Matrix<double> components;
    /// Variance of the training scores on each axis (denominator cells - 1):
    /// what the axis explains. For the randomized solver this is measured on
    /// the data rather than taken from the sketch, so it always matches `scores`.
    Vector<double> explained_variance;
    /// explained_variance divided by the total variance of the training data.
    Vector<double> explained_variance_ratio;
    /// Training cells in component coordinates (cells x components).
    Matrix<double> scores;

    /// Coordinates of new cells on the fitted axes: (X - mean) * components^T.
    /// Throws scae::Error when X has a different number of features.
    /// @param X  cells x the fitted features
    /// @return cells x components scores
    /// @throws Error on a different feature count or non-finite values
    template <class Scalar>
    Matrix<double> project(const Matrix<Scalar>& X) const {
        if (X.cols() != mean.size())
            fail("Pca::project", 0,
                 "data has " + std::to_string(X.cols()) + " features; the PCA was fitted on " +
                     std::to_string(mean.size()));
        require_finite(X, "Pca::project");
        const Matrix<Double<Scalar>> centred = X.template cast<double>().rowwise() - mean;
        return rows_times(centred, components.transpose());
    }
};

/// Orthonormal basis of the column space of `Y` (same shape as Y, Y.rows() >= Y.cols()).
/// @param Y  a tall matrix
/// @return Y.rows() x Y.cols() with orthonormal columns spanning those of `Y` (when `Y` has full rank)
// A template only so that the decompositions are compiled where fit_pca is used, not in
// every file that includes this header.
template <class Real>
Matrix<Real> orthonormal_basis(const Matrix<Real>& Y) {
    const Eigen::HouseholderQR<Matrix<Real>> qr(Y);
    return qr.householderQ() * Matrix<Real>::Identity(Y.rows(), Y.cols());
}

/// Leading `count` right singular vectors (as rows, largest singular value first) of a
/// `features`-column matrix A given only through its products: `times(B)` = A B and
/// `transpose_times(Q)` = A^T Q. Randomized SVD with `sketch` sampled directions and
/// `options.power_iterations` power iterations, seeded by `options.seed`.
/// @param features         columns of A
/// @param count            number of axes returned, at most `sketch`
/// @param sketch           sampled directions, at most min(rows, features) of A
/// @param options          `power_iterations` and `seed` are read
/// @param times            callable: features x m matrix B -> A B
/// @param transpose_times  callable: rows x m matrix Q -> A^T Q
/// @return count x features orthonormal rows, signs not yet fixed
/// @throws Error when the eigen-decomposition of the sketch fails
template <class Real, class Times, class TransposeTimes>
Matrix<Real> randomized_axes(Index features, Index count, Index sketch, const PcaOptions& options, const Times& times,
                             const TransposeTimes& transpose_times) {
    Rng rng(options.seed);
    Matrix<Real> omega(features, sketch);
    for (Index i = 0; i < omega.size(); ++i) omega.data()[i] = rng.normal();
    Matrix<Real> q = orthonormal_basis<Real>(times(omega));
    for (Index it = 0; it < options.power_iterations; ++it) {
        const Matrix<Real> z = orthonormal_basis<Real>(transpose_times(q));
        q = orthonormal_basis<Real>(times(z));
    }
    const Matrix<Real> small = transpose_times(q).transpose(); // sketch x features
    // Right singular vectors of `small` from the eigenvectors U of the small Gram matrix
    // small small^T: v_i = small^T u_i / sigma_i. (An eigen-solver we already use instead of
    // an SVD, which is costly to compile.)
    const Eigen::SelfAdjointEigenSolver<Matrix<Real>> eigen(small * small.transpose());
    if (eigen.info() != Eigen::Success) fail("fit_pca", 0, "the sketch eigen-decomposition did not converge");
    const Matrix<Real> u = eigen.eigenvectors().rightCols(count).rowwise().reverse(); // largest first
    // u^T small has orthogonal rows of length sigma_i. Rows with sigma_i near 0
    // (rank-deficient data) are rounding noise, so the rows are made orthonormal
    // by QR in order: leading axes keep their direction (up to sign, fixed by
    // the caller) and the null directions become a valid orthonormal completion.
    const Matrix<Real> axes = u.transpose() * small;
    return orthonormal_basis<Real>(axes.transpose()).transpose();
}

/// Leading `count` right singular vectors of the dense `centred` (see above).
/// @param centred  the centred data, cells x features
/// @param count    number of axes returned, at most `sketch`
/// @param sketch   sampled directions, at most min(cells, features)
/// @param options  `power_iterations` and `seed` are read
/// @return count x features orthonormal rows, signs not yet fixed
/// @throws Error when the eigen-decomposition of the sketch fails
template <class Real>
Matrix<Real> randomized_axes(const Matrix<Real>& centred, Index count, Index sketch, const PcaOptions& options) {
    return randomized_axes<Real>(
        centred.cols(), count, sketch, options, [&](const Matrix<Real>& b) { return rows_times(centred, b); },
        [&](const Matrix<Real>& q) { return transpose_times(centred, q); });
}

/// Leading `count` eigenvectors of the covariance of `centred` (as rows,
/// largest eigenvalue first), computed exactly.
/// @param centred  the centred data, cells x features
/// @param count    number of axes, at most the features
/// @return count x features orthonormal rows, signs not yet fixed
/// @throws Error when the eigen-decomposition fails
template <class Real>
Matrix<Real> covariance_axes(const Matrix<Real>& centred, Index count) {
    const Matrix<Real> scatter = transpose_times(centred, centred);
    const Eigen::SelfAdjointEigenSolver<Matrix<Real>> eigen(scatter);
    if (eigen.info() != Eigen::Success)
        fail("fit_pca", 0, "the covariance eigen-decomposition did not converge");
    // Eigenvalues come in ascending order.
    return eigen.eigenvectors().rightCols(count).rowwise().reverse().transpose();
}

/// Flips each row of `components` so that its largest-magnitude entry (the first, on ties) is
/// positive: the sign convention of the file comment.
/// @param components  components x features, flipped in place
template <class Real>
void fix_signs(Matrix<Real>& components) {
    for (Index c = 0; c < components.rows(); ++c) {
        Index largest = 0;
        for (Index j = 1; j < components.cols(); ++j)
            if (std::abs(components(c, j)) > std::abs(components(c, largest))) largest = j;
        if (components(c, largest) < 0) components.row(c) *= Real(-1);
    }
}

/// Fills explained_variance from the scores, and its ratio to `total_variance`. (A template
/// only so that including this header compiles no Eigen reduction.)
/// @param pca             a fit whose `scores` are set; its variances are written
/// @param total_variance  total variance of the training data (denominator cells - 1); 0 gives ratios 0
template <class Real>
void set_explained_variance(Pca& pca, Real total_variance) {
    const double dof = double(pca.scores.rows() - 1);
    pca.explained_variance = pca.scores.colwise().squaredNorm().transpose() / dof;
    pca.explained_variance_ratio = total_variance > 0 ? Vector<double>(pca.explained_variance / total_variance)
                                                      : Vector<double>(Vector<double>::Zero(pca.scores.cols()));
}

/// Fits PCA to the rows of `X`. Throws scae::Error for fewer than 2 cells,
/// no features, components < 1, bad solver settings or non-finite values.
/// @param X        cells x features
/// @param options  number of components, solver and its settings
/// @return the mean, axes, variances and training scores
/// @throws Error for fewer than 2 cells, no features, bad settings or non-finite values
template <class Scalar>
Pca fit_pca(const Matrix<Scalar>& X, const PcaOptions& options = {}) {
    if (X.rows() < 2 || X.cols() < 1)
        fail("fit_pca", 0,
             "data is " + std::to_string(X.rows()) + " x " + std::to_string(X.cols()) +
                 "; expected at least 2 cells and 1 feature");
    if (options.components < 1 || options.oversampling < 0 || options.power_iterations < 0)
        fail("fit_pca", 0, "expected components >= 1, oversampling >= 0 and power_iterations >= 0");
    require_finite(X, "fit_pca");

    Pca pca;
    Matrix<Double<Scalar>> centred = X.template cast<double>();
    pca.mean = centred.colwise().mean();
    centred.rowwise() -= pca.mean;
    const Index count = std::min({options.components, X.rows(), X.cols()});

    const bool use_covariance =
        options.solver == PcaSolver::covariance ||
        (options.solver == PcaSolver::automatic && X.cols() <= options.covariance_max_features);
    if (use_covariance) {
        pca.components = covariance_axes(centred, count);
    } else {
        const Index sketch = std::min({count + options.oversampling, X.rows(), X.cols()});
        pca.components = randomized_axes(centred, count, sketch, options);
    }
    fix_signs(pca.components);
    pca.scores = rows_times(centred, pca.components.transpose());
    set_explained_variance(pca, centred.squaredNorm() / double(X.rows() - 1));
    return pca;
}

/// Fits PCA to the rows of the sparse `X` (cells x features) without densifying it: the
/// solvers work on the implicitly centred matrix X - 1 mean through products with X and X^T
/// alone, so memory beyond X is the sketch (cells x (components + oversampling)) and the
/// scores. Same options, sign convention and results as the dense fit_pca (up to rounding).
/// Throws scae::Error as the dense fit_pca does.
/// @param X        a view of cells x features; only read during the call
/// @param options  number of components, solver and its settings
/// @return the mean, axes, variances and training scores
/// @throws Error for fewer than 2 cells, no features, bad settings or non-finite values
template <class T>
Pca fit_pca(const CsrView<T>& X, const PcaOptions& options = {}) {
    const Index n = X.rows, p = X.cols;
    if (n < 2 || p < 1)
        fail("fit_pca", 0,
             "data is " + std::to_string(n) + " x " + std::to_string(p) + "; expected at least 2 cells and 1 feature");
    if (options.components < 1 || options.oversampling < 0 || options.power_iterations < 0)
        fail("fit_pca", 0, "expected components >= 1, oversampling >= 0 and power_iterations >= 0");
    Pca pca;
    pca.mean = RowVector<double>::Zero(p);
    double sum_squares = 0;
    for (int k = X.outer[0]; k < X.outer[n]; ++k) {
        const double v = double(X.values[k]);
        if (!std::isfinite(v)) fail("fit_pca", 0, "the data hold a non-finite value");
        pca.mean[X.inner[k]] += v;
        sum_squares += v * v;
    }
    pca.mean /= double(n);
    const Index count = std::min({options.components, n, p});
    // (X - 1 mean) B = X B - 1 (mean B);  (X - 1 mean)^T Q = X^T Q - mean^T (1^T Q).
    const auto times = [&](const Matrix<double>& b) {
        Matrix<Double<T>> out = sparse_rows_times(X, b);
        out.rowwise() -= pca.mean * b;
        return out;
    };
    const auto transpose_times = [&](const Matrix<double>& q) {
        Matrix<Double<T>> out = sparse_transpose_times(X, q);
        out.noalias() -= pca.mean.transpose() * q.colwise().sum();
        return out;
    };
    const bool use_covariance = options.solver == PcaSolver::covariance ||
                                (options.solver == PcaSolver::automatic && p <= options.covariance_max_features);
    if (use_covariance) {
        Matrix<Double<T>> scatter = sparse_gram(X);
        scatter.noalias() -= double(n) * pca.mean.transpose() * pca.mean;
        const Eigen::SelfAdjointEigenSolver<Matrix<double>> eigen(scatter);
        if (eigen.info() != Eigen::Success) fail("fit_pca", 0, "the covariance eigen-decomposition did not converge");
        pca.components = eigen.eigenvectors().rightCols(count).rowwise().reverse().transpose();
    } else {
        const Index sketch = std::min({count + options.oversampling, n, p});
        pca.components = randomized_axes<double>(p, count, sketch, options, times, transpose_times);
    }
    fix_signs(pca.components);
    pca.scores = times(pca.components.transpose());
    set_explained_variance(pca, std::max(0.0, sum_squares - double(n) * pca.mean.squaredNorm()) / double(n - 1));
    return pca;
}

/// fit_pca of a compressed sparse matrix (see the CsrView overload).
/// @param X        cells x features, compressed
/// @param options  number of components, solver and its settings
/// @return the mean, axes, variances and training scores
/// @throws Error for fewer than 2 cells, no features, bad settings or non-finite values
template <class T>
Pca fit_pca(const Csr<T>& X, const PcaOptions& options = {}) {
    return fit_pca(view_all(X), options);
}

} // namespace scae::eval

#pragma once
/// @file embed2d.hpp
/// @brief A 2-D view of a latent space for pictures: the scores on its first
/// two principal components. Linear and deterministic (fixed PCA signs and
/// seed), so two runs or two tissues projected the same way look the same;
/// unlike t-SNE/UMAP it keeps global distances and never invents clusters.

#include "scae/core/types.hpp"
#include "scae/eval/pca.hpp"

namespace scae::eval {

/// cells x 2 coordinates: PC1 and PC2 scores of `X` (cells in rows). With a
/// single feature the second coordinate is 0. Throws scae::Error for fewer
/// than 2 cells or non-finite values (see fit_pca).
/// @param X  cells x features
/// @return cells x 2 coordinates
/// @throws Error for fewer than 2 cells or non-finite values
template <class Scalar>
Matrix<double> embed_2d(const Matrix<Scalar>& X) {
    PcaOptions options;
    options.components = 2;
    const Pca pca = fit_pca(X, options);
    Matrix<Double<Scalar>> xy = Matrix<Double<Scalar>>::Zero(X.rows(), 2);
    xy.leftCols(pca.scores.cols()) = pca.scores;
    return xy;
}

} // namespace scae::eval

#pragma once
/// @file types.hpp
/// @brief Matrix types shared by every module: cells are rows, genes are columns.

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>

namespace scae {

/// Dense row-major matrix (cells x features).
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Dense column vector.
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Dense row vector (one value per column, e.g. a bias or a per-gene parameter).
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Compressed sparse rows (cells x genes): the form counts are read into and trained on.
template <class T>
using Csr = Eigen::SparseMatrix<T, Eigen::RowMajor, int>;

/// Index type used for rows, columns and nonzeros.
using Index = Eigen::Index;

} // namespace scae

#pragma once
/// @file types.hpp
/// @brief Matrix types shared by every module: cells are rows, genes are columns.

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <type_traits>

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

/// `double`, spelled as a type that depends on the template parameter `T`. A template that
/// computes in double on `Matrix<Double<T>>` has its Eigen code compiled only where it is used;
/// spelled `Matrix<double>`, the compiler works through that code wherever the header is
/// included (a non-dependent expression is checked where the template is defined).
template <class T>
using Double = std::conditional_t<sizeof(T) != 0, double, double>;

} // namespace scae

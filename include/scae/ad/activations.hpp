#pragma once
/// @file activations.hpp
/// @brief The activations' values and slopes, defined once: the tape's ops (ops.hpp), the fused
/// layers (fused.hpp), inference (nn/activation.hpp) and the saliency sweep
/// (interpret/node_saliency.hpp) all compute them here, so a model trains, runs and is explained
/// through the same arithmetic.
///
/// Each function takes Eigen arrays (a stack-sized row chunk in the fused layers, a whole matrix
/// elsewhere) and returns an array of the same type or an expression over its arguments.

#include "scae/core/types.hpp"

namespace scae::ad::activation {

/// A matrix's values as an array (row-major, as scae::Matrix): what the functions below take
/// and give outside the fused layers' row chunks.
template <class T>
using Values = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// ---- softplus_beta(x) = log(1 + e^(beta x)) / beta ------------------------------------
// With z = beta x, e = exp(-|z|) and r = 1 / (1 + e), its value is (max(z, 0) + log1p(e)) / beta
// and its slope, the logistic function of z, is r for z >= 0 and e r below: one exp, one log and
// one division per value, no overflow for large |z|, no cancellation for negative z.

/// exp(-|z|), shared by softplus' value and slope.
/// @param z  beta x.
/// @return an expression for exp(-|z|).
template <class Z>
auto softplus_e(const Eigen::ArrayBase<Z>& z) {
    return (-z.abs()).exp();
}

/// 1 / (1 + e), shared by softplus' value (below) and slope: the one division per value.
/// @param e  softplus_e(z).
/// @return an expression for 1 / (1 + e).
template <class E>
auto softplus_r(const Eigen::ArrayBase<E>& e) {
    using T = typename E::Scalar;
    return T(1) / (T(1) + e);
}

/// beta softplus_beta(x), that is max(z, 0) + log1p(e): the value before its scaling by 1 / beta
/// (a product, not a division per value), which the output layer takes with the cell's factor.
/// log1p(e) is log(u) + (e - (u - 1)) r with u = 1 + e rounded: u - 1 is exact and e - (u - 1) is
/// the rounding error of u, so the log of the rounded sum is corrected to first order without
/// log1p's own division (within 3.3 ulp of the exact softplus for z in [-60, 60], as log1p was).
/// @param z  beta x.
/// @param e  softplus_e(z).
/// @param r  softplus_r(e).
/// @return an expression (it refers to `z`, `e` and `r`).
template <class Z, class E, class R>
auto softplus_times_beta(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<E>& e, const Eigen::ArrayBase<R>& r) {
    using T = typename Z::Scalar;
    return z.max(T(0)) + (T(1) + e).log() + (e - ((T(1) + e) - T(1))) * r;
}

/// The logistic function's numerator over 1 + e: 1 where z >= 0, e below. A plain loop, which
/// compilers turn into a vector blend (Eigen 3.4's select is scalar).
/// @param z  beta x (a plain array, any shape).
/// @param e  softplus_e(z), same shape.
/// @return the numerators, same type and shape.
template <class A>
A logistic_numerator(const A& z, const A& e) {
    using T = typename A::Scalar;
    A out(z.rows(), z.cols());
    for (Index i = 0; i < z.size(); ++i) out(i) = z(i) >= T(0) ? T(1) : e(i);
    return out;
}

/// softplus_beta's slope at x: the logistic function of z = beta x.
/// @param z  beta x (a plain array).
/// @param e  softplus_e(z), same type.
/// @param r  softplus_r(e), same type.
/// @return the slopes, same type and shape.
template <class A>
A softplus_slope(const A& z, const A& e, const A& r) {
    A slope = logistic_numerator(z, e);
    slope *= r;
    return slope;
}

// ---- the others -----------------------------------------------------------------------

/// max(x, 0).
/// @param x  pre-activations.
/// @return an expression for max(x, 0).
template <class X>
auto relu_value(const Eigen::ArrayBase<X>& x) {
    return x.max(typename X::Scalar(0));
}

/// relu's slope: 1 where x > 0, else 0.
/// @param x  pre-activations.
/// @return an expression for the 0/1 slopes, in x's scalar.
template <class X>
auto relu_slope(const Eigen::ArrayBase<X>& x) {
    return (x > typename X::Scalar(0)).template cast<typename X::Scalar>();
}

/// The logistic function 1 / (1 + e^-x).
/// @param x  pre-activations.
/// @return an expression for the logistic function of x.
template <class X>
auto sigmoid_value(const Eigen::ArrayBase<X>& x) {
    using T = typename X::Scalar;
    return T(1) / (T(1) + (-x).exp());
}

/// The logistic function's slope s (1 - s), from its value s.
/// @param s  sigmoid_value() of the pre-activations.
/// @return an expression for the slopes.
template <class Y>
auto sigmoid_slope_from_value(const Eigen::ArrayBase<Y>& s) {
    return s * (typename Y::Scalar(1) - s);
}

/// tanh x.
/// @param x  pre-activations.
/// @return an expression for tanh x.
template <class X>
auto tanh_value(const Eigen::ArrayBase<X>& x) {
    return x.tanh();
}

/// tanh's slope 1 - y^2, from its value y.
/// @param y  tanh_value() of the pre-activations.
/// @return an expression for the slopes.
template <class Y>
auto tanh_slope_from_value(const Eigen::ArrayBase<Y>& y) {
    return typename Y::Scalar(1) - y.square();
}

} // namespace scae::ad::activation

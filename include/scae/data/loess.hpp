#pragma once
/// @file loess.hpp
/// @brief Local polynomial regression (loess) of one response on one predictor, evaluated directly
/// at the data points; used by the Seurat v3 gene-variance model.

#include "scae/core/error.hpp"
#include "scae/core/parallelize.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

namespace scae::data {

/// Options of loess_fit(). The defaults are those Seurat v3 and scanpy use for the mean-variance trend.
struct LoessOptions {
    double span = 0.3; ///< fraction of the points in each local neighbourhood, in (0, 1]
    int degree = 2;    ///< degree of the local polynomial: 0, 1 or 2
};

namespace detail {

/// loess_fit()'s input checks; returns the neighbourhood size q = floor(n * span).
template <class T>
std::size_t loess_neighbourhood(const std::vector<T>& x, const std::vector<T>& y, const LoessOptions& options) {
    const std::size_t n = x.size();
    if (y.size() != n) {
        throw Error("loess: " + std::to_string(n) + " x values but " + std::to_string(y.size()) + " y values");
    }
    if (!(options.span > 0 && options.span <= 1)) {
        throw Error("loess: span must be in (0, 1], got " + std::to_string(options.span));
    }
    if (options.degree < 0 || options.degree > 2) {
        throw Error("loess: degree must be 0, 1 or 2, got " + std::to_string(options.degree));
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
            throw Error("loess: point " + std::to_string(i) + " is not finite (x = " + std::to_string(x[i]) +
                        ", y = " + std::to_string(y[i]) + ")");
        }
    }
    const std::size_t coefficients = static_cast<std::size_t>(options.degree) + 1;
    const std::size_t q = static_cast<std::size_t>(std::floor(static_cast<double>(n) * options.span));
    if (q < coefficients) {
        throw Error("loess: span " + std::to_string(options.span) + " of " + std::to_string(n) +
                    " points leaves " + std::to_string(q) + " points per neighbourhood; a degree-" +
                    std::to_string(options.degree) + " fit needs at least " + std::to_string(coefficients));
    }
    return q;
}

/// The local fit at sorted point x0 = xs[i] over its neighbourhood [begin, end): the intercept
/// of a weighted least-squares polynomial with `coefficients` coefficients (T: the input
/// precision, which only selects this template's instance; the fit runs in double).
template <class T>
double loess_local_fit(const std::vector<double>& xs, const std::vector<double>& ys, std::size_t i, std::size_t begin,
                       std::size_t end, std::size_t coefficients) {
    const double x0 = xs[i];
    const double h = std::max(x0 - xs[begin], xs[end - 1] - x0);
    if (h == 0) {
        // More than q points sit exactly at x0: no spread to fit a slope on.
        double sum = 0;
        std::size_t tied = 0;
        for (std::size_t k = begin; k < end; ++k) {
            if (xs[k] == x0) {
                sum += ys[k];
                ++tied;
            }
        }
        return sum / static_cast<double>(tied);
    }
    // Weighted least squares in u = (x - x0) / h through the normal equations, whose entries
    // are the weighted moments sum(w u^k), k = 0..4, and sum(w u^k y), k = 0..2; the fitted
    // value at x0 is the intercept. The sums run over four lanes (Eigen packets), added in a
    // fixed order at the end, so they vectorise and still give the same bits run after run.
    using Lanes = Eigen::Array<Double<T>, 4, 1>;
    const double inverse_h = 1.0 / h;
    Lanes s0 = Lanes::Zero(), s1 = Lanes::Zero(), s2 = Lanes::Zero(), s3 = Lanes::Zero(), s4 = Lanes::Zero();
    Lanes t0 = Lanes::Zero(), t1 = Lanes::Zero(), t2 = Lanes::Zero();
    auto accumulate = [&](const Lanes& x_values, const Lanes& y_values) {
        const Lanes u = (x_values - x0) * inverse_h;
        const Lanes a = u.abs();
        const Lanes t = (1.0 - a * a * a).max(0.0); // tricube weight, 0 from |u| = 1 on
        const Lanes w = t * t * t;
        const Lanes wu = w * u, wu2 = wu * u;
        s0 += w;
        s1 += wu;
        s2 += wu2;
        s3 += wu2 * u;
        s4 += wu2 * u * u;
        t0 += w * y_values;
        t1 += wu * y_values;
        t2 += wu2 * y_values;
    };
    std::size_t k = begin;
    for (; k + 4 <= end; k += 4) accumulate(Lanes::Map(&xs[k]), Lanes::Map(&ys[k]));
    if (k < end) {
        // The last partial packet: pad with x0 + 2h (weight exactly 0) and y 0.
        Lanes x_tail = Lanes::Constant(x0 + 2 * h), y_tail = Lanes::Zero();
        for (std::size_t lane = 0; k < end; ++k, ++lane) {
            x_tail(static_cast<Eigen::Index>(lane)) = xs[k];
            y_tail(static_cast<Eigen::Index>(lane)) = ys[k];
        }
        accumulate(x_tail, y_tail);
    }
    auto total = [](const Lanes& v) { return (v(0) + v(1)) + (v(2) + v(3)); };
    const double m0 = total(s0), m1 = total(s1), m2 = total(s2), m3 = total(s3), m4 = total(s4);
    const double r0 = total(t0), r1 = total(t1), r2 = total(t2);
    Eigen::Matrix<Double<T>, 3, 3> gram;
    gram << m0, m1, m2, m1, m2, m3, m2, m3, m4;
    // A dynamic right-hand side: solving with a block of a fixed 3-vector makes GCC 12 see
    // Eigen's 8-wide AVX-512 path (never taken for 3 values) as out of bounds (-Warray-bounds).
    Vector<Double<T>> rhs(3);
    rhs << r0, r1, r2;
    const Eigen::Index p = static_cast<Eigen::Index>(coefficients);
    Eigen::CompleteOrthogonalDecomposition<Eigen::Matrix<Double<T>, Eigen::Dynamic, Eigen::Dynamic>> solver(gram.topLeftCorner(p, p));
    solver.setThreshold(1e-10);
    const Vector<Double<T>> beta = solver.solve(rhs.head(p));
    return beta(0);
}

} // namespace detail

/// Fitted values of a loess regression of `y` on `x` at every x[i] (Cleveland's loess with
/// tricube weights, as R's `loess(y ~ x, span, degree, surface = "direct")`): the local fit at x0
/// uses the q = floor(n * span) points nearest to x0, weighted (1 - (|x - x0| / h)^3)^3 with h the
/// distance to the q-th nearest point. Local fits too degenerate for the requested degree (fewer
/// distinct x than coefficients) take the minimum-norm least-squares solution, like R's pseudo-inverse.
/// When more than q points share x0 exactly, the fit there is the mean of their y.
/// Throws scae::Error on mismatched sizes, non-finite inputs, or a span/degree out of range.
/// A template over the input precision (float or double; fits run in double) so that including
/// this header does not compile its Eigen solver (a file that never calls it pays nothing).
/// @param x        predictor values, one per point
/// @param y        response values, as many as `x`
/// @param options  span and degree
/// @return the fitted value at every x[i], in input order
/// @throws Error on mismatched sizes, a non-finite point, a span or degree out of range, or a span
/// leaving fewer points per neighbourhood than the degree needs
template <class T>
std::vector<double> loess_fit(const std::vector<T>& x, const std::vector<T>& y, const LoessOptions& options = {}) {
    static_assert(std::is_floating_point_v<T>, "loess_fit: x and y hold float or double");
    const std::size_t n = x.size();
    const std::size_t q = detail::loess_neighbourhood(x, y, options);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    std::vector<double> xs(n), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        xs[i] = static_cast<double>(x[order[i]]);
        ys[i] = static_cast<double>(y[order[i]]);
    }

    // The q nearest neighbours of a sorted point form a window [lo, lo + q) that only moves right
    // as x0 increases; the window start for each point is found once, serially.
    std::vector<std::size_t> window_start(n);
    std::size_t lo = 0;
    for (std::size_t i = 0; i < n; ++i) {
        while (lo + q < n && xs[lo + q] - xs[i] < xs[i] - xs[lo]) ++lo;
        window_start[i] = lo;
    }

    std::vector<double> fitted_sorted(n);
    // Each fit reads about q points and solves a 3 x 3 system: some 30 q operations.
    const std::size_t coefficients = static_cast<std::size_t>(options.degree) + 1;
    parallelize_each([&](Index i) {
        const std::size_t begin = window_start[std::size_t(i)];
        fitted_sorted[std::size_t(i)] = detail::loess_local_fit<T>(xs, ys, std::size_t(i), begin, begin + q, coefficients);
    }, Index(n), 0, 30.0 * double(n) * double(q));

    std::vector<double> fitted(n);
    for (std::size_t i = 0; i < n; ++i) fitted[order[i]] = fitted_sorted[i];
    return fitted;
}

} // namespace scae::data

#pragma once
/// @file losses.hpp
/// @brief Reconstruction losses against sparse count targets, and the
/// orthogonality penalty on the bottleneck weights.
///
/// Targets are minibatches of raw counts (mostly zeros), so each loss is
/// written as a dense part that treats every entry as zero plus a correction
/// over the stored counts. Every loss is a mean over all entries.

#include "scae/ad/ops.hpp"
#include "scae/core/log_gamma.hpp"

#include <cmath>

namespace scae::ad {

namespace detail {

template <class T>
void check_target(const Matrix<T>& prediction, const CsrView<T>& target, const char* op) {
    if (prediction.rows() != target.rows || prediction.cols() != target.cols)
        throw Error(std::string("ad::") + op + ": prediction is " + std::to_string(prediction.rows()) + "x" +
                    std::to_string(prediction.cols()) + " but the target is " + std::to_string(target.rows) + "x" +
                    std::to_string(target.cols));
}

/// log(x!) by Stirling's formula, the term PyTorch's `full=True` adds (for x > 1).
inline double stirling(double x) { return x > 1 ? x * std::log(x) - x + 0.5 * std::log(2 * M_PI * x) : 0.0; }

/// The digamma function psi(x) = d/dx log Gamma(x), for x > 0.
inline double digamma(double x) {
    double result = 0;
    while (x < 6) { // psi(x) = psi(x + 1) - 1/x until the asymptotic series is accurate
        result -= 1 / x;
        x += 1;
    }
    const double f = 1 / (x * x);
    return result + std::log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

} // namespace detail

/// d/d(rate) of rate - x log(rate + eps) is 1 - x / (rate + eps); the 1 applies everywhere.
/// @param t  the tape being run backwards.
/// @param n  this op's node: input 0 the rate, `n.op.sparse` the counts, `n.op.param` eps.
template <class T>
void poisson_nll_backward(Tape<T>& t, Node<T>& n) {
    if (!t.wants(n.inputs[0])) return;
    const Matrix<T>& rate = t.value(n.inputs[0]);
    Matrix<T>& g = t.grad_of(n.inputs[0]);
    const T w = n.grad(0, 0) / T(rate.size());
    const CsrView<T>& x = n.op.sparse;
    parallel_rows(rate.rows(), rate.cols(), [&](Index first, Index last) {
        g.middleRows(first, last - first).array() += w;
        for (Index r = first; r < last; ++r)
            for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) g(r, x.inner[p]) -= w * x.values[p] / (rate(r, x.inner[p]) + n.op.param);
    });
}

/// Poisson negative log-likelihood of counts `x` given rates: mean of rate - x log(rate + eps),
/// plus log(x!) by Stirling's formula when `full` (constant in the rate; it makes the loss a
/// proper likelihood, as PyTorch's `PoissonNLLLoss(full=True)`).
/// @param rate  predicted rates, cells x genes (non-negative).
/// @param x     observed counts, cells x genes; viewed, not copied: it must outlive the tape's backward pass.
/// @param eps   added to the rate inside the log so that a zero rate stays finite.
/// @param full  add the Stirling term log(x!), for a loss comparable across data sets.
/// @return the mean loss, a 1 x 1 node.
/// @throws Error when `rate` and `x` differ in shape.
template <class T>
Var<T> poisson_nll(Var<T> rate, const CsrView<T>& x, T eps = T(1e-8), bool full = false) {
    Tape<T>& t = *rate.tape;
    detail::check_target(t.value(rate), x, "poisson_nll");
    Var<T> out = t.record(&poisson_nll_backward<T>, {rate});
    Node<T>& n = t.node(out);
    n.op.param = eps;
    n.op.sparse = x;
    const Matrix<T>& m = t.value(rate);
    double total = m.template cast<double>().sum();
    for (Index r = 0; r < x.rows; ++r)
        for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) {
            const double count = x.values[p];
            total -= count * std::log(double(m(r, x.inner[p])) + eps);
            if (full) total += detail::stirling(count);
        }
    n.value.setConstant(1, 1, T(total / double(m.size())));
    return out;
}

/// Mean squared error: d/d(pred) of (pred - x)^2 is 2 (pred - x).
/// @param t  the tape being run backwards.
/// @param n  this op's node: input 0 the prediction, `n.op.sparse` the target.
template <class T>
void mse_backward(Tape<T>& t, Node<T>& n) {
    if (!t.wants(n.inputs[0])) return;
    const Matrix<T>& pred = t.value(n.inputs[0]);
    Matrix<T>& g = t.grad_of(n.inputs[0]);
    const T w = T(2) * n.grad(0, 0) / T(pred.size());
    g += w * pred;
    const CsrView<T>& x = n.op.sparse;
    for (Index r = 0; r < x.rows; ++r)
        for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) g(r, x.inner[p]) -= w * x.values[p];
}

/// Mean of (pred - x)^2 over all entries.
/// @param pred  prediction, cells x genes.
/// @param x     target, cells x genes; viewed, not copied: it must outlive the tape's backward pass.
/// @return the mean squared error, a 1 x 1 node.
/// @throws Error when `pred` and `x` differ in shape.
template <class T>
Var<T> mse(Var<T> pred, const CsrView<T>& x) {
    Tape<T>& t = *pred.tape;
    detail::check_target(t.value(pred), x, "mse");
    Var<T> out = t.record(&mse_backward<T>, {pred});
    Node<T>& n = t.node(out);
    n.op.sparse = x;
    const Matrix<T>& m = t.value(pred);
    double total = m.template cast<double>().squaredNorm();
    for (Index r = 0; r < x.rows; ++r)
        for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) {
            const double v = x.values[p], q = m(r, x.inner[p]);
            total += (q - v) * (q - v) - q * q;
        }
    n.value.setConstant(1, 1, T(total / double(m.size())));
    return out;
}

/// Gradients of the negative binomial NLL with respect to the mean mu and log(theta).
/// @param t  the tape being run backwards.
/// @param n  this op's node: inputs mu and log(theta), `n.op.sparse` the counts, `n.op.param` eps.
template <class T>
void nb_nll_backward(Tape<T>& t, Node<T>& n) {
    const Matrix<T>& mu = t.value(n.inputs[0]);
    const Matrix<T>& log_theta = t.value(n.inputs[1]);
    const bool want_mu = t.wants(n.inputs[0]), want_theta = t.wants(n.inputs[1]);
    const double w = double(n.grad(0, 0)) / double(mu.size());
    const CsrView<T>& x = n.op.sparse;
    for (Index r = 0; r < mu.rows(); ++r) {
        // Every entry as if x = 0: d(-l)/dmu = theta / (theta + mu), d(-l)/dlog(theta) = -theta (log(theta/(theta+mu)) + mu/(theta+mu)).
        for (Index c = 0; c < mu.cols(); ++c) {
            const double th = std::exp(double(log_theta(0, c))), m = mu(r, c), s = th + m;
            if (want_mu) t.grad_of(n.inputs[0])(r, c) += T(w * th / s);
            if (want_theta) t.grad_of(n.inputs[1])(0, c) -= T(w * th * (std::log(th / s) + m / s));
        }
        // Corrections for the stored counts.
        for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) {
            const Index c = x.inner[p];
            const double th = std::exp(double(log_theta(0, c))), m = mu(r, c), s = th + m, k = x.values[p];
            if (want_mu) t.grad_of(n.inputs[0])(r, c) -= T(w * (k / (m + n.op.param) - k / s));
            if (want_theta)
                t.grad_of(n.inputs[1])(0, c) -= T(w * th * (detail::digamma(k + th) - detail::digamma(th) - k / s));
        }
    }
}

/// Negative binomial negative log-likelihood of counts `x` with means `mu` (n x g) and a
/// learned per-gene dispersion, parameterised as log(theta) (1 x g) so theta stays positive.
/// Variance is mu + mu^2 / theta. Mean over all entries; `eps` guards log(mu).
/// @param mu         predicted means, cells x genes (non-negative).
/// @param log_theta  log of the per-gene inverse dispersion, 1 x genes.
/// @param x          observed counts, cells x genes; viewed, not copied: it must outlive the tape's backward pass.
/// @param eps        added to mu inside the log so that a zero mean stays finite.
/// @return the mean loss, a 1 x 1 node.
/// @throws Error when the shapes do not match.
template <class T>
Var<T> nb_nll(Var<T> mu, Var<T> log_theta, const CsrView<T>& x, T eps = T(1e-8)) {
    Tape<T>& t = *mu.tape;
    detail::check_target(t.value(mu), x, "nb_nll");
    if (t.value(log_theta).rows() != 1 || t.value(log_theta).cols() != t.value(mu).cols())
        throw Error("ad::nb_nll: log_theta must be 1 x genes");
    Var<T> out = t.record(&nb_nll_backward<T>, {mu, log_theta});
    Node<T>& n = t.node(out);
    n.op.param = eps;
    n.op.sparse = x;
    const Matrix<T>& m = t.value(mu);
    const Matrix<T>& lt = t.value(log_theta);
    double total = 0; // the log-likelihood; negated at the end
    for (Index r = 0; r < m.rows(); ++r) {
        for (Index c = 0; c < m.cols(); ++c) {
            const double th = std::exp(double(lt(0, c)));
            total += th * (std::log(th) - std::log(th + m(r, c)));
        }
        for (int p = x.outer[r]; p < x.outer[r + 1]; ++p) {
            const Index c = x.inner[p];
            const double th = std::exp(double(lt(0, c))), k = x.values[p];
            total += log_gamma(k + th) - log_gamma(th) - log_gamma(k + 1) +
                     k * (std::log(double(m(r, c)) + eps) - std::log(th + m(r, c)));
        }
    }
    n.value.setConstant(1, 1, T(-total / double(m.size())));
    return out;
}

/// d||M||_F / dW with M = W^T W - I is 2 W M / ||M||_F (M is symmetric).
/// @param t  the tape being run backwards.
/// @param n  this op's node: input W, `n.op.scratch` holds W^T W - I.
template <class T>
void orthogonality_backward(Tape<T>& t, Node<T>& n) {
    if (!t.wants(n.inputs[0])) return;
    const T norm = n.value(0, 0);
    if (norm <= T(0)) return; // exactly orthonormal: the minimum, gradient zero
    t.grad_of(n.inputs[0]).noalias() += (T(2) * n.grad(0, 0) / norm) * (t.value(n.inputs[0]) * n.op.scratch);
}

/// ||I - W^T W||_F for a weight matrix W stored inputs x outputs: zero when the output
/// nodes' weight vectors (the columns) are orthonormal. This equals ||I - W W^T||_F for
/// the outputs x inputs layout of PyTorch. It is differentiated, unlike the 2019 reference
/// code, which computed it on detached weights so that it never trained.
/// @param w  weight, inputs x outputs.
/// @return the penalty, a 1 x 1 node.
template <class T>
Var<T> orthogonality(Var<T> w) {
    Tape<T>& t = *w.tape;
    Var<T> out = t.record(&orthogonality_backward<T>, {w});
    Node<T>& n = t.node(out);
    const Matrix<T>& W = t.value(w);
    n.op.scratch.noalias() = W.transpose() * W;
    n.op.scratch.diagonal().array() -= T(1);
    n.value.setConstant(1, 1, n.op.scratch.norm());
    return out;
}

} // namespace scae::ad

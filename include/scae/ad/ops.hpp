#pragma once
/// @file ops.hpp
/// @brief Differentiable operations on tape variables: products, elementwise maths,
/// activations and reductions.
///
/// Each op is a pair: the function computes the forward value and records a
/// node; its `*_backward` adds d(out)/d(input) times the incoming gradient into
/// each input that needs one. Inputs that need no gradient are skipped, which
/// is how the first layer avoids the costly gradient with respect to the data.

#include "scae/ad/blocks.hpp"
#include "scae/ad/tape.hpp"

#include <cmath>

namespace scae::ad {

namespace detail {

template <class T>
bool wants(Tape<T>& t, int id) { return id >= 0 && t.node(id).needs_grad; }

template <class T>
void same_shape(const Matrix<T>& a, const Matrix<T>& b, const char* op) {
    if (a.rows() != b.rows() || a.cols() != b.cols())
        throw Error(std::string("ad::") + op + ": operands differ in shape (" + std::to_string(a.rows()) + "x" +
                    std::to_string(a.cols()) + " vs " + std::to_string(b.rows()) + "x" + std::to_string(b.cols()) + ")");
}

} // namespace detail

// ---- products ------------------------------------------------------------------

namespace detail {

/// Rows of one block of add_product()'s result.
constexpr Index product_block_rows = 32;
/// Columns of one block of add_product()'s result.
constexpr Index product_block_cols = 256;

/// out += lhs * rhs, cut into fixed blocks of product_block_rows x product_block_cols that
/// threads take as they become free (parallelize_blocks, as the fused ops do). Each block is one
/// serial product of the same shape whichever thread runs it, so the result does not depend on
/// the thread count (slices sized by the thread count did: Eigen sums a slice's leftover rows,
/// and small slices, in another order), and threads never wait on each other mid-product.
template <class T, class Lhs, class Rhs>
void add_product(Matrix<T>& out, const Lhs& lhs, const Rhs& rhs) {
    const Blocks rows{out.rows(), product_block_rows}, cols{out.cols(), product_block_cols};
    parallelize_blocks([&](Index b) {
        const Index r0 = rows.first(b / cols.count()), nr = rows.length(b / cols.count());
        const Index c0 = cols.first(b % cols.count()), nc = cols.length(b % cols.count());
        out.block(r0, c0, nr, nc).noalias() += lhs.middleRows(r0, nr) * rhs.middleCols(c0, nc);
    }, rows.count() * cols.count(), 0, double(out.size()) * double(lhs.cols()));
}

} // namespace detail

/// d(AB)/dA = G B^T and d(AB)/dB = A^T G.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void matmul_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) detail::add_product(t.grad_of(n.lhs), n.grad, t.value(n.rhs).transpose());
    if (detail::wants(t, n.rhs)) detail::add_product(t.grad_of(n.rhs), t.value(n.lhs).transpose(), n.grad);
}

/// Dense matrix product a (n x k) times b (k x m).
/// @param a  left operand, n x k.
/// @param b  right operand, k x m.
/// @return the product, n x m.
/// @throws Error when the inner dimensions differ.
template <class T>
Var<T> matmul(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    if (t.value(a).cols() != t.value(b).rows()) throw Error("ad::matmul: inner dimensions differ");
    Var<T> out = t.record(&matmul_backward<T>, a, b);
    Matrix<T>& value = t.node(out).value;
    value.setZero(t.value(a).rows(), t.value(b).cols());
    detail::add_product(value, t.value(a), t.value(b));
    return out;
}

/// Only the dense operand gets a gradient: S^T G.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void sparse_matmul_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.rhs)) add_sparse_transpose_times_dense(n.sparse, n.grad, t.grad_of(n.rhs));
}

/// Constant sparse s (n x k, e.g. a minibatch of counts) times dense b (k x m).
/// @param s  constant sparse operand, n x k; viewed, not copied: it must outlive the tape's backward pass.
/// @param b  dense operand, k x m.
/// @return the product, n x m.
/// @throws Error when the inner dimensions differ.
template <class T>
Var<T> sparse_matmul(const CsrView<T>& s, Var<T> b) {
    Tape<T>& t = *b.tape;
    if (s.cols != t.value(b).rows()) throw Error("ad::sparse_matmul: inner dimensions differ");
    Var<T> out = t.record(&sparse_matmul_backward<T>, Var<T>{}, b);
    Node<T>& n = t.node(out);
    n.sparse = s;
    sparse_times_dense(s, t.value(b), n.value);
    return out;
}

/// The bias gets the column sums of the gradient: it was added to every row.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void add_bias_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs) += n.grad;
    if (detail::wants(t, n.rhs)) t.grad_of(n.rhs) += n.grad.colwise().sum();
}

/// x (n x m) plus bias (1 x m) added to every row.
/// @param x     n x m.
/// @param bias  1 x m.
/// @return x with `bias` added to each row, n x m.
/// @throws Error when `bias` is not 1 x m.
template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias) {
    Tape<T>& t = *x.tape;
    if (t.value(bias).rows() != 1 || t.value(bias).cols() != t.value(x).cols())
        throw Error("ad::add_bias: bias must be 1 x columns of x");
    Var<T> out = t.record(&add_bias_backward<T>, x, bias);
    t.node(out).value = t.value(x).rowwise() + t.value(bias).row(0);
    return out;
}

/// Row i was multiplied by the constant factor i, and so is its gradient.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void scale_rows_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += n.grad.array().colwise() * n.scratch.col(0).array();
}

/// Each row of x (n x m) times its own constant factor (n values), e.g. a cell's size factor.
/// @param x        n x m.
/// @param factors  one constant factor per row of `x` (n values); copied.
/// @return the scaled rows, n x m.
/// @throws Error when there is not one factor per row.
template <class T>
Var<T> scale_rows(Var<T> x, const Vector<T>& factors) {
    Tape<T>& t = *x.tape;
    if (factors.size() != t.value(x).rows()) throw Error("ad::scale_rows: one factor per row expected");
    Var<T> out = t.record(&scale_rows_backward<T>, x);
    Node<T>& n = t.node(out);
    n.scratch = factors;
    n.value = t.value(x).array().colwise() * factors.array();
    return out;
}

// ---- elementwise arithmetic ------------------------------------------------------

/// Addition passes the gradient through unchanged.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void add_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs) += n.grad;
    if (detail::wants(t, n.rhs)) t.grad_of(n.rhs) += n.grad;
}

/// a + b, same shapes.
/// @param a  left operand.
/// @param b  right operand, same shape as `a`.
/// @return the sum.
/// @throws Error when the shapes differ.
template <class T>
Var<T> add(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    detail::same_shape(t.value(a), t.value(b), "add");
    Var<T> out = t.record(&add_backward<T>, a, b);
    t.node(out).value = t.value(a) + t.value(b);
    return out;
}

/// Subtraction passes the gradient to a, and its negative to b.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void sub_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs) += n.grad;
    if (detail::wants(t, n.rhs)) t.grad_of(n.rhs) -= n.grad;
}

/// a - b, same shapes.
/// @param a  left operand.
/// @param b  right operand, same shape as `a`.
/// @return the difference.
/// @throws Error when the shapes differ.
template <class T>
Var<T> sub(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    detail::same_shape(t.value(a), t.value(b), "sub");
    Var<T> out = t.record(&sub_backward<T>, a, b);
    t.node(out).value = t.value(a) - t.value(b);
    return out;
}

/// Product rule: each operand gets the gradient times the other operand.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void mul_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += n.grad.array() * t.value(n.rhs).array();
    if (detail::wants(t, n.rhs)) t.grad_of(n.rhs).array() += n.grad.array() * t.value(n.lhs).array();
}

/// Elementwise a * b, same shapes.
/// @param a  left operand.
/// @param b  right operand, same shape as `a`.
/// @return the elementwise product.
/// @throws Error when the shapes differ.
template <class T>
Var<T> mul(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    detail::same_shape(t.value(a), t.value(b), "mul");
    Var<T> out = t.record(&mul_backward<T>, a, b);
    t.node(out).value = t.value(a).cwiseProduct(t.value(b));
    return out;
}

/// d(cx)/dx = c.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void scale_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs) += n.param * n.grad;
}

/// c * x for a constant c.
/// @param x  operand.
/// @param c  constant factor.
/// @return c x, same shape as `x`.
template <class T>
Var<T> scale(Var<T> x, T c) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&scale_backward<T>, x);
    t.node(out).param = c;
    t.node(out).value = c * t.value(x);
    return out;
}

/// d(e^x)/dx = e^x, which is the output.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void exp_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += n.grad.array() * n.value.array();
}

/// Elementwise e^x.
/// @param x  operand.
/// @return e^x, same shape as `x`.
template <class T>
Var<T> exp(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&exp_backward<T>, x);
    t.node(out).value = t.value(x).array().exp().matrix();
    return out;
}

/// d(log x)/dx = 1/x.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void log_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += n.grad.array() / t.value(n.lhs).array();
}

/// Elementwise natural logarithm (x > 0).
/// @param x  operand, positive entries.
/// @return log x, same shape as `x`.
template <class T>
Var<T> log(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&log_backward<T>, x);
    t.node(out).value = t.value(x).array().log().matrix();
    return out;
}

/// d(x^2)/dx = 2x.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void square_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += T(2) * n.grad.array() * t.value(n.lhs).array();
}

/// Elementwise x^2.
/// @param x  operand.
/// @return x^2, same shape as `x`.
template <class T>
Var<T> square(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&square_backward<T>, x);
    t.node(out).value = t.value(x).array().square().matrix();
    return out;
}

// ---- activations (the guided rule applies to these) --------------------------------

/// Softplus' derivative is the logistic function of beta * x.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void softplus_backward(Tape<T>& t, Node<T>& n) {
    if (!detail::wants(t, n.lhs)) return;
    const Matrix<T>& g = t.incoming(n);
    const Matrix<T>& x = t.value(n.lhs);
    Matrix<T>& gx = t.grad_of(n.lhs);
    parallel_rows(x.rows(), x.cols(), [&](Index first, Index last) {
        const Index rows = last - first;
        gx.middleRows(first, rows).array() +=
            g.middleRows(first, rows).array() / (T(1) + (-n.param * x.middleRows(first, rows).array()).exp());
    });
}

/// Softplus log(1 + e^(beta x)) / beta, written as max(z, 0) + log1p(e^-|z|) with z = beta x
/// so that large inputs neither overflow nor lose precision.
/// @param x     operand.
/// @param beta  sharpness (positive); 1 is the plain softplus, larger values approach ReLU.
/// @return softplus_beta(x), same shape as `x`.
template <class T>
Var<T> softplus(Var<T> x, T beta = T(1)) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&softplus_backward<T>, x);
    Node<T>& n = t.node(out);
    n.param = beta;
    n.activation = true;
    const Matrix<T>& in = t.value(x);
    n.value.resize(in.rows(), in.cols());
    parallel_rows(in.rows(), in.cols(), [&](Index first, Index last) {
        const auto z = in.middleRows(first, last - first).array() * beta;
        n.value.middleRows(first, last - first) = ((z.max(T(0)) + (-z.abs()).exp().log1p()) / beta).matrix();
    });
    return out;
}

/// ReLU passes the gradient where the input was positive.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void relu_backward(Tape<T>& t, Node<T>& n) {
    if (!detail::wants(t, n.lhs)) return;
    const Matrix<T>& g = t.incoming(n);
    t.grad_of(n.lhs).array() += (t.value(n.lhs).array() > T(0)).select(g.array(), T(0));
}

/// max(x, 0).
/// @param x  operand.
/// @return max(x, 0), same shape as `x`.
template <class T>
Var<T> relu(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&relu_backward<T>, x);
    t.node(out).activation = true;
    t.node(out).value = t.value(x).cwiseMax(T(0));
    return out;
}

/// The logistic function's derivative is s (1 - s), with s the output.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void sigmoid_backward(Tape<T>& t, Node<T>& n) {
    if (!detail::wants(t, n.lhs)) return;
    const Matrix<T>& g = t.incoming(n);
    t.grad_of(n.lhs).array() += g.array() * n.value.array() * (T(1) - n.value.array());
}

/// 1 / (1 + e^-x).
/// @param x  operand.
/// @return the logistic function of `x`, same shape.
template <class T>
Var<T> sigmoid(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&sigmoid_backward<T>, x);
    t.node(out).activation = true;
    t.node(out).value = (T(1) / (T(1) + (-t.value(x).array()).exp())).matrix();
    return out;
}

/// tanh' = 1 - tanh^2, with tanh the output.
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void tanh_backward(Tape<T>& t, Node<T>& n) {
    if (!detail::wants(t, n.lhs)) return;
    const Matrix<T>& g = t.incoming(n);
    t.grad_of(n.lhs).array() += g.array() * (T(1) - n.value.array().square());
}

/// Hyperbolic tangent.
/// @param x  operand.
/// @return tanh x, same shape as `x`.
template <class T>
Var<T> tanh(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&tanh_backward<T>, x);
    t.node(out).activation = true;
    t.node(out).value = t.value(x).array().tanh().matrix();
    return out;
}

// ---- reductions -------------------------------------------------------------------

/// Every element contributed once, with weight `param` (1 for sum, 1/size for mean).
/// @param t  the tape being run backwards.
/// @param n  this op's node; its gradient is the one arriving from above.
template <class T>
void reduce_backward(Tape<T>& t, Node<T>& n) {
    if (detail::wants(t, n.lhs)) t.grad_of(n.lhs).array() += n.grad(0, 0) * n.param;
}

/// Sum of all elements, as a 1 x 1 matrix.
/// @param x  operand.
/// @return the sum, a 1 x 1 node.
template <class T>
Var<T> sum(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&reduce_backward<T>, x);
    t.node(out).param = T(1);
    t.node(out).value.setConstant(1, 1, t.value(x).sum());
    return out;
}

/// Mean of all elements, as a 1 x 1 matrix.
/// @param x  operand, not empty.
/// @return the mean, a 1 x 1 node.
/// @throws Error when `x` is empty.
template <class T>
Var<T> mean(Var<T> x) {
    Tape<T>& t = *x.tape;
    const Index size = t.value(x).size();
    if (size == 0) throw Error("ad::mean: empty matrix");
    Var<T> out = t.record(&reduce_backward<T>, x);
    t.node(out).param = T(1) / T(size);
    t.node(out).value.setConstant(1, 1, t.value(x).sum() / T(size));
    return out;
}

} // namespace scae::ad

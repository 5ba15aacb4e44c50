#pragma once
/// @file ops.hpp
/// @brief Differentiable operations on tape variables: products, elementwise maths,
/// activations and reductions.
///
/// Each op computes its forward value and records a node whose backward function, written
/// right there as a lambda (micrograd's `_backward`), adds d(out)/d(input) times the incoming
/// gradient `n.grad` into each input that needs one (`t.wants(input)`). Inputs that need no
/// gradient are skipped, which is how the first layer avoids the costly gradient with respect
/// to the data. The fast paths training takes (fused layers, fixed blocks) are in fused.hpp and
/// blocks.hpp, so this file stays a plain reading of reverse mode.

#include "scae/ad/activations.hpp"
#include "scae/ad/blocks.hpp"
#include "scae/ad/tape.hpp"

#include <cmath>

namespace scae::ad {

namespace detail {

template <class T>
void same_shape(const Matrix<T>& a, const Matrix<T>& b, const char* op) {
    if (a.rows() != b.rows() || a.cols() != b.cols())
        throw Error(std::string("ad::") + op + ": operands differ in shape (" + std::to_string(a.rows()) + "x" +
                    std::to_string(a.cols()) + " vs " + std::to_string(b.rows()) + "x" + std::to_string(b.cols()) + ")");
}

} // namespace detail

// ---- products ------------------------------------------------------------------

/// Dense matrix product a (n x k) times b (k x m).
/// @param a  left operand, n x k.
/// @param b  right operand, k x m.
/// @return the product, n x m.
/// @throws Error when the inner dimensions differ.
template <class T>
Var<T> matmul(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    if (t.value(a).cols() != t.value(b).rows()) throw Error("ad::matmul: inner dimensions differ");
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // d(AB)/dA = G B^T, d(AB)/dB = A^T G
        const int a = n.inputs[0], b = n.inputs[1];
        if (t.wants(a)) detail::add_product(t.grad_of(a), n.grad, t.value(b).transpose());
        if (t.wants(b)) detail::add_product(t.grad_of(b), t.value(a).transpose(), n.grad);
    }, {a, b});
    Matrix<T>& value = t.node(out).value;
    value.setZero(t.value(a).rows(), t.value(b).cols());
    detail::add_product(value, t.value(a), t.value(b));
    return out;
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
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // only the dense operand gets a gradient: S^T G
        if (t.wants(n.inputs[1])) add_sparse_transpose_times_dense(n.op.sparse, n.grad, t.grad_of(n.inputs[1]));
    }, {Var<T>{}, b});
    Node<T>& n = t.node(out);
    n.op.sparse = s;
    sparse_times_dense(s, t.value(b), n.value);
    return out;
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
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // the bias was added to every row: it gets the column sums
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]) += n.grad;
        if (t.wants(n.inputs[1])) t.grad_of(n.inputs[1]) += n.grad.colwise().sum();
    }, {x, bias});
    t.node(out).value = t.value(x).rowwise() + t.value(bias).row(0);
    return out;
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
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // row i was multiplied by factor i, and so is its gradient
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]).array() += n.grad.array().colwise() * n.op.scratch.col(0).array();
    }, {x});
    Node<T>& n = t.node(out);
    n.op.scratch = factors;
    n.value = t.value(x).array().colwise() * factors.array();
    return out;
}

// ---- elementwise arithmetic ------------------------------------------------------

/// a + b, same shapes.
/// @param a  left operand.
/// @param b  right operand, same shape as `a`.
/// @return the sum.
/// @throws Error when the shapes differ.
template <class T>
Var<T> add(Var<T> a, Var<T> b) {
    Tape<T>& t = *a.tape;
    detail::same_shape(t.value(a), t.value(b), "add");
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // addition passes the gradient through unchanged
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]) += n.grad;
        if (t.wants(n.inputs[1])) t.grad_of(n.inputs[1]) += n.grad;
    }, {a, b});
    t.node(out).value = t.value(a) + t.value(b);
    return out;
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
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // the gradient to a, its negative to b
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]) += n.grad;
        if (t.wants(n.inputs[1])) t.grad_of(n.inputs[1]) -= n.grad;
    }, {a, b});
    t.node(out).value = t.value(a) - t.value(b);
    return out;
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
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // product rule: each gets the gradient times the other
        const int a = n.inputs[0], b = n.inputs[1];
        if (t.wants(a)) t.grad_of(a).array() += n.grad.array() * t.value(b).array();
        if (t.wants(b)) t.grad_of(b).array() += n.grad.array() * t.value(a).array();
    }, {a, b});
    t.node(out).value = t.value(a).cwiseProduct(t.value(b));
    return out;
}

/// c * x for a constant c.
/// @param x  operand.
/// @param c  constant factor.
/// @return c x, same shape as `x`.
template <class T>
Var<T> scale(Var<T> x, T c) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // d(cx)/dx = c
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]) += n.op.param * n.grad;
    }, {x});
    t.node(out).op.param = c;
    t.node(out).value = c * t.value(x);
    return out;
}

/// Elementwise e^x.
/// @param x  operand.
/// @return e^x, same shape as `x`.
template <class T>
Var<T> exp(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // d(e^x)/dx = e^x, which is the output
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]).array() += n.grad.array() * n.value.array();
    }, {x});
    t.node(out).value = t.value(x).array().exp().matrix();
    return out;
}

/// Elementwise natural logarithm (x > 0).
/// @param x  operand, positive entries.
/// @return log x, same shape as `x`.
template <class T>
Var<T> log(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // d(log x)/dx = 1/x
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]).array() += n.grad.array() / t.value(n.inputs[0]).array();
    }, {x});
    t.node(out).value = t.value(x).array().log().matrix();
    return out;
}

/// Elementwise x^2.
/// @param x  operand.
/// @return x^2, same shape as `x`.
template <class T>
Var<T> square(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // d(x^2)/dx = 2x
        if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]).array() += T(2) * n.grad.array() * t.value(n.inputs[0]).array();
    }, {x});
    t.node(out).value = t.value(x).array().square().matrix();
    return out;
}

// ---- activations (the guided rule applies to these: Tape::incoming) ----------------------

/// Softplus log(1 + e^(beta x)) / beta, computed as ad/activations.hpp defines it (so that large
/// inputs neither overflow nor lose precision).
/// @param x     operand.
/// @param beta  sharpness (positive); 1 is the plain softplus, larger values approach ReLU.
/// @return softplus_beta(x), same shape as `x`.
template <class T>
Var<T> softplus(Var<T> x, T beta = T(1)) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // softplus' derivative is the logistic function of beta x
        if (!t.wants(n.inputs[0])) return;
        const Matrix<T>& g = t.incoming(n);
        const Matrix<T>& x = t.value(n.inputs[0]);
        Matrix<T>& gx = t.grad_of(n.inputs[0]);
        parallel_rows(x.rows(), x.cols(), [&](Index first, Index last) {
            const Index rows = last - first;
            const activation::Values<T> z = n.op.param * x.middleRows(first, rows).array();
            const activation::Values<T> e = activation::softplus_e(z);
            gx.middleRows(first, rows).array() += g.middleRows(first, rows).array() * activation::softplus_slope(z, e, activation::Values<T>(activation::softplus_r(e)));
        });
    }, {x});
    Node<T>& n = t.node(out);
    n.op.param = beta;
    n.op.activation = true;
    const Matrix<T>& in = t.value(x);
    n.value.resize(in.rows(), in.cols());
    parallel_rows(in.rows(), in.cols(), [&](Index first, Index last) {
        const activation::Values<T> z = in.middleRows(first, last - first).array() * beta;
        const activation::Values<T> e = activation::softplus_e(z);
        n.value.middleRows(first, last - first) = (activation::softplus_times_beta(z, e, activation::softplus_r(e)) * (T(1) / beta)).matrix();
    });
    return out;
}

/// max(x, 0).
/// @param x  operand.
/// @return max(x, 0), same shape as `x`.
template <class T>
Var<T> relu(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // the gradient passes where the input was positive
        if (!t.wants(n.inputs[0])) return;
        const Matrix<T>& g = t.incoming(n);
        t.grad_of(n.inputs[0]).array() += g.array() * activation::relu_slope(t.value(n.inputs[0]).array());
    }, {x});
    t.node(out).op.activation = true;
    t.node(out).value = activation::relu_value(t.value(x).array()).matrix();
    return out;
}

/// 1 / (1 + e^-x).
/// @param x  operand.
/// @return the logistic function of `x`, same shape.
template <class T>
Var<T> sigmoid(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // s' = s (1 - s), with s the output
        if (!t.wants(n.inputs[0])) return;
        const Matrix<T>& g = t.incoming(n);
        t.grad_of(n.inputs[0]).array() += g.array() * activation::sigmoid_slope_from_value(n.value.array());
    }, {x});
    t.node(out).op.activation = true;
    t.node(out).value = activation::sigmoid_value(t.value(x).array()).matrix();
    return out;
}

/// Hyperbolic tangent.
/// @param x  operand.
/// @return tanh x, same shape as `x`.
template <class T>
Var<T> tanh(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record([](Tape<T>& t, Node<T>& n) { // tanh' = 1 - tanh^2, with tanh the output
        if (!t.wants(n.inputs[0])) return;
        const Matrix<T>& g = t.incoming(n);
        t.grad_of(n.inputs[0]).array() += g.array() * activation::tanh_slope_from_value(n.value.array());
    }, {x});
    t.node(out).op.activation = true;
    t.node(out).value = activation::tanh_value(t.value(x).array()).matrix();
    return out;
}

// ---- reductions -------------------------------------------------------------------

namespace detail {

/// Backward of sum and mean: every element contributed once, with weight `n.op.param` (1 for
/// sum, 1/size for mean).
template <class T>
void reduce_backward(Tape<T>& t, Node<T>& n) {
    if (t.wants(n.inputs[0])) t.grad_of(n.inputs[0]).array() += n.grad(0, 0) * n.op.param;
}

} // namespace detail

/// Sum of all elements, as a 1 x 1 matrix.
/// @param x  operand.
/// @return the sum, a 1 x 1 node.
template <class T>
Var<T> sum(Var<T> x) {
    Tape<T>& t = *x.tape;
    Var<T> out = t.record(&detail::reduce_backward<T>, {x});
    t.node(out).op.param = T(1);
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
    Var<T> out = t.record(&detail::reduce_backward<T>, {x});
    t.node(out).op.param = T(1) / T(size);
    t.node(out).value.setConstant(1, 1, t.value(x).sum() / T(size));
    return out;
}

} // namespace scae::ad

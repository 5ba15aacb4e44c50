#pragma once
/// @file dense.hpp
/// @brief A fully connected layer: y = activation(x W + b).

#include "scae/ad/fused.hpp"
#include "scae/core/random.hpp"
#include "scae/nn/activation.hpp"

#include <cmath>

namespace scae::nn {

/// A dense layer. The weight is stored inputs x outputs, so a batch (cells in rows)
/// maps as x W without a transpose; column j of W is output node j's weight vector.
template <class T>
struct Dense {
    ad::Param<T> weight;                        ///< inputs x outputs
    ad::Param<T> bias;                          ///< 1 x outputs
    Activation activation = Activation::softplus; ///< applied after the affine map
    T beta = T(1);                              ///< softplus sharpness

    /// Xavier-normal weights (sd = sqrt(2 / (inputs + outputs))) and zero bias, from `rng`.
    /// @param inputs         number of inputs (rows of the weight).
    /// @param outputs        number of outputs (columns of the weight).
    /// @param act            the activation after the affine map.
    /// @param softplus_beta  softplus sharpness (positive), used when `act` is softplus.
    /// @param rng            source of the initial weights; advanced by inputs x outputs normal draws.
    Dense(Index inputs, Index outputs, Activation act, T softplus_beta, Rng& rng)
        : activation(act), beta(softplus_beta) {
        const double sd = std::sqrt(2.0 / double(inputs + outputs));
        weight.value.resize(inputs, outputs);
        for (Index i = 0; i < weight.value.size(); ++i) weight.value.data()[i] = T(sd * rng.normal());
        bias.value.setZero(1, outputs);
    }

    /// Number of inputs.
    /// @return rows of the weight.
    Index inputs() const { return weight.value.rows(); }
    /// Number of outputs.
    /// @return columns of the weight.
    Index outputs() const { return weight.value.cols(); }

    /// The layer on the tape, for a dense input (one fused op for softplus).
    /// @param x  input node, cells x inputs.
    /// @return the activations, cells x outputs.
    /// @throws Error when `x` does not have inputs() columns.
    ad::Var<T> forward(ad::Var<T> x) {
        ad::Tape<T>& t = *x.tape;
        if (activation == Activation::softplus) return ad::softplus_layer(x, t.param(weight), t.param(bias), beta);
        return activate(ad::add_bias(ad::matmul(x, t.param(weight)), t.param(bias)), activation, beta);
    }

    /// The layer on the tape, for a constant sparse input (the first layer on counts); its
    /// column indices must increase within each row.
    /// @param t  the tape to record on.
    /// @param x  constant sparse input, cells x inputs; viewed: it must outlive the tape's backward pass.
    /// @return the activations, cells x outputs.
    /// @throws Error when `x` does not have inputs() columns.
    ad::Var<T> forward(ad::Tape<T>& t, const CsrView<T>& x) {
        if (activation == Activation::softplus) return ad::softplus_layer(x, t.param(weight), t.param(bias), beta);
        return activate(ad::add_bias(ad::sparse_matmul(x, t.param(weight)), t.param(bias)), activation, beta);
    }

    /// The layer without the tape: `out` = activation(x W + b).
    /// @param x    input, cells x inputs.
    /// @param out  resized to cells x outputs and overwritten.
    void apply(const Matrix<T>& x, Matrix<T>& out) const {
        out.noalias() = x * weight.value;
        out.rowwise() += bias.value.row(0);
        activate_in_place(out, activation, beta);
    }

    /// The layer without the tape, for a sparse input.
    /// @param x    sparse input, cells x inputs.
    /// @param out  resized to cells x outputs and overwritten.
    void apply(const CsrView<T>& x, Matrix<T>& out) const {
        sparse_times_dense(x, weight.value, out);
        out.rowwise() += bias.value.row(0);
        activate_in_place(out, activation, beta);
    }
};

} // namespace scae::nn

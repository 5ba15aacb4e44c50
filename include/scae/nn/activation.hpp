#pragma once
/// @file activation.hpp
/// @brief The activations a layer can use, by name, on the tape and without it.

#include "scae/ad/activations.hpp"
#include "scae/ad/ops.hpp"
#include "scae/core/enum_names.hpp"

#include <algorithm>
#include <string>

namespace scae::nn {

/// Nonlinearity applied after a layer's affine map.
enum class Activation { identity, relu, softplus, sigmoid, tanh };

/// The activations' names in model files.
inline constexpr EnumNames<Activation, 5> activation_names{{{Activation::identity, "identity"},
                                                            {Activation::relu, "relu"},
                                                            {Activation::softplus, "softplus"},
                                                            {Activation::sigmoid, "sigmoid"},
                                                            {Activation::tanh, "tanh"}}};

/// The activation's name as written in model files ("softplus", ...).
/// @param a  the activation.
/// @return its name; "unknown" for a value outside the enum.
inline std::string to_string(Activation a) { return enum_name(a, activation_names); }

/// Parses an activation name; throws scae::Error on an unknown one.
/// @param name  a name as to_string() writes it.
/// @return the activation.
/// @throws Error when no activation has that name.
inline Activation activation_from_string(const std::string& name) { return enum_from_name(name, activation_names, "activation"); }

/// Applies `a` on the tape; `beta` is softplus' sharpness.
/// @param x     the layer's affine output.
/// @param a     the activation.
/// @param beta  softplus sharpness (positive); ignored by the others.
/// @return the activated node; `x` itself for the identity.
template <class T>
ad::Var<T> activate(ad::Var<T> x, Activation a, T beta) {
    switch (a) {
    case Activation::relu: return ad::relu(x);
    case Activation::softplus: return ad::softplus(x, beta);
    case Activation::sigmoid: return ad::sigmoid(x);
    case Activation::tanh: return ad::tanh(x);
    case Activation::identity: break;
    }
    return x;
}

/// Applies `a` in place, without recording anything (inference), with the arithmetic of the
/// tape's ops (ad/activations.hpp).
/// @param x     the layer's affine output, overwritten by the activations.
/// @param a     the activation.
/// @param beta  softplus sharpness (positive); ignored by the others.
template <class T>
void activate_in_place(Matrix<T>& x, Activation a, T beta) {
    namespace act = ad::activation;
    auto v = x.array();
    switch (a) {
    case Activation::relu: v = act::relu_value(v); break;
    case Activation::softplus:
        for (Index r0 = 0; r0 < x.rows(); r0 += 64) { // 64 rows at a time: a small temporary
            auto rows = v.middleRows(r0, std::min<Index>(64, x.rows() - r0));
            const act::Values<T> z = rows * beta;
            const act::Values<T> e = act::softplus_e(z);
            rows = act::softplus_times_beta(z, e, act::softplus_r(e)) * (T(1) / beta);
        }
        break;
    case Activation::sigmoid: v = act::sigmoid_value(v); break;
    case Activation::tanh: v = act::tanh_value(v); break;
    case Activation::identity: break;
    }
}

/// The slope of `a` at pre-activations `pre` whose activations are `post`, as the tape's
/// backward computes it (ad/activations.hpp): what the saliency sweep multiplies gradients by.
/// @param a      the activation.
/// @param beta   softplus sharpness (positive); ignored by the others.
/// @param pre    the layer's affine output.
/// @param post   activate_in_place() of `pre`.
/// @param slope  resized to pre's shape and overwritten.
template <class T>
void activation_slope(Activation a, T beta, const Matrix<T>& pre, const Matrix<T>& post, Matrix<T>& slope) {
    namespace act = ad::activation;
    switch (a) {
    case Activation::relu: slope = act::relu_slope(pre.array()).matrix(); break;
    case Activation::softplus: {
        const act::Values<T> z = beta * pre.array();
        const act::Values<T> e = act::softplus_e(z);
        slope = act::softplus_slope(z, e, act::Values<T>(act::softplus_r(e))).matrix();
        break;
    }
    case Activation::sigmoid: slope = act::sigmoid_slope_from_value(post.array()).matrix(); break;
    case Activation::tanh: slope = act::tanh_slope_from_value(post.array()).matrix(); break;
    case Activation::identity: slope.setOnes(pre.rows(), pre.cols()); break;
    }
}

} // namespace scae::nn

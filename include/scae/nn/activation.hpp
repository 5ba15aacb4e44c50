#pragma once
/// @file activation.hpp
/// @brief The activations a layer can use, by name, on the tape and without it.

#include "scae/ad/ops.hpp"
#include "scae/core/enum_names.hpp"

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

/// Applies `a` in place, without recording anything (inference).
/// @param x     the layer's affine output, overwritten by the activations.
/// @param a     the activation.
/// @param beta  softplus sharpness (positive); ignored by the others.
template <class T>
void activate_in_place(Matrix<T>& x, Activation a, T beta) {
    auto v = x.array();
    switch (a) {
    case Activation::relu: v = v.max(T(0)); break;
    case Activation::softplus: v = ((v * beta).max(T(0)) + (-(v * beta).abs()).exp().log1p()) / beta; break;
    case Activation::sigmoid: v = T(1) / (T(1) + (-v).exp()); break;
    case Activation::tanh: v = v.tanh(); break;
    case Activation::identity: break;
    }
}

} // namespace scae::nn

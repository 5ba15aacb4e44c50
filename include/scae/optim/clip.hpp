#pragma once
/// @file clip.hpp
/// @brief Gradient-norm clipping and zeroing over a list of parameters.

#include "scae/ad/tape.hpp"

#include <cmath>
#include <vector>

namespace scae::optim {

/// Sets every gradient to zero (keeping its memory).
/// @param params  the parameters; an empty gradient is resized to its value's shape.
template <class T>
void zero_grad(const std::vector<ad::Param<T>*>& params) {
    for (ad::Param<T>* p : params) p->grad.setZero(p->value.rows(), p->value.cols());
}

/// Scales all gradients together so that their joint L2 norm is at most `max_norm`;
/// returns the norm before clipping. A non-positive `max_norm` only measures.
/// @param params    the parameters whose gradients are clipped together.
/// @param max_norm  the largest joint norm allowed; 0 or less leaves the gradients as they are.
/// @return the joint L2 norm before clipping.
template <class T>
double clip_grad_norm(const std::vector<ad::Param<T>*>& params, double max_norm) {
    double squared = 0;
    for (ad::Param<T>* p : params) squared += p->grad.template cast<double>().squaredNorm();
    const double norm = std::sqrt(squared);
    if (max_norm > 0 && norm > max_norm) {
        const T factor = T(max_norm / (norm + 1e-12));
        for (ad::Param<T>* p : params) p->grad *= factor;
    }
    return norm;
}

} // namespace scae::optim

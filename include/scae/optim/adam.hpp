#pragma once
/// @file adam.hpp
/// @brief Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), as in PyTorch.

#include "scae/core/csr_view.hpp"
#include "scae/optim/clip.hpp"

#include <cmath>

namespace scae::optim {

/// Settings of Adam.
struct AdamOptions {
    double learning_rate = 1e-3; ///< step size
    double beta1 = 0.9;          ///< decay of the first-moment estimate
    double beta2 = 0.999;        ///< decay of the second-moment estimate
    double epsilon = 1e-8;       ///< added to the root of the second moment
    double weight_decay = 0.0;   ///< L2 (Adam) or decoupled (AdamW) decay
    bool decoupled = false;      ///< true: AdamW, decay the weights directly
};

/// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr m_hat / (sqrt(v_hat) + eps).
template <class T>
class Adam {
public:
    /// Optimises `params` (which must outlive the optimiser).
    Adam(std::vector<ad::Param<T>*> params, AdamOptions opts) : params_(std::move(params)), options_(opts) {
        for (ad::Param<T>* p : params_) {
            first_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
            second_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
        }
    }

    /// One update from the current gradients.
    void step() {
        ++steps_;
        const AdamOptions& o = options_;
        const T lr = T(o.learning_rate), b1 = T(o.beta1), b2 = T(o.beta2), wd = T(o.weight_decay);
        const T correction1 = T(1 - std::pow(o.beta1, steps_));
        const T root_correction2 = T(std::sqrt(1 - std::pow(o.beta2, steps_)));
        const T step_size = lr / correction1;
        const T eps = T(o.epsilon);
        for (std::size_t i = 0; i < params_.size(); ++i) {
            Matrix<T>& weight = params_[i]->value;
            parallel_rows(weight.rows(), weight.cols(), [&](Index first, Index last) {
                auto w = weight.middleRows(first, last - first).array();
                auto g = params_[i]->grad.middleRows(first, last - first).array();
                if (wd != 0) {
                    if (o.decoupled) w *= T(1) - lr * wd;
                    else g += wd * w;
                }
                auto m = first_[i].middleRows(first, last - first).array();
                auto v = second_[i].middleRows(first, last - first).array();
                m = b1 * m + (T(1) - b1) * g;
                v = b2 * v + (T(1) - b2) * g.square();
                w -= step_size * m / (v.sqrt() / root_correction2 + eps);
            });
        }
    }

    /// Zeroes the gradients of the optimised parameters.
    void zero_grad() { optim::zero_grad(params_); }

    /// Updates taken so far.
    long long steps() const { return steps_; }

private:
    std::vector<ad::Param<T>*> params_;
    AdamOptions options_;
    std::vector<Matrix<T>> first_, second_;
    long long steps_ = 0;
};

} // namespace scae::optim

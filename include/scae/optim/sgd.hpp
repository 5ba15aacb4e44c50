#pragma once
/// @file sgd.hpp
/// @brief Stochastic gradient descent with momentum and Nesterov momentum (PyTorch's update rule).

#include "scae/optim/clip.hpp"

namespace scae::optim {

/// Settings of Sgd.
struct SgdOptions {
    double learning_rate = 0.01; ///< step size
    double momentum = 0.0;       ///< velocity decay (0: plain SGD)
    bool nesterov = false;       ///< look-ahead momentum (needs momentum > 0)
    double weight_decay = 0.0;   ///< L2 penalty added to the gradient
};

/// v = momentum v + g;  step = nesterov ? g + momentum v : v;  w -= lr step.
template <class T>
class Sgd {
public:
    /// Optimises `params` (which must outlive the optimiser).
    /// @param params  the parameters to update, in a fixed order (it is the order of state()).
    /// @param opts    learning rate, momentum and weight decay.
    Sgd(std::vector<ad::Param<T>*> params, SgdOptions opts) : params_(std::move(params)), options_(opts) {
        for (ad::Param<T>* p : params_) velocity_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
    }

    /// One update from the current gradients, which it then sets to zero (as Adam::step does).
    /// @throws Error when a parameter's gradient differs in shape from its value
    void step() {
        const T lr = T(options_.learning_rate), mu = T(options_.momentum), wd = T(options_.weight_decay);
        for (ad::Param<T>* p : params_)
            if (p->grad.rows() != p->value.rows() || p->grad.cols() != p->value.cols())
                throw Error("optim::Sgd: a parameter's gradient differs in shape from its value");
        for (std::size_t i = 0; i < params_.size(); ++i) {
            Matrix<T>& w = params_[i]->value;
            Matrix<T>& g = params_[i]->grad;
            if (wd != 0) g += wd * w;
            if (mu == 0) {
                w -= lr * g;
            } else {
                Matrix<T>& v = velocity_[i];
                v = mu * v + g;
                if (options_.nesterov) w -= lr * (g + mu * v);
                else w -= lr * v;
            }
            g.setZero();
        }
    }

    /// Zeroes the gradients of the optimised parameters: before the first backward pass; step()
    /// leaves them zero after that.
    void zero_grad() { optim::zero_grad(params_); }

    /// The velocities, one per parameter (for checkpoints, train/checkpoint.hpp).
    /// @return pointers into the optimiser (valid while it lives), in parameter order.
    std::vector<Matrix<T>*> state() {
        std::vector<Matrix<T>*> out;
        for (Matrix<T>& v : velocity_) out.push_back(&v);
        return out;
    }

private:
    std::vector<ad::Param<T>*> params_;
    SgdOptions options_;
    std::vector<Matrix<T>> velocity_;
};

} // namespace scae::optim

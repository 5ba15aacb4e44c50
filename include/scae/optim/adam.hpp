#pragma once
/// @file adam.hpp
/// @brief Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), as in PyTorch.

#include "scae/ad/tape.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/core/pieces.hpp"
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
///
/// One pass updates every parameter: all of them are cut once into fixed chunks that the
/// threads share, so small matrices (biases) cost no extra parallel region and the update
/// is the same for any thread count. The same pass sets each gradient to zero once it is used,
/// so a training loop zeroes the gradients once, before its first backward pass.
template <class T>
class Adam {
public:
    /// Optimises `params` (which must outlive the optimiser).
    /// @param params  the parameters to update, in a fixed order (it is the order of state()).
    /// @param opts    learning rate, moment decays and weight decay.
    Adam(std::vector<ad::Param<T>*> params, AdamOptions opts) : params_(std::move(params)), options_(opts) {
        for (std::size_t i = 0; i < params_.size(); ++i) {
            ad::Param<T>* p = params_[i];
            first_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
            second_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
            for (Index begin = 0; begin < p->value.size(); begin += chunk_size)
                chunks_.push_back({i, begin, std::min<Index>(chunk_size, p->value.size() - begin)});
        }
    }

    /// One update from the current gradients, which it then sets to zero (ready for the next
    /// backward pass to add into: one pass over them, not a second one to zero them).
    /// @throws Error when a parameter's gradient differs in shape from its value.
    void step() {
        ++steps_;
        const AdamOptions& o = options_;
        const T lr = T(o.learning_rate), b1 = T(o.beta1), b2 = T(o.beta2), wd = T(o.weight_decay);
        // lr m_hat / (sqrt(v_hat) + eps) = (lr c2 / c1) m / (sqrt(v) + eps c2), with c1 = 1 - b1^t and
        // c2 = sqrt(1 - b2^t): one division per weight, where PyTorch's order takes two (a division
        // and a square root bound Adam, not memory: docs/benchmarks.md).
        const double root_correction2 = std::sqrt(1 - std::pow(o.beta2, steps_));
        const T step_size = T(o.learning_rate * root_correction2 / (1 - std::pow(o.beta1, steps_)));
        const T eps = T(o.epsilon * root_correction2);
        for (ad::Param<T>* p : params_)
            if (p->grad.rows() != p->value.rows() || p->grad.cols() != p->value.cols())
                throw Error("optim::Adam: a parameter's gradient differs in shape from its value");
        parallelize_blocks([&](Index c) {
            const Chunk& chunk = chunks_[std::size_t(c)];
            ad::Param<T>& p = *params_[chunk.param];
            T* const w = p.value.data() + chunk.begin;
            T* const g = p.grad.data() + chunk.begin;
            T* const m = first_[chunk.param].data() + chunk.begin;
            T* const v = second_[chunk.param].data() + chunk.begin;
            // One pass a vector at a time: each weight's four values are read and written once.
            for_each_piece<T>(chunk.length, [&](Index i, auto n) {
                using A = Piece<T, decltype(n)>;
                Eigen::Map<A> wi(w + i, n), mi(m + i, n), vi(v + i, n), gi(g + i, n);
                A grad = gi;
                if (wd != 0) {
                    if (o.decoupled) wi *= T(1) - lr * wd;
                    else grad += wd * wi;
                }
                const A first = b1 * mi + (T(1) - b1) * grad;
                const A second = b2 * vi + (T(1) - b2) * grad.square();
                mi = first;
                vi = second;
                wi -= step_size * first / (second.sqrt() + eps);
                gi.setZero();
            });
        }, Index(chunks_.size()), 0, 10.0 * double(chunk_size) * double(chunks_.size()));
    }

    /// Zeroes the gradients of the optimised parameters (in the same chunks, in parallel): before
    /// the first backward pass; step() leaves them zero after that.
    void zero_grad() {
        for (ad::Param<T>* p : params_)
            if (p->grad.rows() != p->value.rows() || p->grad.cols() != p->value.cols()) p->grad.resize(p->value.rows(), p->value.cols());
        parallelize_blocks([&](Index c) {
            const Chunk& chunk = chunks_[std::size_t(c)];
            span(params_[chunk.param]->grad, chunk).setZero();
        }, Index(chunks_.size()), 0, double(chunk_size) * double(chunks_.size()));
    }

    /// Updates taken so far.
    /// @return 0 for a new optimiser.
    long long steps() const { return steps_; }
    /// Sets the update count (continuing from a checkpoint, train/checkpoint.hpp).
    /// @param steps  updates already taken; sets the bias corrections of the next step.
    void set_steps(long long steps) { steps_ = steps; }
    /// The moment estimates, first then second, one per parameter (for checkpoints).
    /// @return pointers into the optimiser (valid while it lives): first moments in parameter order, then second moments.
    std::vector<Matrix<T>*> state() {
        std::vector<Matrix<T>*> out;
        for (auto* moments : {&first_, &second_})
            for (Matrix<T>& m : *moments) out.push_back(&m);
        return out;
    }

private:
    /// Elements per chunk: a few L1 caches of w, g, m and v.
    static constexpr Index chunk_size = 8192;
    struct Chunk {
        std::size_t param; // which parameter
        Index begin, length; // its elements [begin, begin + length), in storage order
    };

    static Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> span(Matrix<T>& m, const Chunk& c) {
        return {m.data() + c.begin, c.length};
    }

    std::vector<ad::Param<T>*> params_;
    AdamOptions options_;
    std::vector<Matrix<T>> first_, second_;
    std::vector<Chunk> chunks_;
    long long steps_ = 0;
};

} // namespace scae::optim

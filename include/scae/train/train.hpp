#pragma once
/// @file train.hpp
/// @brief Minibatch training of an autoencoder on a count matrix.

#include "scae/core/parallelize.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/optim/adam.hpp"
#include "scae/optim/sgd.hpp"
#include "scae/train/progress.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <variant>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae::train {

/// The optimiser training uses.
enum class Optimizer { adam, adamw, sgd };

/// Settings of `fit`.
struct TrainOptions {
    int epochs = 100;                  ///< upper bound on passes over the training cells
    int batch_size = 128;              ///< cells per minibatch
    double learning_rate = 1e-3;       ///< optimiser step size
    Optimizer optimizer = Optimizer::adam; ///< Adam (default), AdamW or SGD
    double weight_decay = 0.0;         ///< L2 (Adam, SGD) or decoupled (AdamW) decay
    double momentum = 0.9;             ///< SGD only
    bool nesterov = false;             ///< SGD only
    double clip_norm = 0.0;            ///< clip the joint gradient norm to this (0: off)
    std::uint64_t seed = 42;           ///< validation split and epoch shuffles
    double validation_fraction = 0.1;  ///< cells held out to measure generalisation (0: none)
    int patience = 10;                 ///< stop after this many epochs without improvement (0: never)
    double min_delta = 1e-4;           ///< an improvement must lower the monitored loss by this much
    bool restore_best = true;          ///< end with the weights of the best monitored epoch
    int threads = 0;                   ///< OpenMP threads (0: the OpenMP default)
    ProgressMode progress = ProgressMode::automatic; ///< progress lines on stderr
};

/// What happened in one epoch.
struct EpochRecord {
    int epoch = 0;                 ///< 1-based
    double train_loss = 0;         ///< mean objective over the epoch's minibatches (loss + penalty)
    double validation_loss = std::numeric_limits<double>::quiet_NaN(); ///< reconstruction loss on held-out cells
    double seconds = 0;            ///< wall time of the epoch
};

/// The course of a training run.
struct History {
    std::vector<EpochRecord> epochs; ///< one record per epoch run
    int best_epoch = 0;              ///< epoch with the lowest monitored loss
    bool stopped_early = false;      ///< patience ran out
    std::size_t train_cells = 0;     ///< cells trained on
    std::size_t validation_cells = 0; ///< cells held out
};

namespace detail {

using scae::ThreadScope; // core/parallelize.hpp

template <class T>
using AnyOptimizer = std::variant<optim::Adam<T>, optim::Sgd<T>>;

template <class T>
AnyOptimizer<T> make_optimizer(std::vector<ad::Param<T>*> params, const TrainOptions& o) {
    if (o.optimizer == Optimizer::sgd)
        return optim::Sgd<T>(std::move(params), {o.learning_rate, o.momentum, o.nesterov, o.weight_decay});
    optim::AdamOptions a;
    a.learning_rate = o.learning_rate;
    a.weight_decay = o.weight_decay;
    a.decoupled = o.optimizer == Optimizer::adamw;
    return optim::Adam<T>(std::move(params), a);
}

} // namespace detail

namespace detail {

/// A minibatch: rows of the counts in shuffled order, with the input's values beside the
/// counts' (the two share one structure). The buffers only grow, so after the first few
/// batches nothing is allocated.
template <class T>
struct Minibatch {
    std::vector<int> outer{0}; ///< rows + 1 offsets
    std::vector<int> inner;    ///< column indices
    std::vector<T> counts;     ///< raw counts (the target)
    std::vector<T> input;      ///< transformed counts (the encoder's input)
    Index cols = 0;            ///< genes

    /// Copies rows `rows[0..count)` of `m` (compressed), and the same entries of `input_values`.
    void gather(const Csr<T>& m, const std::vector<T>& input_values, const int* rows, Index count) {
        cols = m.cols();
        const int* from = m.outerIndexPtr();
        outer.resize(std::size_t(count) + 1);
        for (Index i = 0; i < count; ++i) outer[i + 1] = outer[i] + (from[rows[i] + 1] - from[rows[i]]);
        inner.resize(std::size_t(outer[count]));
        counts.resize(inner.size());
        input.resize(inner.size());
        for (Index i = 0; i < count; ++i) {
            const int first = from[rows[i]], length = outer[i + 1] - outer[i];
            std::copy_n(m.innerIndexPtr() + first, length, inner.data() + outer[i]);
            std::copy_n(m.valuePtr() + first, length, counts.data() + outer[i]);
            std::copy_n(input_values.data() + first, length, input.data() + outer[i]);
        }
    }

    /// The counts of the gathered rows.
    CsrView<T> count_view() const { return {Index(outer.size()) - 1, cols, outer.data(), inner.data(), counts.data()}; }
    /// The input of the gathered rows.
    CsrView<T> input_view() const { return {Index(outer.size()) - 1, cols, outer.data(), inner.data(), input.data()}; }
};

/// Mean reconstruction loss (no penalty) of `model` over the listed cells, in batches.
template <class T>
double evaluate_loss(nn::Autoencoder<T>& model, const Csr<T>& counts, const std::vector<T>& input_values,
                     const std::vector<int>& cells, int batch_size, ad::Tape<T>& tape, Minibatch<T>& batch) {
    double total = 0;
    for (std::size_t start = 0; start < cells.size(); start += std::size_t(batch_size)) {
        const Index n = Index(std::min<std::size_t>(std::size_t(batch_size), cells.size() - start));
        batch.gather(counts, input_values, cells.data() + start, n);
        tape.clear();
        total += double(model.batch_loss(tape, batch.input_view(), batch.count_view()).value()(0, 0)) * double(n);
    }
    return cells.empty() ? std::numeric_limits<double>::quiet_NaN() : total / double(cells.size());
}

} // namespace detail

/// Trains `model` on raw `counts` (cells x genes, in the model's gene order). The model's
/// own input transform makes the input; the loss compares the output with the raw counts.
/// Same seed and thread count give a bit-identical model. Throws scae::Error when the loss
/// becomes non-finite, naming the epoch and batch.
template <class T>
History fit(nn::Autoencoder<T>& model, const Csr<T>& counts, const TrainOptions& options = {}) {
    if (counts.cols() != model.genes())
        throw Error("train::fit: data has " + std::to_string(counts.cols()) + " genes, the model " + std::to_string(model.genes()));
    if (options.batch_size <= 0 || options.epochs < 0) throw Error("train::fit: batch_size must be positive and epochs non-negative");
    if (options.validation_fraction < 0 || options.validation_fraction >= 1)
        throw Error("train::fit: validation_fraction must be in [0, 1)");
    detail::ThreadScope threads(options.threads);

    // Memory beyond the caller's counts: the transformed input's values (one value per stored
    // count; it shares the counts' structure), and a sorted compressed copy of the counts only
    // when they are not already stored that way (scae's readers and Eigen's builders store them so).
    const bool as_stored = counts.isCompressed() && ad::rows_sorted(view_all(counts));
    Csr<T> sorted;
    if (!as_stored) {
        const Eigen::SparseMatrix<T, Eigen::ColMajor, int> by_gene = counts; // each pass sorts
        sorted = by_gene;
    }
    const Csr<T>& target = as_stored ? counts : sorted;
    std::vector<T> input(std::size_t(target.nonZeros()));
    nn::transform_values(target, model.options.input, input.data());

    // Held-out cells are drawn once from the seed; the rest are shuffled every epoch.
    Rng rng(options.seed);
    std::vector<int> order(std::size_t(counts.rows()));
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order);
    const std::size_t held_out = std::size_t(std::floor(options.validation_fraction * double(order.size())));
    std::vector<int> validation(order.begin(), order.begin() + held_out), training(order.begin() + held_out, order.end());
    if (training.empty()) throw Error("train::fit: no cells left to train on");

    History history;
    history.train_cells = training.size();
    history.validation_cells = validation.size();
    auto params = model.parameters();
    auto optimizer = detail::make_optimizer(params, options);
    ad::Tape<T> tape;
    detail::Minibatch<T> minibatch;
    std::vector<Matrix<T>> best;
    double best_loss = std::numeric_limits<double>::infinity();
    int since_best = 0;
    Progress progress(options.progress, options.epochs);

    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto epoch_start = std::chrono::steady_clock::now();
        rng.shuffle(training);
        double sum = 0;
        int batch = 0;
        for (std::size_t start = 0; start < training.size(); start += options.batch_size, ++batch) {
            const Index n = Index(std::min<std::size_t>(options.batch_size, training.size() - start));
            minibatch.gather(target, input, training.data() + start, n);
            tape.clear();
            ad::Var<T> loss = model.objective(tape, minibatch.input_view(), minibatch.count_view());
            const double value = loss.value()(0, 0);
            if (!std::isfinite(value))
                throw Error("training stopped: the loss became " + std::to_string(value) + " at epoch " + std::to_string(epoch) +
                            ", batch " + std::to_string(batch + 1) + " (try a lower learning rate, or check the input for extreme values)");
            std::visit([](auto& o) { o.zero_grad(); }, optimizer);
            tape.backward(loss);
            if (options.clip_norm > 0) optim::clip_grad_norm(params, options.clip_norm);
            std::visit([](auto& o) { o.step(); }, optimizer);
            sum += value * double(n);
        }
        EpochRecord record;
        record.epoch = epoch;
        record.train_loss = sum / double(training.size());
        record.validation_loss = detail::evaluate_loss(model, target, input, validation, options.batch_size, tape, minibatch);
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
        history.epochs.push_back(record);

        const double monitored = validation.empty() ? record.train_loss : record.validation_loss;
        if (monitored < best_loss - options.min_delta) {
            best_loss = monitored;
            history.best_epoch = epoch;
            since_best = 0;
            if (options.restore_best) {
                best.resize(params.size());
                for (std::size_t i = 0; i < params.size(); ++i) best[i] = params[i]->value;
            }
        } else {
            ++since_best;
        }
        char status[160];
        std::snprintf(status, sizeof status, "train %.5g  val %.5g  %.0f cells/s", record.train_loss, record.validation_loss,
                      double(training.size()) / std::max(record.seconds, 1e-9));
        progress.update(epoch, status);
        if (options.patience > 0 && since_best >= options.patience) {
            history.stopped_early = true;
            break;
        }
    }
    if (options.restore_best && !best.empty())
        for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = best[i];
    progress.finish("trained " + std::to_string(history.epochs.size()) + " epochs in " +
                    std::to_string(progress.seconds()) + " s; best epoch " + std::to_string(history.best_epoch));
    return history;
}

/// Trains on a dense count matrix (converted to sparse once).
template <class T>
History fit(nn::Autoencoder<T>& model, const Matrix<T>& counts, const TrainOptions& options = {}) {
    Csr<T> sparse = counts.sparseView();
    return fit(model, sparse, options);
}

} // namespace scae::train

#pragma once
/// @file train.hpp
/// @brief Minibatch training of an autoencoder on a count matrix.

#include "scae/ad/blocks.hpp"
#include "scae/core/enum_names.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/optim/adam.hpp"
#include "scae/optim/sgd.hpp"
#include "scae/train/history.hpp"
#include "scae/core/progress.hpp"

#include <chrono>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae::train {

/// The optimiser training uses.
enum class Optimizer { adam, adamw, sgd };

/// The optimisers' names (checkpoint settings).
inline constexpr EnumNames<Optimizer, 3> optimizer_names{{{Optimizer::adam, "adam"}, {Optimizer::adamw, "adamw"}, {Optimizer::sgd, "sgd"}}};

/// The name of `optimizer`.
/// @param optimizer  the optimiser
/// @return "adam", "adamw" or "sgd"
inline std::string to_string(Optimizer optimizer) { return enum_name(optimizer, optimizer_names); }

struct TrainState;

/// The processes of a data-parallel run (train/mpi.hpp makes one from MPI); one process by default.
/// Either every rank holds all cells (TrainOptions::shard left empty) and trains a contiguous slice
/// of each global minibatch, or each rank holds its own block of the cells (a CellShard) and
/// trains the cells of each global minibatch that it holds. Every rank draws the same shuffles
/// from the seed; the gradients are summed before every rank takes the same step.
struct Communicator {
    int rank = 0; ///< this process, 0 .. size - 1
    int size = 1; ///< processes
    /// Replaces `values` (equally long on every rank) by their element-wise sum over the ranks,
    /// with the same bits on every rank (train/mpi.hpp adds them in rank order). Needed when size > 1.
    std::function<void(std::vector<double>& values)> sum;
    /// Sets `all` to every rank's `mine` (of any length) in rank order, on every rank. Optional:
    /// without it, gather_over_ranks() makes the gather from `sum`.
    std::function<void(const std::vector<double>& mine, std::vector<double>& all)> gather;
};

/// Every rank's `mine` in rank order, on every rank, through `ranks.gather`, or when it has none
/// through `ranks.sum` (each rank fills its own stretch of a zeroed vector: zeros added are exact).
/// Every rank must call it.
/// @param ranks  the ranks (one process: `mine` is returned)
/// @param mine   this rank's values (any length, even none)
/// @return the concatenation of all ranks' values, in rank order
/// @throws Error when the communicator has several ranks and neither a gather nor a sum
inline std::vector<double> gather_over_ranks(const Communicator& ranks, const std::vector<double>& mine) {
    if (ranks.size <= 1) return mine;
    std::vector<double> all;
    if (ranks.gather) {
        ranks.gather(mine, all);
        return all;
    }
    if (!ranks.sum) throw Error("gather_over_ranks: the communicator has " + std::to_string(ranks.size) + " ranks but no sum");
    std::vector<double> lengths(std::size_t(ranks.size), 0.0);
    lengths[std::size_t(ranks.rank)] = double(mine.size());
    ranks.sum(lengths);
    std::size_t before = 0, total = 0;
    for (int r = 0; r < ranks.size; ++r) {
        if (r < ranks.rank) before += std::size_t(lengths[std::size_t(r)]);
        total += std::size_t(lengths[std::size_t(r)]);
    }
    all.assign(total, 0.0);
    std::copy(mine.begin(), mine.end(), all.begin() + std::ptrdiff_t(before));
    ranks.sum(all);
    return all;
}

/// Which cells of a data set this process holds, when each rank holds only its own block
/// (sharded training, docs/cluster.md): rows [first, first + rows of the counts given to fit) of
/// `total` cells, the blocks of the ranks following one another in rank order. Default: empty
/// (total 0), every rank holds every cell.
struct CellShard {
    Index first = 0; ///< the data set's row of this rank's first cell
    Index total = 0; ///< cells of the whole data set over all ranks (0: not sharded)
    /// True when the counts are one rank's block rather than every cell.
    /// @return total > 0
    bool sharded() const { return total > 0; }
};

/// Saving a run's state and continuing it (train/checkpoint.hpp writes and reads the state as a file).
struct CheckpointOptions {
    /// Called with the whole state after every `every` epochs, after the run's last epoch, and when
    /// a stop is requested (empty: never). Under MPI, give it on one rank only.
    std::function<void(const TrainState&)> save;
    int every = 1; ///< epochs between saves
    /// A state to continue (null: a fresh run); fit first checks that it came from the same data and
    /// settings. The continued run equals an uninterrupted one bit for bit at the same threads and ranks.
    std::shared_ptr<const TrainState> resume;
    /// When it holds a non-zero value, fit finishes the current minibatch, saves the state and throws
    /// train::Stopped. Meant for a signal handler (checkpoint.hpp: StopOnSignals).
    const volatile std::sig_atomic_t* stop = nullptr;
};

/// Thrown by fit when CheckpointOptions::stop asked it to stop (after saving the state).
class Stopped : public Error {
public:
    using Error::Error;
};

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
    int threads = 1;                   ///< OpenMP threads (default 1: the caller decides; 0: OpenMP's default, every core)
    /// Called after every epoch (a step of `epochs`, with its losses) and at the end or a stop (a
    /// note); default empty: silent. `scae train` fills it with a line on stderr (cli/progress.hpp).
    ProgressCallback progress{};
    CheckpointOptions checkpoint{}; ///< saving, resuming and stopping on request (default: none)
    Communicator communicator{};    ///< data-parallel ranks (default: one process)
    CellShard shard{};              ///< the block of cells this rank holds (default: all of them)
};

/// What a checkpoint was made from: the training counts (after preprocessing), summarised.
struct DataFingerprint {
    long long cells = 0;    ///< rows
    long long genes = 0;    ///< columns
    long long nonzeros = 0; ///< stored entries
    std::uint64_t hash = 0; ///< FNV-1a over the row lengths, column indices and value bits
};

/// Everything a run needs to continue bit for bit (CheckpointOptions). The epoch shuffles are
/// replayed from the seed on resume (a cheap pass per epoch), so no generator state is kept.
/// Matrices are held in double, which holds every float exactly.
struct TrainState {
    int epochs_done = 0;         ///< complete epochs
    std::size_t cells_done = 0;  ///< training cells of the next epoch already trained on (0: between epochs)
    double partial_sum = 0;      ///< their summed objective, from which that epoch's train_loss continues
    std::vector<Matrix<double>> weights;      ///< parameters, in Autoencoder::parameters() order
    std::vector<Matrix<double>> moments;      ///< optimiser state: Adam's first then second moments, or SGD's velocities
    long long steps = 0;                      ///< optimiser updates so far (Adam's bias correction)
    History history;                          ///< the epochs so far
    double best_loss = std::numeric_limits<double>::infinity(); ///< lowest monitored loss so far
    int since_best = 0;                       ///< epochs since it (early stopping)
    std::vector<Matrix<double>> best_weights; ///< weights of the best epoch (restore_best; empty before one)
    DataFingerprint data;                     ///< the training counts it must be resumed with
    /// Name and value of every setting that shapes the run (architecture, input transform, training options).
    std::vector<std::pair<std::string, std::string>> settings;
    int threads = 1;          ///< threads of the run (a bit-identical continuation needs the same)
    int ranks = 1;            ///< ranks of the run (likewise)
    int value_bytes = 4;      ///< sizeof the value type trained (4: float, 8: double)
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
        // The copy in blocks of rows that threads share: a few hundred kilobytes per batch, which
        // on one thread kept the others waiting for 3% of a step (viewing the rows where they are
        // stored instead, without a copy, made every op's reads slower: 5% at one thread).
        const ad::Blocks blocks{count, 16};
        parallelize_blocks([&](Index b) {
            for (Index i = blocks.first(b); i < blocks.first(b) + blocks.length(b); ++i) {
                const int first = from[rows[i]], length = outer[i + 1] - outer[i];
                std::copy_n(m.innerIndexPtr() + first, length, inner.data() + outer[i]);
                std::copy_n(m.valuePtr() + first, length, counts.data() + outer[i]);
                std::copy_n(input_values.data() + first, length, input.data() + outer[i]);
            }
        }, blocks.count(), 0, 3.0 * double(outer[count]));
    }

    /// The counts of the gathered rows.
    CsrView<T> count_view() const { return {Index(outer.size()) - 1, cols, outer.data(), inner.data(), counts.data()}; }
    /// The input of the gathered rows.
    CsrView<T> input_view() const { return {Index(outer.size()) - 1, cols, outer.data(), inner.data(), input.data()}; }
};

/// Summed reconstruction loss (no penalty) of `model` over `count` cells listed at `cells`, in batches.
template <class T>
double summed_loss(nn::Autoencoder<T>& model, const Csr<T>& counts, const std::vector<T>& input_values, const int* cells,
                   std::size_t count, int batch_size, ad::Tape<T>& tape, Minibatch<T>& batch) {
    double total = 0;
    for (std::size_t start = 0; start < count; start += std::size_t(batch_size)) {
        const Index n = Index(std::min<std::size_t>(std::size_t(batch_size), count - start));
        batch.gather(counts, input_values, cells + start, n);
        tape.clear();
        total += double(model.batch_loss(tape, batch.input_view(), batch.count_view()).value()(0, 0)) * double(n);
    }
    return total;
}

/// The rows of this rank's block (`first`, `rows` long) among `cells` (rows of the whole data
/// set), in their order, as rows of the block.
inline void rows_in_shard(const int* cells, std::size_t count, Index first, Index rows, std::vector<int>& out) {
    out.clear();
    for (std::size_t i = 0; i < count; ++i)
        if (cells[i] >= first && cells[i] - first < rows) out.push_back(int(cells[i] - first));
}

/// Mean reconstruction loss over `cells`, each rank taking a contiguous slice of them, or with a
/// shard the ones it holds (NaN for no cells).
template <class T>
double evaluate_loss(nn::Autoencoder<T>& model, const Csr<T>& counts, const std::vector<T>& input_values,
                     const std::vector<int>& cells, int batch_size, ad::Tape<T>& tape, Minibatch<T>& batch,
                     const Communicator& ranks, const CellShard& shard = {}) {
    if (cells.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::vector<double> total(1, 0.0);
    if (shard.sharded()) {
        std::vector<int> mine;
        rows_in_shard(cells.data(), cells.size(), shard.first, counts.rows(), mine);
        total[0] = summed_loss(model, counts, input_values, mine.data(), mine.size(), batch_size, tape, batch);
    } else {
        const std::size_t first = cells.size() * std::size_t(ranks.rank) / std::size_t(ranks.size);
        const std::size_t last = cells.size() * std::size_t(ranks.rank + 1) / std::size_t(ranks.size);
        total[0] = summed_loss(model, counts, input_values, cells.data() + first, last - first, batch_size, tape, batch);
    }
    if (ranks.size > 1) ranks.sum(total);
    return total[0] / double(cells.size());
}

/// Sums this rank's gradients, its summed batch objective and its stop request over the ranks.
template <class T>
void sum_over_ranks(const std::vector<ad::Param<T>*>& params, const Communicator& ranks, std::vector<double>& buffer,
                    double& batch_sum, bool& stop) {
    buffer.clear();
    for (const ad::Param<T>* p : params) buffer.insert(buffer.end(), p->grad.data(), p->grad.data() + p->grad.size());
    buffer.push_back(batch_sum);
    buffer.push_back(stop ? 1.0 : 0.0);
    ranks.sum(buffer);
    std::size_t at = 0;
    for (ad::Param<T>* p : params)
        for (Index i = 0; i < p->grad.size(); ++i) p->grad.data()[i] = T(buffer[at++]);
    batch_sum = buffer[at];
    stop = buffer[at + 1] > 0;
}

/// FNV-1a continued from `h` over the row lengths (`entries` false) or the column indices and
/// value bits (`entries` true) of compressed, sorted `m`.
template <class T>
std::uint64_t fnv_continue(std::uint64_t h, const Csr<T>& m, bool entries) {
    const auto mix = [&h](std::uint64_t word) { h = (h ^ word) * 0x100000001b3ULL; };
    if (!entries) {
        for (Index r = 0; r < m.rows(); ++r) mix(std::uint64_t(m.outerIndexPtr()[r + 1] - m.outerIndexPtr()[r]));
        return h;
    }
    for (Index k = 0; k < m.nonZeros(); ++k) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, m.valuePtr() + k, sizeof(T));
        mix(std::uint64_t(std::uint32_t(m.innerIndexPtr()[k])) << 32 ^ bits);
    }
    return h;
}

/// FNV-1a over the row lengths, column indices and value bits of compressed, sorted `m`.
template <class T>
DataFingerprint fingerprint(const Csr<T>& m) {
    const std::uint64_t h = fnv_continue(fnv_continue(0xcbf29ce484222325ULL, m, false), m, true);
    return {m.rows(), m.cols(), m.nonZeros(), h};
}

/// fingerprint() of the whole data set when each rank holds a block of it (in rank order): the
/// same value as one process computes on all cells, so that a checkpoint resumes on any ranks.
/// The hash passes from rank to rank (two sums of four 16-bit pieces per rank). Every rank calls it.
template <class T>
DataFingerprint sharded_fingerprint(const Csr<T>& block, const Communicator& ranks) {
    if (ranks.size == 1) return fingerprint(block);
    std::vector<double> sizes = {double(block.rows()), double(block.nonZeros())};
    ranks.sum(sizes);
    std::uint64_t h = 0xcbf29ce484222325ULL;
    std::vector<double> pieces(4);
    for (const bool entries : {false, true})
        for (int r = 0; r < ranks.size; ++r) {
            const std::uint64_t next = r == ranks.rank ? fnv_continue(h, block, entries) : 0;
            for (int k = 0; k < 4; ++k) pieces[std::size_t(k)] = double((next >> (16 * k)) & 0xffffU);
            ranks.sum(pieces); // only rank r contributes: the sum is its hash, exactly
            h = 0;
            for (int k = 0; k < 4; ++k) h |= std::uint64_t(pieces[std::size_t(k)]) << (16 * k);
        }
    return {static_cast<long long>(sizes[0]), block.cols(), static_cast<long long>(sizes[1]), h};
}

/// Every setting that shapes a run's trajectory, as name and exact value (for TrainState::settings).
inline std::vector<std::pair<std::string, std::string>> settings(const nn::AutoencoderOptions& m, const TrainOptions& o) {
    const auto number = [](double v) {
        char text[40];
        std::snprintf(text, sizeof text, "%.17g", v);
        return std::string(text);
    };
    std::string sizes;
    for (Index s : m.encoder_sizes) sizes += (sizes.empty() ? "" : ",") + std::to_string(s);
    return {{"encoder_sizes", sizes},
            {"activation", std::to_string(int(m.activation))},
            {"output_activation", std::to_string(int(m.output_activation))},
            {"softplus_beta", number(m.softplus_beta)},
            {"loss", nn::to_string(m.loss)},
            {"orthogonality_weight", number(m.orthogonality_weight)},
            {"input_log1p", m.input.log1p ? "true" : "false"},
            {"input_target_sum", number(m.input.target_sum)},
            {"batch_size", std::to_string(o.batch_size)},
            {"learning_rate", number(o.learning_rate)},
            {"optimizer", to_string(o.optimizer)},
            {"weight_decay", number(o.weight_decay)},
            {"momentum", number(o.momentum)},
            {"nesterov", o.nesterov ? "true" : "false"},
            {"clip_norm", number(o.clip_norm)},
            {"seed", std::to_string(o.seed)},
            {"validation_fraction", number(o.validation_fraction)},
            {"patience", std::to_string(o.patience)},
            {"min_delta", number(o.min_delta)},
            {"restore_best", o.restore_best ? "true" : "false"}};
}

/// Throws scae::Error unless `state` continues a run on `data` with `now`'s settings and these
/// parameter and optimiser shapes, naming the first difference.
inline void check_resumable(const TrainState& state, const DataFingerprint& data, const std::vector<std::pair<std::string, std::string>>& now,
                            const std::vector<const Matrix<double>*>& shapes, std::size_t moments, std::size_t value_bytes) {
    const std::string head = "cannot resume: the checkpoint ";
    if (state.data.cells != data.cells || state.data.genes != data.genes)
        throw Error(head + "was trained on " + std::to_string(state.data.cells) + " cells x " + std::to_string(state.data.genes) +
                    " genes, this run has " + std::to_string(data.cells) + " x " + std::to_string(data.genes) +
                    " (after filtering and gene selection); expected the same data and preprocessing");
    if (state.data.nonzeros != data.nonzeros || state.data.hash != data.hash)
        throw Error(head + "was trained on other counts of the same shape (" + std::to_string(state.data.nonzeros) + " stored values, this run " +
                    std::to_string(data.nonzeros) + "; fingerprints differ); expected the same data");
    for (const auto& setting : now) {
        const auto it = std::find_if(state.settings.begin(), state.settings.end(), [&](const auto& s) { return s.first == setting.first; });
        if (it == state.settings.end()) throw Error(head + "does not record the setting " + setting.first);
        if (it->second != setting.second)
            throw Error(head + "was written with " + setting.first + " " + it->second + ", this run has " + setting.second +
                        "; expected the options of the interrupted run");
    }
    if (state.value_bytes != int(value_bytes))
        throw Error(head + "holds " + std::to_string(8 * state.value_bytes) + "-bit values, this run trains " + std::to_string(8 * value_bytes) + "-bit ones");
    // Optimiser state cycles through the parameters (Adam: first moments, then second ones).
    const auto same_shapes = [&](const std::vector<Matrix<double>>& m, std::size_t count) {
        if (m.size() != count) return false;
        for (std::size_t i = 0; i < count; ++i)
            if (m[i].rows() != shapes[i % shapes.size()]->rows() || m[i].cols() != shapes[i % shapes.size()]->cols()) return false;
        return true;
    };
    if (!same_shapes(state.weights, shapes.size()) || !same_shapes(state.moments, moments) ||
        !(state.best_weights.empty() || same_shapes(state.best_weights, shapes.size())))
        throw Error(head + "holds parameters or optimiser state of other shapes than this model's");
    if (state.epochs_done < 0 || state.cells_done > state.history.train_cells || state.history.epochs.size() != std::size_t(state.epochs_done))
        throw Error(head + "is inconsistent (epochs done, cells done and history disagree)");
}

template <class T>
std::vector<Matrix<double>> as_double(const std::vector<ad::Param<T>*>& params) {
    std::vector<Matrix<double>> out;
    for (const ad::Param<T>* p : params) out.push_back(p->value.template cast<double>());
    return out;
}

/// The optimiser's state matrices (Adam: first then second moments; SGD: velocities).
template <class T>
std::vector<Matrix<T>*> optimizer_state(AnyOptimizer<T>& optimizer) {
    return std::visit([](auto& o) { return o.state(); }, optimizer);
}

/// Adam's update count (0 for SGD, which keeps none).
template <class T>
long long optimizer_steps(AnyOptimizer<T>& optimizer) {
    if (auto* adam = std::get_if<optim::Adam<T>>(&optimizer)) return adam->steps();
    return 0;
}

} // namespace detail

namespace detail {
/// The cells 0..n-1 in the order fit() draws them: the first validation_cell_count() are held out.
inline std::vector<int> shuffled_cells(Index n, Rng& rng) {
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order);
    return order;
}
} // namespace detail

/// How many of `cells` fit() holds out for validation under `options`.
/// @param cells  the training cells
/// @param options  the training options (validation_fraction)
/// @return floor(validation_fraction x cells)
inline std::size_t validation_cell_count(Index cells, const TrainOptions& options) {
    return std::size_t(std::floor(options.validation_fraction * double(cells)));
}

/// The cells fit() holds out for validation (never trained on), ascending: the same draw from
/// options.seed as fit() makes.
/// @param cells  the training cells
/// @param options  the training options (seed, validation_fraction)
/// @return the held-out rows, ascending
inline std::vector<Index> validation_cells(Index cells, const TrainOptions& options) {
    Rng rng(options.seed);
    const std::vector<int> order = detail::shuffled_cells(cells, rng);
    std::vector<Index> out(order.begin(), order.begin() + std::ptrdiff_t(validation_cell_count(cells, options)));
    std::sort(out.begin(), out.end());
    return out;
}

/// Trains `model` on raw `counts` (cells x genes, in the model's gene order). The model's
/// own input transform makes the input; the loss compares the output with the raw counts.
/// Same seed and thread count give a bit-identical model, also when the run is stopped and
/// resumed (options.checkpoint). Throws scae::Error when the loss becomes non-finite, naming
/// the epoch and batch, and train::Stopped when asked to stop.
/// @param model    the model to train, in place; it ends with the best monitored weights when options.restore_best.
/// With options.shard, `counts` is this rank's block of a data set spread over the ranks
/// (CellShard): the validation split and the epoch shuffles are drawn over the whole data set's
/// rows, exactly as one process holding every cell draws them, and each rank trains the cells of
/// each global minibatch that it holds. The minibatches are thus the one-process minibatches;
/// only the order in which the gradients are added differs (float rounding).
/// @param counts   raw counts, cells x genes in the model's gene order; need not be compressed or sorted (a sorted copy is made if not).
/// @param options  epochs, batches, optimiser, validation split, early stopping, threads, checkpoints, ranks and shard.
/// @return one record per epoch run, the best epoch, whether patience ran out and the cell counts.
/// @throws Error when the shapes or options are invalid, the ranks' blocks do not follow one another, no cell is left to train on, a checkpoint does not match, or the loss becomes non-finite.
/// @throws Stopped when CheckpointOptions::stop asked the run to stop (after saving the state).
template <class T>
History fit(nn::Autoencoder<T>& model, const Csr<T>& counts, const TrainOptions& options = {}) {
    if (counts.cols() != model.genes())
        throw Error("train::fit: data has " + std::to_string(counts.cols()) + " genes, the model " + std::to_string(model.genes()));
    if (options.batch_size <= 0 || options.epochs < 0) throw Error("train::fit: batch_size must be positive and epochs non-negative");
    if (options.validation_fraction < 0 || options.validation_fraction >= 1)
        throw Error("train::fit: validation_fraction must be in [0, 1)");
    const Communicator& ranks = options.communicator;
    if (ranks.size < 1 || ranks.rank < 0 || ranks.rank >= ranks.size || (ranks.size > 1 && !ranks.sum))
        throw Error("train::fit: the communicator needs 0 <= rank < size and, for several ranks, a sum");
    const CheckpointOptions& checkpoint = options.checkpoint;
    if (checkpoint.every < 1) throw Error("train::fit: checkpoint.every must be at least 1");
    const CellShard& shard = options.shard;
    if (shard.sharded()) {
        // Every rank checks every rank's block, so that all of them agree on a refusal.
        if (ranks.size > 1 && !ranks.sum) throw Error("train::fit: a sharded run on several ranks needs the communicator's sum");
        const std::vector<double> blocks = gather_over_ranks(ranks, {double(shard.first), double(counts.rows()), double(shard.total)});
        double next = 0;
        for (int r = 0; r < ranks.size; ++r) {
            const double first = blocks[3 * std::size_t(r)], rows = blocks[3 * std::size_t(r) + 1], total = blocks[3 * std::size_t(r) + 2];
            if (first != next || total != double(shard.total))
                throw Error("train::fit: rank " + std::to_string(r) + " holds cells from row " + std::to_string(static_cast<long long>(first)) +
                            " of " + std::to_string(static_cast<long long>(total)) + ", expected row " + std::to_string(static_cast<long long>(next)) +
                            " of " + std::to_string(shard.total) + " (the ranks' blocks must follow one another in rank order)");
            next += rows;
        }
        if (next != double(shard.total))
            throw Error("train::fit: the ranks hold " + std::to_string(static_cast<long long>(next)) + " cells in all, the shard says " +
                        std::to_string(shard.total));
    }
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

    // Held-out cells are drawn once from the seed; the rest are shuffled every epoch. With a shard
    // the draws are of the whole data set's rows, as one process holding every cell makes them.
    const Index all_cells = shard.sharded() ? shard.total : counts.rows();
    Rng rng(options.seed);
    const std::vector<int> order = detail::shuffled_cells(all_cells, rng);
    const std::size_t held_out = validation_cell_count(all_cells, options);
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
    const ProgressReporter progress(options.progress);
    std::vector<double> shared; // gradients on their way through the ranks

    bool keeps_state = checkpoint.save || checkpoint.resume;
    if (shard.sharded() && ranks.size > 1) {
        // The sharded fingerprint is a collective: every rank must take it when any rank keeps the
        // state (under MPI only rank 0 is given `save`; the others would wait in another sum).
        std::vector<double> any{keeps_state ? 1.0 : 0.0};
        ranks.sum(any);
        keeps_state = any[0] > 0;
    }
    const DataFingerprint data = !keeps_state     ? DataFingerprint{}
                                 : shard.sharded() ? detail::sharded_fingerprint(target, ranks)
                                                   : detail::fingerprint(target);
    std::vector<int> mine; // sharded: the rows of this rank's block in the current minibatch
    const auto settings = detail::settings(model.options, options);
    int threads_used = 1;
#ifdef _OPENMP
    threads_used = omp_get_max_threads();
#endif
    int first_epoch = 1;
    std::size_t first_cell = 0;
    double first_sum = 0;
    if (const TrainState* state = checkpoint.resume.get()) {
        std::vector<const Matrix<double>*> shapes;
        const auto now = detail::as_double(params);
        for (const auto& m : now) shapes.push_back(&m);
        detail::check_resumable(*state, data, settings, shapes, detail::optimizer_state(optimizer).size(), sizeof(T));
        for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = state->weights[i].template cast<T>();
        const auto moments = detail::optimizer_state(optimizer);
        for (std::size_t i = 0; i < moments.size(); ++i) *moments[i] = state->moments[i].template cast<T>();
        if (auto* adam = std::get_if<optim::Adam<T>>(&optimizer)) adam->set_steps(state->steps);
        history = state->history;
        best_loss = state->best_loss;
        since_best = state->since_best;
        for (const auto& m : state->best_weights) best.push_back(m.template cast<T>());
        first_epoch = state->epochs_done + 1;
        first_cell = state->cells_done;
        first_sum = state->partial_sum;
        for (int e = 1; e < first_epoch; ++e) rng.shuffle(training); // the shuffles of the epochs done
    }
    const auto save = [&](int epochs_done, std::size_t cells_done, double partial_sum) {
        if (!checkpoint.save) return;
        TrainState s;
        s.epochs_done = epochs_done;
        s.cells_done = cells_done;
        s.partial_sum = partial_sum;
        s.weights = detail::as_double(params);
        for (const Matrix<T>* m : detail::optimizer_state(optimizer)) s.moments.push_back(m->template cast<double>());
        s.steps = detail::optimizer_steps(optimizer);
        s.history = history;
        s.best_loss = best_loss;
        s.since_best = since_best;
        for (const Matrix<T>& m : best) s.best_weights.push_back(m.template cast<double>());
        s.data = data;
        s.settings = settings;
        s.threads = threads_used;
        s.ranks = ranks.size;
        s.value_bytes = int(sizeof(T));
        checkpoint.save(s);
    };

    std::visit([](auto& o) { o.zero_grad(); }, optimizer); // once: every step leaves the gradients zero
    for (int epoch = first_epoch; epoch <= options.epochs && !history.stopped_early; ++epoch) {
        const auto epoch_start = std::chrono::steady_clock::now();
        rng.shuffle(training);
        double sum = epoch == first_epoch ? first_sum : 0;
        for (std::size_t start = epoch == first_epoch ? first_cell : 0; start < training.size(); start += options.batch_size) {
            const Index n = Index(std::min<std::size_t>(options.batch_size, training.size() - start));
            // This rank's share of the global batch: a contiguous slice of it (all of it in one
            // process), or with a shard the batch's cells of its block.
            const int* cells = training.data() + start + n * ranks.rank / ranks.size;
            Index local = n * (ranks.rank + 1) / ranks.size - n * ranks.rank / ranks.size;
            if (shard.sharded()) {
                detail::rows_in_shard(training.data() + start, std::size_t(n), shard.first, target.rows(), mine);
                cells = mine.data();
                local = Index(mine.size());
            }
            double batch_sum = 0; // the batch's objective summed over its cells
            if (local > 0) {
                minibatch.gather(target, input, cells, local);
                tape.clear();
                ad::Var<T> loss = model.objective(tape, minibatch.input_view(), minibatch.count_view());
                batch_sum = double(loss.value()(0, 0)) * double(local);
                // The objective is a mean over the global batch, so each rank weighs its mean by its
                // share; the orthogonality penalty, equal on every rank, so adds up to weight 1.
                if (local != n) loss = ad::scale(loss, T(double(local) / double(n)));
                tape.backward(loss);
            }
            bool stop = checkpoint.stop && *checkpoint.stop != 0;
            if (ranks.size > 1) detail::sum_over_ranks(params, ranks, shared, batch_sum, stop);
            if (!std::isfinite(batch_sum))
                throw Error("training stopped: the loss became " + std::to_string(batch_sum / double(n)) + " at epoch " + std::to_string(epoch) +
                            ", batch " + std::to_string(start / options.batch_size + 1) +
                            " (try a lower learning rate, or check the input for extreme values)");
            if (options.clip_norm > 0) optim::clip_grad_norm(params, options.clip_norm);
            std::visit([](auto& o) { o.step(); }, optimizer);
            sum += batch_sum;
            if (stop) {
                save(epoch - 1, start + std::size_t(n), sum);
                progress.note("train", "stopped at epoch " + std::to_string(epoch) + " after " + std::to_string(start + std::size_t(n)) + " of " +
                                std::to_string(training.size()) + " cells");
                throw Stopped("training stopped on request at epoch " + std::to_string(epoch) + ", after " +
                              std::to_string(start + std::size_t(n)) + " of its " + std::to_string(training.size()) + " cells");
            }
        }
        EpochRecord record;
        record.epoch = epoch;
        record.train_loss = sum / double(training.size());
        record.validation_loss = detail::evaluate_loss(model, target, input, validation, options.batch_size, tape, minibatch, ranks, shard);
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
        progress.step("epoch", epoch, options.epochs, status, record.train_loss, record.validation_loss);
        history.stopped_early = options.patience > 0 && since_best >= options.patience;
        if (epoch % checkpoint.every == 0 || epoch == options.epochs || history.stopped_early) save(epoch, 0, 0);
    }
    if (options.restore_best && !best.empty())
        for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = best[i];
    progress.note("train", "trained " + std::to_string(history.epochs.size()) + " epochs in " +
                  std::to_string(progress.seconds()) + " s; best epoch " + std::to_string(history.best_epoch));
    return history;
}

/// Trains on a dense count matrix (converted to sparse once).
/// @param model    the model to train, in place.
/// @param counts   raw counts, cells x genes in the model's gene order; zeros are dropped.
/// @param options  as for the sparse overload.
/// @return as for the sparse overload.
/// @throws Error and Stopped as the sparse overload does.
template <class T>
History fit(nn::Autoencoder<T>& model, const Matrix<T>& counts, const TrainOptions& options = {}) {
    Csr<T> sparse = counts.sparseView();
    return fit(model, sparse, options);
}

} // namespace scae::train

#pragma once
/// @file saliency.hpp
/// @brief Saliency of one scalar per cell (a bottleneck node, an output gene, the cell's
/// reconstruction loss) by backpropagation on the tape: the general path, and the reference
/// the batched all-node formulation (node_saliency.hpp) is checked against.
///
/// Cells are independent rows, so a block of cells is one forward and one backward pass: the
/// seed puts a one on each row's target, and row r of the input gradient is cell r's saliency.
/// Integrated gradients stacks all the path points of a block of cells into one batch.

#include "scae/ad/losses.hpp"
#include "scae/interpret/model_input.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace scae::interpret {

/// A saliency map (cells x genes) and, for integrated gradients, its completeness check.
template <class T>
struct SaliencyMap {
    Matrix<T> values;                     ///< cells x genes, in model gene order
    std::vector<double> output_change;    ///< integrated gradients: f(input) - f(baseline) per cell
    std::vector<double> completeness_gap; ///< integrated gradients: sum of attributions - output_change

    /// Integrated gradients' completeness error: the largest |gap| relative to the largest
    /// |output change| over the cells (0 for the other methods).
    /// @return the relative gap (the largest |gap| itself when every output change is 0)
    double relative_completeness_gap() const {
        double gap = 0, change = 0;
        for (double g : completeness_gap) gap = std::max(gap, std::abs(g));
        for (double c : output_change) change = std::max(change, std::abs(c));
        return change > 0 ? gap / change : gap;
    }
};

namespace detail {

/// A dense layer on the tape whose weights are constant leaves, so that saliency neither pays
/// for parameter gradients nor adds into the model's gradient buffers.
template <class T>
ad::Var<T> constant_layer(const nn::Dense<T>& layer, ad::Var<T> x) {
    ad::Tape<T>& t = *x.tape;
    return nn::activate(ad::add_bias(ad::matmul(x, t.input(layer.weight.value)), t.input(layer.bias.value)), layer.activation,
                        layer.beta);
}

/// Layers [from, to) of `model` applied to `x` on the tape.
template <class T>
ad::Var<T> layers_on_tape(const nn::Autoencoder<T>& model, ad::Var<T> x, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) x = constant_layer(model.layers[i], x);
    return x;
}

/// The expected counts of input rows `x` on the tape: the decoder's output, times each cell's
/// size factor (from its raw `counts`, a constant) when the model normalises library size.
template <class T>
ad::Var<T> reconstruct_on_tape(const nn::Autoencoder<T>& model, ad::Var<T> x, const CsrView<T>& counts) {
    ad::Var<T> rate = layers_on_tape(model, x, 0, model.layers.size());
    if (model.options.input.target_sum <= 0) return rate;
    Vector<T> factors;
    nn::size_factors(counts, model.options.input.target_sum, factors);
    return ad::scale_rows(rate, factors);
}

/// The model's reconstruction loss of `rate` against raw `counts` (mean over all entries).
template <class T>
ad::Var<T> loss_on_tape(const nn::Autoencoder<T>& model, ad::Var<T> rate, const CsrView<T>& counts) {
    switch (model.options.loss) {
    case nn::Loss::negative_binomial: return ad::nb_nll(rate, rate.tape->input(model.log_theta.value), counts);
    case nn::Loss::mse: return ad::mse(rate, counts);
    case nn::Loss::poisson: break;
    }
    return ad::poisson_nll(rate, counts);
}

/// Layers [from, to) applied to dense rows without the tape.
template <class T>
Matrix<T> layers_apply(const nn::Autoencoder<T>& model, const Matrix<T>& x, std::size_t from, std::size_t to) {
    Matrix<T> h = x, next;
    for (std::size_t i = from; i < to; ++i) {
        model.layers[i].apply(h, next);
        h.swap(next);
    }
    return h;
}

/// The target's value for each row of the dense transformed `x`; `counts` holds the rows' raw
/// counts (for the loss, and for size factors).
template <class T>
std::vector<double> target_values(const nn::Autoencoder<T>& model, const Matrix<T>& x, const CsrView<T>& counts,
                                  const Target& target) {
    std::vector<double> out(std::size_t(x.rows()));
    if (target.kind == Target::Kind::node) {
        const Matrix<T> z = layers_apply(model, x, 0, model.encoder_layers());
        for (Index r = 0; r < x.rows(); ++r) out[std::size_t(r)] = double(z(r, target.index));
        return out;
    }
    Matrix<T> rate = layers_apply(model, x, 0, model.layers.size());
    if (model.options.input.target_sum > 0) {
        Vector<T> factors;
        nn::size_factors(counts, model.options.input.target_sum, factors);
        rate.array().colwise() *= factors.array();
    }
    if (target.kind == Target::Kind::output_gene) {
        for (Index r = 0; r < x.rows(); ++r) out[std::size_t(r)] = double(rate(r, target.index));
        return out;
    }
    ad::Tape<T> tape; // the loss of one row at a time: the loss ops only report batch means
    Matrix<T> row;
    for (Index r = 0; r < x.rows(); ++r) {
        tape.clear();
        row = rate.row(r);
        const CsrView<T> one{1, counts.cols, counts.outer + r, counts.inner, counts.values};
        out[std::size_t(r)] = double(loss_on_tape(model, tape.input(row), one).value()(0, 0));
    }
    return out;
}

/// Checks that `target` names an existing node or gene of `model`.
template <class T>
void check_target(const nn::Autoencoder<T>& model, const Target& target) {
    if (target.kind == Target::Kind::all_nodes)
        throw Error("saliency: all bottleneck nodes at once is computed by node_saliency() (node_saliency.hpp)");
    if (target.kind == Target::Kind::node && (target.index < 0 || target.index >= model.latent_size()))
        throw Error("saliency: node " + std::to_string(target.index) + " does not exist; the bottleneck has " +
                    std::to_string(model.latent_size()) + " nodes");
    if (target.kind == Target::Kind::output_gene && (target.index < 0 || target.index >= model.genes()))
        throw Error("saliency: output gene " + std::to_string(target.index) + " does not exist; the model has " +
                    std::to_string(model.genes()) + " genes");
}

} // namespace detail

/// Saliency of `target` for every cell of raw `counts` (cells x genes, model gene order), by
/// backpropagation on the tape. The result is taken with respect to the transformed input.
/// Throws scae::Error for a target the model lacks, Target::all_nodes (see node_saliency()),
/// or data whose genes do not match the model.
/// @param model  the trained model
/// @param counts  raw counts, cells x genes in model gene order
/// @param target  what to explain: a node, an output gene or the loss
/// @param options  method, baseline, steps and block size
/// @return the map, cells x genes, with the completeness check for integrated gradients
template <class T>
SaliencyMap<T> saliency(const nn::Autoencoder<T>& model, const Csr<T>& counts, const Target& target,
                        const SaliencyOptions& options = {}) {
    check(options);
    detail::check_target(model, target);
    Csr<T> raw = counts;
    raw.makeCompressed();
    const Csr<T> input = model_input(model, raw);
    const Index cells = input.rows(), genes = input.cols();
    const bool ig = options.method == Method::integrated_gradients;
    const int steps = ig ? options.steps : 1;
    const CellBaselines<T> baselines = cell_baselines(raw, input, model.options.input, options.baseline);
    const ad::Rule rule = options.method == Method::guided ? ad::Rule::guided : ad::Rule::standard;
    // Integrated gradients batches every path point of a few cells; the other methods batch cells.
    const Index block = ig ? std::max<Index>(1, 8 * options.block_cells / steps) : options.block_cells;

    SaliencyMap<T> result;
    result.values.setZero(cells, genes);
    if (ig) {
        result.output_change.resize(std::size_t(cells));
        result.completeness_gap.resize(std::size_t(cells));
    }
    ad::Tape<T> tape;
    Matrix<T> x, path, seed;
    CsrBatch<T> targets;
    std::vector<int> rows;
    for (Index first = 0; first < cells; first += block) {
        const Index n = std::min(block, cells - first);
        std::vector<Index> block(static_cast<std::size_t>(n));
        std::iota(block.begin(), block.end(), first);
        dense_rows(input, block, x);
        Matrix<T> base(ig ? n : 0, genes); // integrated gradients: each cell's baseline
        for (Index r = 0; ig && r < n; ++r) base.row(r) = baselines.row(first + r);
        // Row r * steps + s of the batch is cell r at path point s (or cell r itself).
        path.resize(n * steps, genes);
        rows.resize(std::size_t(n * steps));
        for (Index r = 0; r < n; ++r)
            for (int s = 0; s < steps; ++s) {
                const Index row = r * steps + s;
                rows[std::size_t(row)] = int(first + r);
                if (ig) {
                    const T alpha = T((s + 0.5) / steps);
                    path.row(row) = base.row(r) + alpha * (x.row(r) - base.row(r));
                } else {
                    path.row(row) = x.row(r);
                }
            }
        tape.clear();
        const ad::Var<T> in = tape.input(path, /*requires_grad=*/true);
        ad::Var<T> out;
        if (target.kind == Target::Kind::node) {
            out = detail::layers_on_tape(model, in, 0, model.encoder_layers());
            seed.setZero(path.rows(), model.latent_size());
            seed.col(target.index).setOnes();
        } else {
            targets.gather(raw, rows.data(), Index(rows.size()));
            out = detail::reconstruct_on_tape(model, in, targets.view());
            if (target.kind == Target::Kind::output_gene) {
                seed.setZero(path.rows(), genes);
                seed.col(target.index).setOnes();
            } else {
                out = detail::loss_on_tape(model, out, targets.view());
                // The loss is the mean over rows of each row's loss: a seed of `rows` gives each
                // row the gradient of its own loss.
                seed.setConstant(1, 1, T(path.rows()));
            }
        }
        tape.backward(out, seed, rule);
        const Matrix<T>& grad = in.grad();
        for (Index r = 0; r < n; ++r) {
            auto cell = result.values.row(first + r);
            if (!ig) {
                cell = grad.row(r);
                if (options.method == Method::gradient_x_input) cell.array() *= x.row(r).array();
                continue;
            }
            cell = grad.middleRows(r * steps, steps).colwise().sum() / T(steps);
            cell.array() *= (x.row(r) - base.row(r)).array();
        }
        if (!ig) continue;
        // Completeness: the attributions should add up to f(input) - f(baseline).
        Matrix<T> ends(2 * n, genes);
        for (Index r = 0; r < n; ++r) {
            ends.row(2 * r) = x.row(r);
            ends.row(2 * r + 1) = base.row(r);
        }
        std::vector<int> end_rows(std::size_t(2 * n));
        for (Index r = 0; r < 2 * n; ++r) end_rows[std::size_t(r)] = int(first + r / 2);
        targets.gather(raw, end_rows.data(), 2 * n);
        const std::vector<double> f = detail::target_values(model, ends, targets.view(), target);
        for (Index r = 0; r < n; ++r) {
            const std::size_t c = std::size_t(first + r);
            result.output_change[c] = f[std::size_t(2 * r)] - f[std::size_t(2 * r + 1)];
            result.completeness_gap[c] = result.values.row(first + r).template cast<double>().sum() - result.output_change[c];
        }
    }
    return result;
}

} // namespace scae::interpret

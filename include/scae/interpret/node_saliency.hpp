#pragma once
/// @file node_saliency.hpp
/// @brief Saliency of many bottleneck nodes at once, without one backward pass per node.
///
/// For a dense encoder z = a_L(... a_1(x W_1 + b_1) ... W_L + b_L) the gradient of node k for
/// one cell is a backward sweep that starts from the unit vector e_k. Sweeping all K unit
/// vectors together, the rows of a matrix R (one row per cell and node), gives every node's
/// gradient with matrix products:
///
///     R = one-hot rows;  for l = L..1:  R <- clamp(R) * a_l'(h_l) [row-wise];  R <- R W_l^T (l > 1)
///     saliency (genes x rows) = W_1 R^T
///
/// where clamp is max(., 0) under guided backprop and the identity otherwise. The clamp is
/// applied where the tape applies it, to each node's own incoming gradient before it meets the
/// activation's derivative, so for guided backprop the result is not a product of per-cell
/// Jacobians (with two or more hidden layers the clamp depends on the cell and the node) but
/// it is still one batched sweep. The only large product is the last, genes x first-layer units
/// x rows, the same arithmetic a per-node loop spends; what the batch saves is the K separate
/// passes, their small products and their memory traffic.
///
/// Gradient x input (and integrated gradients from a zero baseline) vanish wherever the input
/// does, so for them the last product is taken only at each cell's nonzero inputs: with
/// single-cell counts mostly zero, a fraction of the dense cost.
///
/// Integrated gradients exploits that the first layer is affine: the pre-activation along the
/// path is the interpolation of its two ends, and the mean gradient over the path is W_1 times
/// the mean of R over the path points, so the steps cost one small sweep each and a single
/// final product.

#include "scae/interpret/model_input.hpp"

#include <algorithm>
#include <vector>

namespace scae::interpret {

namespace detail {

/// The derivative of `layer`'s activation at pre-activation `pre` (post-activation `post`),
/// computed as the tape's backward computes it.
template <class T>
void activation_derivative(const nn::Dense<T>& layer, const Matrix<T>& pre, const Matrix<T>& post, Matrix<T>& d) {
    switch (layer.activation) {
    case nn::Activation::relu: d = (pre.array() > T(0)).template cast<T>().matrix(); break;
    case nn::Activation::softplus: d = (T(1) / (T(1) + (-layer.beta * pre.array()).exp())).matrix(); break;
    case nn::Activation::sigmoid: d = (post.array() * (T(1) - post.array())).matrix(); break;
    case nn::Activation::tanh: d = (T(1) - post.array().square()).matrix(); break;
    case nn::Activation::identity: d.setOnes(pre.rows(), pre.cols()); break;
    }
}

/// Runs the encoder from the first layer's pre-activations `pre1` (rows x units), keeping each
/// layer's activation derivative; `top` gets the bottleneck activations.
template <class T>
void encoder_trace(const nn::Autoencoder<T>& model, const Matrix<T>& pre1, std::vector<Matrix<T>>& derivative, Matrix<T>& top) {
    const std::size_t depth = model.encoder_layers();
    derivative.resize(depth);
    Matrix<T> pre = pre1;
    for (std::size_t l = 0; l < depth; ++l) {
        const nn::Dense<T>& layer = model.layers[l];
        if (l > 0) {
            pre.noalias() = top * layer.weight.value;
            pre.rowwise() += layer.bias.value.row(0);
        }
        top = pre;
        nn::activate_in_place(top, layer.activation, layer.beta);
        activation_derivative(layer, pre, top, derivative[l]);
    }
}

/// The backward sweep for nodes [first, first + count): `grad` gets, in row r * count + j, the
/// gradient of node first + j of row r with respect to the first layer's pre-activation.
template <class T>
void backward_nodes(const nn::Autoencoder<T>& model, const std::vector<Matrix<T>>& derivative, Index first, Index count,
                    ad::Rule rule, Matrix<T>& grad, Matrix<T>& scratch) {
    const Index rows = derivative.front().rows();
    grad.setZero(rows * count, model.latent_size());
    for (Index r = 0; r < rows; ++r)
        for (Index j = 0; j < count; ++j) grad(r * count + j, first + j) = T(1);
    for (std::size_t l = model.encoder_layers(); l-- > 0;) {
        const nn::Dense<T>& layer = model.layers[l];
        if (rule == ad::Rule::guided && layer.activation != nn::Activation::identity) grad = grad.cwiseMax(T(0));
        for (Index r = 0; r < rows; ++r) grad.middleRows(r * count, count).array().rowwise() *= derivative[l].row(r).array();
        if (l > 0) {
            scratch.noalias() = grad * layer.weight.value.transpose();
            grad.swap(scratch);
        }
    }
}

} // namespace detail

/// Saliency of bottleneck nodes for the cells of one count matrix, computed block by block.
/// Construction transforms the counts and runs the encoder once (keeping cells x hidden units
/// values); compute() then returns any block of cells and nodes.
template <class T>
class NodeSaliency {
public:
    /// Prepares `counts` (raw, cells x genes in model gene order). `model` must outlive this.
    /// Throws scae::Error for bad options or data whose genes do not match the model.
    NodeSaliency(const nn::Autoencoder<T>& model, const Csr<T>& counts, const SaliencyOptions& options = {})
        : model_(model), options_(options), input_(model_input(model, counts)) {
        check(options_);
        const nn::Dense<T>& first = model_.layers.front();
        sparse_times_dense(view_all(input_), first.weight.value, pre1_);
        pre1_.rowwise() += first.bias.value.row(0);
        if (ig()) {
            base_ = baseline_input(input_, options_.baseline);
            base_pre1_.noalias() = base_ * first.weight.value;
            base_pre1_ += first.bias.value;
        } else {
            Matrix<T> top;
            detail::encoder_trace(model_, pre1_, derivative_, top);
        }
    }

    /// Number of cells.
    Index cells() const { return input_.rows(); }
    /// Number of genes.
    Index genes() const { return input_.cols(); }
    /// Number of bottleneck nodes.
    Index nodes() const { return model_.latent_size(); }
    /// The transformed input the saliency is taken against (cells x genes).
    const Csr<T>& input() const { return input_; }

    /// Saliency of nodes [first_node, first_node + count) for cells [first_cell, first_cell + n),
    /// gene-major: `out` is genes x (n * count) and column c * count + j belongs to cell
    /// first_cell + c and node first_node + j. Throws scae::Error for ranges out of bounds.
    void compute(Index first_cell, Index n, Index first_node, Index count, Matrix<T>& out) {
        if (first_cell < 0 || n < 0 || first_cell + n > cells())
            throw Error("NodeSaliency: cells [" + std::to_string(first_cell) + ", " + std::to_string(first_cell + n) +
                        ") out of range (" + std::to_string(cells()) + " cells)");
        if (first_node < 0 || count < 1 || first_node + count > nodes())
            throw Error("NodeSaliency: nodes [" + std::to_string(first_node) + ", " + std::to_string(first_node + count) +
                        ") out of range (" + std::to_string(nodes()) + " nodes)");
        if (ig()) {
            integrated(first_cell, n, first_node, count);
        } else {
            cell_derivative_.resize(derivative_.size());
            for (std::size_t l = 0; l < derivative_.size(); ++l) cell_derivative_[l] = derivative_[l].middleRows(first_cell, n);
            const ad::Rule rule = options_.method == Method::guided ? ad::Rule::guided : ad::Rule::standard;
            detail::backward_nodes(model_, cell_derivative_, first_node, count, rule, grad_, scratch_);
        }
        if (zero_where_input_is_zero()) {
            input_product(first_cell, n, count, out);
            return;
        }
        out.noalias() = model_.layers.front().weight.value * grad_.transpose();
        if (options_.method == Method::vanilla || options_.method == Method::guided) return;
        // Gradient x input, or (input - baseline) x mean path gradient for integrated gradients.
        dense_rows(input_, first_cell, n, x_);
        if (ig()) x_.rowwise() -= base_;
        for (Index g = 0; g < genes(); ++g) {
            T* row = out.row(g).data();
            for (Index c = 0; c < n; ++c)
                for (Index j = 0; j < count; ++j) row[c * count + j] *= x_(c, g);
        }
    }

    /// Integrated gradients only: f(input) - f(baseline) of the block of the last compute(), as
    /// n x count (cell, node); the completeness check compares it with the column sums.
    const Matrix<T>& output_change() const { return change_; }

private:
    bool ig() const { return options_.method == Method::integrated_gradients; }

    /// Gradient x input, and integrated gradients from zeros, vanish wherever the input does.
    bool zero_where_input_is_zero() const {
        return options_.method == Method::gradient_x_input || (ig() && options_.baseline == Baseline::zeros);
    }

    /// The last step for those methods, at the input's nonzeros only: for each cell, the rows of
    /// W_1 of its expressed genes times its gradient rows, scaled by the input. With counts
    /// about 10% nonzero this is a tenth of the dense product W_1 R^T.
    void input_product(Index first_cell, Index n, Index count, Matrix<T>& out) {
        const Matrix<T>& w1 = model_.layers.front().weight.value;
        out.setZero(genes(), n * count);
        for (Index c = 0; c < n; ++c) {
            const Index row = first_cell + c;
            const int begin = input_.outerIndexPtr()[row], end = input_.outerIndexPtr()[row + 1];
            gathered_.resize(end - begin, w1.cols());
            for (int p = begin; p < end; ++p) gathered_.row(p - begin) = w1.row(input_.innerIndexPtr()[p]);
            product_.noalias() = gathered_ * grad_.middleRows(c * count, count).transpose();
            for (int p = begin; p < end; ++p)
                out.row(input_.innerIndexPtr()[p]).segment(c * count, count) = input_.valuePtr()[p] * product_.row(p - begin);
        }
    }

    /// Mean over the path of the first-layer gradient, into grad_; the steps are batched.
    void integrated(Index first_cell, Index n, Index first_node, Index count) {
        const int steps = options_.steps;
        const Index batch = std::max<Index>(1, std::min<Index>(steps, 4096 / std::max<Index>(1, n * count)));
        Matrix<T> mean = Matrix<T>::Zero(n * count, model_.layers.front().outputs());
        Matrix<T> pre(n * batch, mean.cols()), top;
        for (int s0 = 0; s0 < steps; s0 += int(batch)) {
            const Index chunk = std::min<Index>(batch, steps - s0);
            pre.resize(n * chunk, mean.cols());
            // Row s * n + c: cell c at path point s0 + s; the first layer is affine along the path.
            for (Index s = 0; s < chunk; ++s) {
                const T alpha = T((s0 + s + 0.5) / steps);
                for (Index c = 0; c < n; ++c)
                    pre.row(s * n + c) = base_pre1_ + alpha * (pre1_.row(first_cell + c) - base_pre1_);
            }
            detail::encoder_trace(model_, pre, derivative_, top);
            detail::backward_nodes(model_, derivative_, first_node, count, ad::Rule::standard, grad_, scratch_);
            for (Index s = 0; s < chunk; ++s) mean += grad_.middleRows(s * n * count, n * count);
        }
        grad_ = mean / T(steps);
        // The path's two ends, for the completeness check.
        pre.resize(n + 1, mean.cols());
        pre.topRows(n) = pre1_.middleRows(first_cell, n);
        pre.row(n) = base_pre1_;
        detail::encoder_trace(model_, pre, derivative_, top);
        change_ = top.block(0, first_node, n, count).rowwise() - top.block(n, first_node, 1, count).row(0);
    }

    const nn::Autoencoder<T>& model_;
    SaliencyOptions options_;
    Csr<T> input_;
    Matrix<T> pre1_;                      // cells x first-layer units, pre-activation
    std::vector<Matrix<T>> derivative_;   // per encoder layer: cells x units (all cells unless IG)
    RowVector<T> base_;                   // IG baseline input
    RowVector<T> base_pre1_;              // its first-layer pre-activation
    std::vector<Matrix<T>> cell_derivative_;
    Matrix<T> grad_, scratch_, x_, change_, gathered_, product_;
};

/// Saliency of every bottleneck node for every cell of raw `counts`: element k is node k's
/// map, cells x genes. Holds nodes x cells x genes values; for large data use NodeSaliency
/// block by block or the summaries of summary.hpp.
template <class T>
std::vector<Matrix<T>> node_saliency(const nn::Autoencoder<T>& model, const Csr<T>& counts, const SaliencyOptions& options = {}) {
    NodeSaliency<T> saliency(model, counts, options);
    const Index cells = saliency.cells(), nodes = saliency.nodes();
    std::vector<Matrix<T>> maps(std::size_t(nodes), Matrix<T>(cells, saliency.genes()));
    Matrix<T> block;
    for (Index first = 0; first < cells; first += options.block_cells) {
        const Index n = std::min(options.block_cells, cells - first);
        saliency.compute(first, n, 0, nodes, block);
        for (Index c = 0; c < n; ++c)
            for (Index k = 0; k < nodes; ++k) maps[std::size_t(k)].row(first + c) = block.col(c * nodes + k).transpose();
    }
    return maps;
}

} // namespace scae::interpret

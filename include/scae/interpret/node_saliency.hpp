#pragma once
/// @file node_saliency.hpp
/// @brief Saliency of many bottleneck nodes at once, without one backward pass per node.
///
/// For a dense encoder z = a_L(... a_1(x W_1 + b_1) ... W_L + b_L) the gradient of node k for
/// one cell is a backward sweep that starts from the unit vector e_k. Sweeping all K unit
/// vectors together, the rows of a matrix R (one row per node and cell), gives every node's
/// gradient with matrix products:
///
///     R = one-hot rows;  for l = L..1:  R <- clamp(R) * a_l'(h_l) [row-wise];  R <- R W_l^T (l > 1)
///     saliency of node k (cells x genes) = R_k W_1^T
///
/// where clamp is max(., 0) under guided backprop and the identity otherwise. The clamp is
/// applied where the tape applies it, to each node's own incoming gradient before it meets the
/// activation's derivative. The first step needs no product: a one-hot row times W_L^T is a
/// column of W_L, scaled.
///
/// The sweep is cheap; the last product, cells x first-layer units x genes for every node, is
/// where the time goes, and a per-node loop spends it too. What makes it cheaper here is
/// structure the loop cannot see. Guided backprop zeroes every unit whose incoming gradient
/// is negative; with one hidden layer that is each unit whose weight into node k is negative,
/// about half of them, for every cell. Units that are zero for all cells of a block are left
/// out of the product (and so are dead ReLU units). Gradient x input (and integrated gradients
/// from a zero baseline) vanish wherever the input does, so for them the product is taken only
/// at each cell's nonzero inputs: with single-cell counts mostly zero, a fraction of the dense
/// cost.
///
/// Integrated gradients exploits that the first layer is affine: the pre-activation along the
/// path is the interpolation of its two ends, and the mean gradient over the path is W_1 times
/// the mean of R over the path points, so the steps cost one small sweep each and a single
/// final product.
///
/// Work is split in two so that threads can share it: NodeSaliency::gradients() fills a
/// NodeGradients (R for a block of cells and nodes), and NodeSaliency::map() turns one node
/// of it into a cells x genes map. Both are const; each thread brings its own buffers.

#include "scae/interpret/model_input.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace scae::interpret {

/// The backward sweep of a block of cells and nodes: everything a saliency map needs but the
/// last product with the first layer's weights. Filled by NodeSaliency::gradients(); reuse one
/// per thread so that its buffers are allocated once.
template <class T>
struct NodeGradients {
    std::vector<Index> cells; ///< rows of the input, in block order
    Index first_node = 0;     ///< the block's first node
    Index count = 0;          ///< nodes in the block
    /// (count * cells) x first-layer units: row j * cells + c is the gradient of node
    /// first_node + j of cell cells[c] with respect to the first layer's pre-activation
    /// (for integrated gradients, its mean over the path).
    Matrix<T> rows;
    /// Integrated gradients: cells x count, f(input) - f(baseline) of each cell and node, which
    /// the sum of the cell's attributions should equal (completeness).
    Matrix<T> output_change;

    /// Cells in the block.
    /// @return the number of cells
    Index size() const { return Index(cells.size()); }
    /// The rows of node first_node + j (cells x first-layer units).
    /// @param j  node within the block, in [0, count)
    /// @return a view into `rows`, valid while this object is unchanged
    auto node(Index j) const { return rows.middleRows(j * size(), size()); }

    std::vector<Matrix<T>> derivative; ///< buffer: each encoder layer's activation derivative at the block's rows
    Matrix<T> sweep;                   ///< buffer: integrated gradients' sweep of a batch of path points
    Matrix<T> scratch;                 ///< buffer: the sweep's products
    Matrix<T> pre;                     ///< buffer: integrated gradients' first-layer pre-activations on the path
    Matrix<T> top;                     ///< buffer: the bottleneck at those points
};

/// Buffers of NodeSaliency::map(), one per thread.
template <class T>
struct MapScratch {
    std::vector<Index> active; ///< first-layer units with a nonzero gradient
    Matrix<T> gradients;       ///< the node's rows at those units
    Matrix<T> weights;         ///< W_1^T at those units
    Matrix<T> input;           ///< dense input rows (integrated gradients from the mean cell)
};

namespace detail {

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
        nn::activation_slope(layer.activation, layer.beta, pre, top, derivative[l]);
    }
}

/// The backward sweep for nodes [first, first + count) at `points` rows whose activation
/// derivatives are `derivative` (one points x units matrix per encoder layer): `grad` gets, in
/// row j * points + p, the gradient of node first + j at row p with respect to the first
/// layer's pre-activation.
template <class T>
void sweep_nodes(const nn::Autoencoder<T>& model, const std::vector<Matrix<T>>& derivative, Index first, Index count,
                 ad::Rule rule, Matrix<T>& grad, Matrix<T>& scratch) {
    const Index points = derivative.front().rows();
    const std::size_t top = model.encoder_layers() - 1;
    // The seed e_k meets the bottleneck's derivative (the guided clamp keeps a positive seed):
    // below the bottleneck that is the derivative times column k of its weights.
    const Matrix<T>& top_derivative = derivative[top];
    if (top == 0) {
        grad.setZero(count * points, model.latent_size());
        for (Index j = 0; j < count; ++j) grad.col(first + j).segment(j * points, points) = top_derivative.col(first + j);
        return;
    }
    const Matrix<T>& w = model.layers[top].weight.value;
    grad.resize(count * points, w.rows());
    for (Index j = 0; j < count; ++j)
        grad.middleRows(j * points, points).noalias() = top_derivative.col(first + j) * w.col(first + j).transpose();
    for (std::size_t l = top; l-- > 0;) {
        const nn::Dense<T>& layer = model.layers[l];
        if (rule == ad::Rule::guided && layer.activation != nn::Activation::identity) grad = grad.cwiseMax(T(0));
        for (Index j = 0; j < count; ++j) grad.middleRows(j * points, points).array() *= derivative[l].array();
        if (l > 0) {
            scratch.noalias() = grad * layer.weight.value.transpose();
            grad.swap(scratch);
        }
    }
}

} // namespace detail

/// Saliency of bottleneck nodes for the cells of one count matrix, block by block.
/// Construction transforms the counts and runs the encoder once (keeping cells x hidden units
/// values); gradients() and map() then give any block of cells and nodes.
template <class T>
class NodeSaliency {
public:
    /// Prepares `counts` (raw, cells x genes in model gene order). `model` must outlive this.
    /// Throws scae::Error for bad options or data whose genes do not match the model.
    /// @param model  the trained model; kept by reference
    /// @param counts  raw counts, cells x genes in model gene order; copied (transformed)
    /// @param options  method, baseline, steps and block size
    NodeSaliency(const nn::Autoencoder<T>& model, const Csr<T>& counts, const SaliencyOptions& options = {})
        : model_(model), options_(options), input_(model_input(model, counts)) {
        check(options_);
        const nn::Dense<T>& first = model_.layers.front();
        weights_t_ = first.weight.value.transpose();
        sparse_times_dense(view_all(input_), first.weight.value, pre1_);
        pre1_.rowwise() += first.bias.value.row(0);
        if (ig()) {
            base_ = cell_baselines(counts, input_, model_.options.input, options_.baseline);
            base_pre1_.noalias() = base_.mean * first.weight.value;
            base_pre1_ += first.bias.value;
            slope_pre1_.noalias() = base_.slope * first.weight.value;
        } else {
            Matrix<T> top;
            detail::encoder_trace(model_, pre1_, derivative_, top);
        }
    }

    /// Number of cells.
    /// @return the cells of the counts given
    Index cells() const { return input_.rows(); }
    /// Number of genes.
    /// @return the model's genes
    Index genes() const { return input_.cols(); }
    /// Number of bottleneck nodes.
    /// @return the model's bottleneck size
    Index nodes() const { return model_.latent_size(); }
    /// The transformed input the saliency is taken against (cells x genes).
    /// @return the input, valid while this object lives
    const Csr<T>& input() const { return input_; }

    /// The backward sweep of nodes [first_node, first_node + count) for the input rows
    /// `cells`, into `out`. Throws scae::Error for cells or nodes out of range.
    /// @param cells  rows of the input, in the order the maps will have
    /// @param first_node  the block's first node
    /// @param count  nodes in the block, at least 1
    /// @param out  filled (its buffers reused); give each thread its own
    void gradients(std::vector<Index> cells, Index first_node, Index count, NodeGradients<T>& out) const {
        for (Index c : cells)
            if (c < 0 || c >= this->cells())
                throw Error("NodeSaliency: cell " + std::to_string(c) + " out of range (" + std::to_string(this->cells()) + " cells)");
        if (first_node < 0 || count < 1 || first_node + count > nodes())
            throw Error("NodeSaliency: nodes [" + std::to_string(first_node) + ", " + std::to_string(first_node + count) +
                        ") out of range (" + std::to_string(nodes()) + " nodes)");
        out.cells = std::move(cells);
        out.first_node = first_node;
        out.count = count;
        if (ig()) {
            integrated(out);
            return;
        }
        out.derivative.resize(derivative_.size());
        for (std::size_t l = 0; l < derivative_.size(); ++l) out.derivative[l] = derivative_[l](out.cells, Eigen::all);
        const ad::Rule rule = options_.method == Method::guided ? ad::Rule::guided : ad::Rule::standard;
        detail::sweep_nodes(model_, out.derivative, first_node, count, rule, out.rows, out.scratch);
    }

    /// The saliency map of node g.first_node + j into `out` (cells x genes; row c is cell
    /// g.cells[c]). Threads may call this at once, each with its own `out` and `scratch`.
    /// @param g  a block filled by gradients()
    /// @param j  node within the block, in [0, g.count)
    /// @param out  resized to g.size() x genes() and overwritten
    /// @param scratch  this thread's buffers
    void map(const NodeGradients<T>& g, Index j, Matrix<T>& out, MapScratch<T>& scratch) const {
        const auto rows = g.node(j);
        if (vanishes_where_input_is_zero(options_)) {
            input_product(g.cells, rows, out);
            return;
        }
        // Units whose gradient is zero for every cell of the block add nothing.
        const Index units = rows.cols();
        scratch.active.clear();
        for (Index h = 0; h < units; ++h)
            if ((rows.col(h).array() != T(0)).any()) scratch.active.push_back(h);
        if (scratch.active.empty()) { // e.g. guided backprop on a node whose weights are all negative
            out.setZero(g.size(), genes());
        } else if (Index(scratch.active.size()) == units) {
            out.noalias() = rows * weights_t_;
        } else {
            scratch.gradients = rows(Eigen::all, scratch.active);
            scratch.weights = weights_t_(scratch.active, Eigen::all);
            out.noalias() = scratch.gradients * scratch.weights;
        }
        if (!ig()) return; // vanilla, guided
        // Integrated gradients: (input - baseline) x mean path gradient.
        dense_rows(input_, g.cells, scratch.input);
        scratch.input.rowwise() -= base_.mean;
        if (!base_.shared())
            for (Index c = 0; c < g.size(); ++c) scratch.input.row(c) -= base_.offset(g.cells[std::size_t(c)]) * base_.slope;
        out.array() *= scratch.input.array();
    }

private:
    bool ig() const { return options_.method == Method::integrated_gradients; }

    /// The first-layer pre-activation of input row `cell`'s baseline.
    RowVector<T> baseline_pre1(Index cell) const { return base_pre1_ + base_.offset(cell) * slope_pre1_; }

    /// The map of a method that vanishes with the input, at the input's nonzeros only: each is
    /// the input times the dot product of the gene's first-layer weights with the cell's gradient
    /// row. With counts about 10% nonzero this is a tenth of the dense product.
    template <class Rows>
    void input_product(const std::vector<Index>& cells, const Rows& rows, Matrix<T>& out) const {
        const Matrix<T>& w1 = model_.layers.front().weight.value;
        out.setZero(Index(cells.size()), genes());
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const Index row = cells[c];
            for (int p = input_.outerIndexPtr()[row]; p < input_.outerIndexPtr()[row + 1]; ++p) {
                const int gene = input_.innerIndexPtr()[p];
                out(Index(c), gene) = input_.valuePtr()[p] * rows.row(Index(c)).dot(w1.row(gene));
            }
        }
    }

    /// Mean over the path of the first-layer gradient, into g.rows; the steps are batched.
    void integrated(NodeGradients<T>& g) const {
        const int steps = options_.steps;
        const Index n = g.size(), count = g.count, units = pre1_.cols();
        const Index batch = std::max<Index>(1, std::min<Index>(steps, 4096 / std::max<Index>(1, n * count)));
        g.rows.setZero(count * n, units);
        Matrix<T> from(n, units); // each cell's baseline, first-layer pre-activation
        for (Index c = 0; c < n; ++c) from.row(c) = baseline_pre1(g.cells[std::size_t(c)]);
        for (int s0 = 0; s0 < steps; s0 += int(batch)) {
            const Index chunk = std::min<Index>(batch, steps - s0);
            g.pre.resize(chunk * n, units);
            // Row s * n + c: cell c at path point s0 + s; the first layer is affine along the path.
            for (Index s = 0; s < chunk; ++s) {
                const T alpha = T((s0 + s + 0.5) / steps);
                for (Index c = 0; c < n; ++c)
                    g.pre.row(s * n + c) = from.row(c) + alpha * (pre1_.row(g.cells[std::size_t(c)]) - from.row(c));
            }
            detail::encoder_trace(model_, g.pre, g.derivative, g.top);
            detail::sweep_nodes(model_, g.derivative, g.first_node, count, ad::Rule::standard, g.sweep, g.scratch);
            for (Index j = 0; j < count; ++j)
                for (Index s = 0; s < chunk; ++s) g.rows.middleRows(j * n, n) += g.sweep.middleRows((j * chunk + s) * n, n);
        }
        g.rows /= T(steps);
        // The path's two ends, for the completeness check.
        g.pre.resize(2 * n, units);
        g.pre.topRows(n) = pre1_(g.cells, Eigen::all);
        g.pre.bottomRows(n) = from;
        detail::encoder_trace(model_, g.pre, g.derivative, g.top);
        g.output_change = g.top.block(0, g.first_node, n, count) - g.top.block(n, g.first_node, n, count);
    }

    const nn::Autoencoder<T>& model_;
    SaliencyOptions options_;
    Csr<T> input_;
    Matrix<T> weights_t_;               // W_1^T: first-layer units x genes
    Matrix<T> pre1_;                    // cells x first-layer units, pre-activation
    std::vector<Matrix<T>> derivative_; // per encoder layer: cells x units (unless IG)
    CellBaselines<T> base_;             // IG baselines: mean + offset(c) * slope
    RowVector<T> base_pre1_;            // the first-layer pre-activation of base_.mean
    RowVector<T> slope_pre1_;           // base_.slope times the first layer's weights
};

/// Saliency of every bottleneck node for every cell of raw `counts`: element k is node k's
/// map, cells x genes. Holds nodes x cells x genes values; for large data use NodeSaliency
/// block by block or the summaries of summary.hpp.
/// @param model  the trained model
/// @param counts  raw counts, cells x genes in model gene order
/// @param options  method, baseline, steps, block size and threads
/// @return one cells x genes map per node
/// @throws Error for bad options or data whose genes do not match the model
template <class T>
std::vector<Matrix<T>> node_saliency(const nn::Autoencoder<T>& model, const Csr<T>& counts, const SaliencyOptions& options = {}) {
    const NodeSaliency<T> saliency(model, counts, options);
    const Index cells = saliency.cells(), nodes = saliency.nodes();
    std::vector<Matrix<T>> maps(std::size_t(nodes), Matrix<T>(cells, saliency.genes()));
    NodeGradients<T> gradients;
    MapScratch<T> scratch;
    Matrix<T> map;
    for (Index first = 0; first < cells; first += options.block_cells) {
        const Index n = std::min(options.block_cells, cells - first);
        std::vector<Index> block(static_cast<std::size_t>(n));
        std::iota(block.begin(), block.end(), first);
        saliency.gradients(std::move(block), 0, nodes, gradients);
        for (Index k = 0; k < nodes; ++k) {
            saliency.map(gradients, k, map, scratch);
            maps[std::size_t(k)].middleRows(first, n) = map;
        }
    }
    return maps;
}

} // namespace scae::interpret

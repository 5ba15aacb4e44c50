#pragma once
/// @file fused.hpp
/// @brief Layers as single ops: softplus(x W + b) for a dense or sparse x, and the output
/// layer together with its Poisson loss.
///
/// Composed from the basic ops, a layer is a matmul, a bias add and a softplus, each writing
/// (and, backwards, reading) its own matrix, and each a parallel region of its own. Fused,
/// one pass per entry computes the activation and keeps its derivative (one exp and one
/// log1p per entry; the logistic function is 1/(1+e) or e/(1+e) of the same e), and the work
/// is cut into fixed blocks (ad/blocks.hpp) that threads take in turn (scae::parallelize_blocks): rows of cells for the
/// forward pass and the input gradient, rows of the weight for the weight gradient.
///
/// The output layer goes further: it is fused with its Poisson loss, and its genes are the
/// blocks of the forward pass: each computes its columns' product, loss and d(loss)/dz.
/// Backward, gene blocks give their columns' weight and bias gradients and cell blocks their
/// rows of the input gradient, so no matrix is summed across threads.
///
/// Each op's backward is one pass of independent blocks (whatever every block needs is
/// computed before it), so a step costs one join of the threads per op: with threads that
/// wait passively, as they must on shared nodes, every join is a wake-up.

#include "scae/ad/activations.hpp"
#include "scae/ad/blocks.hpp"
#include "scae/ad/losses.hpp"
#include "scae/core/pieces.hpp"

#include <cmath>
#include <vector>

namespace scae::ad {

namespace detail {

/// Genes per block of the fused output layer: wide enough that each block's three products
/// run near the machine's product rate, narrow enough that there is a block for every core.
constexpr Index output_block_genes = 128;
/// Cells per block of the hidden layers' forward pass and input gradient.
constexpr Index layer_block_cells = 32;
/// Cells per block of the output layer's input gradient dz W^T: Eigen packs all of W (inputs
/// x genes) for every block, so a block must be tall enough to pay for that (packing took 7%
/// of a training step's CPU time with 16 cells, 4% with 32; 64 cells were 4% faster than 32 at one
/// thread on AVX-512, with the same bits). A batch of 128 then has 2 such blocks of 64 x genes x
/// inputs and, per 128 genes, a weight-gradient block of 128 x 128 x inputs: for 2,000 genes about
/// as much work in the cells' blocks as in the genes', so 4 threads still share the op evenly.
constexpr Index output_block_cells = 64;
/// Weight rows per block of a dense hidden layer's weight gradient (genes for a sparse input).
constexpr Index layer_block_inputs = 32;

/// Columns the sparse kernels sum in registers at once: eight of the build's vectors (128 floats
/// with AVX-512, 64 with AVX2), so that eight independent sums keep the multiply-add units busy
/// without spilling. Every column still sums its entries in storage order, so the result does
/// not depend on the width.
template <class T>
constexpr Index register_lanes = 8 * packet_size<T>;

/// Up to 256 values on the stack: the temporaries of one pass over a row.
template <class T>
using RowChunk = Eigen::Array<T, Eigen::Dynamic, 1, Eigen::ColMajor, 256, 1>;

/// `y` (width values) becomes softplus_beta(y), and `slope` its derivative sigmoid(beta y),
/// from one exp, one log and one division per value (ad/activations.hpp).
template <class T>
void softplus_row(T* y, T* slope, Index width, T beta) {
    for (Index c0 = 0; c0 < width; c0 += 256) {
        const Index n = std::min<Index>(256, width - c0);
        Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> z(y + c0, n);
        const RowChunk<T> bz = beta * z;
        const RowChunk<T> e = activation::softplus_e(bz);
        const RowChunk<T> r = activation::softplus_r(e);
        Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(slope + c0, n) = activation::softplus_slope(bz, e, r);
        z = activation::softplus_times_beta(bz, e, r) * (T(1) / beta); // a product, not a division per value
    }
}

/// y = b + row r of S times W: each stored count adds its weight row. The outputs are summed in
/// registers, register_lanes at a time, rather than in memory; every output sums in storage order.
template <class T>
void sparse_row_times_dense(const CsrView<T>& s, Index r, const Matrix<T>& w, const Matrix<T>& b, T* y) {
    constexpr Index lanes = register_lanes<T>;
    using Lanes = Eigen::Array<T, lanes, 1>;
    const Index width = w.cols();
    Index c0 = 0;
    for (; c0 + lanes <= width; c0 += lanes) {
        Lanes acc = Eigen::Map<const Lanes>(b.data() + c0);
        for (int p = s.outer[r]; p < s.outer[r + 1]; ++p)
            acc += s.values[p] * Eigen::Map<const Lanes>(w.data() + Index(s.inner[p]) * width + c0);
        Eigen::Map<Lanes>(y + c0) = acc;
    }
    if (c0 == width) return;
    auto tail = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y + c0, width - c0);
    tail = b.row(0).segment(c0, width - c0).transpose().array();
    for (int p = s.outer[r]; p < s.outer[r + 1]; ++p)
        tail += s.values[p] * w.row(s.inner[p]).segment(c0, width - c0).transpose().array();
}

/// Rows [first, first + length) of dW += S^T dz, block `block` of `inputs`: the block's stored
/// counts are bucketed by gene (a counting sort into scratch kept per thread), then each gene's
/// row of dW sums its cells' rows of dz in registers (register_lanes at a time), in increasing cell order.
/// `starts` holds where each row enters each block (row_block_starts(), inputs.count() + 1 per row).
template <class T>
void add_sparse_block_gradient(const CsrView<T>& s, const Matrix<T>& dz, const Blocks& inputs, Index block, const int* starts,
                               Matrix<T>& dw) {
    thread_local std::vector<int> start, fill, cell, position;
    const Index first = inputs.first(block), length = inputs.length(block), stride = inputs.count() + 1;
    start.assign(std::size_t(length) + 1, 0);
    for (Index r = 0; r < s.rows; ++r)
        for (int p = starts[r * stride + block]; p < starts[r * stride + block + 1]; ++p) ++start[std::size_t(s.inner[p] - first) + 1];
    for (Index j = 0; j < length; ++j) start[std::size_t(j) + 1] += start[std::size_t(j)];
    fill.assign(start.begin(), start.end() - 1);
    cell.resize(std::size_t(start.back()));
    position.resize(std::size_t(start.back()));
    for (Index r = 0; r < s.rows; ++r) {
        for (int p = starts[r * stride + block]; p < starts[r * stride + block + 1]; ++p) {
            const int k = fill[std::size_t(s.inner[p] - first)]++;
            cell[std::size_t(k)] = int(r);
            position[std::size_t(k)] = p;
        }
    }
    constexpr Index lanes = register_lanes<T>;
    using Lanes = Eigen::Array<T, lanes, 1>;
    const Index width = dw.cols();
    for (Index j = 0; j < length; ++j) {
        const int k0 = start[std::size_t(j)], k1 = start[std::size_t(j) + 1];
        if (k0 == k1) continue;
        T* out = &dw(first + j, 0);
        Index c0 = 0;
        for (; c0 + lanes <= width; c0 += lanes) {
            Lanes acc = Eigen::Map<const Lanes>(out + c0);
            for (int k = k0; k < k1; ++k)
                acc += s.values[position[std::size_t(k)]] * Eigen::Map<const Lanes>(&dz(cell[std::size_t(k)], 0) + c0);
            Eigen::Map<Lanes>(out + c0) = acc;
        }
        for (int k = k0; k < k1 && c0 < width; ++k)
            dw.row(first + j).segment(c0, width - c0) += s.values[position[std::size_t(k)]] * dz.row(cell[std::size_t(k)]).segment(c0, width - c0);
    }
}

/// Where each row of `s` enters each block of output_block_genes columns (row_block_starts(),
/// output_block_genes + 1 per row), if an op earlier on this tape found them for rows of the same
/// structure (the same offsets and column indices: in training the encoder's input and the target
/// are one structure with two sets of values), or null. Saves the output layer a search of every
/// row in each of its gene blocks (3% of a training step at one thread).
template <class T>
const int* recorded_block_starts(Tape<T>& t, const CsrView<T>& s) {
    for (std::size_t i = 0; i < t.size(); ++i) {
        const auto& op = t.node(int(i)).op;
        if (op.position_block == output_block_genes && op.sparse.outer == s.outer && op.sparse.inner == s.inner &&
            op.sparse.rows == s.rows && op.sparse.cols == s.cols)
            return op.positions.data();
    }
    return nullptr;
}

template <class T>
void check_layer(const Matrix<T>& w, const Matrix<T>& b, Index inputs, T beta, const char* op) {
    if (inputs != w.rows()) throw Error(std::string("ad::") + op + ": inner dimensions differ");
    if (b.rows() != 1 || b.cols() != w.cols()) throw Error(std::string("ad::") + op + ": bias must be 1 x columns of the weight");
    if (!(beta > T(0))) throw Error(std::string("ad::") + op + ": beta must be positive");
}

template <class T>
void check_output(const Matrix<T>& xv, const Matrix<T>& wv, const Matrix<T>& bv, const CsrView<T>& counts,
                  const Vector<T>& factors, T beta) {
    if (xv.cols() != wv.rows()) throw Error("ad::softplus_poisson_nll: inner dimensions differ");
    if (bv.rows() != 1 || bv.cols() != wv.cols()) throw Error("ad::softplus_poisson_nll: bias must be 1 x columns of the weight");
    if (counts.rows != xv.rows() || counts.cols != wv.cols())
        throw Error("ad::softplus_poisson_nll: the counts are " + std::to_string(counts.rows) + "x" + std::to_string(counts.cols) +
                    " but the rates " + std::to_string(xv.rows()) + "x" + std::to_string(wv.cols()));
    if (factors.size() != 0 && factors.size() != xv.rows()) throw Error("ad::softplus_poisson_nll: one factor per row expected");
    if (!(beta > T(0))) throw Error("ad::softplus_poisson_nll: beta must be positive");
    if (!rows_sorted(counts)) throw Error("ad::softplus_poisson_nll: the counts' column indices must increase within each row");
}

} // namespace detail

// ---- hidden layers --------------------------------------------------------------------

/// Backward of `softplus_layer`: dz = incoming * slope first (one cheap elementwise pass on
/// the calling thread), then, in a single pass of blocks that only read dz, rows of
/// dx = dz W^T per block of cells, rows of dW += x^T dz per block of weight rows, and the bias
/// as one more block. No block waits for another, so the op costs one join of the threads.
/// @param t  the tape being run backwards.
/// @param n  this op's node: inputs x (none, -1, for a sparse input, kept in `n.op.sparse`), W and b; `n.op.scratch` holds the slope.
template <class T>
void softplus_layer_backward(Tape<T>& t, Node<T>& n) {
    const Matrix<T>& g = t.incoming(n);
    const Matrix<T>& w = t.value(n.inputs[1]);
    const bool sparse_input = n.inputs[0] < 0; // no dense input: the layer read n.op.sparse
    Matrix<T>* dx = t.wants(n.inputs[0]) ? &t.grad_of(n.inputs[0]) : nullptr;
    Matrix<T>* dw = t.wants(n.inputs[1]) ? &t.grad_of(n.inputs[1]) : nullptr;
    Matrix<T>* db = t.wants(n.inputs[2]) ? &t.grad_of(n.inputs[2]) : nullptr;
    Matrix<T>& dz = n.op.buffers[0];
    dz.noalias() = g.cwiseProduct(n.op.scratch);
    const Blocks cells{dx ? g.rows() : 0, detail::layer_block_cells};
    const Blocks inputs{dw ? w.rows() : 0, sparse_input ? detail::output_block_genes : detail::layer_block_inputs};
    const Index bias_block = cells.count() + inputs.count();
    const double work = (dx ? double(g.size()) * double(w.rows()) : 0.0) +
                        (dw ? double(g.cols()) * (sparse_input ? double(n.op.sparse.nonzeros()) : double(g.rows()) * double(w.rows())) : 0.0);
    parallelize_blocks([&](Index b) {
        if (b == bias_block) {
            *db += dz.colwise().sum();
        } else if (b < cells.count()) {
            const Index r0 = cells.first(b), rows = cells.length(b);
            dx->middleRows(r0, rows).noalias() += dz.middleRows(r0, rows) * w.transpose();
        } else {
            const Index i0 = inputs.first(b - cells.count()), length = inputs.length(b - cells.count());
            if (sparse_input) detail::add_sparse_block_gradient(n.op.sparse, dz, inputs, b - cells.count(), n.op.positions.data(), *dw);
            else dw->middleRows(i0, length).noalias() += t.value(n.inputs[0]).middleCols(i0, length).transpose() * dz;
        }
    }, bias_block + (db ? 1 : 0), 0, work);
}

/// softplus_beta(x W + b) as one op: x cells x inputs, W inputs x outputs, b 1 x outputs.
/// Equals softplus(add_bias(matmul(x, W), b), beta) up to rounding, under both rules (it
/// is an activation for the guided rule).
/// @param x     input, cells x inputs.
/// @param w     weight, inputs x outputs.
/// @param b     bias, 1 x outputs.
/// @param beta  softplus sharpness (positive); 1 is the plain softplus.
/// @return the activations, cells x outputs.
/// @throws Error when the shapes do not match or beta is not positive.
template <class T>
Var<T> softplus_layer(Var<T> x, Var<T> w, Var<T> b, T beta = T(1)) {
    Tape<T>& t = *x.tape;
    detail::check_layer(t.value(w), t.value(b), t.value(x).cols(), beta, "softplus_layer");
    Var<T> out = t.record(&softplus_layer_backward<T>, {x, w, b});
    // References into the tape only now: recording may have moved its nodes.
    Node<T>& n = t.node(out);
    const Matrix<T>& xv = t.value(x);
    const Matrix<T>& wv = t.value(w);
    const Matrix<T>& bv = t.value(b);
    n.op.activation = true;
    n.op.param = beta;
    if (n.op.buffers.empty()) n.op.buffers.resize(1);
    n.value.resize(xv.rows(), wv.cols());
    n.op.scratch.resize(xv.rows(), wv.cols());
    const Blocks cells{xv.rows(), detail::layer_block_cells};
    parallelize_blocks([&](Index blk) {
        const Index r0 = cells.first(blk), rows = cells.length(blk);
        auto y = n.value.middleRows(r0, rows);
        y.noalias() = xv.middleRows(r0, rows) * wv;
        y.rowwise() += bv.row(0);
        for (Index r = r0; r < r0 + rows; ++r) detail::softplus_row(&n.value(r, 0), &n.op.scratch(r, 0), wv.cols(), beta);
    }, cells.count(), 0, double(xv.size()) * double(wv.cols()));
    return out;
}

/// softplus_beta(S W + b) for a constant sparse S (a minibatch of transformed counts): the
/// first layer as one op. Only W and b get gradients. S must have increasing column indices
/// within each row.
/// @param s     constant sparse input, cells x inputs; viewed, not copied: it must outlive the tape's backward pass.
/// @param w     weight, inputs x outputs.
/// @param b     bias, 1 x outputs.
/// @param beta  softplus sharpness (positive); 1 is the plain softplus.
/// @return the activations, cells x outputs.
/// @throws Error when the shapes do not match, beta is not positive or a row's columns do not increase.
template <class T>
Var<T> softplus_layer(const CsrView<T>& s, Var<T> w, Var<T> b, T beta = T(1)) {
    Tape<T>& t = *w.tape;
    detail::check_layer(t.value(w), t.value(b), s.cols, beta, "softplus_layer");
    if (!rows_sorted(s)) throw Error("ad::softplus_layer: the sparse input's column indices must increase within each row");
    Var<T> out = t.record(&softplus_layer_backward<T>, {Var<T>{}, w, b});
    Node<T>& n = t.node(out);
    const Matrix<T>& wv = t.value(w);
    const Matrix<T>& bv = t.value(b);
    n.op.activation = true;
    n.op.param = beta;
    n.op.sparse = s;
    if (n.op.buffers.empty()) n.op.buffers.resize(1);
    n.value.resize(s.rows, wv.cols());
    n.op.scratch.resize(s.rows, wv.cols());
    // Where each row enters each block of the weight gradient's inputs (the backward pass's blocks).
    const Blocks inputs{s.cols, detail::output_block_genes};
    n.op.positions.resize(std::size_t(s.rows * (inputs.count() + 1)));
    n.op.position_block = detail::output_block_genes; // the output layer's gene blocks too: it reuses them
    const Blocks cells{s.rows, detail::layer_block_cells};
    parallelize_blocks([&](Index blk) {
        for (Index r = cells.first(blk); r < cells.first(blk) + cells.length(blk); ++r) {
            detail::sparse_row_times_dense(s, r, wv, bv, &n.value(r, 0));
            detail::softplus_row(&n.value(r, 0), &n.op.scratch(r, 0), wv.cols(), beta);
            row_block_starts(s, r, inputs, n.op.positions.data() + r * (inputs.count() + 1));
        }
    }, cells.count(), 0, double(s.nonzeros()) * double(wv.cols()));
    return out;
}

// ---- the output layer and its loss ------------------------------------------------------------

/// Backward of `softplus_poisson_nll`: from the stored d(loss)/dz, in one pass of blocks
/// that only read dz, x and W: rows of dx = dz W^T per block of cells (no sum over gene
/// blocks), and the weight and bias gradients of each block of genes.
/// @param t  the tape being run backwards.
/// @param n  this op's node: inputs x, W and b; `n.op.scratch` holds d(mean loss)/dz from the forward pass.
template <class T>
void softplus_poisson_nll_backward(Tape<T>& t, Node<T>& n) {
    const Matrix<T>& x = t.value(n.inputs[0]);
    const Matrix<T>& w = t.value(n.inputs[1]);
    const Matrix<T>& dz = n.op.scratch; // d(mean loss)/dz for a unit seed, from the forward pass
    Matrix<T>* dx = t.wants(n.inputs[0]) ? &t.grad_of(n.inputs[0]) : nullptr;
    Matrix<T>* dw = t.wants(n.inputs[1]) ? &t.grad_of(n.inputs[1]) : nullptr;
    Matrix<T>* db = t.wants(n.inputs[2]) ? &t.grad_of(n.inputs[2]) : nullptr;
    const T seed = n.grad(0, 0);
    const bool guided = t.rule() == Rule::guided;
    // The rate's softplus is an activation, so the guided rule clamps its incoming gradient
    // seed * dL/drate at zero; d(rate)/dz > 0 keeps the sign, so clamping seed * dz is the
    // same. Saliency, not training, takes this path (it allocates).
    auto clamped = [&](const auto& part) -> Matrix<T> { return (seed * part).cwiseMax(T(0)); };
    // The cells' blocks come first: they are the larger (all genes each), so that threads
    // which finish early pick up the small gene blocks at the end.
    const Blocks cells{dx ? x.rows() : 0, detail::output_block_cells};
    const Blocks genes{(dw || db) ? w.cols() : 0, detail::output_block_genes};
    parallelize_blocks([&](Index b) {
        if (b < cells.count()) {
            const Index r0 = cells.first(b), rows = cells.length(b);
            if (guided) dx->middleRows(r0, rows).noalias() += clamped(dz.middleRows(r0, rows)) * w.transpose();
            else dx->middleRows(r0, rows).noalias() += seed * (dz.middleRows(r0, rows) * w.transpose());
            return;
        }
        const Index g0 = genes.first(b - cells.count()), width = genes.length(b - cells.count());
        auto products = [&](const auto& g, T alpha) {
            if (dw) dw->middleCols(g0, width).noalias() += alpha * (x.transpose() * g);
            if (db) db->middleCols(g0, width) += alpha * g.colwise().sum();
        };
        if (guided) products(clamped(dz.middleCols(g0, width)), T(1));
        else products(dz.middleCols(g0, width), seed);
    }, cells.count() + genes.count(), 0, 2.0 * double(x.rows()) * double(x.cols()) * double(w.cols()));
}

/// Mean over all entries of rate - counts log(rate + eps), with rate = f_r softplus_beta(x W + b)
/// for cell r: the Poisson NLL of an output layer (x: cells x inputs, W: inputs x genes,
/// b: 1 x genes). `factors` holds f (one per cell, e.g. size factors) or is empty for f = 1.
/// Equals poisson_nll(scale_rows(softplus(add_bias(matmul(x, W), b), beta), f), counts, eps)
/// up to rounding. `counts` must have increasing column indices within each row.
/// @param x        hidden activations, cells x inputs.
/// @param w        weight, inputs x genes.
/// @param b        bias, 1 x genes.
/// @param counts   observed counts, cells x genes; viewed, not copied: it must outlive the tape's backward pass.
/// @param beta     softplus sharpness (positive).
/// @param factors  one rate factor per cell; empty means 1 for every cell.
/// @param eps      added to the rate inside the log so that a zero rate stays finite.
/// @return the mean loss, a 1 x 1 node.
/// @throws Error when the shapes do not match, beta is not positive or a row's columns do not increase.
template <class T>
Var<T> softplus_poisson_nll(Var<T> x, Var<T> w, Var<T> b, const CsrView<T>& counts, T beta = T(1),
                            const Vector<T>& factors = Vector<T>(), T eps = T(1e-8)) {
    Tape<T>& t = *x.tape;
    detail::check_output(t.value(x), t.value(w), t.value(b), counts, factors, beta);
    Var<T> out = t.record(&softplus_poisson_nll_backward<T>, {x, w, b});
    Node<T>& n = t.node(out);
    n.op.param = eps;
    n.op.sparse = counts;
    // References into the tape only now: recording may have moved its nodes.
    const Matrix<T>& xv = t.value(x);
    const Matrix<T>& wv = t.value(w);
    const Matrix<T>& bv = t.value(b);

    const Index cells = xv.rows(), genes = wv.cols();
    const Blocks blocks{genes, detail::output_block_genes};
    const int* const starts = detail::recorded_block_starts(t, counts); // null: search each row
    Matrix<T>& dz = n.op.scratch;
    dz.resize(cells, genes);
    thread_local std::vector<double> kept; // kept between calls: no allocation per minibatch
    std::vector<double>& block_loss = kept; // the caller's, also in the worker threads
    block_loss.assign(std::size_t(blocks.count()), 0.0);
    const T mean = T(1) / T(double(cells) * double(genes));

    parallelize_blocks([&](Index blk) {
        const Index g0 = blocks.first(blk), width = blocks.length(blk);
        auto z = dz.middleCols(g0, width);
        z.noalias() = xv * wv.middleCols(g0, width);
        // The block's stored counts, gathered in storage order with their shifted rates and
        // where their d(loss)/dz lies, so that the logs and quotients are taken as whole arrays.
        thread_local Eigen::ArrayXd shifted, count;
        thread_local std::vector<T*> at;
        double loss = 0;
        Index k = 0;
        for (Index r = 0; r < cells; ++r) {
            const T f = factors.size() ? factors(r) : T(1);
            T* zr = &z(r, 0);
            const detail::RowChunk<T> bz = beta * (z.row(r).array().transpose() + bv.row(0).segment(g0, width).array().transpose());
            const detail::RowChunk<T> e = activation::softplus_e(bz);
            const detail::RowChunk<T> reciprocal = activation::softplus_r(e);
            // d rate / dz = f sigmoid(beta z), scaled by the mean's 1 / entries first.
            Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(zr, width) = (mean * f) * activation::softplus_slope(bz, e, reciprocal);
            const detail::RowChunk<T> rate = (f / beta) * activation::softplus_times_beta(bz, e, reciprocal);
            loss += double(rate.sum());
            const auto [p0, p1] = starts ? std::pair<int, int>{starts[r * (blocks.count() + 1) + blk], starts[r * (blocks.count() + 1) + blk + 1]}
                                         : row_range(counts, r, g0, g0 + width);
            if (shifted.size() < k + (p1 - p0)) {
                const Index grown = std::max<Index>(2 * shifted.size(), k + (p1 - p0));
                shifted.conservativeResize(grown);
                count.conservativeResize(grown);
                at.resize(std::size_t(grown));
            }
            for (int p = p0; p < p1; ++p, ++k) {
                const Index c = counts.inner[p] - g0;
                shifted[k] = double(rate[c]) + double(eps);
                count[k] = counts.values[p];
                at[std::size_t(k)] = zr + c;
            }
        }
        // In double, as before; Eigen's packet log is within an ulp or two of std::log.
        loss -= (count.head(k) * shifted.head(k).log()).sum();
        shifted.head(k) = 1.0 - count.head(k) / shifted.head(k);
        for (Index j = 0; j < k; ++j) *at[std::size_t(j)] *= T(shifted[j]);
        block_loss[std::size_t(blk)] = loss;
    }, blocks.count(), 0, double(cells) * double(xv.cols()) * double(genes));
    double total = 0;
    for (double l : block_loss) total += l;
    n.value.setConstant(1, 1, T(total / (double(cells) * double(genes))));
    return out;
}

} // namespace scae::ad

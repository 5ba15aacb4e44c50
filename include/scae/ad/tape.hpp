#pragma once
/// @file tape.hpp
/// @brief Reverse-mode automatic differentiation over matrices: the tape. Start with docs/tape.md
/// and examples/tape_tour.cpp; the basic ops are in ops.hpp, each backward beside its forward.
///
/// Like micrograd's `Value`, but every value is a matrix. An op computes its
/// result in the forward pass and appends a node that remembers its inputs and
/// a `backward` function. `Tape::backward` walks the nodes newest-first (a
/// reverse topological order, since a node only sees older nodes) and each
/// node adds its share of the gradient to its inputs (the chain rule).
///
/// Two choices keep it fast without making it harder to read:
/// - `clear()` forgets the nodes but keeps their matrices, so the next
///   minibatch of the same shapes writes into memory that is already there;
/// - leaves can view caller-owned matrices: a parameter's gradient is
///   accumulated straight into the model, an input is never copied.

#include "scae/core/csr_view.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace scae::ad {

/// How gradients pass back through activations.
enum class Rule {
    standard, ///< the true gradient
    guided    ///< guided backprop: negative gradients are zeroed as they enter each activation
};

template <class T> class Tape;

/// A handle to one node on a tape. Cheap to copy; valid until the tape is cleared.
template <class T>
struct Var {
    Tape<T>* tape = nullptr; ///< the tape that holds the node
    int id = -1;             ///< its position on the tape

    /// The forward value.
    /// @return the node's value; valid until the tape is cleared.
    const Matrix<T>& value() const { return tape->value(*this); }
    /// The gradient after `Tape::backward` (zero-sized when the node needs none).
    /// @return d(objective)/d(value), same shape as the value.
    const Matrix<T>& grad() const { return tape->grad(*this); }
};

/// A trainable matrix and the gradient accumulated into it.
template <class T>
struct Param {
    Matrix<T> value; ///< current value
    Matrix<T> grad;  ///< d(loss)/d(value), summed over backward passes until zeroed
};

/// One recorded operation. Its graph fields are micrograd's `Value`: a value, a gradient, the
/// nodes it was computed from and how to pass the gradient back to them. An op may also keep
/// state from its forward pass for its backward pass (`op`).
template <class T>
struct Node {
    // ---- the graph ----
    Matrix<T> value;                        ///< result of the op (unused by external leaves)
    Matrix<T> grad;                         ///< d(output)/d(value) (unused by parameters)
    int inputs[3] = {-1, -1, -1};           ///< the nodes it was computed from, oldest op input first (-1: none)
    void (*backward)(Tape<T>&, Node&) = nullptr; ///< adds this node's gradient into its inputs'
    bool needs_grad = false;                ///< some leaf below needs a gradient (Tape::record decides)
    const Matrix<T>* external_value = nullptr; ///< caller-owned value of a leaf
    Matrix<T>* external_grad = nullptr;     ///< caller-owned gradient of a parameter

    /// What an op keeps from its forward pass for its backward pass; most ops need none of it.
    struct OpState {
        T param = 0;                        ///< the op's scalar (beta, scale, epsilon)
        bool activation = false;            ///< the guided rule applies here (Tape::incoming)
        CsrView<T> sparse;                  ///< the op's constant sparse operand (inputs, targets)
        Matrix<T> scratch;                  ///< a matrix computed forward and used backward
        std::vector<Matrix<T>> buffers;     ///< further matrices a fused op keeps (kept by clear)
        std::vector<int> positions;         ///< positions into `sparse` a fused op keeps (kept by clear)
        Index position_block = 0;           ///< `positions` hold row_block_starts() for blocks of this many columns of `sparse`, found in this pass (0: none)
    };
    OpState op; ///< the op's state (kept by clear: its matrices are reused)
};

/// The record of a forward pass, replayed backwards to get gradients.
template <class T>
class Tape {
public:
    /// A leaf viewing `x` (not copied; `x` must outlive the tape's use of it).
    /// With `requires_grad`, `backward` fills its gradient (saliency needs this).
    /// @param x              the value; viewed, not copied.
    /// @param requires_grad  fill the leaf's gradient in `backward` (d(output)/d(input)).
    /// @return the leaf's handle.
    Var<T> input(const Matrix<T>& x, bool requires_grad = false) {
        Node<T>& n = push();
        n.external_value = &x;
        n.needs_grad = requires_grad;
        return last();
    }

    /// A leaf for a parameter: its gradient is added into `p.grad` (resized and zeroed if empty).
    /// @param p  the parameter; it must outlive the tape's use of it.
    /// @return the leaf's handle.
    Var<T> param(Param<T>& p) {
        if (p.grad.rows() != p.value.rows() || p.grad.cols() != p.value.cols())
            p.grad.setZero(p.value.rows(), p.value.cols());
        Node<T>& n = push();
        n.external_value = &p.value;
        n.external_grad = &p.grad;
        n.needs_grad = true;
        return last();
    }

    /// Appends a node computed from up to three `inputs` that passes gradients back with
    /// `backward`; it needs a gradient when one of its inputs does. Ops call this, then write the
    /// result into `node(result).value`.
    /// @param backward  the op's backward function, called with this tape and the new node.
    /// @param inputs    the op's inputs, at most three; Var<T>{} stands for "none" (a constant operand).
    /// @return the new node's handle.
    /// @throws Error when an input is a handle of another tape or of no live node, or there are more than three
    Var<T> record(void (*backward)(Tape&, Node<T>&), std::initializer_list<Var<T>> inputs) {
        if (inputs.size() > 3) throw Error("ad::Tape::record: an op has at most three inputs");
        for (const Var<T>& input : inputs)
            if (input.tape != nullptr || input.id >= 0) check(input); // Var<T>{} is "no input"
        Node<T>& n = push();
        int k = 0;
        for (const Var<T>& input : inputs) {
            n.inputs[k++] = input.id;
            n.needs_grad = n.needs_grad || wants(input.id);
        }
        n.backward = backward;
        return last();
    }

    /// Whether node `id` needs a gradient: backward functions skip the inputs that do not.
    /// @param id  position of a live node, or -1 for no input.
    /// @return false for -1 and for nodes that lead to no parameter or input that asked for one.
    bool wants(int id) const { return id >= 0 && nodes_[std::size_t(id)].needs_grad; }

    /// The node behind a handle.
    /// @param v  a handle to a live node of this tape.
    /// @return the node; a reference that recording further nodes may invalidate.
    /// @throws Error when `v` is not a live node of this tape.
    Node<T>& node(Var<T> v) { return nodes_[check(v)]; }
    /// The node at position `id`.
    /// @param id  position on the tape, not checked.
    /// @return the node; a reference that recording further nodes may invalidate.
    Node<T>& node(int id) { return nodes_[id]; }

    /// The forward value of `v`.
    /// @param v  a handle to a live node of this tape.
    /// @return the op's result, or the caller's matrix for a leaf.
    /// @throws Error when `v` is not a live node of this tape.
    const Matrix<T>& value(Var<T> v) const {
        const Node<T>& n = nodes_[check(v)];
        return n.external_value ? *n.external_value : n.value;
    }
    /// The value of node `id`.
    /// @param id  position of a live node.
    /// @return the op's result, or the caller's matrix for a leaf.
    /// @throws Error when `id` is not a live node.
    const Matrix<T>& value(int id) const { return value(Var<T>{const_cast<Tape*>(this), id}); }

    /// The gradient of `v`.
    /// @param v  a handle to a live node of this tape.
    /// @return d(objective)/d(value) after `backward`; the caller's matrix for a parameter.
    /// @throws Error when `v` is not a live node of this tape.
    const Matrix<T>& grad(Var<T> v) const {
        const Node<T>& n = nodes_[check(v)];
        return n.external_grad ? *n.external_grad : n.grad;
    }

    /// The gradient slot an op adds into for its input `id` (only call when it needs a gradient).
    /// @param id  position of a node that needs a gradient, not checked.
    /// @return the matrix to add into; the caller's gradient for a parameter.
    Matrix<T>& grad_of(int id) {
        Node<T>& n = nodes_[id];
        return n.external_grad ? *n.external_grad : n.grad;
    }

    /// The gradient arriving at `n` from above, as seen by its backward function: under the
    /// guided rule, an activation sees only its positive part.
    /// @param n  the node whose backward function runs.
    /// @return its gradient, clamped at zero in place under the guided rule.
    const Matrix<T>& incoming(Node<T>& n) {
        if (rule_ == Rule::guided && n.op.activation) n.grad = n.grad.cwiseMax(T(0));
        return n.grad;
    }

    /// The rule of the backward pass in progress (or of the last one).
    /// @return Rule::standard before any backward pass.
    Rule rule() const { return rule_; }

    /// Backpropagates from a scalar (1 x 1) `loss`.
    /// @param loss  the 1 x 1 node to differentiate.
    /// @param rule  how gradients pass through activations.
    /// @throws Error when `loss` is not 1 x 1.
    void backward(Var<T> loss, Rule rule = Rule::standard) {
        if (value(loss).size() != 1) throw Error("Tape::backward: the loss must be 1 x 1; pass a seed gradient otherwise");
        Matrix<T> seed = Matrix<T>::Ones(1, 1);
        backward(loss, seed, rule);
    }

    /// Backpropagates `seed` = d(objective)/d(out) from `out`: every node that needs a gradient
    /// gets d(objective)/d(node). Parameter gradients accumulate; node gradients start at zero.
    /// @param out   the node to start from.
    /// @param seed  d(objective)/d(out), same shape as the value of `out`.
    /// @param rule  how gradients pass through activations.
    /// @throws Error when `seed` differs in shape from the value of `out`.
    void backward(Var<T> out, const Matrix<T>& seed, Rule rule = Rule::standard) {
        const Matrix<T>& v = value(out);
        if (seed.rows() != v.rows() || seed.cols() != v.cols()) throw Error("Tape::backward: seed shape differs from the output");
        rule_ = rule;
        for (int i = 0; i <= out.id; ++i) {
            Node<T>& n = nodes_[i];
            if (n.needs_grad && !n.external_grad) n.grad.setZero(value(i).rows(), value(i).cols());
        }
        grad_of(out.id) += seed;
        for (int i = out.id; i >= 0; --i) {
            Node<T>& n = nodes_[i];
            if (n.needs_grad && n.backward) n.backward(*this, n);
        }
    }

    /// Forgets every node but keeps their memory for the next forward pass.
    void clear() { size_ = 0; }

    /// Number of nodes recorded since the last `clear`.
    /// @return nodes recorded, in positions [0, size()).
    std::size_t size() const { return size_; }

private:
    Node<T>& push() {
        if (size_ == nodes_.size()) nodes_.emplace_back();
        Node<T>& n = nodes_[size_++];
        // Reset everything but the matrices, whose memory is what we keep.
        Matrix<T> value = std::move(n.value), grad = std::move(n.grad), scratch = std::move(n.op.scratch);
        std::vector<Matrix<T>> buffers = std::move(n.op.buffers);
        std::vector<int> positions = std::move(n.op.positions);
        n = Node<T>{};
        n.value = std::move(value);
        n.grad = std::move(grad);
        n.op.scratch = std::move(scratch);
        n.op.buffers = std::move(buffers);
        n.op.positions = std::move(positions);
        return n;
    }

    Var<T> last() { return Var<T>{this, static_cast<int>(size_) - 1}; }

    int check(Var<T> v) const {
        if (v.tape != this)
            throw Error("ad::Tape: the handle belongs to another tape; expected every operand of an op on one tape");
        if (v.id < 0 || static_cast<std::size_t>(v.id) >= size_) throw Error("ad::Tape: handle does not refer to a live node");
        return v.id;
    }

    std::vector<Node<T>> nodes_;
    std::size_t size_ = 0;
    Rule rule_ = Rule::standard;
};

} // namespace scae::ad

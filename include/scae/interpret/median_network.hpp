#pragma once
/// @file median_network.hpp
/// @brief Medians of n values in many lanes at once (one lane per cell) with a comparator network.
///
/// A gene-set score needs, for every cell, the median of |saliency| over the set's genes, and
/// the permutation null needs it for thousands of random sets. Selecting per cell with
/// std::nth_element branches unpredictably on every element. A comparator network instead
/// applies a fixed sequence of (min, max) pairs to whole rows of values: row i holds gene i's
/// value in every cell, each comparator is two contiguous loops the compiler vectorises, and no
/// branch depends on the data.
///
/// The network is Batcher's odd-even merge sort on the next power of two. Wires beyond n carry
/// +infinity: a comparator with such a wire either does nothing or just moves a value, so it
/// is folded away while the network is built; comparators whose results cannot reach the
/// median are dropped, and those of which only one output matters become a single min or max.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace scae::interpret {

/// A network that finds the median of `size()` values per lane.
class MedianNetwork {
public:
    /// Builds the network for n >= 1 values.
    /// @param n  values per lane
    /// @throws Error when `n` < 1
    explicit MedianNetwork(int n) : n_(n) {
        if (n < 1) throw Error("MedianNetwork: need at least one value, got " + std::to_string(n));
        int wires = 1;
        while (wires < n) wires *= 2;
        // slot[w]: the row holding wire w's value; padding wires (+infinity) hold no row.
        std::vector<int> slot(std::size_t(wires), -1);
        for (int w = 0; w < n; ++w) slot[std::size_t(w)] = w;
        std::vector<Op> ops;
        for (int p = 1; p < wires; p *= 2)
            for (int k = p; k >= 1; k /= 2)
                for (int j = k % p; j + k < wires; j += 2 * k)
                    for (int i = 0; i < k && i + j + k < wires; ++i) {
                        const int a = i + j, b = i + j + k; // the smaller value goes to wire a
                        if ((a / (2 * p)) != (b / (2 * p))) continue;
                        int& sa = slot[std::size_t(a)];
                        int& sb = slot[std::size_t(b)];
                        if (sb < 0) continue;          // b is +infinity: nothing moves
                        if (sa < 0) {                  // a is +infinity: b's value moves to a
                            sa = sb;
                            sb = -1;
                            continue;
                        }
                        ops.push_back({sa, sb, Op::both});
                    }
        lower_ = slot[std::size_t((n - 1) / 2)];
        upper_ = slot[std::size_t(n / 2)];
        // Keep only what reaches the median rows, walking backwards with the set of live rows.
        std::vector<bool> live(std::size_t(n), false);
        live[std::size_t(lower_)] = live[std::size_t(upper_)] = true;
        for (std::size_t i = ops.size(); i-- > 0;) {
            Op op = ops[i];
            const bool lo = live[std::size_t(op.lo)], hi = live[std::size_t(op.hi)];
            if (!lo && !hi) continue;
            op.kind = lo && hi ? Op::both : (lo ? Op::min_only : Op::max_only);
            ops_.push_back(op);
            live[std::size_t(op.lo)] = live[std::size_t(op.hi)] = true;
        }
        std::reverse(ops_.begin(), ops_.end());
    }

    /// The number of values per lane.
    /// @return the `n` the network was built for
    int size() const { return n_; }
    /// The number of comparators applied (a measure of the work per lane).
    /// @return comparators after folding and pruning
    std::size_t comparators() const { return ops_.size(); }

    /// Medians of `width` lanes: `rows` holds size() rows of `width` values, row i at
    /// rows + i * width, and is scrambled; out[lane] gets the lane's median (the mean of the two
    /// middle values when size() is even).
    /// @param rows  size() x `width` values, row-major; overwritten
    /// @param width  lanes (cells)
    /// @param out  `width` values to fill
    template <class T>
    void median(T* rows, Index width, T* out) const {
        // Lanes in tiles, so that a tile of every row stays in the first-level cache while the
        // whole network runs over it.
        constexpr Index tile = 256;
        for (Index first = 0; first < width; first += tile) {
            const Index lanes = first + tile < width ? tile : width - first;
            for (const Op& op : ops_) {
                T* a = rows + Index(op.lo) * width + first;
                T* b = rows + Index(op.hi) * width + first;
                if (op.kind == Op::both) {
                    min_max(a, b, lanes);
                } else if (op.kind == Op::min_only) {
                    min_into(a, b, lanes);
                } else {
                    max_into(b, a, lanes);
                }
            }
        }
        const T* lo = rows + Index(lower_) * width;
        const T* hi = rows + Index(upper_) * width;
        if (lower_ == upper_) {
            for (Index i = 0; i < width; ++i) out[i] = lo[i];
        } else {
            for (Index i = 0; i < width; ++i) out[i] = (lo[i] + hi[i]) / T(2);
        }
    }

private:
    // The comparator kernels. Rows never overlap; saying so (__restrict) lets the compiler
    // vectorise without run-time alias checks, and std::min / std::max become single min / max
    // instructions (a hand-written x < y ? x : y pair became compare-and-blend): about three
    // times faster together.
    template <class T>
    static void min_max(T* __restrict a, T* __restrict b, Index n) {
        for (Index i = 0; i < n; ++i) {
            const T x = a[i], y = b[i];
            a[i] = std::min(x, y);
            b[i] = std::max(x, y);
        }
    }
    template <class T>
    static void min_into(T* __restrict a, const T* __restrict b, Index n) {
        for (Index i = 0; i < n; ++i) a[i] = std::min(a[i], b[i]);
    }
    template <class T>
    static void max_into(T* __restrict b, const T* __restrict a, Index n) {
        for (Index i = 0; i < n; ++i) b[i] = std::max(a[i], b[i]);
    }

    struct Op {
        enum Kind : unsigned char { both, min_only, max_only };
        int lo, hi;  // rows: the minimum goes to lo, the maximum to hi
        Kind kind;
    };
    int n_ = 0;
    int lower_ = 0, upper_ = 0; // rows that end up holding the middle order statistics
    std::vector<Op> ops_;
};

} // namespace scae::interpret

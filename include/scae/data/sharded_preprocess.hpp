#pragma once
/// @file sharded_preprocess.hpp
/// @brief Cell statistics over cells spread across the ranks of a train::Communicator (each MPI
/// rank holding its own block of the cells): the `Cells` type that fit_preprocessing() and
/// highly_variable_genes() take to sum their per-rank partial sums, and an exact median over
/// all ranks' values. Needs no MPI itself (train/mpi.hpp makes the communicator); not part of
/// scae/scae.hpp.

#include "scae/core/error.hpp"
#include "scae/data/normalize.hpp"
#include "scae/train/train.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace scae::data {

namespace detail {

/// A key of `x` whose unsigned order is the order of the doubles (negative ones reversed).
inline std::uint64_t order_key(double x) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return (bits >> 63) ? ~bits : bits | (std::uint64_t(1) << 63);
}

/// The double of an order_key().
inline double from_order_key(std::uint64_t key) {
    const std::uint64_t bits = (key >> 63) ? key & ~(std::uint64_t(1) << 63) : ~key;
    double x = 0;
    std::memcpy(&x, &bits, sizeof x);
    return x;
}

} // namespace detail

/// The k-th smallest (0-based) of the values of every rank, for each k of `ranks_wanted`, without
/// gathering the values: a bisection over the 64-bit order of doubles, each of its 64 steps one
/// sum over the ranks of how many values lie at or below the midpoint. Exact: the result is one
/// of the values, the one a sort of all of them puts at k. Every rank must call it with the same `k`s.
/// @param values  this rank's values (any number, none included); none may be NaN
/// @param k       0-based positions in the sorted values of all ranks, each below their total
/// @param ranks   the ranks (one process: the values are all there are)
/// @return one value per entry of `k`
/// @throws Error when a position is not below the total number of values, or a value is NaN
inline std::vector<double> kth_over_ranks(const std::vector<double>& values, const std::vector<double>& k, const train::Communicator& ranks) {
    std::vector<std::uint64_t> keys(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] != values[i]) throw Error("kth_over_ranks: a value is NaN");
        keys[i] = detail::order_key(values[i]);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<double> total{double(values.size())};
    if (ranks.size > 1) ranks.sum(total);
    for (double position : k)
        if (!(position >= 0 && position < total[0]))
            throw Error("kth_over_ranks: position " + std::to_string(position) + " asked for among " +
                        std::to_string(static_cast<long long>(total[0])) + " values");
    const std::size_t wanted = k.size();
    std::vector<std::uint64_t> low(wanted, 0), high(wanted, std::numeric_limits<std::uint64_t>::max());
    std::vector<double> at_or_below(wanted);
    for (int step = 0; step < 64; ++step) {
        std::vector<std::uint64_t> middle(wanted);
        for (std::size_t j = 0; j < wanted; ++j) {
            middle[j] = low[j] + (high[j] - low[j]) / 2;
            at_or_below[j] = double(std::upper_bound(keys.begin(), keys.end(), middle[j]) - keys.begin());
        }
        if (ranks.size > 1) ranks.sum(at_or_below); // counts: exact
        for (std::size_t j = 0; j < wanted; ++j) {
            if (at_or_below[j] >= k[j] + 1) {
                high[j] = middle[j];
            } else {
                low[j] = middle[j] + 1;
            }
        }
    }
    std::vector<double> out(wanted);
    for (std::size_t j = 0; j < wanted; ++j) out[j] = detail::from_order_key(low[j]);
    return out;
}

/// The median of the values of every rank, equal to data::median() of all of them together
/// (the mean of the two middle values for an even count), found by kth_over_ranks().
/// @param values  this rank's values
/// @param ranks   the ranks
/// @return the median of all ranks' values
/// @throws Error when no rank has a value
inline double median_over_ranks(const std::vector<double>& values, const train::Communicator& ranks) {
    std::vector<double> total{double(values.size())};
    if (ranks.size > 1) ranks.sum(total);
    const double n = total[0];
    if (n == 0) throw Error("median: no values on any of the " + std::to_string(ranks.size) + " ranks");
    const double mid = std::floor(n / 2);
    if (std::fmod(n, 2) == 1) return kth_over_ranks(values, {mid}, ranks)[0];
    const std::vector<double> two = kth_over_ranks(values, {mid - 1, mid}, ranks);
    return 0.5 * (two[0] + two[1]);
}

/// The cells of every rank of `ranks`, for fit_preprocessing() and highly_variable_genes()
/// (their `Cells` parameter): partial sums are summed over the ranks (in rank order, the same
/// bits on every rank) and medians are taken over every rank's values. Every rank must make the
/// same calls. It refers to `ranks`, which must outlive it.
struct RankCells {
    const train::Communicator& ranks; ///< the ranks holding the cells

    /// Sums `values` over the ranks, element by element.
    /// @param values  this rank's partial sums, replaced by the totals
    void sum(std::vector<double>& values) const {
        if (ranks.size > 1) ranks.sum(values);
    }
    /// Median of every rank's values (median_over_ranks()).
    /// @param values  one value per cell of this rank
    /// @return the median over all ranks' cells
    /// @throws Error when no rank has a value
    double median(const std::vector<double>& values) const { return median_over_ranks(values, ranks); }
};

} // namespace scae::data

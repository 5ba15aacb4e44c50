#pragma once
/// @file subsample.hpp
/// @brief A seeded, stratified subsample of labelled cells: the cells on which the all-pairs
/// scores (cross-validated kNN, silhouette) run when there are too many cells to compare
/// every pair.
///
/// Each class keeps its share of the sample (largest remainder, ties to the class that sorts
/// first), and every class keeps at least one cell when the sample has room for all classes,
/// so rare cell types are not lost. Cells are drawn at random within each class.

#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/labels.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace scae::eval {

/// At most `limit` of the rows 0..n-1, drawn at random from `rng` (all of them, and no draw, when
/// n <= limit), ascending.
/// @param n  rows to draw from
/// @param limit  rows kept at most
/// @param rng  the random source, advanced by the draw
/// @return the rows kept, ascending
inline std::vector<Index> random_subsample(Index n, Index limit, Rng& rng) {
    std::vector<Index> out(static_cast<std::size_t>(n));
    std::iota(out.begin(), out.end(), Index(0));
    if (n <= limit) return out;
    rng.shuffle(out);
    out.resize(std::size_t(limit));
    std::sort(out.begin(), out.end());
    return out;
}

/// Rows of at most `size` cells of `labels` (all of them when there are no more), stratified
/// by label and drawn with `seed`, ascending. The same labels, size and seed give the same
/// cells. Throws scae::Error for size < 1.
/// @param labels  one label per cell
/// @param size    most cells to keep, at least 1
/// @param seed    seed of the draws within classes
/// @return the kept rows, ascending
/// @throws Error for size < 1
template <class Label>
std::vector<Index> stratified_subsample(const std::vector<Label>& labels, Index size, std::uint64_t seed) {
    if (size < 1) fail("stratified_subsample", 0, "size = " + std::to_string(size) + "; expected at least 1");
    const Index n = static_cast<Index>(labels.size());
    std::vector<Index> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), Index(0));
    if (n <= size) return rows;
    const auto encoded = encode_labels(labels);
    const std::size_t classes = encoded.classes.size();
    std::vector<std::vector<Index>> members(classes);
    for (Index i = 0; i < n; ++i) members[static_cast<std::size_t>(encoded.codes[static_cast<std::size_t>(i)])].push_back(i);
    // Quotas: the floor of each share, then the leftover cells to the largest remainders.
    std::vector<Index> quota(classes);
    std::vector<double> remainder(classes);
    Index given = 0;
    for (std::size_t c = 0; c < classes; ++c) {
        const double share = double(size) * double(members[c].size()) / double(n);
        quota[c] = static_cast<Index>(share);
        remainder[c] = share - double(quota[c]);
        given += quota[c];
    }
    std::vector<std::size_t> by_remainder(classes);
    std::iota(by_remainder.begin(), by_remainder.end(), std::size_t(0));
    std::stable_sort(by_remainder.begin(), by_remainder.end(), [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
    for (std::size_t i = 0; given < size; i = (i + 1) % classes) {
        const std::size_t c = by_remainder[i];
        if (quota[c] < Index(members[c].size())) ++quota[c], ++given;
    }
    // Every class keeps a cell when there is room, taken from the classes with most to spare.
    if (size >= Index(classes))
        for (std::size_t c = 0; c < classes; ++c) {
            if (quota[c] > 0) continue;
            const auto donor = std::max_element(quota.begin(), quota.end()) - quota.begin();
            --quota[std::size_t(donor)];
            quota[c] = 1;
        }
    Rng rng(seed);
    std::vector<Index> out;
    out.reserve(static_cast<std::size_t>(size));
    for (std::size_t c = 0; c < classes; ++c) {
        rng.shuffle(members[c]);
        out.insert(out.end(), members[c].begin(), members[c].begin() + quota[c]);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace scae::eval

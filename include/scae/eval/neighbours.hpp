#pragma once
/// @file neighbours.hpp
/// @brief Exact k-nearest-neighbour search by brute force: each block of
/// query rows is compared with every reference row through one matrix
/// product, blocks run in parallel (scae::parallelize). Fine up to ~50k cells.

#include "scae/core/parallelize.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/distance.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace scae::eval {

/// The k nearest reference rows of each query row, nearest first.
struct Neighbours {
    /// indices(q, j): reference row of the j-th nearest neighbour of query q.
    Matrix<Index> indices;
    /// distances(q, j): its distance under the metric searched with.
    Matrix<double> distances;
};

/// A reference row and its ranking distance to the query.
struct Candidate {
    double distance; ///< ranking distance to the query
    Index index;     ///< row of the reference
};

/// The `k` smallest entries of `row` in ascending order, equal values by
/// position, into `best`. One pass: most entries are rejected by a single
/// comparison with the current k-th smallest, so this costs little more
/// than reading the row.
/// @param row   the distances of one query to every reference row (an Eigen row or vector)
/// @param k     how many to keep, at least 1
/// @param best  receives at most `k` candidates, nearest first; cleared first
template <class Row>
void keep_smallest(const Row& row, Index k, std::vector<Candidate>& best) {
    best.clear();
    for (Index j = 0; j < row.size(); ++j) {
        const double v = row[j];
        // Later positions lose ties, so a full list only takes strictly smaller values.
        if (static_cast<Index>(best.size()) == k) {
            if (!(v < best.back().distance)) continue;
            best.pop_back();
        }
        auto slot = best.end();
        while (slot != best.begin() && v < (slot - 1)->distance) --slot;
        best.insert(slot, Candidate{v, j});
    }
}

/// Finds the `k` nearest rows of `reference` for every row of `query`.
/// `k` is capped at reference.rows(). Equal distances are ordered by
/// reference row, so the result is fully deterministic. Throws scae::Error
/// for k < 1, an empty reference, differing column counts or non-finite values.
/// @param reference  reference cells x features (the rows searched)
/// @param query      query cells x the same features; may have no rows
/// @param k          neighbours per query row
/// @param metric     the distance
/// @return query.rows() x min(k, reference.rows()) indices and distances
/// @throws Error for k < 1, an empty reference, differing column counts or non-finite values
template <class Scalar>
Neighbours nearest_neighbours(const Matrix<Scalar>& reference, const Matrix<Scalar>& query, Index k,
                              Metric metric = Metric::euclidean) {
    if (k < 1) fail("nearest_neighbours", 0, "k = " + std::to_string(k) + "; expected k >= 1");
    if (reference.rows() == 0)
        fail("nearest_neighbours", 0, "the reference has no rows; expected at least one");
    if (reference.cols() != query.cols())
        fail("nearest_neighbours", 0,
             "reference has " + std::to_string(reference.cols()) + " columns but query has " +
                 std::to_string(query.cols()));
    require_finite(reference, "nearest_neighbours (reference)");
    require_finite(query, "nearest_neighbours (query)");

    const Index n_reference = reference.rows();
    const Index n_query = query.rows();
    k = std::min(k, n_reference);
    const Matrix<Double<Scalar>> ref = prepare_rows(reference, metric);
    const Matrix<Double<Scalar>> qry = prepare_rows(query, metric);
    const Vector<Double<Scalar>> ref_sq_norms = ref.rowwise().squaredNorm();

    Neighbours out;
    out.indices.resize(n_query, k);
    out.distances.resize(n_query, k);
    // Blocks of query rows whose distance matrix stays near 16 MB.
    const Index block_rows = std::clamp<Index>((Index(1) << 21) / n_reference, 8, 512);
    const Index n_blocks = (n_query + block_rows - 1) / block_rows;

    parallelize([&](int, Index first_block, Index blocks) {
        std::vector<Candidate> best;
        best.reserve(static_cast<std::size_t>(k));
        for (Index b = first_block; b < first_block + blocks; ++b) {
            const Index first = b * block_rows;
            const Index rows = std::min(block_rows, n_query - first);
            const Matrix<Double<Scalar>> d =
                ranking_distances(qry.middleRows(first, rows), ref, ref_sq_norms, metric);
            for (Index r = 0; r < rows; ++r) {
                keep_smallest(d.row(r), k, best);
                for (Index j = 0; j < k; ++j) {
                    out.indices(first + r, j) = best[static_cast<std::size_t>(j)].index;
                    out.distances(first + r, j) =
                        reported_distance(best[static_cast<std::size_t>(j)].distance, metric);
                }
            }
        }
    }, n_blocks, 0, double(n_query) * double(n_reference) * double(ref.cols()));
    return out;
}

} // namespace scae::eval

#pragma once
/// @file partition_agreement.hpp
/// @brief Agreement between two partitions of the same cells (e.g. k-means
/// clusters against cell types): adjusted Rand index and normalised mutual
/// information. Both ignore what the labels are called, only how they group.
///
/// Definitions and special cases match scikit-learn's
/// adjusted_rand_score and normalized_mutual_info_score (arithmetic mean).

#include "scae/core/types.hpp"
#include "scae/eval/labels.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace scae::eval {

/// Cross-tabulation of two partitions: counts(i, j) is the number of cells in
/// class i of the first and class j of the second.
struct Contingency {
    /// Cell counts, first-partition classes in rows.
    Matrix<double> counts;
    /// Row sums (first-partition class sizes).
    Vector<double> row_sums;
    /// Column sums (second-partition class sizes).
    Vector<double> col_sums;
    /// Number of cells.
    double n = 0;
};

/// Contingency table of two labelings of the same cells. Throws scae::Error
/// on different lengths or no cells.
/// @param first    a label per cell
/// @param second   a label per cell, as many as `first`
/// @param context  the name an error message starts with
/// @return the table, classes of each partition in sorted order
/// @throws Error when the lengths differ or are 0
template <class LabelA, class LabelB>
Contingency contingency_table(const std::vector<LabelA>& first, const std::vector<LabelB>& second,
                              const std::string& context = "contingency_table") {
    require_same_nonzero_length(first.size(), second.size(), context);
    const auto a = encode_labels(first);
    const auto b = encode_labels(second);
    Contingency table;
    table.counts = Matrix<double>::Zero(static_cast<Index>(a.classes.size()),
                                        static_cast<Index>(b.classes.size()));
    for (std::size_t i = 0; i < first.size(); ++i) table.counts(a.codes[i], b.codes[i]) += 1.0;
    table.row_sums = table.counts.rowwise().sum();
    table.col_sums = table.counts.colwise().sum().transpose();
    table.n = static_cast<double>(first.size());
    return table;
}

/// Adjusted Rand index in [-0.5, 1]: 1 for identical partitions, about 0 for
/// independent ones. Computed from the pair-confusion counts (pairs of cells
/// together/apart in each partition); when no pair is split differently
/// (e.g. both partitions put all cells together) the result is 1.
/// @param first   a label per cell
/// @param second  a label per cell, as many as `first`
/// @return the adjusted Rand index
/// @throws Error when the lengths differ or are 0
template <class LabelA, class LabelB>
double adjusted_rand_index(const std::vector<LabelA>& first, const std::vector<LabelB>& second) {
    const Contingency t = contingency_table(first, second, "adjusted_rand_index");
    const double sum_squares = t.counts.squaredNorm();
    // Ordered pairs of distinct cells: together in both, only in one, in neither.
    const double together_both = sum_squares - t.n;
    const double together_second_only = t.col_sums.squaredNorm() - sum_squares;
    const double together_first_only = t.row_sums.squaredNorm() - sum_squares;
    const double apart_both =
        t.n * t.n - together_second_only - together_first_only - sum_squares;
    if (together_second_only == 0 && together_first_only == 0) return 1.0;
    return 2.0 * (together_both * apart_both - together_first_only * together_second_only) /
           ((together_both + together_first_only) * (together_first_only + apart_both) +
            (together_both + together_second_only) * (together_second_only + apart_both));
}

/// Shannon entropy (natural log) of class sizes `sizes` summing to `n`.
/// @param sizes  class sizes (empty classes are skipped)
/// @param n      their sum
/// @return the entropy in nats
inline double entropy_of_sizes(const Vector<double>& sizes, double n) {
    double h = 0;
    for (Index i = 0; i < sizes.size(); ++i)
        if (sizes[i] > 0) h -= sizes[i] / n * std::log(sizes[i] / n);
    return h;
}

/// Mutual information (natural log) between the two partitions of a contingency table.
/// @param t  a contingency table
/// @return the mutual information in nats, at least 0
inline double mutual_information(const Contingency& t) {
    double mi = 0;
    for (Index i = 0; i < t.counts.rows(); ++i)
        for (Index j = 0; j < t.counts.cols(); ++j) {
            const double nij = t.counts(i, j);
            if (nij > 0) mi += nij / t.n * std::log(nij * t.n / (t.row_sums[i] * t.col_sums[j]));
        }
    return std::max(mi, 0.0); // rounding can leave a tiny negative for independent partitions
}

/// Normalised mutual information in [0, 1]: MI / ((H(first) + H(second)) / 2).
/// Two partitions that each put all cells in one class agree perfectly (1);
/// otherwise zero mutual information gives 0. Clipped at 1 so rounding never
/// reports better than perfect agreement.
/// @param first   a label per cell
/// @param second  a label per cell, as many as `first`
/// @return the normalised mutual information
/// @throws Error when the lengths differ or are 0
template <class LabelA, class LabelB>
double normalized_mutual_information(const std::vector<LabelA>& first,
                                     const std::vector<LabelB>& second) {
    const Contingency t = contingency_table(first, second, "normalized_mutual_information");
    if (t.counts.rows() == 1 && t.counts.cols() == 1) return 1.0;
    const double mi = mutual_information(t);
    if (mi == 0) return 0.0;
    const double mean_entropy =
        0.5 * (entropy_of_sizes(t.row_sums, t.n) + entropy_of_sizes(t.col_sums, t.n));
    return std::min(mi / mean_entropy, 1.0);
}

} // namespace scae::eval

#pragma once
/// @file silhouette.hpp
/// @brief Silhouette of labelled cells in a latent space (euclidean): how much
/// closer each cell is to its own class than to the nearest other class.
///
/// For cell i with mean distance a to the other cells of its class and
/// smallest mean distance b to the cells of another class,
/// s(i) = (b - a) / max(a, b). A cell alone in its class gets 0, as in
/// scikit-learn. Cost is all pairwise distances, computed in blocks in
/// parallel: seconds for tens of thousands of cells.

#include "scae/core/parallelize.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/distance.hpp"
#include "scae/eval/labels.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace scae::eval {

/// Silhouette value of every cell. Throws scae::Error when labels do not
/// match the rows, or unless 2 <= number of classes <= cells - 1 (the
/// silhouette is undefined otherwise), or for non-finite values.
/// @param X       cells x features
/// @param labels  one label per cell
/// @return s(i) of each cell, in [-1, 1], in input order
/// @throws Error on a label count that does not match, a class count outside 2..cells - 1, or
/// non-finite values
template <class Scalar, class Label>
std::vector<double> silhouette_samples(const Matrix<Scalar>& X, const std::vector<Label>& labels) {
    if (static_cast<Index>(labels.size()) != X.rows())
        fail("silhouette", 0,
             std::to_string(labels.size()) + " labels for " + std::to_string(X.rows()) +
                 " rows; expected one label per row");
    const auto encoded = encode_labels(labels);
    const auto n_classes = static_cast<Index>(encoded.classes.size());
    const Index n = X.rows();
    if (n_classes < 2 || n_classes > n - 1)
        fail("silhouette", 0,
             std::to_string(n_classes) + " classes for " + std::to_string(n) +
                 " cells; expected 2 <= classes <= cells - 1");
    require_finite(X, "silhouette");

    // Cells sorted by class, so the distances to one class are one contiguous
    // stretch of each distance row and sum without scattered writes.
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](Index a, Index b) { return encoded.codes[a] < encoded.codes[b]; });
    const Matrix<Double<Scalar>> points = X(order, Eigen::all).template cast<double>();
    const Vector<Double<Scalar>> sq_norms = points.rowwise().squaredNorm();
    std::vector<Index> class_start(static_cast<std::size_t>(n_classes) + 1, 0);
    for (int c : encoded.codes) ++class_start[static_cast<std::size_t>(c) + 1];
    for (Index c = 0; c < n_classes; ++c) class_start[c + 1] += class_start[c];

    std::vector<double> s(static_cast<std::size_t>(n));
    const Index block_rows = std::clamp<Index>((Index(1) << 21) / n, 8, 512);
    const Index n_blocks = (n + block_rows - 1) / block_rows;
    parallelize_each([&](Index b) {
        const Index first = b * block_rows;
        const Index rows = std::min(block_rows, n - first);
        Matrix<Double<Scalar>> d =
            ranking_distances(points.middleRows(first, rows), points, sq_norms, Metric::euclidean);
        d.array() = d.array().sqrt(); // in place: a sqrt into a new matrix ran 3x slower
        for (Index r = 0; r < rows; ++r) {
            const Index sorted_position = first + r;
            const auto cell = static_cast<std::size_t>(order[sorted_position]);
            const int own = encoded.codes[cell];
            const Index own_size = class_start[own + 1] - class_start[own];
            if (own_size < 2) {
                s[cell] = 0.0;
                continue;
            }
            double a = 0;
            double b_min = std::numeric_limits<double>::infinity();
            for (Index c = 0; c < n_classes; ++c) {
                const Index size = class_start[c + 1] - class_start[c];
                const double sum = d.row(r).segment(class_start[c], size).sum();
                if (c == own) // leave out the cell itself (its rounding residue, not 0)
                    a = (sum - d(r, sorted_position)) / double(size - 1);
                else
                    b_min = std::min(b_min, sum / double(size));
            }
            const double larger = std::max(a, b_min);
            s[cell] = larger > 0 ? (b_min - a) / larger : 0.0;
        }
    }, n_blocks, 0, double(n) * double(n) * double(points.cols()));
    return s;
}

/// Mean silhouette over all cells (see silhouette_samples), in [-1, 1].
/// @param X       cells x features
/// @param labels  one label per cell
/// @return the mean of silhouette_samples()
/// @throws Error as silhouette_samples()
template <class Scalar, class Label>
double silhouette_score(const Matrix<Scalar>& X, const std::vector<Label>& labels) {
    const auto s = silhouette_samples(X, labels);
    double sum = 0;
    for (double v : s) sum += v;
    return sum / double(s.size());
}

} // namespace scae::eval

#pragma once
/// @file model_input.hpp
/// @brief The input a saliency map is taken against: raw counts turned into what the model's
/// first layer sees, blocks of it as dense rows, and the integrated-gradients baselines.

#include "scae/data/normalize.hpp"
#include "scae/interpret/method.hpp"
#include "scae/nn/autoencoder.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace scae::interpret {

/// Applies the model's input transform to raw `counts` (cells x genes, model gene order).
/// Throws scae::Error when the gene count differs from the model's.
/// @param model  the model whose input transform is applied
/// @param counts  raw counts, cells x genes in model gene order
/// @return the transformed input, cells x genes, compressed
template <class T>
Csr<T> model_input(const nn::Autoencoder<T>& model, const Csr<T>& counts) {
    if (counts.cols() != model.genes())
        throw Error("saliency: the data has " + std::to_string(counts.cols()) + " genes, the model " +
                    std::to_string(model.genes()) + " (align the genes to the model first)");
    Csr<T> input = nn::transform_input(counts, model.options.input);
    input.makeCompressed();
    return input;
}

/// Rows `rows` of the compressed sparse `m` as dense rows of `out`, in that order.
/// @param m  the sparse matrix
/// @param rows  row indices of `m`, each in [0, m.rows())
/// @param out  resized to rows.size() x m.cols() and overwritten
template <class T>
void dense_rows(const Csr<T>& m, const std::vector<Index>& rows, Matrix<T>& out) {
    out.setZero(Index(rows.size()), m.cols());
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (typename Csr<T>::InnerIterator it(m, rows[r]); it; ++it) out(Index(r), it.col()) = it.value();
}

/// The integrated-gradients baseline (1 x genes) for the transformed `input`: zeros, or the
/// mean over its cells. Baseline::depth is the mean cell at the mean depth here (its per-cell
/// part is cell_baselines()'s).
/// @param input  the transformed input, cells x genes (model_input())
/// @param baseline  which baseline
/// @return the baseline, 1 x genes (zeros also when `input` has no cells)
template <class T>
RowVector<T> baseline_input(const Csr<T>& input, Baseline baseline) {
    RowVector<T> row = RowVector<T>::Zero(input.cols());
    if (baseline == Baseline::zeros || input.rows() == 0) return row;
    Vector<Double<T>> sum = Vector<Double<T>>::Zero(input.cols());
    for (Index r = 0; r < input.rows(); ++r)
        for (typename Csr<T>::InnerIterator it(input, r); it; ++it) sum(it.col()) += double(it.value());
    return (sum / double(input.rows())).template cast<T>().transpose();
}

/// Integrated gradients' baseline of every cell, in the form `mean + offset(c) * slope`: one row
/// for all cells (zeros, the mean cell), or the mean cell at each cell's depth (Baseline::depth).
template <class T>
struct CellBaselines {
    RowVector<T> mean;  ///< 1 x genes: the baseline of a cell with offset 0
    RowVector<T> slope; ///< 1 x genes: its change per unit of offset (zeros when every cell has the same baseline)
    Vector<T> offset;   ///< one per cell: the cell's centred log total count with Baseline::depth, else zeros

    /// Whether every cell has the same baseline (`mean`).
    /// @return true unless the slope has a nonzero entry
    bool shared() const { return slope.size() == 0 || slope.isZero(0); }
    /// Cell `c`'s baseline row.
    /// @param c  a cell, in [0, offset.size())
    /// @return mean + offset(c) * slope, 1 x genes
    RowVector<T> row(Index c) const { return shared() ? mean : RowVector<T>(mean + offset(c) * slope); }
};

/// Each cell's log total count minus their mean (cells with no counts get 0): the depth that
/// Baseline::depth matches.
/// @param counts  raw counts, cells x genes
/// @return one centred log depth per cell
template <class T>
Vector<T> centred_log_depth(const Csr<T>& counts) {
    const std::vector<double> totals = data::library_sizes(counts);
    double sum = 0;
    Index n = 0;
    for (double total : totals)
        if (total > 0) sum += std::log(total), ++n;
    Vector<T> depth(counts.rows());
    for (Index c = 0; c < counts.rows(); ++c) {
        const double total = totals[std::size_t(c)];
        depth(c) = T(total > 0 ? std::log(total) - sum / double(n) : 0.0);
    }
    return depth;
}

/// The least-squares slope of each gene's transformed input on `offset` (centred, one per cell):
/// sum_c offset_c x_cg / sum_c offset_c^2; zeros when the offsets are all 0.
/// @param input  the transformed input, cells x genes
/// @param offset  one centred value per cell
/// @return 1 x genes
template <class T>
RowVector<T> input_slope(const Csr<T>& input, const Vector<T>& offset) {
    const double squares = offset.template cast<double>().squaredNorm();
    Vector<Double<T>> cross = Vector<Double<T>>::Zero(input.cols());
    if (!(squares > 0)) return RowVector<T>::Zero(input.cols());
    for (Index r = 0; r < input.rows(); ++r)
        for (typename Csr<T>::InnerIterator it(input, r); it; ++it) cross(it.col()) += double(offset(r)) * double(it.value());
    return (cross / squares).template cast<T>().transpose();
}

/// The baselines of `baseline` for the cells of `input` (model_input() of raw `counts`).
/// Baseline::depth: for each gene, the least-squares line of its input on the cell's centred log
/// total count (centred_log_depth()), read at the cell's depth: the mean cell of that depth, so
/// an attribution explains a node's change from an average cell as deep as this one, and a
/// node that partly follows depth does not credit every abundant gene with it. At the mean depth
/// it is the mean cell. A model that scales every cell to one total (InputTransform::target_sum
/// > 0) does not see depth: then it is the mean cell for every cell.
/// @param counts  raw counts, cells x genes in model gene order
/// @param input  their transformed input
/// @param transform  the model's input transform
/// @param baseline  which baseline
/// @return the baselines
/// @throws Error when `counts` and `input` differ in shape
template <class T>
CellBaselines<T> cell_baselines(const Csr<T>& counts, const Csr<T>& input, const nn::InputTransform& transform, Baseline baseline) {
    if (counts.rows() != input.rows() || counts.cols() != input.cols())
        throw Error("cell_baselines: counts and input differ in shape");
    CellBaselines<T> b;
    b.mean = baseline_input(input, baseline);
    b.offset = Vector<T>::Zero(input.rows());
    b.slope = RowVector<T>::Zero(input.cols());
    if (baseline != Baseline::depth || transform.target_sum > 0 || input.rows() == 0) return b;
    b.offset = centred_log_depth(counts);
    b.slope = input_slope(input, b.offset);
    return b;
}

} // namespace scae::interpret

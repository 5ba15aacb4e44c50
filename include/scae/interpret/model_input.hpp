#pragma once
/// @file model_input.hpp
/// @brief The input a saliency map is taken against: raw counts turned into what the model's
/// first layer sees, blocks of it as dense rows, and the integrated-gradients baseline.

#include "scae/interpret/method.hpp"
#include "scae/nn/autoencoder.hpp"

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
/// mean over its cells.
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

} // namespace scae::interpret

#pragma once
/// @file filter.hpp
/// @brief Quality filters on a count matrix: genes seen in too few cells, cells with too few counts.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <limits>
#include <string>
#include <vector>

namespace scae::data {

/// For each gene (column), the number of cells (rows) in which its count is nonzero.
/// @param counts  cells x genes; explicitly stored zeros are not counted
/// @param rows    the cells to count (valid rows of `counts`, each once), or null for all
/// @return one count per gene (column)
template <class T>
std::vector<Index> cells_per_gene(const Csr<T>& counts, const std::vector<Index>* rows = nullptr) {
    std::vector<Index> cells(static_cast<std::size_t>(counts.cols()), 0);
    const Index n = rows ? static_cast<Index>(rows->size()) : counts.rows();
    for (Index i = 0; i < n; ++i) {
        for (typename Csr<T>::InnerIterator it(counts, rows ? (*rows)[static_cast<std::size_t>(i)] : i); it; ++it) {
            if (it.value() != T(0)) ++cells[static_cast<std::size_t>(it.col())];
        }
    }
    return cells;
}

/// For each cell (row), the number of genes with a nonzero count.
/// @param counts  cells x genes; explicitly stored zeros are not counted
/// @return one count per cell (row)
template <class T>
std::vector<Index> genes_per_cell(const Csr<T>& counts) {
    std::vector<Index> genes(static_cast<std::size_t>(counts.rows()), 0);
    for (Index r = 0; r < counts.rows(); ++r) {
        Index detected = 0;
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) detected += it.value() != T(0);
        genes[static_cast<std::size_t>(r)] = detected;
    }
    return genes;
}

/// Columns of the genes with a nonzero count in at least `min_cells` cells, ascending
/// (scanpy's `filter_genes(min_cells=...)`).
/// @param counts     cells x genes
/// @param min_cells  fewest cells with a nonzero count a kept gene needs; 0 keeps every gene
/// @param rows       the cells that count (valid rows of `counts`, each once), or null for all
/// @return the kept column indices, ascending
template <class T>
std::vector<Index> genes_in_at_least(const Csr<T>& counts, Index min_cells, const std::vector<Index>* rows = nullptr) {
    const std::vector<Index> cells = cells_per_gene(counts, rows);
    std::vector<Index> kept;
    for (std::size_t g = 0; g < cells.size(); ++g) {
        if (cells[g] >= min_cells) kept.push_back(static_cast<Index>(g));
    }
    return kept;
}

/// Rows of the cells whose total count is at least `min_counts` and which detect at least
/// `min_genes` genes, ascending (scanpy's `filter_cells(min_counts=..., min_genes=...)`).
/// @param counts      cells x genes
/// @param min_counts  smallest total count of a kept cell; 0 disables this test
/// @param min_genes   fewest detected genes of a kept cell; 0 disables this test
/// @return the kept row indices, ascending
template <class T>
std::vector<Index> cells_passing(const Csr<T>& counts, double min_counts, Index min_genes) {
    std::vector<Index> kept;
    for (Index r = 0; r < counts.rows(); ++r) {
        double total = 0;
        Index detected = 0;
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            total += static_cast<double>(it.value());
            detected += it.value() != T(0);
        }
        if (total >= min_counts && detected >= min_genes) kept.push_back(r);
    }
    return kept;
}

/// Throws scae::Error naming the first entry of `counts` that is negative or not finite:
/// every step downstream assumes raw, non-negative counts.
/// @param counts  the matrix to check
/// @param what    the name the message starts with (file or dataset)
/// @throws Error at the first negative, NaN or infinite entry, giving its cell and gene
template <class T>
void require_counts(const Csr<T>& counts, const std::string& what) {
    for (Index r = 0; r < counts.rows(); ++r) {
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            const double v = static_cast<double>(it.value());
            if (!(v >= 0) || v == std::numeric_limits<double>::infinity()) {
                throw Error(what + ": expected non-negative finite counts, found " + std::to_string(v) +
                            " at cell " + std::to_string(r) + ", gene " + std::to_string(it.col()));
            }
        }
    }
}

} // namespace scae::data

#pragma once
/// @file hdf5_matrix.hpp
/// @brief Reads a count matrix stored in HDF5 (compressed sparse over cells or over genes, or
/// dense cells x genes) into cells x genes CSR, slab by slab, checking every index and value.
///
/// Peak memory is the resulting CSR plus one indptr array and two slabs: compressed-over-cells
/// data (Cell Ranger, AnnData CSR) is stored as it streams in; compressed-over-genes data
/// (AnnData CSC) takes a counting pass over the indices first, then places each entry straight
/// into its row, instead of a copy of all triplets. Needs SCAE_HAVE_HDF5.

#include "scae/io/count_matrix.hpp"
#include "scae/io/csr_builder.hpp"
#include "scae/io/hdf5_file.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace scae::io::hdf5 {

/// Which way a sparse matrix of cells x genes is compressed.
enum class Compression {
    over_cells, ///< indptr has one entry per cell + 1, indices are genes (Cell Ranger; AnnData CSR)
    over_genes  ///< indptr has one entry per gene + 1, indices are cells (AnnData CSC)
};

/// Where the three arrays of a sparse matrix live.
struct SparseLocation {
    std::string data;    ///< values
    std::string indices; ///< minor indices
    std::string indptr;  ///< major offsets
};

/// Which genes to keep: `keep[g]` is the new column of gene g, or -1 to leave it out; empty
/// keeps every gene in order.
struct GeneSelection {
    std::vector<int> new_column; ///< one entry per gene of the file, or empty for all
    Index kept = 0;              ///< number of columns of the result
};

/// Keeps the entries of `names` (one per gene of the file) that `selection` keeps, in order.
/// @param names      one name per gene of the file; shortened to the kept genes.
/// @param selection  the genes to keep; empty keeps all.
inline void keep_selected(std::vector<std::string>& names, const GeneSelection& selection) {
    if (selection.new_column.empty()) return;
    std::size_t write = 0;
    for (std::size_t g = 0; g < names.size(); ++g)
        if (selection.new_column[g] >= 0) {
            if (write != g) names[write] = std::move(names[g]);
            ++write;
        }
    names.resize(write);
}

/// What the values of a matrix turned out to be.
struct ValueSummary {
    Field field = Field::integer; ///< the type the dataset stores (integer or floating point)
    bool integer_values = true;   ///< every value is a whole number
    bool negative = false;        ///< some value is below zero (only when negatives were allowed)
    /// True for counts: whole numbers, none negative.
    /// @return integer_values and not negative.
    bool counts() const { return integer_values && !negative; }
};

namespace detail {

/// Checks one value: finite always, non-negative unless allowed, whole when required.
class ValueCheck {
public:
    ValueCheck(const Dataset& dataset, const ReadOptions& options) : dataset_(dataset), options_(options) {
        summary_.field = dataset.kind() == ValueKind::integer ? Field::integer : Field::real;
    }
    void operator()(double v, hsize_t element) {
        if (!std::isfinite(v)) bad(v, element, "is not a finite number; expected counts or expression levels");
        if (v < 0) {
            if (!options_.allow_negative)
                bad(v, element, "is negative; counts cannot be negative (scaled data? choose another matrix with --layer)");
            summary_.negative = true;
        }
        if (summary_.integer_values && v != std::floor(v)) {
            if (options_.require_counts) bad(v, element, "is not a whole number; expected counts");
            summary_.integer_values = false;
        }
    }
    const ValueSummary& summary() const { return summary_; }

private:
    [[noreturn]] void bad(double v, hsize_t element, const char* what) const {
        std::ostringstream s;
        s << "value " << v << " at element " << element << " " << what;
        dataset_.fail(s.str());
    }
    const Dataset& dataset_;
    const ReadOptions& options_;
    ValueSummary summary_;
};

/// Reads and checks an indptr dataset: `majors` + 1 offsets from 0, never decreasing, ending at
/// the number of stored entries.
inline std::vector<std::int64_t> read_indptr(const Dataset& indptr, Index majors, const std::string& major_name,
                                             hsize_t entries) {
    indptr.expect_numbers("offsets");
    if (indptr.kind() != ValueKind::integer) indptr.fail("holds floating-point numbers, expected integer offsets");
    indptr.expect_vector(-1, "offset array");
    if (indptr.shape()[0] != hsize_t(majors) + 1)
        indptr.fail("holds " + std::to_string(indptr.shape()[0]) + " offsets, expected " + std::to_string(majors + 1) + " (" +
                    std::to_string(majors) + " " + major_name + " + 1, from the matrix shape)");
    std::vector<std::int64_t> offsets = indptr.read_all<std::int64_t>();
    if (offsets[0] != 0) indptr.fail("starts at " + std::to_string(offsets[0]) + ", expected 0");
    for (std::size_t k = 1; k < offsets.size(); ++k)
        if (offsets[k] < offsets[k - 1])
            indptr.fail("decreases from " + std::to_string(offsets[k - 1]) + " to " + std::to_string(offsets[k]) + " at element " +
                        std::to_string(k) + ", expected offsets that never decrease");
    if (hsize_t(offsets.back()) != entries)
        indptr.fail("ends at " + std::to_string(offsets.back()) + ", expected " + std::to_string(entries) +
                    " (the number of stored indices and values)");
    return offsets;
}

/// Opens and checks the indices and data of a sparse matrix: one-dimensional, numeric, equally long.
inline void check_entries(const Dataset& indices, const Dataset& data) {
    indices.expect_vector(-1, "index array");
    indices.expect_numbers("indices");
    if (indices.kind() != ValueKind::integer) indices.fail("holds floating-point numbers, expected integer indices");
    data.expect_vector(-1, "value array");
    data.expect_numbers("counts");
    if (data.shape()[0] != indices.shape()[0])
        data.fail("holds " + std::to_string(data.shape()[0]) + " values but " + indices.path() + " holds " +
                  std::to_string(indices.shape()[0]) + " indices, expected one value per index");
}

/// Throws Error unless `entries` entries (all of a matrix, or a block of its cells) fit scae's CSR.
inline void check_entry_count(const Dataset& indices, hsize_t entries, bool block) {
    if (entries > hsize_t(std::numeric_limits<int>::max()))
        indices.fail("holds " + std::to_string(entries) + " entries" + (block ? " for the cells asked for" : "") +
                     ", more than the 2^31 - 1 scae's CSR can index" + (block ? "; read fewer cells at a time" : ""));
}

[[noreturn]] inline void index_out_of_range(const Dataset& indices, std::int64_t value, hsize_t element, Index bound,
                                            const char* minor) {
    indices.fail("index " + std::to_string(value) + " at element " + std::to_string(element) + " is out of range, expected 0 to " +
                 std::to_string(bound - 1) + " (" + std::to_string(bound) + " " + minor + ")");
}

} // namespace detail

/// Reads the sparse matrix at `where` of `file` (`cells` x `genes`, compressed as `compression`)
/// into `out`, keeping the genes `selection` keeps. Returns what the values were. Throws Error
/// naming the file and dataset for a missing dataset, a wrong type, an indptr that disagrees
/// with the shape or decreases, an index out of range, a repeated entry, or a value that is
/// not finite (or negative, or fractional, as `options` say).
/// @param file         the open file.
/// @param where        paths of the data, indices and indptr datasets.
/// @param cells        rows of the matrix, from its declared shape.
/// @param genes        columns of the matrix in the file, from its declared shape.
/// @param compression  whether indptr runs over cells or over genes.
/// @param selection    the genes to keep and their new columns; empty keeps all.
/// @param options      duplicates, allow_negative and require_counts are used.
/// @param out          receives the cells x kept-genes CSR, each row sorted (rows: the cells of `rows`).
/// @param rows         the block of cells to read (default: all). Compressed over cells, only the
///                     block's entries are read and checked (and the whole indptr); compressed over
///                     genes, every entry is read and checked but only the block's are kept.
/// @return the kind of values read.
template <class T>
ValueSummary read_sparse(const File& file, const SparseLocation& where, Index cells, Index genes, Compression compression,
                         const GeneSelection& selection, const ReadOptions& options, Csr<T>& out, RowRange rows = {}) {
    const Dataset data = file.dataset(where.data), indices = file.dataset(where.indices), indptr_set = file.dataset(where.indptr);
    detail::check_entries(indices, data);
    const hsize_t entries = indices.shape()[0];
    const bool by_cells = compression == Compression::over_cells;
    const Index majors = by_cells ? cells : genes, minors = by_cells ? genes : cells;
    const std::vector<std::int64_t> indptr = detail::read_indptr(indptr_set, majors, by_cells ? "cells" : "genes", entries);
    rows = rows.within(cells, file.where(where.indptr));
    const bool block = rows.first != 0 || rows.count != cells;
    // Compressed over cells, the block's entries are one stretch of the arrays.
    const hsize_t from = by_cells ? hsize_t(indptr[std::size_t(rows.first)]) : 0;
    const hsize_t to = by_cells ? hsize_t(indptr[std::size_t(rows.first + rows.count)]) : entries;
    detail::check_entry_count(indices, by_cells ? to - from : entries, by_cells && block);
    const auto column_of = [&](std::int64_t gene) { return selection.new_column.empty() ? int(gene) : selection.new_column[std::size_t(gene)]; };
    const Index columns = selection.new_column.empty() ? genes : selection.kept;

    detail::ValueCheck check(data, options);
    std::vector<std::int64_t> index_slab;
    std::vector<double> value_slab;
    // Calls visit(major, minor, value, element) for every entry in file order, slab by slab.
    const hsize_t slab = indices.slab();
    const auto stream = [&](bool with_values, auto&& visit) {
        Index major = by_cells ? rows.first : 0;
        for (hsize_t start = from; start < to; start += slab) {
            const hsize_t n = std::min(slab, to - start);
            index_slab.resize(n);
            indices.read(start, n, index_slab.data());
            if (with_values) {
                value_slab.resize(n);
                data.read(start, n, value_slab.data());
            }
            for (hsize_t i = 0; i < n; ++i) {
                const hsize_t element = start + i;
                while (hsize_t(indptr[std::size_t(major) + 1]) <= element) ++major;
                const std::int64_t minor = index_slab[i];
                if (minor < 0 || minor >= minors)
                    detail::index_out_of_range(indices, minor, element, minors, by_cells ? "genes" : "cells");
                visit(major, minor, with_values ? value_slab[i] : 0.0, element);
            }
        }
    };

    if (by_cells) {
        CsrBuilder<T> builder(rows.count, columns, Index(to - from));
        stream(true, [&](Index cell, std::int64_t gene, double value, hsize_t element) {
            check(value, element);
            const int column = column_of(gene);
            if (column >= 0) builder.add(int(cell - rows.first), column, T(value));
        });
        if (const auto repeat = builder.finish(options.duplicates))
            indices.fail("lists gene " + std::to_string(repeat->col) + " twice for cell " + std::to_string(repeat->row + rows.first) +
                         ", expected each (cell, gene) once");
        builder.release_into(out);
        out.data().resize(out.nonZeros()); // left-out genes were counted in the allocation only; summed repeats are gone
        return check.summary();
    }

    // Compressed over genes: count each cell's entries first, then place them; genes arrive in
    // order, so every row comes out sorted. A block keeps the entries of its cells only.
    const Index block_rows = rows.count;
    const auto in_block = [&](std::int64_t cell) { return cell >= rows.first && cell - rows.first < block_rows; };
    Csr<T> matrix(block_rows, columns);
    int* outer = matrix.outerIndexPtr();
    stream(false, [&](Index gene, std::int64_t cell, double, hsize_t) {
        if (column_of(gene) >= 0 && in_block(cell)) ++outer[cell - rows.first + 1];
    });
    for (Index c = 0; c < block_rows; ++c) outer[c + 1] += outer[c];
    matrix.resizeNonZeros(outer[block_rows]);
    std::vector<int> next(outer, outer + block_rows);
    int* inner = matrix.innerIndexPtr();
    T* values = matrix.valuePtr();
    stream(true, [&](Index gene, std::int64_t file_cell, double value, hsize_t element) {
        check(value, element);
        const int column = column_of(gene);
        if (column < 0 || !in_block(file_cell)) return;
        const std::int64_t cell = file_cell - rows.first;
        int& slot = next[std::size_t(cell)];
        if (slot > outer[cell] && inner[slot - 1] == column) {
            if (options.duplicates == Duplicates::error)
                indices.fail("lists cell " + std::to_string(file_cell) + " twice for gene " + std::to_string(gene) +
                             ", expected each (cell, gene) once");
            values[slot - 1] += T(value);
            return;
        }
        inner[slot] = column;
        values[slot] = T(value);
        ++slot;
    });
    // Summed repeats leave gaps at row ends: close them.
    int write = 0;
    for (Index c = 0; c < block_rows; ++c) {
        const int begin = outer[c], end = next[std::size_t(c)];
        outer[c] = write;
        for (int k = begin; k < end; ++k, ++write) {
            inner[write] = inner[k];
            values[write] = values[k];
        }
    }
    outer[block_rows] = write;
    matrix.data().resize(write);
    out.swap(matrix);
    return check.summary();
}

/// Reads the dense cells x genes dataset `path` into CSR (zeros left out) in blocks of rows:
/// one pass counts the nonzeros, the second stores them, so the CSR is allocated once.
/// @param file       the open file.
/// @param path       absolute path of the two-dimensional dataset.
/// @param selection  the genes to keep and their new columns; empty keeps all.
/// @param options    allow_negative and require_counts are used.
/// @param out        receives the cells x kept-genes CSR (rows: the cells of `rows`).
/// @param rows       the block of cells to read (default: all); only its rows are read and checked.
/// @return the kind of values read.
/// @throws Error naming the dataset when it is not a two-dimensional numeric dataset, its width differs from the selection, the block leaves it, or a value is rejected.
template <class T>
ValueSummary read_dense(const File& file, const std::string& path, const GeneSelection& selection, const ReadOptions& options,
                        Csr<T>& out, RowRange rows = {}) {
    const Dataset dataset = file.dataset(path);
    dataset.expect_numbers("counts");
    if (dataset.shape().size() != 2)
        dataset.fail("has " + std::to_string(dataset.shape().size()) + " dimensions, expected a cells x genes matrix");
    const Index genes = Index(dataset.shape()[1]);
    rows = rows.within(Index(dataset.shape()[0]), dataset.where());
    const Index cells = rows.count;
    const hsize_t first_row = hsize_t(rows.first);
    if (!selection.new_column.empty() && Index(selection.new_column.size()) != genes)
        dataset.fail("has " + std::to_string(genes) + " columns, expected " + std::to_string(selection.new_column.size()) + " genes");
    const Index columns = selection.new_column.empty() ? genes : selection.kept;
    const hsize_t block = dataset.row_block();
    std::vector<double> values;
    detail::ValueCheck check(dataset, options);
    const auto stream = [&](auto&& visit) {
        for (hsize_t first = 0; first < hsize_t(cells); first += block) {
            const hsize_t n = std::min(block, hsize_t(cells) - first);
            values.resize(n * hsize_t(genes));
            dataset.read_rows(first_row + first, n, values.data());
            for (hsize_t r = 0; r < n; ++r)
                for (Index g = 0; g < genes; ++g) {
                    const double v = values[r * hsize_t(genes) + hsize_t(g)];
                    const int column = selection.new_column.empty() ? int(g) : selection.new_column[std::size_t(g)];
                    if (column >= 0 && v != 0) visit(int(first + r), column, v, (first_row + first + r) * hsize_t(genes) + hsize_t(g));
                }
        }
    };
    long long nonzeros = 0;
    stream([&](int, int, double v, hsize_t element) {
        check(v, element);
        ++nonzeros;
    });
    if (nonzeros > std::numeric_limits<int>::max())
        dataset.fail("holds " + std::to_string(nonzeros) + " nonzero values, more than the 2^31 - 1 scae's CSR can index");
    CsrBuilder<T> builder(cells, columns, Index(nonzeros));
    stream([&](int cell, int column, double v, hsize_t) { builder.add(cell, column, T(v)); });
    builder.finish(Duplicates::error);
    builder.release_into(out);
    return check.summary();
}

/// Scans the stored values of dataset `path` (sparse data or a dense matrix) slab by slab,
/// without building anything: tells whether they are counts. Throws Error for values that are
/// not finite or a dataset that does not hold numbers.
/// @param file  the open file.
/// @param path  absolute path of the values dataset (one- or two-dimensional).
/// @param stop_early  stop at the first value that is not a count (default); false scans every
/// value, so that `negative` and `integer_values` describe them all.
/// @return the kind of values seen.
inline ValueSummary scan_values(const File& file, const std::string& path, bool stop_early = true) {
    const Dataset dataset = file.dataset(path);
    dataset.expect_numbers("counts");
    ReadOptions permissive;
    permissive.allow_negative = true;
    detail::ValueCheck check(dataset, permissive);
    const hsize_t total = dataset.size();
    std::vector<double> slab;
    if (dataset.shape().size() == 1) {
        const hsize_t step = dataset.slab();
        for (hsize_t start = 0; start < total; start += step) {
            const hsize_t n = std::min(step, total - start);
            slab.resize(n);
            dataset.read(start, n, slab.data());
            for (hsize_t i = 0; i < n; ++i) check(slab[i], start + i);
            if (stop_early && !check.summary().counts()) break;
        }
    } else if (dataset.shape().size() == 2) {
        const hsize_t width = std::max<hsize_t>(1, dataset.shape()[1]);
        const hsize_t block = dataset.row_block();
        for (hsize_t first = 0; first < dataset.shape()[0]; first += block) {
            const hsize_t n = std::min(block, dataset.shape()[0] - first);
            slab.resize(n * width);
            dataset.read_rows(first, n, slab.data());
            for (hsize_t i = 0; i < slab.size(); ++i) check(slab[i], first * width + i);
            if (stop_early && !check.summary().counts()) break;
        }
    } else {
        dataset.fail("has " + std::to_string(dataset.shape().size()) + " dimensions, expected values or a cells x genes matrix");
    }
    return check.summary();
}

} // namespace scae::io::hdf5

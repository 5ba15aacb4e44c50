#pragma once
/// @file count_matrix.hpp
/// @brief The result of every count reader (`CountMatrix`) and the options they share.

#include "scae/core/enum_names.hpp"
#include "scae/core/types.hpp"

#include <string>
#include <type_traits>
#include <vector>

namespace scae::io {

/// What a reader does when a sparse file lists the same (row, column) more than once.
enum class Duplicates {
    error, ///< throw an Error naming both lines (default: repeats usually mean a broken file)
    sum    ///< add the values, as scipy's `tocsr()` does
};

/// The names of Duplicates on the command line (`--duplicates`).
inline constexpr EnumNames<Duplicates, 2> duplicates_names{{{Duplicates::error, "error"}, {Duplicates::sum, "sum"}}};

/// Which way round a file stores the matrix. 10x directories are always genes x cells.
enum class Layout {
    genes_by_cells, ///< one row per gene, one column per cell (10x, most Smart-seq tables)
    cells_by_genes, ///< one row per cell, one column per gene (pandas, AnnData's to_df())
    automatic       ///< a table: told from its row and column names where they make it clear
                    ///< (io::decide_layout), else genes x cells, said in CountMatrix::source;
                    ///< a bare .mtx (no names): genes x cells, said likewise
};

/// The names of Layout on the command line (`--layout`).
inline constexpr EnumNames<Layout, 3> layout_names{
    {{Layout::automatic, "auto"}, {Layout::genes_by_cells, "genes-by-cells"}, {Layout::cells_by_genes, "cells-by-genes"}}};

/// The names of the dense-table separators ReadOptions::delimiter takes (`--delimiter`).
inline constexpr EnumNames<char, 2> delimiter_names{{{'\t', "tab"}, {',', "comma"}}};

/// The value type a Matrix Market banner declares.
enum class Field {
    integer, ///< every value must be a whole number
    real     ///< any finite number; CountMatrix::integer_values tells whether all were whole
};

/// The banner word for `field` ("integer" or "real").
/// @param field  the field.
/// @return "integer" or "real".
inline const char* to_string(Field field) { return field == Field::integer ? "integer" : "real"; }

/// Options shared by the count readers. Each field says which readers use it.
struct ReadOptions {
    /// Repeated (row, column) entries in Matrix Market files. Default: error.
    Duplicates duplicates = Duplicates::error;
    /// Orientation of a bare Matrix Market file or a dense table. Default automatic: a table's
    /// names decide where they are clear (io::decide_layout), otherwise genes x cells is assumed
    /// and CountMatrix::source says so. read_10x ignores it: 10x matrices are genes x cells by
    /// definition; HDF5 files say their own orientation.
    Layout layout = Layout::automatic;
    /// Require every value to be a whole number (a count) even in `real` files and dense tables.
    /// Default false: fractional values are accepted and reported through
    /// CountMatrix::integer_values (log-normalised or FPKM data reads fine).
    bool require_counts = false;
    /// Accept negative values. Default false: counts and expression levels cannot be negative,
    /// so a negative value is reported as an error.
    bool allow_negative = false;
    /// Field separator of dense tables; 0 (default) means ',' for names ending in .csv or
    /// .csv.gz and a tab otherwise.
    char delimiter = 0;
    /// HDF5 inputs: the genome of a Cell Ranger file with several ("" default: the only one;
    /// several are an error that lists them).
    std::string genome;
    /// HDF5 inputs: the feature types to keep (Cell Ranger feature_type, AnnData feature_types).
    /// Default {"Gene Expression"}; empty keeps every feature.
    std::vector<std::string> feature_types = {"Gene Expression"};
    /// AnnData inputs: "X", "raw" (raw/X) or the name of a layer. Default "": X when it holds
    /// counts, otherwise raw/X or layers/counts when they do.
    std::string layer;
};

/// A block of consecutive cells to read: rows [first, first + count) of the matrix. The default
/// (count -1) reads every cell.
struct RowRange {
    Index first = 0;  ///< first cell (row) to read
    Index count = -1; ///< cells to read; -1 (default): every cell from `first` on

    /// The range over a matrix of `cells` rows, with count resolved; throws Error (prefixed by
    /// `where`) when it leaves the matrix.
    /// @param cells  rows of the matrix
    /// @param where  "FILE:/path", for the message
    /// @return the range with 0 <= first, count >= 0 and first + count <= cells
    RowRange within(Index cells, const std::string& where) const {
        RowRange r{first, count < 0 ? cells - first : count};
        if (first < 0 || r.count < 0 || first > cells || r.count > cells - first)
            throw Error(where + ": cells " + std::to_string(first) + " to " + std::to_string(static_cast<long long>(first) + r.count) +
                        " asked for, but the matrix has " + std::to_string(cells));
        return r;
    }
};

/// Which block of a file's cells a reader reads: the cells are cut into `parts` consecutive
/// blocks of near-equal size, in file order, and block `part` is read (an MPI rank reads block
/// `rank` of `ranks`). The default reads every cell.
struct SlabOptions {
    int part = 0;  ///< the block to read, 0 .. parts - 1 (default 0)
    int parts = 1; ///< blocks the cells are cut into (default 1: the whole matrix)

    /// True when the whole matrix is read.
    /// @return parts == 1
    bool whole() const { return parts == 1; }
    /// Block `part` of a matrix of `cells` rows: rows [cells part / parts, cells (part + 1) / parts).
    /// @param cells  rows of the matrix
    /// @return the block
    /// @throws Error unless 0 <= part < parts
    RowRange range(Index cells) const {
        if (parts < 1 || part < 0 || part >= parts)
            throw Error("reading a block of cells: block " + std::to_string(part) + " of " + std::to_string(parts) +
                        " asked for, expected 0 <= block < blocks");
        const long long n = cells;
        const Index first = Index(n * part / parts);
        return {first, Index(n * (part + 1) / parts) - first};
    }
};

/// A count matrix with its names, as read from disk. Readers return it by value and only on
/// success, so a broken file never leaves a half-filled result behind.
///
/// Eigen 3.4's SparseMatrix has no move constructor, so `std::move` of a CountMatrix copies
/// `counts`; hand the matrix on with `counts.swap(other)` where the copy would matter.
template <class T = float>
struct CountMatrix {
    static_assert(std::is_floating_point_v<T>, "CountMatrix holds float or double values");

    /// Cells x genes, each row's column indices sorted and unique.
    Csr<T> counts;
    /// One ID per gene (column 1 of features.tsv; the row name of a dense table). Empty for a
    /// bare Matrix Market file, which carries no names.
    std::vector<std::string> gene_ids;
    /// One symbol per gene (column 2 of features.tsv; the ID again where there is none).
    std::vector<std::string> gene_symbols;
    /// One feature type per gene (column 3 of a v3 features.tsv; "Gene Expression" otherwise).
    std::vector<std::string> feature_types;
    /// One barcode (cell name) per cell, in row order.
    std::vector<std::string> barcodes;
    /// The value type the file declares; dense tables declare none and read as `real`.
    Field field = Field::integer;
    /// True when every value read is a whole number.
    bool integer_values = true;
    /// Which matrix of the input was read and why, for people ("/raw/X: X is not counts ...");
    /// empty for inputs that hold one matrix.
    std::string source;

    /// Number of cells (rows).
    /// @return rows of `counts`.
    Index cells() const { return counts.rows(); }
    /// Number of genes (columns).
    /// @return columns of `counts`.
    Index genes() const { return counts.cols(); }
};

} // namespace scae::io

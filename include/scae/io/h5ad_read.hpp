#pragma once
/// @file h5ad_read.hpp
/// @brief Reads the counts of an AnnData `.h5ad` file: X, raw/X or a layer, stored as CSR, CSC
/// or a dense array of any numeric type, in any AnnData layout (current encoding, 0.7, before
/// 0.7), with cell names from obs and gene IDs and symbols from var. Needs SCAE_HAVE_HDF5.

#include "scae/io/count_matrix.hpp"
#include "scae/io/h5ad_frame.hpp"
#include "scae/io/hdf5_file.hpp"
#include "scae/io/hdf5_matrix.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace scae::io {

namespace h5ad {

/// Where one matrix of an AnnData file lives and how it is stored.
struct MatrixLocation {
    std::string path;   ///< "/X", "/raw/X", "/layers/counts", ...
    std::string var;    ///< the frame that names its genes ("/var" or "/raw/var")
    std::string values; ///< the dataset of its stored values (dense array or sparse data)
    bool dense = false; ///< a dense cells x genes dataset
    hdf5::Compression compression = hdf5::Compression::over_cells; ///< sparse: CSR or CSC
    Index cells = 0;    ///< rows
    Index genes = 0;    ///< columns
};

/// Describes the matrix at `path` (genes named by `var`), or nothing when there is none.
/// Throws Error for a group that is neither CSR nor CSC or has no valid shape.
/// @param file  the open AnnData file.
/// @param path  absolute path of the matrix (a dense dataset or a sparse group).
/// @param var   the frame that names its genes.
/// @return where its values are and its shape; nothing when `path` does not exist.
inline std::optional<MatrixLocation> locate(const hdf5::File& file, const std::string& path, const std::string& var) {
    if (!file.exists(path)) return std::nullopt;
    MatrixLocation m;
    m.path = path;
    m.var = var;
    if (file.is_dataset(path)) {
        const hdf5::Dataset dataset = file.dataset(path);
        if (dataset.shape().size() != 2)
            dataset.fail("has " + std::to_string(dataset.shape().size()) + " dimensions, expected a cells x genes matrix");
        m.dense = true;
        m.values = path;
        m.cells = Index(dataset.shape()[0]);
        m.genes = Index(dataset.shape()[1]);
        return m;
    }
    const hdf5::Id group = file.open_group(path);
    const hdf5::Attributes attributes(group.get(), file.where(path));
    std::string format = attributes.string_or("encoding-type", attributes.string_or("h5sparse_format", ""));
    if (format == "csr_matrix" || format == "csr") {
        m.compression = hdf5::Compression::over_cells;
    } else if (format == "csc_matrix" || format == "csc") {
        m.compression = hdf5::Compression::over_genes;
    } else {
        file.fail_at(path, "is a group of encoding '" + format + "', expected a sparse matrix (csr_matrix or csc_matrix)");
    }
    const char* shape_name = attributes.has("shape") ? "shape" : "h5sparse_shape";
    if (!attributes.has(shape_name)) file.fail_at(path, "has no 'shape' attribute, expected the (cells, genes) shape");
    const std::vector<long long> shape = attributes.integers(shape_name);
    if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0 || shape[0] > std::numeric_limits<int>::max() ||
        shape[1] > std::numeric_limits<int>::max())
        file.fail_at(path, "has a 'shape' attribute of " + std::to_string(shape.size()) +
                               " values, expected (cells, genes) below 2^31");
    m.cells = Index(shape[0]);
    m.genes = Index(shape[1]);
    m.values = path + "/data";
    return m;
}

/// raw/X with raw/var, or the names AnnData before 0.7 used (raw.X, raw.var).
/// @param file  the open AnnData file.
/// @return the raw matrix; nothing when the file has none.
/// @throws Error as locate() throws.
inline std::optional<MatrixLocation> locate_raw(const hdf5::File& file) {
    if (auto m = locate(file, "/raw/X", "/raw/var")) return m;
    return locate(file, "/raw.X", "/raw.var");
}

/// Names of the layers of the file.
/// @param file  the open AnnData file.
/// @return the children of /layers in file order; empty when there is no /layers group.
inline std::vector<std::string> layer_names(const hdf5::File& file) {
    return file.is_group("/layers") ? file.children("/layers") : std::vector<std::string>{};
}

/// The first of `names` that `frame` has as a column, or "".
/// @param frame  the data frame to look in.
/// @param names  candidate column names, in order of preference.
/// @return the first that exists; "" when none does.
inline std::string first_column(const Frame& frame, std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (frame.has(name)) return name;
    return "";
}

/// The matrix `options.layer` asks for; for the default, X when it holds counts, otherwise the
/// first of raw/X and layers/counts that does, otherwise X. `values_of_x` tells what X's values
/// are (the caller reads X with it, so that X is read once when it holds counts); the others
/// are scanned. `why` says what was chosen and why.
/// @param file         the open AnnData file.
/// @param options      its `layer` ("", "X", "raw" or a layer name) and allow_negative are used.
/// @param why          set to the reason when the default picks a matrix other than X or keeps X that is not counts; left alone otherwise.
/// @param values_of_x  called once with X's location to read it, returning a summary of its values.
/// @return the chosen matrix.
/// @throws Error naming the matrix when the one asked for is missing, or when X holds negative values, no counts were found and negative values are not allowed.
template <class ValuesOfX>
MatrixLocation choose_matrix(const hdf5::File& file, const ReadOptions& options, std::string& why, ValuesOfX&& values_of_x) {
    const std::string& layer = options.layer;
    const auto x = locate(file, "/X", "/var");
    if (layer == "X") {
        if (!x) file.fail_at("/X", "no such matrix (AnnData files may leave X out); choose a layer with --layer raw|NAME");
        return *x;
    }
    if (layer == "raw") {
        const auto raw = locate_raw(file);
        if (!raw) file.fail_at("/raw/X", "no such matrix: the file has no raw counts; choose --layer X or a layer");
        return *raw;
    }
    if (!layer.empty()) {
        const auto named = locate(file, "/layers/" + layer, "/var");
        if (!named) {
            std::string names;
            for (const std::string& n : layer_names(file)) names += (names.empty() ? "'" : ", '") + n + "'";
            file.fail_at("/layers/" + layer, "no such layer; the file has " + (names.empty() ? std::string("none") : names) +
                                                 " (or use --layer X or raw)");
        }
        return *named;
    }
    const auto describe = [](const hdf5::ValueSummary& s) {
        return std::string(s.negative ? "negative values" : "non-integer values");
    };
    std::optional<hdf5::ValueSummary> x_values;
    if (x) {
        x_values = values_of_x(*x);
        if (x_values->counts()) return *x;
    }
    std::vector<std::optional<MatrixLocation>> candidates = {locate_raw(file)};
    for (const char* name : {"counts", "raw_counts"}) candidates.push_back(locate(file, std::string("/layers/") + name, "/var"));
    std::string tried;
    for (const auto& candidate : candidates) {
        if (!candidate) continue;
        const hdf5::ValueSummary s = hdf5::scan_values(file, candidate->values);
        if (s.counts() && candidate->cells > 0 && candidate->genes > 0) {
            why = x ? "X holds " + describe(*x_values) + ", " + candidate->path.substr(1) + " holds counts" : "the file has no X";
            return *candidate;
        }
        tried += ", " + candidate->path.substr(1) + " holds " + describe(s);
    }
    if (!x) file.fail_at("/X", "no such matrix and no raw counts; choose a layer with --layer NAME");
    if (x_values->negative && !options.allow_negative)
        file.fail_at("/X", "holds negative values (scaled data?) and no counts were found" +
                               (tried.empty() ? std::string(" (no raw/X or layers/counts)") : " (" + tried.substr(2) + ")") +
                               "; choose a matrix of counts with --layer raw|NAME");
    why = "not counts: X holds " + describe(*x_values) + (tried.empty() ? ", and the file has no raw/X or layers/counts" : tried);
    return *x;
}

/// Gene IDs, symbols and feature types of the genes of `var`, from the usual columns.
struct GeneNames {
    std::vector<std::string> ids;     ///< gene ids (e.g. Ensembl), one per var row
    std::vector<std::string> symbols; ///< gene symbols; empty when var has no symbol column
    std::vector<std::string> types;   ///< feature types; empty when var has none
};

/// Reads `var`'s names: IDs from gene_ids (or gene_id, ensembl_id, feature_id, ...) else the
/// index; symbols from gene_symbols (or gene_symbol, feature_name, gene_name, ...) else the index.
/// @param file  the open AnnData file.
/// @param var   the frame of the genes ("/var" or "/raw/var").
/// @return one ID, symbol and type per var row (a missing ID or symbol falls back on the index; types default to "Gene Expression").
/// @throws Error when the frame or a column cannot be read.
inline GeneNames read_gene_names(const hdf5::File& file, const std::string& var) {
    const Frame frame(file, var);
    GeneNames names;
    const std::vector<std::string> index = frame.index();
    const std::string id_column =
        first_column(frame, {"gene_ids", "gene_id", "ensembl_id", "ensembl_ids", "feature_id", "feature_ids", "gene_ensembl_id"});
    const std::string symbol_column = first_column(
        frame, {"gene_symbols", "gene_symbol", "feature_name", "feature_names", "gene_name", "gene_names"});
    const std::string type_column = first_column(frame, {"feature_types", "feature_type"});
    names.ids = id_column.empty() ? index : frame.column(id_column);
    names.symbols = symbol_column.empty() ? index : frame.column(symbol_column);
    for (std::size_t g = 0; g < index.size(); ++g) { // a missing entry falls back on the index
        if (g < names.ids.size() && names.ids[g].empty()) names.ids[g] = index[g];
        if (g < names.symbols.size() && names.symbols[g].empty()) names.symbols[g] = index[g];
    }
    if (!type_column.empty()) names.types = frame.column(type_column);
    if (names.types.size() != index.size()) names.types.assign(index.size(), "Gene Expression");
    return names;
}

} // namespace h5ad

/// True when `file` looks like an AnnData file (an X, obs or var at the root).
/// @param file  the open HDF5 file.
/// @return whether it has /obs and one of /X, /var or /layers.
inline bool is_h5ad(const hdf5::File& file) {
    return file.exists("/obs") && (file.exists("/X") || file.exists("/var") || file.exists("/layers"));
}

/// Reads counts from an AnnData file: the matrix `options.layer` names (default: X when it
/// holds counts, else raw/X or layers/counts when they do, else X), obs names as barcodes, var
/// names as genes. Keeps the features of `options.feature_types` when var has Cell Ranger
/// feature types. CountMatrix::source says which matrix was read and why. Throws Error naming
/// the dataset for anything inconsistent or malformed.
///
/// With a `slab`, only that block of the cells is read (CSR and dense matrices read its rows
/// only; a CSC matrix is streamed whole and its block kept): the result holds the block's cells
/// and their barcodes. The matrix is chosen as for the whole file, by scanning every value of X
/// (so every block of a file reads the same matrix); values are checked in the block's entries.
/// @param file     the open AnnData file.
/// @param options  layer, feature types and what values are accepted.
/// @param slab     the block of cells to read (default: all).
/// @param file_cells  when not null, receives the cells of the whole matrix.
/// @return the counts, cells x genes, with names and CountMatrix::source.
/// @throws Error naming the dataset when the matrix, names or values are inconsistent or malformed.
template <class T = float>
CountMatrix<T> read_h5ad(const hdf5::File& file, const ReadOptions& options = {}, const SlabOptions& slab = {},
                         Index* file_cells = nullptr) {
    CountMatrix<T> result;
    Index left_out = 0;
    // Reads matrix m with its names into result.
    const auto read = [&](const h5ad::MatrixLocation& m, const ReadOptions& read_options) {
        result = CountMatrix<T>();
        left_out = 0;
        result.barcodes = h5ad::Frame(file, "/obs").index();
        h5ad::GeneNames genes = h5ad::read_gene_names(file, m.var);
        if (Index(result.barcodes.size()) != m.cells)
            file.fail_at(m.path, "has " + std::to_string(m.cells) + " rows but /obs names " + std::to_string(result.barcodes.size()) +
                                     " cells, expected one row per cell");
        if (Index(genes.ids.size()) != m.genes)
            file.fail_at(m.path, "has " + std::to_string(m.genes) + " columns but " + m.var + " names " + std::to_string(genes.ids.size()) +
                                     " genes, expected one column per gene");
        const RowRange rows = slab.range(m.cells);
        if (!slab.whole()) {
            result.barcodes.erase(result.barcodes.begin() + rows.first + rows.count, result.barcodes.end());
            result.barcodes.erase(result.barcodes.begin(), result.barcodes.begin() + rows.first);
        }
        if (file_cells) *file_cells = m.cells;

        // Cell Ranger feature types survive scanpy's read_10x_h5(gex_only=False): keep the same
        // ones as for the .h5. A var column of other vocabularies (biotypes) is left alone.
        hdf5::GeneSelection selection;
        if (!options.feature_types.empty()) {
            std::vector<int> column(genes.types.size(), -1);
            for (std::size_t g = 0; g < genes.types.size(); ++g)
                if (std::find(options.feature_types.begin(), options.feature_types.end(), genes.types[g]) != options.feature_types.end())
                    column[g] = int(selection.kept++);
            left_out = Index(genes.types.size()) - selection.kept;
            if (selection.kept > 0 && left_out > 0) {
                selection.new_column = std::move(column);
            } else {
                left_out = 0;
            }
        }
        const hdf5::ValueSummary summary =
            m.dense ? hdf5::read_dense<T>(file, m.path, selection, read_options, result.counts, rows)
                    : hdf5::read_sparse<T>(file, {m.path + "/data", m.path + "/indices", m.path + "/indptr"}, m.cells, m.genes,
                                           m.compression, selection, read_options, result.counts, rows);
        result.field = summary.field;
        result.integer_values = summary.integer_values;
        hdf5::keep_selected(genes.ids, selection);
        hdf5::keep_selected(genes.symbols, selection);
        hdf5::keep_selected(genes.types, selection);
        result.gene_ids = std::move(genes.ids);
        result.gene_symbols = std::move(genes.symbols);
        result.feature_types = std::move(genes.types);
        result.source = m.path + (m.dense ? " (dense)" : m.compression == hdf5::Compression::over_cells ? " (CSR)" : " (CSC)");
        return summary;
    };
    // The default reads X as it is, whatever its values, and keeps it when it holds counts. A
    // block of cells cannot tell for the whole file: every value of X is scanned instead.
    std::optional<hdf5::ValueSummary> x_read, x_scanned;
    const auto read_x = [&](const h5ad::MatrixLocation& x) {
        if (!slab.whole()) return *(x_scanned = hdf5::scan_values(file, x.values, false));
        ReadOptions permissive = options;
        permissive.allow_negative = true;
        permissive.require_counts = false;
        x_read = read(x, permissive);
        return *x_read;
    };
    std::string why;
    const h5ad::MatrixLocation m = h5ad::choose_matrix(file, options, why, read_x);
    const std::optional<hdf5::ValueSummary>& x_values = x_read ? x_read : x_scanned;
    if (x_values && m.path == "/X" && options.require_counts && !x_values->integer_values)
        file.fail_at("/X", "holds non-integer values, expected counts (and neither raw/X nor layers/counts holds them)");
    if (!(x_read && m.path == "/X")) read(m, options);
    if (!why.empty()) result.source += ": " + why;
    if (left_out > 0)
        result.source += "; left out " + std::to_string(left_out) + " features of other types (--feature-types all keeps them)";
    return result;
}

} // namespace scae::io

#pragma once
/// @file dense_table.hpp
/// @brief Reads a dense text table (TSV or CSV, plain or gzip) of counts, as Smart-seq data is
/// often shared: a header row of column names, then one row name and one value per column.

#include "scae/core/error.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/orientation.hpp"
#include "scae/io/tenx.hpp"
#include "scae/io/values.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace scae::io {

namespace detail {

/// `name` without one pair of surrounding double quotes (as R's write.csv writes names).
inline std::string_view unquote(std::string_view name) {
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') return name.substr(1, name.size() - 2);
    return name;
}

inline bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// A dense table's data rows as read, before its orientation is known: each row's name, line
/// and nonzero values (in file order), and the nonzeros per column.
template <class T>
struct DenseRows {
    /// One nonzero value.
    struct Entry {
        int index; ///< column of the file
        T value;
    };
    std::deque<Entry> entries; ///< every row's nonzeros in file order; grows in blocks: no reallocation peak
    std::vector<std::string> names; ///< row names
    std::vector<int> sizes;         ///< nonzeros per row
    std::vector<long long> lines;   ///< each row's line in the file
    std::vector<int> column_sizes;  ///< nonzeros per column
    std::size_t columns = 0;        ///< values per row
    bool header_has_corner = true;  ///< whether line 1 starts with a corner cell
};

/// Reads the data rows after the header line (`header`, with `header_fields` fields); blank
/// lines are skipped. Throws on a row with the wrong number of fields, a bad value or too many.
template <class T>
DenseRows<T> read_dense_rows(LineReader& reader, const std::string& path, const std::string& header, std::size_t header_fields,
                             char delimiter, const ReadOptions& options, bool& integer_values) {
    DenseRows<T> rows;
    std::string_view line;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        const std::size_t n_fields = 1 + static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter));
        if (rows.names.empty()) {
            rows.header_has_corner = n_fields == header_fields;
            if (!rows.header_has_corner && n_fields != header_fields + 1)
                reader.fail("found " + std::to_string(n_fields) + " fields, expected " + std::to_string(header_fields + 1) +
                            " (a row name and one value per name of line 1)");
            rows.columns = rows.header_has_corner ? header_fields - 1 : header_fields;
            if (rows.columns == 0 || (rows.columns == 1 && !rows.header_has_corner && header.empty()))
                fail(path, 1, "found no column names, expected names separated by " +
                                  std::string(delimiter == '\t' ? "tabs" : std::string("'") + delimiter + "'") +
                                  " (is the delimiter right?)");
            if (rows.columns > static_cast<std::size_t>(std::numeric_limits<int>::max() - 1))
                fail(path, 1, "found " + std::to_string(rows.columns) + " columns, expected fewer than 2147483647");
            rows.column_sizes.assign(rows.columns, 0);
        }
        if (n_fields != rows.columns + 1)
            reader.fail("found " + std::to_string(n_fields) + " fields, expected " + std::to_string(rows.columns + 1) +
                        " (a row name and one value per column)");
        std::size_t stop = line.find(delimiter);
        const std::string_view row_name = line.substr(0, stop);
        reader.require_utf8(row_name, "the row name");
        rows.names.emplace_back(unquote(row_name));
        rows.lines.push_back(reader.line_number());
        if (rows.names.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() - 1))
            reader.fail("found more than 2147483646 rows, expected fewer (scae indexes rows with int)");
        int nonzeros = 0;
        for (std::size_t c = 0; c < rows.columns; ++c) {
            const std::size_t begin = stop + 1;
            stop = line.find(delimiter, begin);
            const std::string_view field = line.substr(begin, stop == std::string_view::npos ? std::string_view::npos : stop - begin);
            const T value = parse_value<T>(field, Field::real, options, reader, integer_values);
            if (value == T(0)) continue;
            rows.entries.push_back({static_cast<int>(c), value});
            ++rows.column_sizes[c];
            ++nonzeros;
        }
        if (rows.entries.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            reader.fail("found more than 2147483647 nonzero values, expected fewer (scae indexes sparse values with int)");
        rows.sizes.push_back(nonzeros);
    }
    if (rows.names.empty()) fail(path, reader.line_number(), "found no data rows, expected rows after the header line");
    return rows;
}

/// Moves the rows' nonzeros into `counts`, cells x genes: the file's rows are genes when
/// `rows_are_genes`, else cells.
template <class T>
void dense_rows_to_csr(DenseRows<T>& rows, Index genes, bool rows_are_genes, Csr<T>& counts) {
    const std::vector<int>& cell_sizes = rows_are_genes ? rows.column_sizes : rows.sizes;
    const Index cells = static_cast<Index>(cell_sizes.size());
    counts.resize(cells, genes);
    counts.data().resize(static_cast<Index>(rows.entries.size()));
    int* outer = counts.outerIndexPtr();
    int* inner = counts.innerIndexPtr();
    T* values = counts.valuePtr();
    for (Index c = 0; c < cells; ++c) outer[c + 1] = outer[c] + cell_sizes[static_cast<std::size_t>(c)];
    std::vector<int> next(outer, outer + cells);
    for (std::size_t row = 0; row < rows.sizes.size(); ++row) {
        for (int k = 0; k < rows.sizes[row]; ++k) {
            const auto entry = rows.entries.front();
            rows.entries.pop_front();
            const int cell = rows_are_genes ? entry.index : static_cast<int>(row);
            const int slot = next[static_cast<std::size_t>(cell)]++;
            inner[slot] = rows_are_genes ? static_cast<int>(row) : entry.index;
            values[slot] = entry.value;
        }
    }
}

} // namespace detail

/// Reads a dense table into cells x genes CSR, keeping only nonzero values.
///
/// Line 1 holds the column names; it may start with a corner cell (for example "gene") or, as R
/// writes it, leave it out. Every other line is a row name and one value per column.
/// `options.layout` says whether rows are genes or cells (default automatic: the names decide where
/// they are clear, see io::decide_layout, and CountMatrix::source says how it was read); `options.delimiter` picks
/// the separator (default: ',' for .csv/.csv.gz, tab otherwise). Blank lines are skipped.
/// Genes get their row or column name as both ID and symbol. Peak memory is about twice the
/// final CSR: the nonzeros are kept in file order until all are known.
/// Throws Error for an empty file, a row with the wrong number of fields, a bad value, or a
/// repeated cell name.
/// @param path     the table, plain or gzip.
/// @param options  layout, delimiter and what values are accepted; duplicates and HDF5 fields do not apply.
/// @return the counts, cells x genes, with gene and cell names.
/// @throws Error naming the file and line on any problem with its contents, or when it cannot be opened.
template <class T = float>
CountMatrix<T> read_dense_table(const std::string& path, const ReadOptions& options = {}) {
    const char delimiter = options.delimiter ? options.delimiter
                           : detail::ends_with(path, ".csv") || detail::ends_with(path, ".csv.gz") ? ','
                                                                                                     : '\t';
    LineReader reader(path);
    std::string_view line;
    if (!reader.next(line)) fail(path, 0, "empty file; expected a header row of column names");
    reader.require_utf8(line, "the header line");
    // The header is kept as one string and cut into names only once the data rows confirm them,
    // so a huge header over no data costs its bytes, not tens of bytes per name.
    const std::string header(line);
    const std::size_t header_fields = 1 + static_cast<std::size_t>(std::count(header.begin(), header.end(), delimiter));
    CountMatrix<T> result;
    result.field = Field::real;
    detail::DenseRows<T> rows = detail::read_dense_rows<T>(reader, path, header, header_fields, delimiter, options, result.integer_values);
    std::vector<std::string> column_names;
    column_names.reserve(rows.columns);
    {
        std::vector<std::string_view> fields;
        split(header, delimiter, fields);
        for (std::size_t f = rows.header_has_corner ? 1 : 0; f < fields.size(); ++f) column_names.emplace_back(detail::unquote(fields[f]));
    }

    const Orientation orientation = decide_layout(rows.names, column_names, options.layout);
    result.source = orientation.note;
    const bool rows_are_genes = orientation.layout == Layout::genes_by_cells;
    const Index genes = static_cast<Index>(rows_are_genes ? rows.names.size() : column_names.size());
    detail::dense_rows_to_csr(rows, genes, rows_are_genes, result.counts);
    std::vector<std::string>& cell_names = rows_are_genes ? column_names : rows.names;
    if (const auto repeat = detail::find_repeat(cell_names)) {
        const std::string name = in_quotes(cell_names[repeat->second]);
        if (rows_are_genes)
            fail(path, 1, "found the cell name " + name + " in columns " + std::to_string(repeat->first + 1) +
                              " and " + std::to_string(repeat->second + 1) + ", expected each cell name once");
        fail(path, rows.lines[repeat->second],
             "found the cell name " + name + " again (first on line " +
                 std::to_string(rows.lines[repeat->first]) + "), expected each cell name once");
    }
    result.gene_ids = rows_are_genes ? rows.names : column_names;
    result.gene_symbols = result.gene_ids;
    result.feature_types.assign(result.gene_ids.size(), "Gene Expression");
    result.barcodes = std::move(cell_names);
    return result;
}

} // namespace scae::io

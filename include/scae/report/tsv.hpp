#pragma once
/// @file tsv.hpp
/// @brief The text of tab-separated tables with a header row (the one TSV writer: files are
/// then written whole with scae::write_text_atomically), in a form R (read.delim) and pandas (read_csv(sep="\t")) read unchanged:
/// fields never contain tabs or line breaks, numbers use %.6g by default,
/// non-finite numbers are written NaN, Inf and -Inf.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace scae::report {

/// Formatting of numbers in TSV output.
struct TsvOptions {
    /// Significant digits of each number (printf %.*g); 6 keeps files small,
    /// 17 round-trips a double exactly.
    int significant_digits = 6;
};

/// `text` made safe as one TSV field: tabs, carriage returns and newlines
/// become spaces.
/// @param text any text
/// @return the cleaned field
inline std::string tsv_field(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return out;
}

/// `value` as a TSV field with `significant_digits` digits (%g style).
/// @param value any number
/// @param significant_digits digits of %g
/// @return the formatted number, or NaN, Inf, -Inf
inline std::string tsv_number(double value, int significant_digits = 6) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g", significant_digits, value);
    return buffer;
}

/// The text of a TSV table: the header line, then one line per row, every
/// field passed through tsv_field. Throws scae::Error when the header is
/// empty or a row has a different number of fields than the header.
/// @param header the column names
/// @param rows the fields of each row, as many as the header's
/// @return the whole table, each line ending in a newline
/// @throws Error for an empty header or a row whose field count differs from it
inline std::string tsv_text(const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows) {
    if (header.empty()) fail("tsv_text", 0, "the header has no columns; expected at least one");
    std::string out;
    const auto append_line = [&out](const std::vector<std::string>& fields) {
        for (std::size_t j = 0; j < fields.size(); ++j) {
            if (j > 0) out += '\t';
            out += tsv_field(fields[j]);
        }
        out += '\n';
    };
    append_line(header);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != header.size())
            fail("tsv_text", 0,
                 "row " + std::to_string(r) + " has " + std::to_string(rows[r].size()) +
                     " fields; expected " + std::to_string(header.size()) + " as in the header");
        append_line(rows[r]);
    }
    return out;
}

/// The header line of write_matrix_tsv(): `corner`, then the column names.
/// @param out where the text goes
/// @param corner the header's first field (what the rows are: "cell", "gene")
/// @param col_names one name per column
inline void write_matrix_tsv_header(std::ostream& out, const std::string& corner, const std::vector<std::string>& col_names) {
    std::string line = tsv_field(corner);
    for (const std::string& name : col_names) line += '\t' + tsv_field(name);
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
}

/// The lines of write_matrix_tsv() for the rows of `values`, which are rows `first`, `first` + 1,
/// ... of the whole table (named row_names[first], ...): a table written a piece of rows at a time
/// (`scae denoise --shard`, rank 0 writing every rank's rows) is the same text.
/// @param out where the text goes
/// @param row_names the names of every row of the whole table
/// @param first the row of the table that values' first row is
/// @param values a piece of the table's rows (an Eigen matrix or expression)
/// @param options how numbers are written
/// @throws Error when row_names has no name for a row of the piece
template <class Matrixish>
void write_matrix_tsv_rows(std::ostream& out, const std::vector<std::string>& row_names, Index first, const Matrixish& values,
                           const TsvOptions& options = {}) {
    if (first < 0 || first + values.rows() > static_cast<Index>(row_names.size()))
        fail("write_matrix_tsv", 0,
             "rows " + std::to_string(first + 1) + " to " + std::to_string(first + values.rows()) + " of a table of " +
                 std::to_string(row_names.size()) + " row names; expected one name per row");
    std::string line;
    for (Index r = 0; r < values.rows(); ++r) {
        line = tsv_field(row_names[static_cast<std::size_t>(first + r)]);
        for (Index c = 0; c < values.cols(); ++c) {
            line += '\t';
            line += tsv_number(double(values(r, c)), options.significant_digits);
        }
        line += '\n';
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
}

/// Writes a numeric matrix as TSV to `out`, one line at a time (a matrix of millions of cells
/// costs one line of text at once): the header is `corner` followed by the column names; each line
/// starts with its row name, every name passed through tsv_field. `Matrixish` is any type with
/// rows(), cols() and (r, c) (an Eigen matrix or expression of float or double). Throws
/// scae::Error, before writing anything, when the names do not match the matrix shape.
/// @param out where the text goes
/// @param corner the header's first field (what the rows are: "cell", "gene")
/// @param row_names one name per row
/// @param col_names one name per column
/// @param values the numbers
/// @param options how numbers are written
/// @throws Error when the names do not match the shape of `values`
template <class Matrixish>
void write_matrix_tsv(std::ostream& out, const std::string& corner, const std::vector<std::string>& row_names,
                      const std::vector<std::string>& col_names, const Matrixish& values, const TsvOptions& options = {}) {
    if (static_cast<Index>(row_names.size()) != values.rows() ||
        static_cast<Index>(col_names.size()) != values.cols())
        fail("write_matrix_tsv", 0,
             std::to_string(row_names.size()) + " row and " + std::to_string(col_names.size()) +
                 " column names for a " + std::to_string(values.rows()) + " x " +
                 std::to_string(values.cols()) + " matrix; expected one name per row and column");
    write_matrix_tsv_header(out, corner, col_names);
    write_matrix_tsv_rows(out, row_names, 0, values, options);
}

/// The text write_matrix_tsv() writes, as one string (for small tables).
/// @param corner the header's first field (what the rows are: "cell", "gene")
/// @param row_names one name per row
/// @param col_names one name per column
/// @param values the numbers
/// @param options how numbers are written
/// @return the whole table, each line ending in a newline
/// @throws Error when the names do not match the shape of `values`
template <class Matrixish>
std::string matrix_tsv_text(const std::string& corner, const std::vector<std::string>& row_names,
                            const std::vector<std::string>& col_names, const Matrixish& values, const TsvOptions& options = {}) {
    std::ostringstream out;
    write_matrix_tsv(out, corner, row_names, col_names, values, options);
    return out.str();
}

} // namespace scae::report

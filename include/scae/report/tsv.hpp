#pragma once
/// @file tsv.hpp
/// @brief Tab-separated tables with a header row, written atomically, in a
/// form R (read.delim) and pandas (read_csv(sep="\t")) read unchanged:
/// fields never contain tabs or line breaks, numbers use %.6g by default,
/// non-finite numbers are written NaN, Inf and -Inf.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/report/write_file.hpp"

#include <cmath>
#include <cstdio>
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
inline std::string tsv_field(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return out;
}

/// `value` as a TSV field with `significant_digits` digits (%g style).
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

/// Writes tsv_text(header, rows) to `path` atomically. Throws scae::Error on
/// a malformed table or a failed write.
inline void write_tsv(const std::string& path, const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
    write_text_atomic(path, tsv_text(header, rows));
}

/// A numeric matrix as TSV: the header is `corner` followed by the column
/// names; each line starts with its row name. Throws scae::Error when the
/// names do not match the matrix shape.
inline std::string matrix_tsv_text(const std::string& corner,
                                   const std::vector<std::string>& row_names,
                                   const std::vector<std::string>& col_names,
                                   const Matrix<double>& values, const TsvOptions& options = {}) {
    if (static_cast<Index>(row_names.size()) != values.rows() ||
        static_cast<Index>(col_names.size()) != values.cols())
        fail("matrix_tsv_text", 0,
             std::to_string(row_names.size()) + " row and " + std::to_string(col_names.size()) +
                 " column names for a " + std::to_string(values.rows()) + " x " +
                 std::to_string(values.cols()) + " matrix; expected one name per row and column");
    std::vector<std::string> header{corner};
    header.insert(header.end(), col_names.begin(), col_names.end());
    std::vector<std::vector<std::string>> rows(row_names.size());
    for (Index r = 0; r < values.rows(); ++r) {
        auto& row = rows[static_cast<std::size_t>(r)];
        row.reserve(static_cast<std::size_t>(values.cols()) + 1);
        row.push_back(row_names[static_cast<std::size_t>(r)]);
        for (Index c = 0; c < values.cols(); ++c)
            row.push_back(tsv_number(values(r, c), options.significant_digits));
    }
    return tsv_text(header, rows);
}

/// Writes matrix_tsv_text(...) to `path` atomically.
inline void write_matrix_tsv(const std::string& path, const std::string& corner,
                             const std::vector<std::string>& row_names,
                             const std::vector<std::string>& col_names,
                             const Matrix<double>& values, const TsvOptions& options = {}) {
    write_text_atomic(path, matrix_tsv_text(corner, row_names, col_names, values, options));
}

} // namespace scae::report

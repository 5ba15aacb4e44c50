#pragma once
/// @file matrix_market.hpp
/// @brief Reads Matrix Market `coordinate integer|real general` files (plain or .gz) into
/// cells x genes CSR.

#include "scae/core/error.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/io/csr_builder.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/values.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <limits>
#include <utility>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scae::io {

/// What the banner and size line of a Matrix Market file declare.
struct MatrixMarketHeader {
    Field field = Field::integer; ///< `integer` or `real`
    Index rows = 0;               ///< rows as stored in the file
    Index cols = 0;               ///< columns as stored in the file
    Index entries = 0;            ///< number of entry lines that follow
    long long size_line = 0;      ///< line number of the size line, for messages
};

namespace detail {

/// The banner every readable file starts with, for messages.
inline const char* expected_banner() {
    return "expected the banner '%%MatrixMarket matrix coordinate integer|real general'";
}

inline std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// True for lines a Matrix Market reader skips: comments and blank lines.
inline bool is_comment_or_blank(std::string_view line) {
    const std::size_t first = line.find_first_not_of(" \t");
    return first == std::string_view::npos || line[first] == '%';
}

} // namespace detail

/// Reads the banner, comments and size line from `reader`, leaving it at the first entry.
/// Throws Error for an empty file, a wrong or unsupported banner, or a bad size line.
/// @param reader  a reader of a Matrix Market file that has returned no line yet.
/// @return what the banner and size line declare.
inline MatrixMarketHeader read_matrix_market_header(LineReader& reader) {
    std::string_view line;
    if (!reader.next(line)) fail(reader.path(), 0, std::string("empty file; ") + detail::expected_banner());
    std::string_view rest = line;
    const std::string tag = detail::lowercase(next_token(rest));
    const std::string object = detail::lowercase(next_token(rest));
    const std::string format = detail::lowercase(next_token(rest));
    const std::string field = detail::lowercase(next_token(rest));
    const std::string symmetry = detail::lowercase(next_token(rest));
    if (tag != "%%matrixmarket" || object != "matrix" || symmetry.empty() || !next_token(rest).empty())
        reader.fail("found " + in_quotes(line) + ", " + detail::expected_banner());
    if (format != "coordinate")
        reader.fail("found the format '" + format +
                    "', expected 'coordinate' (sparse; dense 'array' files are not supported)");
    MatrixMarketHeader header;
    if (field == "integer") {
        header.field = Field::integer;
    } else if (field == "real") {
        header.field = Field::real;
    } else {
        reader.fail("found the value type '" + field +
                    "', expected 'integer' or 'real' ('pattern' and 'complex' matrices are not supported)");
    }
    if (symmetry != "general")
        reader.fail("found the symmetry '" + symmetry + "', expected 'general' (every entry listed)");

    bool found = false;
    while (!found && reader.next(line)) found = !detail::is_comment_or_blank(line);
    if (!found)
        fail(reader.path(), reader.line_number(),
             "the file ends before the size line; expected 'rows columns entries' after the banner");
    rest = line;
    long long numbers[3] = {-1, -1, -1};
    for (long long& number : numbers)
        if (!parse_number(next_token(rest), number) || number < 0) number = -1;
    if (numbers[0] < 0 || numbers[1] < 0 || numbers[2] < 0 || !next_token(rest).empty())
        reader.fail("found " + in_quotes(line) +
                    ", expected the size line 'rows columns entries' (three non-negative integers)");
    if (numbers[0] >= INT_MAX || numbers[1] >= INT_MAX)
        reader.fail("found " + in_quotes(line) + ", expected fewer than " + std::to_string(INT_MAX) +
                    " rows and columns");
    if (numbers[2] > INT_MAX)
        reader.fail("found " + in_quotes(line) + ", expected at most " + std::to_string(INT_MAX) +
                    " entries (scae stores sparse indices as int)");
    header.rows = numbers[0];
    header.cols = numbers[1];
    header.entries = numbers[2];
    header.size_line = reader.line_number();
    return header;
}

namespace detail {

/// Most entries the file at `path` can hold: an entry line takes at least 6 bytes ("1 1 1\n"),
/// and deflate inflates at most 1032-fold, so a gzip file holds at most 1032 times its size.
/// The largest Index when the size cannot be known (a pipe).
inline Index max_entries_in(const std::string& path) {
    std::error_code error;
    const auto bytes = std::filesystem::file_size(path, error);
    if (error) return std::numeric_limits<Index>::max();
    const double inflated = is_gzip(path) ? 1032.0 * double(bytes) : double(bytes);
    return static_cast<Index>(std::min(inflated / 6.0 + 1.0, double(std::numeric_limits<int>::max())));
}

/// Most rows or columns a matrix of `entries` entries may declare: a few more than its entries
/// (empty cells are normal), but not millions of empty rows that would only cost memory.
inline Index max_dimension(Index entries) { return std::max<Index>(Index(1) << 24, 2 * entries); }

/// Lines on which the entry (row, col) (1-based, file coordinates) appears; re-reads the file,
/// which only happens on the way to reporting a duplicate.
inline std::vector<long long> lines_of_entry(const std::string& path, long long row, long long col) {
    LineReader reader(path);
    read_matrix_market_header(reader);
    std::vector<long long> lines;
    std::string_view line;
    while (lines.size() < 2 && reader.next(line)) {
        long long i = 0, j = 0;
        if (parse_number(next_token(line), i) && parse_number(next_token(line), j) && i == row && j == col)
            lines.push_back(reader.line_number());
    }
    return lines;
}

/// Parses one 1-based index token and checks it against `limit`.
inline int parse_index(std::string_view token, long long limit, const char* what, const LineReader& reader) {
    unsigned long long digits = 0;
    if (parse_digits(token, digits) && digits >= 1 && digits <= static_cast<unsigned long long>(limit))
        return static_cast<int>(digits - 1);
    long long index = 0;
    if (!parse_number(token, index))
        reader.fail("found the " + std::string(what) + " index " + in_quotes(token) + ", expected an integer in 1.." +
                    std::to_string(limit));
    if (index < 1 || index > limit)
        reader.fail("found the " + std::string(what) + " index " + std::to_string(index) +
                    ", expected 1.." + std::to_string(limit) + " (the size line declares " +
                    std::to_string(limit) + ")");
    return static_cast<int>(index - 1);
}

/// Parses every entry line after the header, calling `use(i, j, value)` with 0-based file
/// coordinates, and checks the number of entries against the size line.
template <class T, class Use>
void for_each_entry(LineReader& reader, const MatrixMarketHeader& header, const ReadOptions& options,
                    bool& integer_values, Use&& use) {
    Index count = 0;
    std::string_view line;
    while (reader.next(line)) {
        std::string_view rest = line;
        const std::string_view first = next_token(rest);
        if (first.empty() || first[0] == '%') continue;
        const std::string_view second = next_token(rest);
        const std::string_view third = next_token(rest);
        if (third.empty() || !next_token(rest).empty())
            reader.fail("found " + in_quotes(line) + ", expected an entry 'row column value'");
        const int i = parse_index(first, header.rows, "row", reader);
        const int j = parse_index(second, header.cols, "column", reader);
        const T value = parse_value<T>(third, header.field, options, reader, integer_values);
        if (count == header.entries)
            reader.fail("found more entries than the " + std::to_string(header.entries) + " declared on line " +
                        std::to_string(header.size_line));
        use(i, j, value);
        ++count;
    }
    if (count < header.entries)
        fail(reader.path(), reader.line_number(),
             "the file ends after " + std::to_string(count) + " entries, expected the " +
                 std::to_string(header.entries) + " declared on line " + std::to_string(header.size_line) +
                 " (is the file cut short?)");
}

} // namespace detail

/// Reads the entries that follow `header` from `reader` into a cells x genes matrix
/// (transposed unless `options.layout` is cells_by_genes). Names are left empty. Peak memory is
/// the final CSR; a file whose entries are not grouped by cell is read twice to keep it so.
/// Throws Error naming the file and line for any malformed, out-of-range or repeated entry and
/// for a count of entries that differs from the size line.
/// @param reader   the reader read_matrix_market_header() left at the first entry.
/// @param header   what that call returned.
/// @param options  layout, duplicates and what values are accepted.
/// @return the counts, cells x genes, without names.
template <class T = float>
CountMatrix<T> read_matrix_market_entries(LineReader& reader, const MatrixMarketHeader& header,
                                          const ReadOptions& options = {}) {
    const bool transpose = options.layout != Layout::cells_by_genes;
    const Index out_rows = transpose ? header.cols : header.rows;
    const Index out_cols = transpose ? header.rows : header.cols;
    if (options.duplicates == Duplicates::error && header.entries > header.rows * header.cols)
        fail(reader.path(), header.size_line,
             "found " + std::to_string(header.entries) + " entries declared for a " + std::to_string(header.rows) +
                 " x " + std::to_string(header.cols) + " matrix, expected at most rows x columns entries");
    if (const Index bound = detail::max_entries_in(reader.path()); header.entries > bound)
        fail(reader.path(), header.size_line,
             "declares " + std::to_string(header.entries) + " entries, but the file is too small to hold more than " +
                 std::to_string(bound) + " (an entry line takes at least 6 bytes); is the size line right, or the file cut short?");
    for (const auto& [size, what] : {std::pair<Index, const char*>{header.rows, "rows"}, {header.cols, "columns"}})
        if (size > detail::max_dimension(header.entries))
            fail(reader.path(), header.size_line,
                 "declares " + std::to_string(size) + " " + what + " for " + std::to_string(header.entries) +
                     " entries; expected at most " + std::to_string(detail::max_dimension(header.entries)) +
                     " (2 x entries, or 16777216): mostly empty " + what + " only cost memory (is the size line right?)");
    std::optional<CsrBuilder<T>> builder;
    try {
        builder.emplace(out_rows, out_cols, header.entries);
    } catch (const std::bad_alloc&) {
        fail(reader.path(), header.size_line,
             "not enough memory for the " + std::to_string(header.entries) + " entries declared here");
    }
    CountMatrix<T> result;
    result.field = header.field;
    detail::for_each_entry<T>(reader, header, options, result.integer_values, [&](int i, int j, T value) {
        if (transpose)
            builder->add(j, i, value);
        else
            builder->add(i, j, value);
    });
    if (!builder->grouped()) {
        // Rows came out of order: place every entry again from a second read of the file.
        LineReader again(reader.path());
        const MatrixMarketHeader same = read_matrix_market_header(again);
        if (same.rows != header.rows || same.cols != header.cols || same.entries != header.entries)
            fail(again.path(), same.size_line, "the size line changed while the file was read twice");
        builder->begin_placing();
        detail::for_each_entry<T>(again, header, options, result.integer_values, [&](int i, int j, T value) {
            if (!(transpose ? builder->place(j, i, value) : builder->place(i, j, value)))
                again.fail("the entries changed while the file was read twice");
        });
    }
    if (const auto repeat = builder->finish(options.duplicates)) {
        const long long row = (transpose ? repeat->col : repeat->row) + 1;
        const long long col = (transpose ? repeat->row : repeat->col) + 1;
        const std::vector<long long> lines = detail::lines_of_entry(reader.path(), row, col);
        const long long second = lines.size() == 2 ? lines[1] : 0;
        const std::string first = lines.empty() ? std::string("?") : std::to_string(lines[0]);
        fail(reader.path(), second,
             "found the entry (row " + std::to_string(row) + ", column " + std::to_string(col) +
                 ") again (first on line " + first +
                 "); expected each (row, column) once (ReadOptions::duplicates = sum adds repeats)");
    }
    builder->release_into(result.counts);
    return result;
}

/// Reads a bare Matrix Market file (plain or gzip) as cells x genes; `options.layout` says how
/// the file is oriented (automatic, the default, assumes genes x cells, as in 10x, and says so in
/// CountMatrix::source). The names stay empty: the file carries none.
/// @param path     the Matrix Market file, plain or gzip.
/// @param options  layout, duplicates and what values are accepted.
/// @return the counts, cells x genes, without names.
/// @throws Error naming the file and line for a bad banner, size line or entry.
template <class T = float>
CountMatrix<T> read_matrix_market(const std::string& path, const ReadOptions& options = {}) {
    LineReader reader(path);
    const MatrixMarketHeader header = read_matrix_market_header(reader);
    CountMatrix<T> result = read_matrix_market_entries<T>(reader, header, options);
    if (options.layout == Layout::automatic)
        result.source = "read as genes x cells (rows are genes), assumed as 10x writes it: a bare .mtx has no names to tell; "
                        "--layout cells-by-genes reads rows as cells";
    return result;
}

} // namespace scae::io

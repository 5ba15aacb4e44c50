#pragma once
/// @file read_counts.hpp
/// @brief One entry point for counts on disk: a 10x directory, a Matrix Market file or a dense
/// table, told apart by what the path holds.

#include "scae/io/count_matrix.hpp"
#include "scae/io/dense_table.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/matrix_market.hpp"
#include "scae/io/tenx.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace scae::io {

/// The kinds of count input scae reads.
enum class CountFormat {
    tenx,          ///< a 10x directory
    matrix_market, ///< a bare Matrix Market file
    dense_table    ///< a dense TSV/CSV table
};

/// A short name for `format`: "10x", "matrix_market" or "dense_table".
inline const char* to_string(CountFormat format) {
    switch (format) {
    case CountFormat::tenx: return "10x";
    case CountFormat::matrix_market: return "matrix_market";
    case CountFormat::dense_table: return "dense_table";
    }
    return "unknown";
}

/// A directory is 10x; a file whose first line starts with "%%MatrixMarket", or whose name ends
/// in .mtx or .mtx.gz, is Matrix Market; any other file is a dense table.
/// Throws Error when `path` does not exist or cannot be read.
inline CountFormat detect_count_format(const std::string& path) {
    if (std::filesystem::is_directory(path)) return CountFormat::tenx;
    LineReader reader(path, 4096);
    std::string_view line;
    const bool banner = reader.next(line) && detail::lowercase(line.substr(0, 14)) == "%%matrixmarket";
    if (banner || detail::ends_with(path, ".mtx") || detail::ends_with(path, ".mtx.gz"))
        return CountFormat::matrix_market;
    return CountFormat::dense_table;
}

/// Reads counts from `path` in whichever format detect_count_format() finds.
template <class T = float>
CountMatrix<T> read_counts(const std::string& path, const ReadOptions& options = {}) {
    switch (detect_count_format(path)) {
    case CountFormat::tenx: return read_10x<T>(path, options);
    case CountFormat::matrix_market: return read_matrix_market<T>(path, options);
    case CountFormat::dense_table: break;
    }
    return read_dense_table<T>(path, options);
}

} // namespace scae::io

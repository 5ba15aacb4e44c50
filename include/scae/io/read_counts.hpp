#pragma once
/// @file read_counts.hpp
/// @brief One entry point for counts on disk: a 10x directory, a Matrix Market file, a dense
/// table, a Cell Ranger HDF5 file or an AnnData .h5ad, told apart by what the path holds.

#include "scae/io/count_matrix.hpp"
#include "scae/io/dense_table.hpp"
#include "scae/io/hdf5_signature.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/matrix_market.hpp"
#include "scae/io/tenx.hpp"

#ifdef SCAE_HAVE_HDF5
#include "scae/io/h5ad_read.hpp"
#include "scae/io/hdf5_cellranger.hpp"
#endif

#include <filesystem>
#include <string>
#include <string_view>

namespace scae::io {

/// The kinds of count input scae reads.
enum class CountFormat {
    tenx,           ///< a 10x directory
    matrix_market,  ///< a bare Matrix Market file
    dense_table,    ///< a dense TSV/CSV table
    cellranger_h5,  ///< a Cell Ranger / Space Ranger HDF5 matrix (needs HDF5)
    h5ad            ///< an AnnData .h5ad file (needs HDF5)
};

/// A short name for `format`: "10x", "matrix_market", "dense_table", "10x_h5" or "h5ad".
/// @param format  the format.
/// @return its name.
inline const char* to_string(CountFormat format) {
    switch (format) {
    case CountFormat::tenx: return "10x";
    case CountFormat::matrix_market: return "matrix_market";
    case CountFormat::dense_table: return "dense_table";
    case CountFormat::cellranger_h5: return "10x_h5";
    case CountFormat::h5ad: return "h5ad";
    }
    return "unknown";
}

/// A directory is 10x; a file with the HDF5 signature (at offset 0 or after a user block) is
/// AnnData when it has obs and X, var or layers, and Cell Ranger otherwise (without HDF5 support
/// the name decides: .h5ad is AnnData); a file whose first line starts with "%%MatrixMarket",
/// or whose name ends in .mtx or .mtx.gz, is Matrix Market; any other file is a dense table.
/// Throws Error when `path` does not exist or cannot be read.
/// @param path  a directory or a file.
/// @return the format to read it as.
inline CountFormat detect_count_format(const std::string& path) {
    if (std::filesystem::is_directory(path)) return CountFormat::tenx;
    if (is_hdf5_file(path)) {
#ifdef SCAE_HAVE_HDF5
        return is_h5ad(hdf5::File(path)) ? CountFormat::h5ad : CountFormat::cellranger_h5;
#else
        return detail::ends_with(path, ".h5ad") ? CountFormat::h5ad : CountFormat::cellranger_h5;
#endif
    }
    LineReader reader(path, 4096);
    std::string_view line;
    const bool banner = reader.next(line) && detail::lowercase(line.substr(0, 14)) == "%%matrixmarket";
    if (banner || detail::ends_with(path, ".mtx") || detail::ends_with(path, ".mtx.gz"))
        return CountFormat::matrix_market;
    return CountFormat::dense_table;
}

/// Reads counts from `path` in whichever format detect_count_format() finds. HDF5 input in a
/// build without HDF5 is an Error that says how to rebuild.
/// @param path     a 10x directory or a counts file of one of the formats of CountFormat.
/// @param options  what the reader for that format uses of them.
/// @return the counts, cells x genes, with what names the format carries.
/// @throws Error naming the file for anything the reader rejects.
template <class T = float>
CountMatrix<T> read_counts(const std::string& path, const ReadOptions& options = {}) {
    switch (detect_count_format(path)) {
    case CountFormat::tenx: return read_10x<T>(path, options);
    case CountFormat::matrix_market: return read_matrix_market<T>(path, options);
    case CountFormat::dense_table:
        for (const char* suffix : {".h5", ".h5ad", ".hdf5"})
            if (detail::ends_with(path, suffix))
                fail(path, 0, "is named like an HDF5 file but lacks the HDF5 signature (at offset 0, 512, 1024, ...): "
                              "a damaged or incomplete download?");
        break;
    case CountFormat::cellranger_h5:
    case CountFormat::h5ad: {
#ifdef SCAE_HAVE_HDF5
        const hdf5::File file(path);
        if (is_h5ad(file)) return read_h5ad<T>(file, options);
        if (!is_cellranger_h5(file))
            fail(path, 0, "is HDF5 but neither an AnnData file (/obs with /X) nor a Cell Ranger matrix (/matrix or /<genome>)");
        return read_cellranger_h5<T>(file, options);
#else
        throw Error(hdf5_missing_message(path));
#endif
    }
    }
    return read_dense_table<T>(path, options);
}

} // namespace scae::io

#pragma once
/// @file read_counts.hpp
/// @brief One entry point for counts on disk: a 10x directory, a Matrix Market file, a dense
/// table, a Cell Ranger HDF5 file or an AnnData .h5ad, told apart by what the path holds.

#include "scae/core/enum_names.hpp"
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

/// The formats' short names (scae inspect's "format").
inline constexpr EnumNames<CountFormat, 5> count_format_names{{{CountFormat::tenx, "10x"},
                                                               {CountFormat::matrix_market, "matrix_market"},
                                                               {CountFormat::dense_table, "dense_table"},
                                                               {CountFormat::cellranger_h5, "10x_h5"},
                                                               {CountFormat::h5ad, "h5ad"}}};

/// A short name for `format`: "10x", "matrix_market", "dense_table", "10x_h5" or "h5ad".
/// @param format  the format.
/// @return its name.
inline std::string to_string(CountFormat format) { return enum_name(format, count_format_names); }

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

/// A block of a file's cells, as read_counts_slab() reads it.
template <class T = float>
struct CountSlab {
    CountMatrix<T> data;  ///< the block's cells x every gene of the file, with the block's barcodes
    Index first_cell = 0; ///< the file's row of the block's first cell
    Index file_cells = 0; ///< cells of the whole file
};

/// Reads block `slab.part` of `slab.parts` consecutive blocks of the cells of `path` (an MPI rank
/// reads its own block: docs/cluster.md), reading from disk only what that block needs where the
/// format allows it: a Cell Ranger .h5 and an AnnData .h5ad whose matrix is CSR or dense read the
/// block's rows; an .h5ad whose matrix is CSC streams every entry and keeps the block's. Each
/// block holds every gene, and the blocks of 0 .. parts - 1, stacked, are the whole file's matrix
/// bit for bit (ctest io_hdf5). With slab.parts == 1 it is read_counts().
/// @param path     a counts file.
/// @param options  as for read_counts().
/// @param slab     the block to read.
/// @return the block's counts and names, its first cell and the file's cell count.
/// @throws Error naming the file for anything the reader rejects, a block out of range, and a 10x
/// directory, Matrix Market file or dense table cut into several blocks (they cannot be read by
/// blocks of cells: write them as .h5ad first).
template <class T = float>
CountSlab<T> read_counts_slab(const std::string& path, const ReadOptions& options = {}, const SlabOptions& slab = {}) {
    CountSlab<T> out;
    // Eigen 3.4's SparseMatrix has no move: the counts are swapped in, never copied.
    const auto take = [&out](CountMatrix<T>&& read) {
        Csr<T> counts;
        counts.swap(read.counts);
        out.data = std::move(read); // its counts are empty now
        out.data.counts.swap(counts);
    };
    slab.range(0); // checks part and parts
    const CountFormat format = detect_count_format(path);
    if (slab.whole() && format != CountFormat::cellranger_h5 && format != CountFormat::h5ad) {
        take(read_counts<T>(path, options));
        out.file_cells = out.data.cells();
        return out;
    }
    switch (format) {
    case CountFormat::tenx:
    case CountFormat::matrix_market:
    case CountFormat::dense_table:
        fail(path, 0, std::string("a ") + (format == CountFormat::dense_table ? "dense table" : format == CountFormat::tenx ? "10x directory (Matrix Market)" : "Matrix Market file") +
                          " cannot be read one block of cells at a time (its entries are in no cell order, so every block would read the whole file); "
                          "write it as an AnnData .h5ad first, e.g. python3 -c \"import scanpy as sc; sc.read_10x_mtx('DIR').write_h5ad('atlas.h5ad')\" "
                          "(or anndata.read_mtx), and give that file");
    case CountFormat::cellranger_h5:
    case CountFormat::h5ad: {
#ifdef SCAE_HAVE_HDF5
        const hdf5::File file(path);
        if (is_h5ad(file)) {
            take(read_h5ad<T>(file, options, slab, &out.file_cells));
        } else {
            if (!is_cellranger_h5(file))
                fail(path, 0, "is HDF5 but neither an AnnData file (/obs with /X) nor a Cell Ranger matrix (/matrix or /<genome>)");
            take(read_cellranger_h5<T>(file, options, slab, &out.file_cells));
        }
        out.first_cell = slab.range(out.file_cells).first;
        return out;
#else
        throw Error(hdf5_missing_message(path));
#endif
    }
    }
    return out;
}

/// Every cell's barcode of an AnnData .h5ad (its obs index) or a Cell Ranger .h5 (the barcodes of
/// its matrix; with several v2 genomes, those of `options.genome`), without reading the matrix:
/// the names a rank that writes all cells' output needs when every rank read only its block.
/// @param path     an .h5ad or Cell Ranger .h5 file
/// @param options  the genome (Cell Ranger v2 files with several)
/// @return one barcode per cell, in file order (read_counts_slab's blocks, stacked)
/// @throws Error naming the file when it is not such a file, or its names cannot be read
inline std::vector<std::string> read_cell_names(const std::string& path, const ReadOptions& options = {}) {
#ifdef SCAE_HAVE_HDF5
    const CountFormat format = detect_count_format(path);
    if (format != CountFormat::h5ad && format != CountFormat::cellranger_h5)
        fail(path, 0, "cell names are read here from .h5ad and Cell Ranger .h5 files only");
    const hdf5::File file(path);
    if (is_h5ad(file)) return h5ad::Frame(file, "/obs").index();
    if (file.is_group("/matrix")) return file.dataset("/matrix/barcodes").read_strings();
    const std::vector<std::string> genomes = detail::cellranger_v2_genomes(file);
    if (genomes.empty()) fail(path, 0, "is HDF5 but neither an AnnData file (/obs with /X) nor a Cell Ranger matrix (/matrix or /<genome>)");
    if (options.genome.empty() && genomes.size() > 1)
        fail(path, 0, "holds " + std::to_string(genomes.size()) + " genomes (" + detail::quoted_list(genomes) + "); choose one with --genome NAME");
    return file.dataset("/" + (options.genome.empty() ? genomes[0] : options.genome) + "/barcodes").read_strings();
#else
    (void)options;
    throw Error(hdf5_missing_message(path));
#endif
}

} // namespace scae::io

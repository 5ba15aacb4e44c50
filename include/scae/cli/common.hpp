#pragma once
/// @file common.hpp
/// @brief Pieces every `scae` subcommand shares: reading data and labels, writing tables,
/// turning exceptions into exit codes.

#include "scae/cli/args.hpp"
#include "scae/core/enum_names.hpp"
#include "scae/data/align.hpp"
#include "scae/data/count_checks.hpp"
#include "scae/core/atomic_file.hpp"
#include "scae/data/gzip_writer.hpp"
#include "scae/cli/input_options.hpp"
#include "scae/data/subset.hpp"
#include "scae/io/h5ad_labels.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/report/report_folder.hpp"
#include "scae/report/tsv.hpp"
#include "scae/train/train.hpp"
#ifdef SCAE_WITH_MPI
#include "scae/train/mpi.hpp"
#endif

#include <filesystem>
#include <functional>
#include <new>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace scae::cli {

/// Runs `body`, mapping a UsageError to exit code 2 (with `usage`), any other exception to
/// exit code 1, each printed as "scae COMMAND: message" on `err`. `--help` prints usage.
/// @param command  the subcommand's name, for messages
/// @param args  its arguments, searched for --help or -h before anything runs
/// @param usage  the usage text, printed for --help (on `out`) and after a usage error (on `err`)
/// @param out  where --help prints
/// @param err  where errors print
/// @param body  the command; its return value is the exit code on success
/// @return `body`'s exit code, or Exit::ok for --help, Exit::usage_error or
/// Exit::runtime_error when it threw
inline int guarded(const std::string& command, const std::vector<std::string>& args, const std::string& usage,
                   std::ostream& out, std::ostream& err, const std::function<int()>& body) {
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            out << usage;
            return ok;
        }
    try {
        return body();
    } catch (const UsageError& e) {
        err << "scae " << command << ": " << e.what() << "\n\n" << usage;
        return usage_error;
    } catch (const std::bad_alloc&) {
        err << "scae " << command << ": not enough memory for this input with these options (std::bad_alloc); fewer genes "
            << "(--genes hvg:N), smaller --layers or --batch, or a machine with more memory may help\n";
        return runtime_error;
    } catch (const std::exception& e) {
        err << "scae " << command << ": " << e.what() << "\n";
        return runtime_error;
    }
}

namespace detail {

/// True when `a` and `b` name the same file or folder (same inode where both exist, the same
/// canonical path otherwise).
inline bool same_path(const std::filesystem::path& a, const std::filesystem::path& b) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::exists(a, error) && fs::exists(b, error)) return fs::equivalent(a, b, error);
    return fs::weakly_canonical(a, error) == fs::weakly_canonical(b, error);
}

/// Throws scae::Error unless new entries can be made in `folder` (or, where it does not exist
/// yet, in the nearest folder above it that does).
inline void check_can_write_in(std::filesystem::path folder, const std::string& option, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    folder = fs::absolute(folder, error);
    while (!fs::exists(folder, error) && folder.has_relative_path()) folder = folder.parent_path();
    if (!fs::is_directory(folder, error))
        fail(path, 0, "cannot write --" + option + " here: " + folder.string() + " is not a folder");
#if __has_include(<unistd.h>)
    if (::access(folder.c_str(), W_OK | X_OK) != 0)
        fail(path, 0, "cannot write --" + option + ": no permission to create files in " + folder.string());
#endif
}

/// Refuses `output` (the value of --`option`) when it is one of `inputs`.
inline void check_not_input(const std::string& output, const std::string& option, const std::vector<std::string>& inputs) {
    for (const std::string& input : inputs)
        if (!input.empty() && same_path(output, input))
            throw UsageError("--" + option + " " + output + " is also an input (" + input +
                             "); expected an output path apart from the inputs");
}

} // namespace detail

/// The value of --`option` as a file to write, checked before any work: refused when it is one
/// of `inputs` (paths; "" entries are ignored), an existing folder, or in a folder that does not
/// exist or cannot be written.
/// @param a  the parsed options
/// @param option  the option's name without "--"; it is required
/// @param inputs  the paths the command reads
/// @return the path as given
/// @throws UsageError when the option is missing or names an input
/// @throws Error when it cannot be written (also a .gz name in a build without zlib)
inline std::string output_file(const Args& a, const std::string& option, const std::vector<std::string>& inputs) {
    const std::string path = a.required(option);
    detail::check_not_input(path, option, inputs);
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::is_directory(path, error)) fail(path, 0, "--" + option + " names a folder, expected a file name");
    fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) parent = ".";
    if (!fs::is_directory(parent, error)) fail(path, 0, "cannot write --" + option + ": the folder " + parent.string() + " does not exist");
    detail::check_can_write_in(parent, option, path);
#ifndef SCAE_HAVE_ZLIB
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0)
        fail(path, 0, "writing .gz needs zlib: install zlib1g-dev and reconfigure scae, or drop the .gz suffix");
#endif
    return path;
}

/// The value of --`option` as a report folder, checked before any work: refused when it is one
/// of `inputs`, an existing file, or where no folder can be created.
/// @param a  the parsed options
/// @param option  the option's name without "--"; it is required
/// @param inputs  the paths the command reads ("" entries are ignored)
/// @return the path as given
/// @throws UsageError when the option is missing or names an input
/// @throws Error when it names a file or no folder can be created there
inline std::string output_folder(const Args& a, const std::string& option, const std::vector<std::string>& inputs) {
    const std::string path = a.required(option);
    detail::check_not_input(path, option, inputs);
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::exists(path, error) && !fs::is_directory(path, error))
        fail(path, 0, "--" + option + " names an existing file, expected a folder for the report");
    fs::path parent = fs::absolute(fs::path(path), error).lexically_normal();
    if (!parent.has_filename()) parent = parent.parent_path();
    detail::check_can_write_in(parent.parent_path(), option, path);
    if (fs::is_directory(parent, error)) detail::check_can_write_in(parent, option, path);
    return path;
}

/// Reads counts from the path of --`option` for training or applying a model, with the library's
/// checks (data::check_counts(): cells whose total is not finite in float or above
/// data::max_cell_total are refused, --duplicate-genes, default error, applies to repeated gene
/// ids), and a line on `err` when they changed the data.
/// @param a  the parsed options (the input options and --duplicate-genes are read from it)
/// @param err  where notes on the matrix read and on repeated gene ids go
/// @param option  the option naming the input, without "--" (default "data"); it is required
/// @return the counts, at least one cell and one gene
/// @throws UsageError for a bad --duplicate-genes value or a missing option
/// @throws Error for unreadable data, an empty matrix or a cell total above data::max_cell_total
inline io::CountMatrix<float> read_data(const Args& a, std::ostream& err, const std::string& option = "data") {
    const data::DuplicateGeneIds policy = a.choice("duplicate-genes", data::duplicate_gene_ids_names, data::DuplicateGeneIds::error);
    const std::string path = a.required(option);
    io::CountMatrix<float> data = io::read_counts<float>(path, input_options(a));
    if (!data.source.empty()) err << "read " << path << (data.source[0] == '/' ? ":" : ": ") << data.source << "\n";
    if (data.cells() == 0 || data.genes() == 0)
        fail(path, 0, "holds " + std::to_string(data.cells()) + " cells and " + std::to_string(data.genes()) +
                          " genes, expected at least one of each");
    if (const std::string note = data::check_counts(data, path, {policy, 0}); !note.empty()) err << "scae: " << note << "\n";
    return data;
}

/// read_data() of block `part` of `parts` of the cells (io::read_counts_slab: an MPI rank's own
/// block of an .h5ad or Cell Ranger .h5), with the same checks on the block; notes are printed
/// by part 0 only. A block may hold no cell (more blocks than cells); the file may not.
/// @param a  the parsed options
/// @param err  where part 0's notes go
/// @param part  the block to read, 0 .. parts - 1
/// @param parts  blocks the cells are cut into
/// @return the block, its first cell and the file's cell count
/// @throws UsageError for a bad --duplicate-genes value or a missing --data
/// @throws Error for unreadable data, a format that cannot be read by blocks (Matrix Market, tables), a file
/// without cells or genes, or a cell total above data::max_cell_total
inline io::CountSlab<float> read_data_block(const Args& a, std::ostream& err, int part, int parts) {
    const data::DuplicateGeneIds policy = a.choice("duplicate-genes", data::duplicate_gene_ids_names, data::DuplicateGeneIds::error);
    const std::string path = a.required("data");
    io::CountSlab<float> block = io::read_counts_slab<float>(path, input_options(a), io::SlabOptions{part, parts});
    if (part == 0 && !block.data.source.empty())
        err << "read " << path << (block.data.source[0] == '/' ? ":" : ": ") << block.data.source << " (cells " << block.first_cell + 1
            << " to " << block.first_cell + block.data.cells() << " of " << block.file_cells << " on the first of " << parts << " ranks)\n";
    if (block.file_cells == 0 || block.data.genes() == 0)
        fail(path, 0, "holds " + std::to_string(block.file_cells) + " cells and " + std::to_string(block.data.genes()) +
                          " genes, expected at least one of each");
    const std::string note = data::check_counts(block.data, path, {policy, block.first_cell});
    if (!note.empty() && part == 0) err << "scae: " << note << "\n";
    return block;
}

/// Labels of `barcodes` from a `barcode<TAB>label` file, or from an obs column of the AnnData
/// file `data_path` ("obs:COLUMN"); "" for cells without a label.
/// @param path  the labels file, or "obs:COLUMN"
/// @param barcodes  the cells to label, in order
/// @param data_path  the AnnData file that "obs:COLUMN" refers to ("" when `path` is a file)
/// @return one label per barcode, in their order
inline std::vector<std::string> read_cell_labels(const std::string& path, const std::vector<std::string>& barcodes,
                                                 const std::string& data_path = "") {
    return io::read_cell_labels(path, data_path, barcodes).per_cell;
}

/// Writes the file `path` atomically (scae::write_file_atomically) through `write`, which gets a
/// std::ostream and writes the content in pieces; a name ending in .gz is gzip-compressed as it
/// is written (needs zlib), handing zlib at most `chunk_bytes` per call, so no size of output is
/// built as one string or cut short.
/// @param path  the file to write; replaced whole, never left half-written
/// @param write  callable taking `std::ostream&` that writes the whole content
/// @param chunk_bytes  .gz only: the most bytes handed to zlib per call (tests use a few)
/// @throws Error when the file cannot be written (or is .gz without zlib)
template <class Writer>
void stream_output(const std::string& path, Writer&& write, std::size_t chunk_bytes = data::gzip_chunk_bytes) {
    const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    if (!gz) {
        scae::write_file_atomically(path, write);
        return;
    }
#ifdef SCAE_HAVE_ZLIB
    scae::write_file_atomically(path, [&](std::ostream& file) {
        data::GzipStreambuf compressor(file, chunk_bytes);
        std::ostream out(&compressor);
        write(out);
        if (!out) throw Error(where(path, 0, "write failed"));
        compressor.finish();
    });
#else
    (void)write;
    (void)chunk_bytes;
    throw Error(where(path, 0, "writing .gz needs zlib: install zlib1g-dev and reconfigure scae, or drop the .gz suffix"));
#endif
}

/// Writes `text` to `path` atomically (stream_output()); a name ending in .gz is gzip-compressed.
/// @param path  the file to write; replaced whole, never left half-written
/// @param text  the file's content
/// @throws Error when the file cannot be written (or is .gz without zlib)
inline void write_output(const std::string& path, const std::string& text) {
    stream_output(path, [&](std::ostream& out) { out.write(text.data(), std::streamsize(text.size())); });
}

/// Writes a dense matrix as the TSV of matrix_tsv() into `path` (.gz: compressed), row by row,
/// never as one string: a denoised matrix of many cells can be gigabytes of text.
/// @param path  the file to write; replaced whole, never left half-written
/// @param m  cells x columns values
/// @param row_names  one name per row of `m` (the barcodes)
/// @param col_names  one name per column of `m`
/// @throws Error when the names do not fit `m` or the file cannot be written
template <class Matrixish>
void write_matrix_output(const std::string& path, const Matrixish& m, const std::vector<std::string>& row_names,
                         const std::vector<std::string>& col_names) {
    stream_output(path, [&](std::ostream& out) { report::write_matrix_tsv(out, "cell", row_names, col_names, m); });
}

/// Throws scae::Error when `m` (what `model_path` computed on the data) holds NaN or infinite
/// values, rather than writing them with exit code 0.
/// @param m  the values computed (an Eigen matrix or expression)
/// @param model_path  the model file, named in the message
/// @param what  what `m` holds, for the message ("bottleneck activations")
/// @throws Error when any value is NaN or infinite
template <class Matrixish>
void require_finite(const Matrixish& m, const std::string& model_path, const std::string& what) {
    if (!m.allFinite())
        fail(model_path, 0, "the model gives NaN or infinite " + what +
                                " on this data (weights or activations out of float range); expected a model trained by scae");
}

/// require_finite() on the bottleneck and the reconstruction of the first cells of `data`,
/// aligned to the model's genes: a cheap check, before a long run, that a model file's weights
/// do not overflow float on this data. Alignment problems are left to the run to report.
/// @param model  the loaded model file (a transfer::ModelFile)
/// @param data  the dataset the model will be applied to; its first 2000 cells are checked
/// @param model_path  the model file, named in the message
/// @throws Error when the model gives NaN or infinite values on those cells
template <class ModelFile>
void require_finite_on_head(const ModelFile& model, const io::CountMatrix<float>& data, const std::string& model_path) {
    Csr<float> head;
    try {
        data::AlignOptions lenient;
        lenient.min_coverage = 0;
        const data::Alignment alignment = data::align_genes(model.gene_ids, model.gene_symbols, data.gene_ids, data.gene_symbols, lenient);
        head = data::apply_alignment(Csr<float>(data.counts.topRows(std::min<Index>(data.cells(), 2000))), alignment);
    } catch (const Error&) {
        return;
    }
    require_finite(model.model.encode(head), model_path, "bottleneck activations");
    require_finite(model.model.reconstruct(head), model_path, "expected counts");
}

/// A dense matrix as TSV text: header `cell<TAB>col...`, one row per cell (report::matrix_tsv_text);
/// for a file, write_matrix_output() writes the same text without building it.
/// @param m  cells x columns values
/// @param row_names  one name per row of `m` (the barcodes)
/// @param col_names  one name per column of `m`
/// @return the whole table as text
template <class Matrixish>
std::string matrix_tsv(const Matrixish& m, const std::vector<std::string>& row_names, const std::vector<std::string>& col_names) {
    return report::matrix_tsv_text("cell", row_names, col_names, m);
}

/// The ranks of this run: MPI's world under mpirun or srun (builds with SCAE_WITH_MPI), one
/// process otherwise.
/// @return the communicator: rank and size of this process
inline train::Communicator world_ranks() {
#ifdef SCAE_WITH_MPI
    return mpi::world();
#else
    return {};
#endif
}

} // namespace scae::cli

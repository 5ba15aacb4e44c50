#pragma once
/// @file embed.hpp
/// @brief `scae embed` (bottleneck activations per cell) and `scae denoise` (expected counts),
/// both applying a saved model to new data after aligning its genes.

#include "scae/cli/common.hpp"
#include "scae/cli/h5ad_output.hpp"
#include "scae/cli/input_options.hpp"
#include "scae/cli/options.hpp"
#include "scae/data/align.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/node_support.hpp"
#include "scae/transfer/spread_cells.hpp"

#ifdef SCAE_WITH_MPI
#include "scae/train/mpi.hpp"
#endif

namespace scae::cli {

/// A model and a dataset aligned to its genes.
struct AlignedInput {
    transfer::ModelFile model;      ///< the loaded model
    io::CountMatrix<float> data;    ///< the data as read, but for its counts (moved into `counts`)
    data::Alignment alignment;      ///< gene matching diagnostics
    Csr<float> counts;              ///< data counts in model gene order
    /// How `model` was adapted to the genes the data lack (`--missing-genes`): `model.model` is
    /// the adapted model, the one every command applies.
    transfer::MissingGeneAdaptation missing_genes;
    std::vector<transfer::NodeSupport> node_support; ///< each node's support on these data (empty for a model before format 1.2)
};

/// latent.tsv's column names (transfer/node_support.hpp).
using transfer::node_names;
/// node_support.tsv (transfer/node_support.hpp).
using transfer::write_node_support;

/// Loads `--model`, aligns `data` (read from `--data`, whole or a block of its cells) to the
/// model's genes and adapts the model to the genes the data lack (`--missing-genes`).
/// @param a  the parsed options (--model, --min-coverage, --missing-genes)
/// @param read  the counts, moved in
/// @return the model, the data, the alignment and the aligned counts
/// @throws Error when the model cannot be read or too few model genes are found
inline AlignedInput load_aligned(const Args& a, io::CountMatrix<float>&& read) {
    AlignedInput in{transfer::load_model(a.required("model")), {}, {}, {}, {}, {}};
    // The counts are held once, in the model's gene order (Eigen 3.4's SparseMatrix has no move
    // constructor: std::move would copy).
    in.counts.swap(read.counts);
    in.data = std::move(read); // the names, without the counts
    in.alignment = data::align_genes(in.model.gene_ids, in.model.gene_symbols, in.data.gene_ids, in.data.gene_symbols,
                                     align_options(a));
    in.counts.makeCompressed();
    data::align_in_place(in.counts, in.alignment);
    const transfer::MissingGenes method = missing_genes_option(a);
    const std::vector<Index>& missing = in.alignment.missing_model_columns;
    in.node_support = transfer::node_support(in.model.model, in.model.reference_input, missing, method);
    in.model.model = transfer::adapt_to_present_genes(in.model.model, in.model.reference_input, missing, method, &in.missing_genes);
    return in;
}

/// Loads `--model` and `--data` (read_data(): the input options, notes on `err`), aligns the
/// data to the model's genes and adapts the model to the genes the data lack (`--missing-genes`).
/// @param a  the parsed options (--model, --data, the input options, --min-coverage)
/// @param err  where notes from reading the data go
/// @return the model, the data, the alignment and the aligned counts
/// @throws Error when a file cannot be read or too few model genes are found
inline AlignedInput load_aligned(const Args& a, std::ostream& err) { return load_aligned(a, read_data(a, err)); }

/// `apply` (a model's encode or reconstruct) on every cell of `counts`, checked finite. Under
/// mpirun each rank applies it to its block of cells (a copy of that block) and rank 0 gets all
/// blocks stacked in rank order, other ranks an empty matrix; in one process the counts are used
/// as they are.
/// @param counts  cells x model genes
/// @param apply  maps a CSR of cells to one output row per cell
/// @param model  the model's path, for the error message
/// @param what  what the output is, for the error message ("expected counts")
/// @return the output of every cell (on rank 0)
/// @throws Error when an output is not finite (the model overflows on these data)
template <class Apply>
Matrix<float> on_blocks_of_ranks(const Csr<float>& counts, Apply apply, const std::string& model, const char* what) {
#ifdef SCAE_WITH_MPI
    if (mpi::world().size > 1) {
        const auto [first, last] = mpi::block_of_rows(counts.rows());
        const Matrix<float> block = apply(Csr<float>(counts.middleRows(first, last - first)));
        require_finite(block, model, what);
        return mpi::gather_rows(block);
    }
#endif
    Matrix<float> all = apply(counts);
    require_finite(all, model, what);
    return all;
}

/// Whether this process writes the outputs: rank 0 under mpirun, always otherwise.
/// @return true on the process that writes
inline bool first_rank() {
#ifdef SCAE_WITH_MPI
    return mpi::world().rank == 0;
#else
    return true;
#endif
}

/// One line of alignment diagnostics for stderr.
/// @param in  a dataset aligned to a model, and the model adapted to it
/// @return "aligned M of N model genes by METHOD (P% coverage)", then how the missing ones were
/// stood in for, without a newline
inline std::string alignment_line(const AlignedInput& in) {
    const data::Alignment& a = in.alignment;
    std::ostringstream s;
    s << "aligned " << a.matched << " of " << a.n_model_genes << " model genes by " << data::to_string(a.method) << " ("
      << std::fixed << std::setprecision(1) << 100 * a.coverage << "% coverage)";
    if (in.missing_genes.missing > 0) {
        s << "; the " << in.missing_genes.missing << " missing stood in for by " << transfer::to_string(in.missing_genes.method);
        Index untrusted = 0;
        for (const auto& n : in.node_support) untrusted += !n.trusted;
        if (!in.node_support.empty()) s << ", " << untrusted << " of " << in.node_support.size() << " nodes resting too much on them";
    }
    if (!in.missing_genes.note.empty()) s << " (" << in.missing_genes.note << ")";
    return s.str();
}

/// `scae embed`: writes the bottleneck activations as TSV (cells x nodes).
/// @param args  the words after "embed"
/// @param out  where --help prints
/// @param err  where the alignment line and errors print
/// @return the exit code (Exit)
inline int embed(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const std::string usage = std::string("usage: scae embed --model MODEL.json --data DIR|FILE [--min-coverage F] [--duplicate-genes error|unique|first]\n"
                                          "                  [--shard] --out latent.tsv[.gz]|latent.h5ad\n") +
                              "  an .h5ad output is an AnnData with obsm['X_scae'] = the latent, uns['scae'] = provenance\n"
                              "  --shard             under mpirun -np R: each rank reads only its block of the cells of an .h5ad or\n"
                              "                      Cell Ranger .h5 and encodes it; rank 0 gathers the activations and writes\n" +
                              missing_genes_usage() + input_options_usage();
    return guarded("embed", args, usage, out, err, [&] {
        const Args a(args, with_input_options({"model", "data", "out", "min-coverage", "duplicate-genes", "missing-genes"}), with_input_flags({"shard"}));
        const std::string out_path = output_file(a, "out", {a.required("model"), a.required("data")});
        const bool sharded = a.has("shard");
        int rank = 0, ranks = 1;
#ifdef SCAE_WITH_MPI
        const train::Communicator world = mpi::world();
        rank = world.rank;
        ranks = world.size;
#endif
        // With --shard each rank reads, aligns and encodes its own block; rank 0 stacks the blocks
        // and writes them beside every cell's name, which it reads from the file alone.
        AlignedInput in = sharded ? load_aligned(a, read_data_block(a, err, rank, ranks).data) : load_aligned(a, err);
        const auto encode = [&in](const Csr<float>& c) { return in.model.model.encode(c); };
        Matrix<float> latent;
        if (sharded) {
            Matrix<float> block = encode(in.counts);
            require_finite(block, a.required("model"), "bottleneck activations");
#ifdef SCAE_WITH_MPI
            latent = ranks > 1 ? mpi::gather_rows(block) : std::move(block);
#else
            latent = std::move(block);
#endif
            if (rank == 0 && ranks > 1) in.data.barcodes = io::read_cell_names(a.required("data"), input_options(a));
        } else {
            latent = on_blocks_of_ranks(in.counts, encode, a.required("model"), "bottleneck activations");
        }
        if (!first_rank()) return int(ok);
        if (is_h5ad_output(out_path))
            write_h5ad_output(out_path, "embed", a, in, nullptr, &latent);
        else
            write_matrix_output(out_path, latent, in.data.barcodes, node_names(latent.cols()));
        err << alignment_line(in) << "\n";
        return int(ok);
    });
}

/// `scae denoise --shard`: each rank reads, aligns and reconstructs only its block of the cells;
/// the calibration is fitted over all ranks' cells (transfer::calibrate_rates with the ranks'
/// SpreadCells: sums over the ranks, seeded samples gathered) and applied by each rank to its
/// block; rank 0 then writes the TSV in rank order, its own block first and every other rank's
/// rows as they arrive a piece at a time (mpi::stream_rows_to_first), beside every cell's name.
/// @param a  the parsed options
/// @param out_path  the output file (TSV, .gz allowed)
/// @param options  the calibration
/// @param out  where rank 0 prints the JSON summary
/// @param err  where rank 0 prints the alignment line
/// @return the exit code (Exit)
/// @throws Error for an .h5ad output (written whole by one process: not under --shard), or as
/// reading, aligning and calibrating do
inline int denoise_sharded(const Args& a, const std::string& out_path, const transfer::DenoiseOptions& options, std::ostream& out,
                           std::ostream& err) {
    if (is_h5ad_output(out_path))
        fail(out_path, 0, "scae denoise --shard writes TSV (.tsv or .tsv.gz); an .h5ad output is written whole by one process: "
                          "name a .tsv output, or denoise without --shard");
    const train::Communicator ranks = world_ranks();
    AlignedInput in = load_aligned(a, read_data_block(a, err, ranks.rank, ranks.size).data);
    const std::string model_path = a.required("model");
    Matrix<float> rates = in.model.model.reconstruct(in.counts);
    require_finite(rates, model_path, "expected counts");
    const transfer::SpreadCells cells = transfer::spread_cells(ranks, in.counts.rows());
    transfer::DenoiseResult result = transfer::calibrate_rates(in.model.model, in.counts, std::move(rates), options, cells);
    require_finite(result.rates, model_path, "expected counts");
    if (ranks.rank != 0) {
#ifdef SCAE_WITH_MPI
        mpi::stream_rows_to_first(result.rates, [](const Matrix<float>&, Index) {});
#endif
        return int(ok);
    }
    // Every cell's name: read from the file alone, or this block's when it is every cell.
    const std::vector<std::string> names = ranks.size > 1 ? io::read_cell_names(a.required("data"), input_options(a)) : std::move(in.data.barcodes);
    if (Index(names.size()) != cells.total)
        fail(a.required("data"), 0, "names " + std::to_string(names.size()) + " cells and its matrix holds " + std::to_string(cells.total) +
                                        "; expected one name per cell");
    stream_output(out_path, [&](std::ostream& file) {
        report::write_matrix_tsv_header(file, "cell", in.model.gene_symbols);
        const auto write = [&](const Matrix<float>& rows, Index first) { report::write_matrix_tsv_rows(file, names, first, rows); };
#ifdef SCAE_WITH_MPI
        mpi::stream_rows_to_first(result.rates, write);
#else
        write(result.rates, 0);
#endif
    });
    const nlohmann::json calibration = transfer::calibration_json(result.calibration);
    err << alignment_line(in) << "; calibration " << transfer::to_string(result.calibration.method) << "\n";
    out << nlohmann::json{{"out", out_path}, {"calibration", calibration}, {"ranks", ranks.size}}.dump() << "\n";
    return int(ok);
}

/// `scae denoise`: writes the reconstructed expected counts as TSV (cells x model genes),
/// calibrated per gene on the data (see transfer/calibrate.hpp); prints what was applied as JSON.
/// @param args  the words after "denoise"
/// @param out  where the JSON summary prints
/// @param err  where the alignment line and errors print
/// @return the exit code (Exit)
inline int denoise(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const std::string usage =
        std::string("usage: scae denoise --model MODEL.json --data DIR|FILE [--min-coverage F] [--duplicate-genes error|unique|first]\n"
                    "                    [--calibrate M] [--prior-counts K] [--shard] --out denoised.tsv[.gz]|denoised.h5ad\n"
                    "  --calibrate M      none | genes | genes_shrunk | groups (default) | blend: rescale each gene's rates to its\n"
                    "                     level in DIR (groups: also within groups of similar cells where MCV on DIR says it helps;\n"
                    "                     blend: then mix with the cell's counts and the gene mean, as much as MCV on DIR says)\n"
                    "  --prior-counts K   genes_shrunk: counts a gene needs to move half way to its observed level\n"
                    "                     (default auto: estimated from the data, empirical Bayes)\n"
                    "  an .h5ad output is an AnnData with X = the denoised counts, var = the model's genes\n"
                    "  --shard            under mpirun -np R: each rank reads only its block of the cells of an .h5ad or Cell\n"
                    "                     Ranger .h5 and denoises it, the calibration fitted over all ranks; rank 0 writes the\n"
                    "                     TSV in rank order (not .h5ad)\n") +
        missing_genes_usage() + input_options_usage();
    return guarded("denoise", args, usage, out, err, [&] {
        const Args a(args, with_input_options({"model", "data", "out", "min-coverage", "duplicate-genes", "calibrate", "prior-counts", "missing-genes"}),
                     with_input_flags({"shard"}));
        transfer::DenoiseOptions options;
        options.calibration = calibration_options(a);
        const std::string out_path = output_file(a, "out", {a.required("model"), a.required("data")});
        if (a.has("shard")) return denoise_sharded(a, out_path, options, out, err);
        const auto in = load_aligned(a, err);
        // Rank 0 calibrates: the calibration needs every cell's rates.
        Matrix<float> rates = on_blocks_of_ranks(in.counts, [&](const Csr<float>& c) { return in.model.model.reconstruct(c); },
                                                 a.required("model"), "expected counts");
        if (!first_rank()) return int(ok);
        const auto result = transfer::calibrate_rates(in.model.model, in.counts, std::move(rates), options);
        require_finite(result.rates, a.required("model"), "expected counts");
        const nlohmann::json calibration = transfer::calibration_json(result.calibration);
        if (is_h5ad_output(out_path))
            write_h5ad_output(out_path, "denoise", a, in, &result.rates, nullptr, {{"calibration", calibration}});
        else
            write_matrix_output(out_path, result.rates, in.data.barcodes, in.model.gene_symbols);
        const nlohmann::json summary = {{"out", out_path}, {"calibration", calibration}};
        err << alignment_line(in) << "; calibration " << transfer::to_string(result.calibration.method) << "\n";
        out << summary.dump() << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

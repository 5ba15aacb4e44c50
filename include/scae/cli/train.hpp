#pragma once
/// @file train.hpp
/// @brief `scae train`: fit preprocessing and an autoencoder on one tissue, save the model.

#include "scae/cli/common.hpp"
#include "scae/cli/input_options.hpp"
#include "scae/cli/options.hpp"
#include "scae/data/align.hpp"
#include "scae/data/subset.hpp"
#include "scae/interpret/name_nodes.hpp"
#include "scae/io/gmt.hpp"
#include "scae/train/checkpoint.hpp"
#include "scae/transfer/train_model.hpp"
#include "scae/transfer/train_sharded.hpp"
#include "scae/version.hpp"

#include <memory>
#include <optional>

#ifdef SCAE_WITH_MPI
#include "scae/train/mpi.hpp"
#endif

namespace scae::cli {

/// Usage text of `scae train`.
/// @return the usage text, ending in a newline
inline std::string train_usage() {
    return std::string("usage: scae train --data DIR --out MODEL.json [options]\n"
           "  --data DIR|FILE     10x directory, .mtx file, dense table, Cell Ranger .h5 or AnnData .h5ad\n"
           "  --out FILE          model file to write (JSON)\n"
           "  --labels FILE       barcode<TAB>label, or obs:COLUMN of an .h5ad; kept in the model for label transfer\n"
           "  --duplicate-genes P repeated gene ids in DATA: error (default), unique (id.1, id.2, ...) or first\n"
           "  --genes SPEC        all | hvg:N (default hvg:2000) | gmt:FILE (genes of these sets)\n"
           "  --gmt FILE          after training, name each node on up to 5,000 training cells with these sets\n"
           "                      (scae pathways' defaults, --labels as groups) and keep its top set's\n"
           "                      coordinated component in the model: scae pathways and scae transfer then say\n"
           "                      whether each node kept that meaning on their data (node_meaning.tsv)\n"
           "  --epochs N          at most N epochs, 1..100000 (default 100; early stopping, patience 10)\n"
           "  --batch N           minibatch size, 1..1048576 (default 128)\n"
           "  --lr X              Adam learning rate, in (0, 1] (default 1e-3)\n"
           "  --weight-decay X    Adam L2 penalty in [0, 10] (default 0); also shrinks the input weights of genes\n"
           "                      the data rarely updates, which otherwise keep their random start\n"
           "  --layers A,B        encoder sizes, bottleneck last (default 128,64; each 1..16384, at most 16)\n"
           "  --loss NAME         poisson (default) | negative_binomial | mse\n"
           "  --no-normalize      feed log1p(raw counts) instead of depth-normalised counts\n"
           "  --seed S            seed of initialisation, splits and shuffles (default 42)\n"
           "  --threads T         OpenMP threads, at most the hardware threads (default 0: all)\n"
           "  --quiet             no progress on stderr\n"
           "  --checkpoint FILE   keep the whole training state in FILE (written atomically after every epoch);\n"
           "                      on SIGTERM, SIGINT or SIGUSR1, save it after the current minibatch and exit\n"
           "                      with 128 + the signal's number (143 for SIGTERM)\n"
           "  --checkpoint-every N  save every N epochs instead (default 1; the last epoch is always saved)\n"
           "  --resume FILE       continue the run saved in FILE up to --epochs (the same data and options;\n"
           "                      checked); keeps checkpointing to FILE unless --checkpoint names another\n"
           "  --shard             under mpirun -np R: each rank reads and holds only its block of the cells of an\n"
           "                      .h5ad or Cell Ranger .h5 (not Matrix Market or tables); the preprocessing is fitted\n"
           "                      from sums over the ranks and equals one process's\n"
           "  under mpirun -np R, each rank trains a slice of every minibatch (docs/cluster.md)\n") + input_options_usage();
}

/// Parses "128,64": 1 to nn::max_layers sizes, each 1..nn::max_layer_size (the limits
/// of a model file).
/// @param text  comma-separated encoder sizes, bottleneck last
/// @return the sizes, in order
/// @throws UsageError for an empty part, a size out of range or too many sizes
inline std::vector<Index> parse_layers(const std::string& text) {
    std::vector<Index> sizes;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t comma = text.find(',', begin);
        const std::string part = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        sizes.push_back(Index(parse_integer(part, "--layers (positive integers separated by commas)", 1, nn::max_layer_size)));
        if (comma == std::string::npos) break;
        begin = comma + 1;
    }
    if (Index(sizes.size()) > nn::max_layers)
        throw UsageError("--layers lists " + std::to_string(sizes.size()) + " sizes, expected at most " + std::to_string(nn::max_layers));
    return sizes;
}

/// Reads --genes into the preprocessing options.
/// @param spec  "all", "hvg:N" (the N most variable genes) or "gmt:FILE" (the genes of its sets)
/// @param p  the preprocessing options to update
/// @throws UsageError for another form, or an N out of range
inline void read_gene_selection(const std::string& spec, data::PreprocessOptions& p) {
    p.hvg.n_top_genes = 0; // no HVG step unless asked for
    if (spec == "all") return;
    if (spec.rfind("hvg:", 0) == 0) {
        p.hvg.n_top_genes = Index(parse_integer(spec.substr(4), "--genes hvg:N", 1, 10000000));
        return;
    }
    if (spec.rfind("gmt:", 0) == 0) {
        for (const auto& set : io::read_gmt(spec.substr(4)).sets)
            p.gene_set_symbols.insert(p.gene_set_symbols.end(), set.genes.begin(), set.genes.end());
        return;
    }
    throw UsageError("--genes expects all, hvg:N or gmt:FILE, got '" + spec + "'");
}

/// Reads --checkpoint, --checkpoint-every and --resume into `t` for a run on `ranks`; returns
/// the checkpoint path ("" for none). Only rank 0 writes; every rank reads the state it resumes.
/// @param a  the parsed options
/// @param inputs  the paths the run reads (a checkpoint may not overwrite them)
/// @param ranks  the ranks training together
/// @param t  the training options to update
/// @param err  where a note goes when --resume continues on other ranks or threads
/// @return the checkpoint path, "" for none
/// @throws UsageError for --checkpoint-every without a checkpoint file
inline std::string read_checkpoint_options(const Args& a, const std::vector<std::string>& inputs, const train::Communicator& ranks,
                                           train::TrainOptions& t, std::ostream& err) {
    std::string path;
    if (a.has("checkpoint")) path = output_file(a, "checkpoint", inputs);
    if (a.has("resume")) {
        const std::string resume = a.required("resume");
        auto state = std::make_shared<const train::TrainState>(train::load_checkpoint(resume));
        if (path.empty()) path = resume;
        int threads = t.threads;
#ifdef _OPENMP
        if (threads == 0) threads = omp_get_max_threads();
#else
        threads = 1;
#endif
        if (ranks.rank == 0 && (state->threads != threads || state->ranks != ranks.size))
            err << "scae train: note: " << resume << " was written by a run on " << state->ranks << " rank(s) x " << state->threads
                << " thread(s), this one has " << ranks.size << " x " << threads
                << "; it continues, but not bit for bit as the uninterrupted run would have\n";
        t.checkpoint.resume = std::move(state);
    }
    t.checkpoint.every = int(a.integer("checkpoint-every", 1, 1, 100000));
    if (a.has("checkpoint-every") && path.empty()) throw UsageError("--checkpoint-every needs --checkpoint FILE");
    if (!path.empty() && ranks.rank == 0)
        t.checkpoint.save = [path](const train::TrainState& state) { train::save_checkpoint(path, state); };
    return path;
}

/// The exit code of a run stopped by signal `signal`: 128 + its number, as a shell reports it.
/// @param signal  the signal's number (15 for SIGTERM)
/// @return 128 + `signal`
inline int stopped_exit_code(int signal) { return 128 + signal; }

/// Up to `most` cells of `data` (interpret::choose_cells(), seeded), with their labels, kept to
/// name the nodes after training (train_model() consumes the data).
/// @param data  the training counts
/// @param labels  one label per cell, or empty
/// @param most  the largest sample
/// @param seed  the draw's seed
/// @param sample_labels  receives the sample's labels (empty when `labels` is)
/// @return the sample's counts, with the data's gene names
inline io::CountMatrix<float> sample_cells(const io::CountMatrix<float>& data, const std::vector<std::string>& labels, Index most,
                                           std::uint64_t seed, std::vector<std::string>& sample_labels) {
    const std::vector<Index> rows = interpret::choose_cells(data.cells(), most, seed);
    io::CountMatrix<float> sample;
    sample.counts = data::select_rows(data.counts, rows);
    sample.gene_ids = data.gene_ids;
    sample.gene_symbols = data.gene_symbols;
    sample_labels.clear();
    if (!labels.empty())
        for (Index r : rows) sample_labels.push_back(labels[std::size_t(r)]);
    return sample;
}

/// What `model` keeps of its nodes' names (ModelFile::reference_meaning): scae pathways'
/// defaults on `sample`, a sample of its training cells, with `sample_labels` as groups, then
/// each named node's set component (interpret::reference_meaning()).
/// @param model  the trained model
/// @param sample  training cells (sample_cells()), consumed
/// @param sample_labels  their labels, or empty
/// @param sets  the gene sets
/// @param gmt  the gene-set file, whose file name is kept
/// @param threads  threads for the scoring
/// @return each node's training set and component
/// @throws Error as score_pathways() does (no set with enough model genes)
inline interpret::ReferenceMeaning name_nodes(const transfer::ModelFile& model, io::CountMatrix<float>&& sample,
                                              const std::vector<std::string>& sample_labels, const io::GeneSets& sets, const std::string& gmt,
                                              int threads) {
    if (sample.gene_ids.empty()) sample.gene_ids = sample.gene_symbols; // as train_model() names the model's genes
    if (sample.gene_symbols.empty()) sample.gene_symbols = sample.gene_ids;
    const data::Alignment alignment = data::align_genes(model.gene_ids, model.gene_symbols, sample.gene_ids, sample.gene_symbols);
    data::align_in_place(sample.counts, alignment);
    interpret::PathwayOptions options;
    options.threads = threads;
    const interpret::PathwayResult r = interpret::score_pathways(model.model, sample.counts, model.gene_symbols, sets.sets, options, sample_labels);
    return interpret::reference_meaning(model.model, sample.counts, r, std::filesystem::path(gmt).filename().string(), options.alpha);
}

/// `scae train`; returns the exit code.
/// @param args  the words after "train"
/// @param out  where the JSON summary prints
/// @param err  where progress, notes and errors print
/// @return the exit code (Exit, or stopped_exit_code() for a run stopped by a signal)
inline int train(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    return guarded("train", args, train_usage(), out, err, [&] {
        const Args a(args, with_input_options({"data", "out", "labels", "genes", "gmt", "epochs", "batch", "lr", "weight-decay", "layers", "loss", "seed", "threads", "duplicate-genes",
                                        "checkpoint", "checkpoint-every", "resume"}),
                     with_input_flags({"no-normalize", "quiet", "shard"}));
        const std::string genes = a.get("genes", "hvg:2000");
        const std::string data_path = a.required("data");
        const std::string model_path =
            output_file(a, "out", {data_path, a.get("labels", ""), genes.rfind("gmt:", 0) == 0 ? genes.substr(4) : "", a.get("gmt", "")});
        if (a.has("gmt") && a.has("shard"))
            throw UsageError("--gmt names the nodes on training cells one process holds; it does not combine with --shard");
        std::optional<io::GeneSets> node_sets; // read now: a bad file is reported before training
        if (a.has("gmt")) node_sets = io::read_gmt(a.required("gmt"));
        transfer::TrainRecipe recipe;
        read_gene_selection(genes, recipe.preprocess);
        recipe.normalize = !a.has("no-normalize");
        if (a.has("layers")) recipe.model.encoder_sizes = parse_layers(a.required("layers"));
        recipe.model.loss = a.choice("loss", nn::loss_names, recipe.model.loss);
        read_train_options(a, recipe.train); // its seed is the model's too (transfer::TrainRecipe)
        const train::Communicator ranks = world_ranks();
        recipe.train.communicator = ranks;
        if (ranks.rank != 0) recipe.train.progress = nullptr; // rank 0 alone shows progress
        const std::string checkpoint = read_checkpoint_options(a, {data_path, a.get("labels", ""), model_path}, ranks, recipe.train, err);
        std::unique_ptr<train::StopOnSignals> stop_on_signals;
        if (!checkpoint.empty()) {
            stop_on_signals = std::make_unique<train::StopOnSignals>();
            recipe.train.checkpoint.stop = train::StopOnSignals::flag();
        }
        const bool sharded = a.has("shard");
        const auto warn_unless_counts = [&](bool integer_values) {
            if (!integer_values && recipe.model.loss != nn::Loss::mse)
                err << "scae train: warning: " << data_path << " holds non-integer values (log-normalised or TPM?), but the "
                    << nn::to_string(recipe.model.loss) << " loss models counts; give raw counts, or --loss mse for such values\n";
        };
        std::optional<transfer::ModelFile> trained;
        io::CountMatrix<float> sample; // --gmt: training cells to name the nodes on
        std::vector<std::string> sample_labels;
        try {
            if (sharded) {
                auto block = read_data_block(a, err, ranks.rank, ranks.size);
                std::vector<double> integer{block.data.integer_values ? 1.0 : 0.0};
                if (ranks.size > 1) ranks.sum(integer); // every rank's block must hold whole numbers
                if (ranks.rank == 0) warn_unless_counts(integer[0] == ranks.size);
                const auto labels = a.has("labels") ? read_cell_labels(a.required("labels"), block.data.barcodes, data_path) : std::vector<std::string>{};
                trained.emplace(transfer::train_model_sharded(std::move(block.data), recipe, ranks, data_path, labels));
            } else {
                auto data = read_data(a, err);
                warn_unless_counts(data.integer_values);
                const auto labels = a.has("labels") ? read_cell_labels(a.required("labels"), data.barcodes, data_path) : std::vector<std::string>{};
                if (node_sets && ranks.rank == 0)
                    sample = sample_cells(data, labels, interpret::PathwayOptions{}.max_cells, recipe.train.seed, sample_labels);
                trained.emplace(transfer::train_model(std::move(data), recipe, data_path, labels)); // moved: never held twice
            }
        } catch (const train::Stopped& e) {
            const int signal = *train::StopOnSignals::flag();
            if (ranks.rank == 0)
                err << "scae train: " << e.what() << " (signal " << signal << "); the state is in " << checkpoint
                    << "; continue with --resume " << checkpoint << "\n";
            return stopped_exit_code(signal);
        }
        if (ranks.rank != 0) return int(ok); // rank 0 writes the model and the summary
        transfer::ModelFile& model = *trained;
        if (node_sets) {
            try { // the model is worth keeping even when its genes leave no set to name the nodes with
                model.reference_meaning = name_nodes(model, std::move(sample), sample_labels, *node_sets, a.required("gmt"), recipe.train.threads);
            } catch (const Error& e) {
                err << "scae train: warning: the nodes were not named (" << e.what() << "); the model keeps no gene sets\n";
            }
        }
        std::size_t named = 0;
        for (const interpret::NodeProgramme& p : model.reference_meaning.nodes) named += p.named();
        model.provenance.extra["command"] = "scae train";
        model.provenance.extra["instruction_set"] = scae::instruction_set(); // models are bit-identical within one only
        if (sharded) model.provenance.extra["sharded_ranks"] = std::to_string(ranks.size);
        if (a.has("labels")) model.provenance.extra["labels"] = a.required("labels");
        transfer::save_model(model_path, model);
        const train::EpochRecord last = model.history.epochs.empty() ? train::EpochRecord{} : model.history.epochs.back();
        std::vector<double> epoch_seconds;
        for (const train::EpochRecord& e : model.history.epochs) epoch_seconds.push_back(e.seconds);
        out << nlohmann::json{{"model", model_path},
                              {"cells", model.provenance.cells},
                              {"genes", model.model.genes()},
                              {"epochs", model.history.epochs.size()},
                              {"named_nodes", named},
                              {"train_cells", model.history.train_cells},
                              {"epoch_seconds", epoch_seconds}, // training only: reading and preprocessing come before
                              {"ranks", ranks.size},
                              {"best_epoch", model.history.best_epoch},
                              {"train_loss", last.train_loss},
                              {"validation_loss", std::isfinite(last.validation_loss) ? nlohmann::json(last.validation_loss) : nlohmann::json()}}
                   .dump()
            << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

#pragma once
/// @file options.hpp
/// @brief The options several `scae` subcommands share, parsed in one place: training
/// (read_train_options(): train, and transfer's native model), gene matching (align_options()),
/// missing genes (missing_genes_option()) and calibration (calibration_options()). Each
/// subcommand's file holds only its own options; the reader options are in input_options.hpp.

#include "scae/cli/args.hpp"
#include "scae/cli/progress.hpp"
#include "scae/data/align.hpp"
#include "scae/train/train.hpp"
#include "scae/transfer/calibrate.hpp"
#include "scae/transfer/missing_genes.hpp"

#include <cstdint>
#include <string>

namespace scae::cli {

/// Applies the shared training options (--epochs --batch --lr --weight-decay --seed --threads
/// --quiet); progress goes to stderr as a status line (progress_line()) unless --quiet.
/// @param a  the parsed options
/// @param t  the options to update; those not given keep their value, but --threads, whose
/// absence means every core (0), where the library's default is one
/// @throws UsageError for a value out of range
inline void read_train_options(const Args& a, train::TrainOptions& t) {
    t.epochs = int(a.integer("epochs", t.epochs, 1, 100000));
    t.batch_size = int(a.integer("batch", t.batch_size, 1, 1 << 20));
    t.learning_rate = a.positive_number("lr", t.learning_rate, 1);
    t.weight_decay = a.number("weight-decay", t.weight_decay, 0, 10);
    t.seed = std::uint64_t(a.integer("seed", std::int64_t(t.seed)));
    t.threads = a.threads(); // the command line takes every core unless told
    t.progress = progress_line(a.has("quiet") ? ProgressMode::never : ProgressMode::automatic);
}

/// Gene matching from `--min-coverage` (the fraction of model genes that must be found,
/// default 0.5; lower it knowingly for another technology or a targeted panel).
/// @param a  the parsed options
/// @return the gene matching options
/// @throws UsageError when --min-coverage is not in [0, 1]
inline data::AlignOptions align_options(const Args& a) {
    data::AlignOptions options;
    options.min_coverage = a.number("min-coverage", options.min_coverage, 0, 1);
    return options;
}

/// `--missing-genes`: how a model stands in for the model genes the data lack (default conditional).
/// @param a  the parsed options
/// @return the method
/// @throws UsageError for an unknown method
inline transfer::MissingGenes missing_genes_option(const Args& a) {
    return a.choice("missing-genes", transfer::missing_genes_names, transfer::MissingGenes::conditional);
}

/// The usage line of `--missing-genes`.
/// @return two lines of usage text
inline std::string missing_genes_usage() {
    return "  --missing-genes M   model genes the data lack: conditional (default: their expectation given the\n"
           "                      present genes) | reference_mean | zero (as not expressed)\n";
}

/// Calibration from `--calibrate none|genes|genes_shrunk|groups|blend` (default groups) and
/// `--prior-counts K|auto` (genes_shrunk's k, default auto: estimated from the data).
/// @param a  the parsed options
/// @return the calibration options
/// @throws UsageError for an unknown --calibrate method or a --prior-counts outside [0, 1e12]
inline transfer::CalibrationOptions calibration_options(const Args& a) {
    transfer::CalibrationOptions options;
    options.method = a.choice("calibrate", transfer::calibration_names, options.method);
    if (a.get("prior-counts", "auto") != "auto") options.prior_counts = a.number("prior-counts", 0, 0, 1e12);
    return options;
}

} // namespace scae::cli

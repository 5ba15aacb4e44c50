#pragma once
/// @file transfer.hpp
/// @brief `scae transfer`: apply a foreign model to a labelled tissue and write a report
/// that sets it next to a native model and PCA (transfer::run_transfer, then
/// transfer::write_transfer_report).

#include "scae/cli/annotate.hpp"
#include "scae/cli/common.hpp"
#include "scae/cli/embed.hpp"
#include "scae/cli/options.hpp"
#include "scae/cli/train.hpp"
#include "scae/io/label_map.hpp"
#include "scae/transfer/report.hpp"
#include "scae/cli/node_meaning.hpp"
#include "scae/transfer/run_transfer.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>

namespace scae::cli {

/// The transfer report's files (transfer/report.hpp); the demo writes one too.
using transfer::write_transfer_report;

/// Usage text of `scae transfer`.
/// @return the usage text, ending in a newline
inline std::string transfer_usage() {
    return std::string("usage: scae transfer --model MODEL.json --data DIR|FILE --out REPORT_DIR [options]\n"
           "  --labels FILE       barcode<TAB>label of the target cells, or obs:COLUMN of an .h5ad (classification and clustering)\n"
           "  --min-coverage F    fraction of model genes that must be found in DIR (default 0.5)\n"
           "  --duplicate-genes P repeated gene ids in DIR: error (default), unique (id.1, id.2, ...) or first\n"
           "  --native            also train a native model on the target (default on; --no-native to skip)\n"
           "  --no-native         skip the native baseline\n"
           "  --epochs N          native model epochs, 1..100000 (default 100, early stopping)\n"
           "  --seed S            seed of splits, masks, folds and the native model (default 42)\n"
           "  --calibrate M       how every predictor is applied: none | genes | genes_shrunk | groups (default) | blend\n"
           "  --prior-counts K    genes_shrunk: counts a gene needs to move half way to its observed level (default auto)\n"
           "  --mcv-fraction P    molecular cross-validation: share of each count given to the denoiser (default 0.5)\n"
           "  --error-rate A      label transfer: share of cells of reference types allowed to be called unknown,\n"
           "                      in (0, 1) (default 0.05)\n"
           "  --label-map FILE    reference_label<TAB>target_label lines, for scoring labels named differently\n"
           "  --alignment M       label transfer: how the target's bottleneck is moved onto the reference's:\n"
           "                      mnn (default: mutual nearest neighbours) | standardize | none\n"
           "  --eval-cells N      cells (a stratified subsample) of the all-pairs scores, kNN and silhouette, and reference cells\n"
           "                      that vote in label transfer, at most (default 20000; 2..10000000)\n"
           "  --threads T         OpenMP threads\n"
           "  --quiet             no progress on stderr\n") + missing_genes_usage() + input_options_usage() +
           "\nWith a model trained with --gmt, REPORT_DIR also holds\n" + node_meaning_usage();
}

/// The options `scae transfer` takes (see transfer_usage()).
/// @return the names of the valued options, without "--"
inline std::set<std::string> transfer_option_names() {
    return with_input_options({"model", "data", "labels", "out", "epochs", "seed", "threads", "batch", "lr", "weight-decay", "min-coverage",
                               "duplicate-genes", "calibrate", "prior-counts", "mcv-fraction", "eval-cells", "missing-genes", "error-rate", "alignment",
                               "label-map"});
}

/// What `scae transfer` read and computed.
struct TransferRun {
    transfer::ModelFile model;       ///< the foreign model
    io::CountMatrix<float> data;     ///< the target data: its barcodes and genes (the counts are consumed)
    std::vector<std::string> labels; ///< the target's labels (empty without --labels)
    transfer::TransferResults result; ///< run_transfer's results
};

/// Reads the inputs named by `a` (the options of `scae transfer`) and runs run_transfer.
/// @param a  the parsed options
/// @param err  where notes from reading and progress go
/// @return what was read, and the results
/// @throws UsageError for a bad option value
/// @throws Error for unreadable inputs or a model that overflows on the data
inline TransferRun run_transfer_command(const Args& a, std::ostream& err) {
    const std::string model_path = a.required("model"), data_path = a.required("data");
    transfer::TransferOptions options;
    options.align = align_options(a);
    options.native = !a.has("no-native");
    read_train_options(a, options.native_train);
    options.threads = a.threads(); // every core unless told (the library's default is one)
    options.seed = std::uint64_t(a.integer("seed", std::int64_t(options.seed))); // the native model's too
    options.calibration = calibration_options(a);
    options.split.fraction = a.number("mcv-fraction", options.split.fraction, 0, 1);
    if (!(options.split.fraction > 0 && options.split.fraction < 1)) throw UsageError("--mcv-fraction must be in (0, 1)");
    options.scores.max_cells = Index(a.integer("eval-cells", options.scores.max_cells, 2, 10000000));
    options.progress = progress_line(a.has("quiet") ? ProgressMode::never : ProgressMode::automatic, NoteStyle::timed);
    read_annotation_options(a, options.missing_genes, options.annotate);
    TransferRun run{transfer::load_model(model_path), {}, {}, {}};
    if (a.has("label-map")) {
        options.label_map = io::read_label_map(a.required("label-map"));
        transfer::check_label_map(options.label_map, run.model.reference_labels, a.required("label-map"));
    }
    run.data = read_data(a, err);
    if (a.has("labels")) run.labels = read_cell_labels(a.required("labels"), run.data.barcodes, data_path);
    require_finite_on_head(run.model, run.data, model_path); // NaN here would surface later as a PCA error naming no file
    // The counts are consumed (aligned in their own memory): an atlas is not held twice.
    run.result = transfer::run_transfer(run.model, std::move(run.data), run.labels, options);
    return run;
}

/// `scae transfer`; returns the exit code.
/// @param args  the words after "transfer"
/// @param out  where report.json's content prints, on one line
/// @param err  where progress and errors print
/// @return the exit code (Exit)
inline int transfer(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    return guarded("transfer", args, transfer_usage(), out, err, [&] {
        const Args a(args, transfer_option_names(), with_input_flags({"native", "no-native", "quiet"}));
        const std::string model_path = a.required("model"), data_path = a.required("data"),
                          out_dir = output_folder(a, "out", {model_path, data_path, a.get("labels", ""), a.get("label-map", "")});
        const TransferRun run = run_transfer_command(a, err);
        report::ReportFolder folder(out_dir, {model_path, data_path, a.get("labels", ""), a.get("label-map", "")});
        // Written into a temporary folder (errors name out_dir), moved into out_dir once whole.
        const nlohmann::json report = folder.write([&](const std::string& dir) {
            return transfer::write_transfer_report(dir, run.result, run.model, run.data.barcodes, run.labels,
                                                   {model_path, data_path, a.get("labels", "")});
        });
        folder.commit();
        out << report.dump() << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

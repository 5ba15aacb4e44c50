#pragma once
/// @file embed.hpp
/// @brief `scae embed` (bottleneck activations per cell) and `scae denoise` (expected counts),
/// both applying a saved model to new data after aligning its genes.

#include "scae/cli/common.hpp"
#include "scae/data/align.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/transfer/model_file.hpp"

namespace scae::cli {

/// A model and a dataset aligned to its genes.
struct AlignedInput {
    transfer::ModelFile model;      ///< the loaded model
    io::CountMatrix<float> data;    ///< the data as read
    data::Alignment alignment;      ///< gene matching diagnostics
    Csr<float> counts;              ///< data counts in model gene order
};

/// Gene matching from `--min-coverage` (the fraction of model genes that must be found,
/// default 0.5; lower it knowingly for another technology or a targeted panel).
inline data::AlignOptions align_options(const Args& a) {
    data::AlignOptions options;
    options.min_coverage = a.number("min-coverage", options.min_coverage);
    if (!(options.min_coverage >= 0 && options.min_coverage <= 1)) throw UsageError("--min-coverage must be in [0, 1]");
    return options;
}

/// Loads `--model` and `--data` and aligns the data to the model's genes.
inline AlignedInput load_aligned(const Args& a) {
    AlignedInput in{transfer::load_model(a.required("model")), io::read_counts<float>(a.required("data")), {}, {}};
    in.alignment = data::align_genes(in.model.gene_ids, in.model.gene_symbols, in.data.gene_ids, in.data.gene_symbols,
                                     align_options(a));
    in.counts = data::apply_alignment(in.data.counts, in.alignment);
    in.counts.makeCompressed();
    return in;
}

/// One line of alignment diagnostics for stderr.
inline std::string alignment_line(const data::Alignment& a) {
    std::ostringstream s;
    s << "aligned " << a.matched << " of " << a.n_model_genes << " model genes by " << data::to_string(a.method) << " ("
      << std::fixed << std::setprecision(1) << 100 * a.coverage << "% coverage)";
    return s.str();
}

/// `scae embed`: writes the bottleneck activations as TSV (cells x nodes).
inline int embed(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* usage = "usage: scae embed --model MODEL.json --data DIR [--min-coverage F] --out latent.tsv[.gz]\n";
    return guarded("embed", args, usage, out, err, [&] {
        const Args a(args, {"model", "data", "out", "min-coverage"});
        const auto in = load_aligned(a);
        const Matrix<float> latent = in.model.model.encode(in.counts);
        write_output(a.required("out"), matrix_tsv(latent, in.data.barcodes, node_names(latent.cols())));
        err << alignment_line(in.alignment) << "\n";
        return int(ok);
    });
}

/// Calibration from `--calibrate none|genes|genes_shrunk|blend` (default blend) and
/// `--prior-counts K|auto` (genes_shrunk's k, default auto: estimated from the data).
inline transfer::CalibrationOptions calibration_options(const Args& a) {
    transfer::CalibrationOptions options;
    try {
        options.method = transfer::calibration_from_string(a.get("calibrate", transfer::to_string(options.method)));
    } catch (const Error& e) {
        throw UsageError(std::string("--calibrate: ") + e.what());
    }
    if (a.get("prior-counts", "auto") != "auto") {
        options.prior_counts = a.number("prior-counts", 0);
        if (!(options.prior_counts >= 0 && options.prior_counts < 1e12)) throw UsageError("--prior-counts must be auto or a number >= 0");
    }
    return options;
}

/// `scae denoise`: writes the reconstructed expected counts as TSV (cells x model genes),
/// calibrated per gene on the data (see transfer/calibrate.hpp); prints what was applied as JSON.
inline int denoise(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* usage = "usage: scae denoise --model MODEL.json --data DIR [--min-coverage F] --out denoised.tsv[.gz]\n"
                        "  --calibrate M      none | genes | genes_shrunk | blend (default): rescale each gene's rates to its level\n"
                        "                     in DIR (blend: then mix with the gene mean, as much as MCV on DIR says)\n"
                        "  --prior-counts K   genes_shrunk: counts a gene needs to move half way to its observed level\n"
                        "                     (default auto: estimated from the data, empirical Bayes)\n";
    return guarded("denoise", args, usage, out, err, [&] {
        const Args a(args, {"model", "data", "out", "min-coverage", "calibrate", "prior-counts"});
        transfer::DenoiseOptions options;
        options.calibration = calibration_options(a);
        const auto in = load_aligned(a);
        const auto result = transfer::denoise(in.model.model, in.counts, options);
        write_output(a.required("out"), matrix_tsv(result.rates, in.data.barcodes, in.model.gene_symbols));
        const nlohmann::json summary = {{"out", a.required("out")}, {"calibration", transfer::calibration_json(result.calibration)}};
        err << alignment_line(in.alignment) << "; calibration " << transfer::to_string(result.calibration.method) << "\n";
        out << summary.dump() << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

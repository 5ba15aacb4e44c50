#pragma once
/// @file report.hpp
/// @brief The files of a transfer report (`scae transfer`), written by the library as
/// interpret/pathway_report.hpp writes a pathways report: report.json and report.md, latent.tsv,
/// cells.tsv (and cells.h5ad in builds with HDF5), node_support.tsv, denoising_genes.tsv and
/// latent.svg. cells.h5ad and node_support.tsv are also parts of an annotation report.

#include "scae/core/atomic_file.hpp"
#include "scae/core/random.hpp"
#include "scae/report/scatter_svg.hpp"
#include "scae/report/tsv.hpp"
#include "scae/transfer/node_support.hpp"
#include "scae/transfer/run_transfer.hpp"
#include "scae/version.hpp"

#ifdef SCAE_HAVE_HDF5
#include "scae/io/h5ad_write.hpp"
#endif

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scae::transfer {

/// Writes cells.h5ad for scanpy users: obs = predicted_label, nearest_label, confidence and vote
/// (with an annotation), the target's own label (when given) and the deviance; obsm['X_scae'] = the
/// bottleneck; uns['scae'] = `uns`. Nothing in a build without HDF5 (the TSV holds the same).
/// @param path  the file
/// @param barcodes  one per cell
/// @param annotation  the labels, or nullptr for none
/// @param labels  the target's own labels, or empty
/// @param deviance  per-cell reconstruction deviance
/// @param latent  the bottleneck, cells x nodes
/// @param uns  provenance for uns['scae']
/// @throws Error when the file cannot be written
inline void write_cells_h5ad(const std::string& path, const std::vector<std::string>& barcodes, const transfer::Annotation* annotation,
                             const std::vector<std::string>& labels, const std::vector<double>& deviance, const Matrix<float>& latent,
                             const nlohmann::json& uns) {
#ifdef SCAE_HAVE_HDF5
    io::H5adContent content;
    content.obs_names = barcodes;
    if (annotation) {
        content.obs_columns = {{"predicted_label", annotation->labels}, {"nearest_label", annotation->nearest}};
        content.obs_numbers = {{"confidence", annotation->confidence}, {"vote", annotation->vote}};
    }
    if (!labels.empty()) content.obs_columns.emplace_back("label", labels);
    content.obs_numbers.emplace_back("deviance", deviance);
    content.obsm = {{"X_scae", &latent}};
    content.uns["scae"] = uns;
    io::write_h5ad(path, content);
#else
    (void)path, (void)barcodes, (void)annotation, (void)labels, (void)deviance, (void)latent, (void)uns;
#endif
}

namespace detail {

/// A JSON number with `digits` decimals, "-" for anything else.
inline std::string fixed(const nlohmann::json& value, int digits = 3) {
    if (!value.is_number()) return "-";
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << value.get<double>();
    return s.str();
}

/// report.md: a short Markdown summary of report.json for people.
/// @param r  report.json's content
/// @return the Markdown text
inline std::string transfer_report_markdown(const nlohmann::json& r) {
    std::ostringstream md;
    const auto& al = r["alignment"];
    md << "# Foreign model on " << r.value("data", std::string("?")) << "\n\n"
       << "Model `" << r.value("model", std::string("?")) << "` applied without retraining to " << r["cells"] << " cells.\n\n"
       << "Genes: " << al.value("matched", 0) << " of " << al.value("n_model_genes", 0) << " model genes found by "
       << al.value("method", std::string("?")) << " (coverage " << fixed(al["coverage"], 3) << ").\n\n";
    const std::vector<std::string> methods = {"foreign", "native", "pca"};
    if (r.contains("latent")) {
        md << "## Cell labels in the latent space\n\n"
           << "| space | kNN accuracy | kNN macro-F1 | kNN cosine acc. | k-means ARI | k-means NMI | silhouette |\n"
           << "|---|---|---|---|---|---|---|\n";
        for (const auto& m : methods)
            if (r["latent"].contains(m)) {
                const auto& s = r["latent"][m];
                md << "| " << m << " | " << fixed(s["knn_accuracy"]) << " | " << fixed(s["knn_macro_f1"]) << " | "
                   << fixed(s["knn_cosine_accuracy"]) << " | " << fixed(s["kmeans_ari"]) << " | " << fixed(s["kmeans_nmi"]) << " | "
                   << fixed(s["silhouette"]) << " |\n";
            }
        const auto& f = r["latent"]["foreign"];
        md << "\nkNN: k = 15, stratified 5-fold cross-validation on the target's labels";
        if (f.value("subsample_cells", 0) < f.value("cells", 0))
            md << "; kNN and silhouette on a stratified subsample of " << f["subsample_cells"] << " of the " << f["cells"]
               << " labelled cells (k-means assigns all of them)";
        md << ". PCA: " << r["latent"]["pca"].value("components", 0) << " components on the model's genes and input transform.\n\n";
    }
    if (r.contains("missing_genes")) {
        const auto& mg = r["missing_genes"];
        md << "Missing model genes (" << mg["missing"] << ") stood in for by `" << mg.value("method", std::string("?")) << "`";
        if (mg.value("present_count_share", 1.0) < 1) md << "; depth corrected by the present genes' reference count share " << fixed(mg["present_count_share"]);
        md << ".";
        if (mg.contains("note")) md << " " << mg["note"].get<std::string>() << ".";
        md << "\n\n";
    }
    if (r.contains("node_support")) {
        const auto& ns = r["node_support"];
        md << "Node support: " << ns["untrusted_nodes"] << " of " << ns["nodes"].size()
           << " bottleneck nodes rest too much on genes this target lacks to be trusted (`node_support.tsv`).\n\n";
    }
    if (r.contains("node_meaning")) {
        const auto& nm = r["node_meaning"];
        md << "Node meaning: of the nodes named on the model's training cells, " << nm["kept"] << " kept their set's coordinated component here, "
           << nm["changed"] << " did not, " << nm["untested"] << " were not tested (`node_meaning.tsv`).\n\n";
    }
    if (r.contains("label_transfer")) {
        const auto& lt = r["label_transfer"];
        md << "## Labels transferred from the model's reference cells\n\n"
           << "Each cell gets the majority label of its 15 nearest reference cells, and `unknown` where its conformal p-value "
              "(`confidence`) is below " << lt["error_rate"] << ": then no reference type holds cells this far from their own kind. "
           << lt["reference_cells"] << " of the model's " << lt["reference_cells_total"] << " labelled reference cells were used.\n\n"
           << "| predicted label | cells |\n|---|---|\n";
        for (const auto& [label, cells] : lt["predicted_counts"].items()) md << "| " << label << " | " << cells << " |\n";
        if (lt.value("shared_label_cells", 0) > 0)
            md << "\nOf the " << lt["shared_label_cells"] << " target cells whose label the reference has, " << fixed(lt["unknown_share"])
               << " were called `unknown`; of those given a label, " << fixed(lt["accuracy"]) << " got their own (macro-F1 "
               << fixed(lt["macro_f1"]) << "; the majority label alone: accuracy " << fixed(lt["nearest_accuracy"]) << ").";
        if (lt.value("unseen_label_cells", 0) > 0)
            md << " Of the " << lt["unseen_label_cells"] << " cells of types the reference lacks, " << fixed(lt["unseen_unknown_share"])
               << " were called `unknown`.";
        md << "\n\n";
    }
    const auto& dn = r["denoising"];
    const bool mcv = dn.value("protocol", std::string()) == "molecular_cross_validation";
    md << "## Denoising\n\n";
    if (mcv)
        md << "Molecular cross-validation on " << dn["held_out_cells"] << " held-out cells: each count split into Xa ~ Binomial(X, "
           << fixed(dn["fraction"], 2) << ") and Xb = X - Xa; every predictor sees Xa and is scored against Xb over all "
           << dn["genes"] << " model genes, zeros included (native model and PCA fitted on Xa of the other cells).\n\n";
    else
        md << "**Not molecular cross-validation:** " << dn.value("note", std::string()) << ". Hidden share "
           << fixed(dn["fraction"], 2) << " of the nonzero entries of " << dn["held_out_cells"] << " held-out cells.\n\n";
    md << "| predictor | Poisson deviance (lower is better) | ratio to gene mean | Pearson r of log1p (higher is better) |\n|---|---|---|---|\n";
    for (const auto& m : {"foreign", "native", "pca", "foreign_raw", "native_raw", "pca_raw", "gene_mean"})
        if (dn.contains(m))
            md << "| " << m << " | " << fixed(dn[m]["poisson_deviance"]) << " | " << fixed(dn[m]["ratio_to_gene_mean"]) << " | "
               << fixed(dn[m]["pearson_log1p"]) << " |\n";
    if (dn.contains("foreign") && dn["foreign"].contains("calibration")) {
        const auto& c = dn["foreign"]["calibration"];
        md << "\n`foreign` is the model as `scae denoise` applies it: calibration `" << c.value("method", std::string("?")) << "`";
        if (c.contains("model_weight"))
            md << ", weights " << fixed(c["model_weight"], 1) << " model + " << fixed(c["observed_weight"], 1) << " the cell's own counts + "
               << fixed(c["gene_mean_weight"], 1) << " gene mean, chosen by MCV within the input";
        if (c.contains("factor_median"))
            md << " (per-gene factors fitted on the denoiser's input: median " << fixed(c["factor_median"]) << ", range "
               << fixed(c["factor_min"]) << " to " << fixed(c["factor_max"]) << ")";
        if (c.contains("groups") && c["groups"].get<int>() > 0)
            md << ", then per gene within " << c["groups"] << " groups of similar cells";
        md << "; native and PCA get the same calibration, fitted the same way; `*_raw` are the uncalibrated predictors.\n";
    }
    md << "\nFiles: `report.json` (every number), `latent.tsv` (foreign bottleneck per cell), `cells.tsv` (per cell: predicted label,"
          " confidence, deviance, labels), `cells.h5ad` (the same as AnnData obs, the bottleneck as obsm['X_scae'], when built with"
          " HDF5), `node_support.tsv` (each node's reliance on missing genes), `latent.svg` (2-D PCA of the latent space),"
          " `denoising_genes.tsv` (denoising deviance per gene and predictor).\n";
    return md.str();
}

} // namespace detail

/// The paths a transfer report names (as the user gave them: the final ones, never a
/// temporary folder's).
struct TransferReportInputs {
    std::string model;  ///< the model file
    std::string data;   ///< the target data
    std::string labels; ///< the target labels file ("" for none)
};

/// Writes the files of a transfer report into `dir` (report.json, report.md, latent.tsv,
/// cells.tsv, denoising_genes.tsv, latent.svg) and returns report.json's content.
/// @param dir  an existing folder to write into
/// @param result  run_transfer's results
/// @param model  the foreign model applied
/// @param barcodes  the target's cell barcodes, one per row of the results
/// @param labels  the target's labels, one per cell, or empty for none
/// @param inputs  the paths report.json names
/// @return report.json's content
/// @throws Error when a file cannot be written
inline nlohmann::json write_transfer_report(const std::string& dir, const TransferResults& result, const ModelFile& model,
                                            const std::vector<std::string>& barcodes, const std::vector<std::string>& labels,
                                            const TransferReportInputs& inputs) {
    nlohmann::json report = result;
    report["model"] = inputs.model;
    report["data"] = inputs.data;
    report["labels"] = inputs.labels;
    report["scae_version"] = SCAE_VERSION;
    write_text_atomically(dir + "/report.json", report.dump(2) + "\n");
    write_text_atomically(dir + "/report.md", detail::transfer_report_markdown(report));
    write_file_atomically(dir + "/latent.tsv", [&](std::ostream& out) {
        report::write_matrix_tsv(out, "cell", barcodes, node_names(result.latent.cols()), result.latent);
    });
    const Annotation* an = result.annotation ? &*result.annotation : nullptr;
    std::ostringstream cells;
    cells << "cell\tpredicted_label\tconfidence\tnearest_label\tvote\tlabel\tdeviance\tx\ty\n" << std::setprecision(6);
    for (Index c = 0; c < result.cells; ++c) {
        const std::size_t i = std::size_t(c);
        cells << barcodes[i] << '\t';
        if (an) cells << an->labels[i] << '\t' << an->confidence[i] << '\t' << an->nearest[i] << '\t' << an->vote[i] << '\t';
        else cells << "\t\t\t\t";
        cells << (labels.empty() ? "" : labels[i]) << '\t' << result.cell_deviance[i] << '\t' << result.latent_2d(c, 0) << '\t'
              << result.latent_2d(c, 1) << '\n';
    }
    write_text_atomically(dir + "/cells.tsv", cells.str());
    write_node_support(dir + "/node_support.tsv", result.node_support);
    if (!result.node_meaning.empty()) write_text_atomically(dir + "/node_meaning.tsv", interpret::node_meaning_tsv(result.node_meaning));
    write_cells_h5ad(dir + "/cells.h5ad", barcodes, an, labels, result.cell_deviance, result.latent,
                     {{"command", "scae transfer"}, {"scae_version", SCAE_VERSION}, {"model", inputs.model}, {"data", inputs.data}});
    std::ostringstream genes;
    genes << "gene" << std::setprecision(6);
    for (const auto& [name, values] : result.gene_deviance) genes << '\t' << name;
    genes << '\n';
    for (std::size_t g = 0; g < model.gene_symbols.size(); ++g) {
        genes << model.gene_symbols[g];
        for (const auto& [name, values] : result.gene_deviance) genes << '\t' << (g < values.size() ? values[g] : 0.0);
        genes << '\n';
    }
    write_text_atomically(dir + "/denoising_genes.tsv", genes.str());
    // The scatter plot shows at most max_points cells (a seeded random subset, said in the
    // title): more only hide each other, and make a file no viewer opens.
    const Index max_points = 50000;
    std::vector<Index> shown(std::size_t(result.cells));
    std::iota(shown.begin(), shown.end(), Index(0));
    if (result.cells > max_points) {
        Rng rng(derive_seed(0, 7));
        rng.shuffle(shown);
        shown.resize(std::size_t(max_points));
        std::sort(shown.begin(), shown.end());
    }
    std::vector<std::string> colour;
    for (Index c : shown) {
        const std::size_t i = std::size_t(c);
        std::string label = !labels.empty() ? labels[i] : result.annotation ? result.annotation->labels[i] : "cells";
        colour.push_back(label.empty() ? "(unlabelled)" : label);
    }
    report::ScatterOptions scatter;
    scatter.title = "Foreign-model latent space of " + std::filesystem::path(inputs.data).filename().string() + " (PCA of the bottleneck)";
    if (Index(shown.size()) < result.cells)
        scatter.title += ", " + std::to_string(shown.size()) + " of " + std::to_string(result.cells) + " cells";
    const Matrix<double> xy = result.latent_2d(shown, Eigen::all);
    write_text_atomically(dir + "/latent.svg", report::scatter_svg(xy, colour, scatter));
    return report;
}

} // namespace scae::transfer

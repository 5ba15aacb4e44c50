#pragma once
/// @file annotate.hpp
/// @brief `scae annotate`: label every cell of a new tissue from a model's labelled reference,
/// with a confidence and `unknown` where no reference type fits (transfer/run_annotation.hpp).

#include "scae/cli/common.hpp"
#include "scae/cli/embed.hpp"
#include "scae/io/label_map.hpp"
#include "scae/transfer/report.hpp"
#include "scae/transfer/run_annotation.hpp"

#include <iomanip>
#include <set>
#include <sstream>

namespace scae::cli {

/// Reads `--missing-genes`, `--alignment` and `--error-rate` (a bad value is a bad command line).
/// @param a  the parsed options
/// @param missing  receives the missing-gene method
/// @param annotate  receives the error rate and the latent alignment
/// @throws UsageError for an unknown method or an error rate outside (0, 1)
inline void read_annotation_options(const Args& a, transfer::MissingGenes& missing, transfer::AnnotateOptions& annotate) {
    missing = missing_genes_option(a);
    annotate.alignment.method = a.choice("alignment", transfer::latent_alignment_names, annotate.alignment.method);
    annotate.error_rate = a.number("error-rate", annotate.error_rate, 0, 1);
    if (!(annotate.error_rate > 0 && annotate.error_rate < 1)) throw UsageError("--error-rate must be in (0, 1), got " + a.required("error-rate"));
}

/// cells.h5ad (transfer/report.hpp), as scae transfer writes it.
using transfer::write_cells_h5ad;

namespace detail {

/// report.md of `scae annotate`.
inline std::string annotation_markdown(const nlohmann::json& r) {
    std::ostringstream md;
    const auto& al = r["alignment"];
    const auto& lt = r["label_transfer"];
    md << "# Cell types of " << r.value("data", std::string("?")) << "\n\n"
       << "Labels from the reference cells kept in `" << r.value("model", std::string("?")) << "`, for " << r["cells"] << " cells. Genes: "
       << al.value("matched", 0) << " of " << al.value("n_model_genes", 0) << " model genes found; the "
       << r["missing_genes"]["missing"] << " missing ones stood in for by `" << r["missing_genes"].value("method", std::string("?")) << "`.\n\n";
    if (r.contains("node_support"))
        md << r["node_support"]["untrusted_nodes"] << " of " << r["node_support"]["nodes"].size()
           << " bottleneck nodes rest too much on missing genes to be trusted (`node_support.tsv`).\n\n";
    md << "Each cell gets the majority label of its nearest reference cells, and `unknown` where its confidence (a conformal "
          "p-value) is below " << lt["error_rate"] << (lt.value("fit_tested", false) ? " (the distance to the type and the reconstruction both tested)" : "")
       << ".\n\n| predicted label | cells |\n|---|---|\n";
    for (const auto& [label, cells] : lt["predicted_counts"].items()) md << "| " << label << " | " << cells << " |\n";
    if (lt.value("shared_label_cells", 0) > 0)
        md << "\nOf the " << lt["shared_label_cells"] << " cells whose own label the reference has, " << std::fixed << std::setprecision(3)
           << lt["unknown_share"].get<double>() << " were called `unknown`; of those given a label, " << lt["accuracy"].get<double>()
           << " got their own.";
    if (lt.value("unseen_label_cells", 0) > 0)
        md << " Of the " << lt["unseen_label_cells"] << " cells of types the reference lacks, " << std::fixed << std::setprecision(3)
           << lt["unseen_unknown_share"].get<double>() << " were called `unknown`.";
    md << "\n\nFiles: `cells.tsv` (cell, predicted_label, confidence, nearest_label, vote, label, deviance), `cells.h5ad` (the same "
          "as AnnData obs, the bottleneck as obsm['X_scae'], when built with HDF5), `node_support.tsv`, `report.json`.\n";
    return md.str();
}

} // namespace detail

/// Usage text of `scae annotate`.
/// @return the usage text, ending in a newline
inline std::string annotate_usage() {
    return std::string("usage: scae annotate --model MODEL.json --data DIR|FILE --out REPORT_DIR [options]\n"
                       "  labels every cell from the labelled reference cells in MODEL (scae train --labels), with a\n"
                       "  confidence, and 'unknown' where no reference type fits\n"
                       "  --labels FILE       the target's own labels (barcode<TAB>label, or obs:COLUMN of an .h5ad), to score\n"
                       "  --label-map FILE    reference_label<TAB>target_label lines, for scoring labels named differently\n"
                       "  --error-rate A      share of cells of reference types allowed to be called unknown, in (0, 1) (default 0.05)\n"
                       "  --alignment M       how the target's bottleneck is moved onto the reference's before labels transfer:\n"
                       "                      mnn (default: mutual nearest neighbours) | standardize | none\n"
                       "  --min-coverage F    fraction of model genes that must be found (default 0.5)\n"
                       "  --duplicate-genes P repeated gene ids in DIR: error (default), unique (id.1, id.2, ...) or first\n"
                       "  --threads T         OpenMP threads\n"
                       "  --shard             under mpirun -np R: each rank reads only its block of the cells of an .h5ad or\n"
                       "                      Cell Ranger .h5 and encodes and scores it; rank 0 gathers every cell's bottleneck\n"
                       "                      and fit, labels them and writes the report\n") +
           missing_genes_usage() + input_options_usage();
}

/// `scae annotate`; returns the exit code.
/// @param args  the words after "annotate"
/// @param out  where report.json's content prints, on one line
/// @param err  where notes and errors print
/// @return the exit code (Exit)
inline int annotate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    return guarded("annotate", args, annotate_usage(), out, err, [&] {
        const Args a(args, with_input_options({"model", "data", "labels", "label-map", "out", "error-rate", "missing-genes", "alignment", "min-coverage",
                                               "duplicate-genes", "threads"}),
                     with_input_flags({"shard"}));
        const std::string model_path = a.required("model"), data_path = a.required("data");
        const std::string out_dir = output_folder(a, "out", {model_path, data_path, a.get("labels", ""), a.get("label-map", "")});
        transfer::AnnotationOptions options;
        options.align = align_options(a);
        options.threads = a.threads();
        read_annotation_options(a, options.missing_genes, options.annotate);
        const transfer::ModelFile model = transfer::load_model(model_path);
        if (model.reference_labels.empty())
            fail(model_path, 0, "has no labelled reference cells; expected a model trained with labels (scae train --labels)");
        if (a.has("label-map")) {
            options.label_map = io::read_label_map(a.required("label-map"));
            transfer::check_label_map(options.label_map, model.reference_labels, a.required("label-map"));
        }
        transfer::AnnotationResults r;
        std::vector<std::string> barcodes, labels;
        if (a.has("shard")) {
            // Each rank reads, encodes and scores its block; rank 0 gathers every cell's bottleneck
            // and fit (cells x nodes, as embed --shard), reads every cell's name and labels them all.
            const train::Communicator ranks = world_ranks();
            io::CountMatrix<float> data = read_data_block(a, err, ranks.rank, ranks.size).data;
            require_finite_on_head(model, data, model_path);
            if (ranks.size == 1) barcodes = data.barcodes;
            r = transfer::encode_for_annotation(model, std::move(data), options);
            r.cell_deviance = train::gather_over_ranks(ranks, r.cell_deviance); // 8 bytes per cell
#ifdef SCAE_WITH_MPI
            if (ranks.size > 1) r.latent = mpi::gather_rows(r.latent);
#endif
            if (ranks.rank != 0) return int(ok);
            if (ranks.size > 1) barcodes = io::read_cell_names(data_path, input_options(a));
            if (a.has("labels")) labels = read_cell_labels(a.required("labels"), barcodes, data_path);
            transfer::finish_annotation(model, r, labels, options);
        } else {
            io::CountMatrix<float> data = read_data(a, err);
            if (a.has("labels")) labels = read_cell_labels(a.required("labels"), data.barcodes, data_path);
            require_finite_on_head(model, data, model_path);
            barcodes = data.barcodes;
            r = transfer::run_annotation(model, std::move(data), labels, options);
        }
        nlohmann::json report = r;
        report["model"] = model_path;
        report["data"] = data_path;
        report["labels"] = a.get("labels", "");
        report["scae_version"] = SCAE_VERSION;
        report::ReportFolder folder(out_dir, {model_path, data_path, a.get("labels", ""), a.get("label-map", "")});
        // Written into a temporary folder (errors name out_dir), moved into out_dir once whole.
        folder.write([&](const std::string& dir) {
            std::ostringstream cells;
            cells << "cell\tpredicted_label\tconfidence\tnearest_label\tvote\tlabel\tdeviance\n" << std::setprecision(6);
            for (std::size_t i = 0; i < barcodes.size(); ++i)
                cells << barcodes[i] << '\t' << r.annotation.labels[i] << '\t' << r.annotation.confidence[i] << '\t' << r.annotation.nearest[i]
                      << '\t' << r.annotation.vote[i] << '\t' << (labels.empty() ? "" : labels[i]) << '\t' << r.cell_deviance[i] << '\n';
            write_output(dir + "/cells.tsv", cells.str());
            write_node_support(dir + "/node_support.tsv", r.node_support);
            write_cells_h5ad(dir + "/cells.h5ad", barcodes, &r.annotation, labels, r.cell_deviance, r.latent,
                             {{"command", "scae annotate"}, {"scae_version", SCAE_VERSION}, {"model", model_path}, {"data", data_path}});
            write_output(dir + "/report.json", report.dump(2) + "\n");
            write_output(dir + "/report.md", detail::annotation_markdown(report));
        });
        folder.commit();
        out << report.dump() << "\n";
        return int(ok);
    });
}

} // namespace scae::cli

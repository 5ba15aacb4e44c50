// Apply a saved (foreign) model, unchanged, to cells of another tissue, and measure it next to
// a native model trained on that tissue and PCA.
//
//   apply_foreign_model MODEL.json DATA_DIR [LABELS.tsv] [--markers GENE,GENE,...] [--min-coverage F]
//
// With labels: classification (kNN), clustering (k-means) and label transfer from the model's
// reference cells. Without labels, `--markers` makes marker-based pseudo-labels (each cell
// labelled by its highest-expressed marker, relative to the marker's mean) as a sanity check.
#include <scae/io/labels.hpp>
#include <scae/io/read_counts.hpp>
#include <scae/transfer/run_transfer.hpp>
#include <scae/precompiled.hpp> // with scae::precompiled: the entry points are compiled once

#include <iostream>
#include <sstream>

namespace {

/// Labels each cell by the marker it expresses most (counts / the marker's mean); "" if none.
std::vector<std::string> marker_labels(const scae::Csr<float>& aligned, const scae::transfer::ModelFile& m,
                                       const std::vector<std::string>& markers) {
    std::vector<std::string> labels(std::size_t(aligned.rows()));
    std::vector<double> best(labels.size(), 0.0);
    for (const std::string& marker : markers) {
        const auto it = std::find(m.gene_symbols.begin(), m.gene_symbols.end(), marker);
        if (it == m.gene_symbols.end()) {
            std::cout << "  marker " << marker << " is not among the model's genes\n";
            continue;
        }
        const auto column = scae::Index(it - m.gene_symbols.begin());
        const scae::Vector<float> values = scae::Matrix<float>(aligned.col(column));
        const double mean = values.cast<double>().mean();
        if (mean <= 0) continue;
        for (std::size_t c = 0; c < labels.size(); ++c)
            if (values(scae::Index(c)) / mean > best[c]) best[c] = values(scae::Index(c)) / mean, labels[c] = marker;
    }
    return labels;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> positional, markers;
    double min_coverage = scae::data::AlignOptions{}.min_coverage;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--min-coverage" && i + 1 < argc) {
            min_coverage = std::atof(argv[++i]); // another technology may lack many model genes
        } else if (a == "--markers" && i + 1 < argc) {
            std::stringstream s(argv[++i]);
            for (std::string g; std::getline(s, g, ',');) markers.push_back(g);
        } else {
            positional.push_back(a);
        }
    }
    if (positional.size() < 2) {
        std::cerr << "usage: apply_foreign_model MODEL.json DATA_DIR [LABELS.tsv] [--markers GENE,GENE,...]\n";
        return 2;
    }
    try {
        const auto model = scae::transfer::load_model(positional[0]);
        const auto data = scae::io::read_counts<float>(positional[1]);
        std::vector<std::string> labels;
        if (positional.size() > 2) labels = scae::io::read_labels(positional[2], data.barcodes).per_cell;

        scae::transfer::TransferOptions options;
        options.align.min_coverage = min_coverage;
        options.native_train.epochs = 60;
        options.threads = 0; // every core, the native model's training too (the library's default is one thread)
        auto result = scae::transfer::run_transfer(model, data, labels, options);
        const nlohmann::json r = result; // report.json's numbers
        std::cout << "foreign model " << positional[0] << " on " << positional[1] << " (" << data.cells() << " cells)\n"
                  << "  genes found: " << r["alignment"]["matched"] << " of " << r["alignment"]["n_model_genes"] << " by "
                  << r["alignment"]["method"] << "\n"
                  << "  mean per-cell deviance: foreign " << r["foreign"]["mean_cell_deviance"] << ", native "
                  << r["native"]["mean_cell_deviance"] << "\n";
        // Molecular cross-validation on held-out cells: "foreign" is the model as `scae denoise`
        // applies it (calibrated), "foreign_raw" without calibration.
        const auto& dn = r["denoising"];
        std::cout << "  denoising (" << dn["protocol"].get<std::string>() << ", Poisson deviance and ratio to the gene mean):\n";
        for (const char* m : {"foreign", "foreign_raw", "native", "pca", "gene_mean"})
            if (dn.contains(m))
                std::cout << "    " << m << ": " << dn[m]["poisson_deviance"] << " (" << dn[m]["ratio_to_gene_mean"] << "x)\n";
        if (dn.contains("note")) std::cout << "    note: " << dn["note"].get<std::string>() << "\n";
        if (r.contains("latent"))
            for (const char* m : {"foreign", "native", "pca"}) std::cout << "  latent " << m << ": " << r["latent"][m].dump() << "\n";
        if (r.contains("label_transfer")) std::cout << "  label transfer: " << r["label_transfer"].dump() << "\n";

        if (!markers.empty()) {
            const auto aligned = scae::data::apply_alignment(data.counts, result.alignment); // the model's gene order
            const auto pseudo = marker_labels(aligned, model, markers);
            std::cout << "  marker pseudo-labels (" << markers.size() << " markers):\n";
            const auto foreign = scae::eval::score_embedding(result.latent, pseudo);
            const auto pca = scae::eval::fit_pca(scae::nn::transform_input(aligned, model.model.options.input));
            const auto baseline = scae::eval::score_embedding(pca.scores, pseudo);
            std::cout << "    foreign latent: " << nlohmann::json(foreign).dump() << "\n"
                      << "    PCA:            " << nlohmann::json(baseline).dump() << "\n";
        }
        // Which reference label do the target's own labels receive? (e.g. microglia -> MNP)
        if (!labels.empty() && result.annotation) {
            std::map<std::string, std::map<std::string, int>> table;
            for (std::size_t c = 0; c < labels.size(); ++c) table[labels[c]][result.annotation->labels[c]]++;
            std::cout << "  most frequent transferred label per target label:\n";
            for (const auto& [label, counts] : table) {
                const auto top = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; });
                int total = 0;
                for (const auto& kv : counts) total += kv.second;
                std::cout << "    " << (label.empty() ? "(none)" : label) << " -> " << top->first << " (" << top->second << "/"
                          << total << ")\n";
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "apply_foreign_model: " << e.what() << "\n";
        return 1;
    }
}

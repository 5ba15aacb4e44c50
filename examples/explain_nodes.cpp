// Which gene sets name each bottleneck node: train on one tissue, map every node to gene sets,
// and print each cell type's best node, what it is called and its top genes.
//
//   explain_nodes DATA_DIR SETS.gmt LABELS.tsv
//
// Trains with the defaults of `scae train` (2,000 most variable genes), then scores every node
// against every set with the defaults of `scae pathways` (integrated gradients from the mean
// cell weighted by each cell's activity for the node, the rank AUC and the rank-sum test; see
// docs/interpretation.md). Prints node_calls(): for each cell type, the node with the highest
// AUC, its three top sets with z and q, and its top genes by the same attribution.
#include <scae/data/align.hpp>
#include <scae/interpret/node_calls.hpp>
#include <scae/io/gmt.hpp>
#include <scae/io/labels.hpp>
#include <scae/io/read_counts.hpp>
#include <scae/transfer/train_model.hpp>
#include <scae/precompiled.hpp> // with scae::precompiled: the entry points are compiled once

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: explain_nodes DATA_DIR SETS.gmt LABELS.tsv\n";
        return 2;
    }
    try {
        const auto data = scae::io::read_counts<float>(argv[1]);
        const auto labels = scae::io::read_labels(argv[3], data.barcodes).per_cell;

        scae::transfer::TrainRecipe recipe;
        recipe.train.threads = 0; // every core (the library's default is one thread)
        const auto trained = scae::transfer::train_model(data, recipe, argv[1], labels);
        std::cout << "trained on " << trained.model.genes() << " genes for " << trained.history.epochs.size() << " epochs\n";

        // The training data in the model's gene order, and each cell's label.
        const auto alignment = scae::data::align_genes(trained.gene_ids, trained.gene_symbols, data.gene_ids, data.gene_symbols);
        scae::Csr<float> counts = scae::data::apply_alignment(data.counts, alignment);
        counts.makeCompressed();
        const auto sets = scae::io::read_gmt(argv[2]);
        scae::interpret::PathwayOptions options;
        options.min_genes = 5; // cell-type marker sets are short: PanglaoDB's keep 5 to 60 of 2,000 genes
        options.threads = 0;   // every core
        const auto result = scae::interpret::score_pathways(trained.model, counts, trained.gene_symbols, sets.sets, options, labels);
        for (const scae::interpret::NodeCall& call : scae::interpret::node_calls(result)) {
            if (call.node < 0) continue;
            std::cout << call.group << " (" << call.cells << " cells): node " << call.node << ", AUC " << std::fixed
                      << std::setprecision(3) << call.auc << (call.silent ? ", silent" : "") << "\n";
            for (scae::Index j : call.sets) {
                const double q = result.q(call.node, j);
                std::cout << "  " << result.sets[std::size_t(j)].name << "  z " << std::setprecision(2) << result.z(call.node, j) << "  q "
                          << (std::isnan(q) ? std::string("NaN") : (std::ostringstream() << std::setprecision(3) << std::scientific << q).str())
                          << std::fixed << "\n";
            }
            std::cout << "  top genes:";
            for (scae::Index g : call.genes) std::cout << " " << trained.gene_symbols[std::size_t(g)];
            std::cout << "\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "explain_nodes: " << e.what() << "\n";
        return 1;
    }
}

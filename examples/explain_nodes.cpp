// Which pathways drive each bottleneck node: train on one tissue, map every node to gene sets
// with saliency and a permutation null, and print what the nodes that mark a cell type stand for.
//
//   explain_nodes DATA_DIR SETS.gmt LABELS.tsv
//
// Trains on the 5,000 most variable genes (broad sets such as MSigDB Hallmark keep few genes
// among 2,000), with a little weight decay, then scores every node against every set (guided
// backprop, the median score, the pooled null; see docs/tutorial.md, section 3). Prints, for
// each node a cell type activates (AUC at least 0.75), its calls at q < 0.05 and its top genes.
#include <scae/data/align.hpp>
#include <scae/interpret/pathway_report.hpp>
#include <scae/interpret/pathways.hpp>
#include <scae/io/gmt.hpp>
#include <scae/io/labels.hpp>
#include <scae/io/read_counts.hpp>
#include <scae/transfer/train_model.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: explain_nodes DATA_DIR SETS.gmt LABELS.tsv\n";
        return 2;
    }
    try {
        const auto data = scae::io::read_counts<float>(argv[1]);
        const auto labels = scae::io::read_labels(argv[3], data.barcodes).per_cell;

        scae::transfer::TrainRecipe recipe;
        recipe.preprocess.hvg.n_top_genes = 5000;
        recipe.train.weight_decay = 1e-5; // shrinks the weights of genes the data hardly moves
        recipe.train.epochs = 400;        // early stopping ends it
        recipe.train.progress = scae::train::ProgressMode::never;
        const auto trained = scae::transfer::train_model(data, recipe, argv[1], labels);
        std::cout << "trained on " << trained.model.genes() << " genes for " << trained.history.epochs.size() << " epochs\n";

        // The training data in the model's gene order, and each cell's label.
        const auto alignment = scae::data::align_genes(trained.gene_ids, trained.gene_symbols, data.gene_ids, data.gene_symbols);
        scae::Csr<float> counts = scae::data::apply_alignment(data.counts, alignment);
        counts.makeCompressed();
        scae::interpret::PathwayOptions options;
        options.null = scae::interpret::NullDistribution::pooled;
        const auto sets = scae::io::read_gmt(argv[2]);
        const auto result = scae::interpret::score_pathways(trained.model, counts, trained.gene_symbols, sets.sets, options, labels);
        std::cout << result.silent.size() << " of " << result.score.rows() << " nodes are silent\n";

        for (scae::Index k = 0; k < result.score.rows(); ++k) {
            const std::string group = scae::interpret::most_active_group(result.activity, k, 0.75);
            if (group.empty() || std::count(result.silent.begin(), result.silent.end(), k)) continue;
            std::vector<scae::Index> calls;
            for (scae::Index j = 0; j < result.q.cols(); ++j)
                if (result.q(k, j) < 0.05) calls.push_back(j);
            if (calls.empty()) continue;
            std::sort(calls.begin(), calls.end(), [&](scae::Index a, scae::Index b) { return result.z(k, a) > result.z(k, b); });
            std::cout << "node " << k << ", activated by " << group << ":\n";
            for (scae::Index j : calls)
                std::cout << "  " << result.sets[std::size_t(j)].name << "  z " << std::fixed << std::setprecision(2) << result.z(k, j)
                          << "  q " << std::setprecision(3) << result.q(k, j) << "\n";
            std::cout << "  top genes:"; // by mean |saliency| times the gene's standard deviation
            for (scae::Index g : scae::interpret::top_genes(result, k, 8)) std::cout << " " << trained.gene_symbols[std::size_t(g)];
            std::cout << "\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "explain_nodes: " << e.what() << "\n";
        return 1;
    }
}

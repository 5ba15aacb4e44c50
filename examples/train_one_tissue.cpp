// Train an autoencoder on one tissue and save it: the first half of the foreign-model story.
//
//   train_one_tissue DATA_DIR MODEL.json [LABELS.tsv]
//
// Reads a 10x directory, keeps the 2,000 most variable genes, trains the reference
// architecture (genes -> 128 -> 64 -> 128 -> genes, softplus, Poisson loss, orthogonal
// bottleneck) and saves the model with its preprocessing, so it can be applied elsewhere.
#include <scae/io/labels.hpp>
#include <scae/io/read_counts.hpp>
#include <scae/transfer/train_model.hpp>
#include <scae/precompiled.hpp> // with scae::precompiled: the entry points are compiled once

#include <iostream>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: train_one_tissue DATA_DIR MODEL.json [LABELS.tsv]\n";
        return 2;
    }
    try {
        const auto data = scae::io::read_counts<float>(argv[1]);
        std::cout << "read " << data.cells() << " cells x " << data.genes() << " genes from " << argv[1] << "\n";

        std::vector<std::string> labels;
        if (argc > 3) labels = scae::io::read_labels(argv[3], data.barcodes).per_cell;

        scae::transfer::TrainRecipe recipe;
        recipe.preprocess.hvg.n_top_genes = 2000; // highly variable genes (Seurat v3 flavour)
        recipe.train.epochs = 60;                 // early stopping usually ends sooner
        recipe.train.threads = 0;                 // every core (the library's default is one thread)
        const auto model = scae::transfer::train_model(data, recipe, argv[1], labels);

        const auto& best = model.history.epochs[std::size_t(model.history.best_epoch - 1)];
        std::cout << "trained on " << model.provenance.cells << " cells and " << model.model.genes() << " genes for "
                  << model.history.epochs.size() << " epochs; best validation loss " << best.validation_loss << " (epoch "
                  << model.history.best_epoch << ", first epoch " << model.history.epochs.front().validation_loss << ")\n";
        scae::transfer::save_model(argv[2], model);
        std::cout << "saved " << argv[2] << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "train_one_tissue: " << e.what() << "\n";
        return 1;
    }
}

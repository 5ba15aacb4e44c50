// library_tour.cpp: the library's main calls, in the order of a study (docs/library.md shows
// it piece by piece, and ctest checks that the page quotes this file as it is). It runs on the
// built-in simulator, whose truth is known: tissue B has three cell types tissue A also has and
// two it has not, and planted gene programs that a node should be named after.
#include <scae/data/simulate.hpp>
#include <scae/interpret/node_calls.hpp>
#include <scae/interpret/pathways.hpp>
#include <scae/transfer/denoise.hpp>
#include <scae/transfer/run_annotation.hpp>
#include <scae/transfer/train_model.hpp>
#include <scae/precompiled.hpp> // with scae::precompiled: the entry points are compiled once

#include <iostream>

// A simulated tissue as the readers return a file (io::read_counts<float>(path) for yours).
scae::io::CountMatrix<float> as_count_matrix(const scae::data::SimulatedTissue& tissue) {
    scae::io::CountMatrix<float> m;
    m.counts = tissue.counts;
    m.gene_ids = tissue.gene_ids;
    m.gene_symbols = tissue.gene_symbols;
    m.barcodes = tissue.barcodes;
    return m;
}

int main(int argc, char** argv) {
    const std::string model_path = argc > 1 ? argv[1] : "tour_model.json";
    try {
        const scae::data::Simulation sim = scae::data::simulate(); // tissues A and B, seeded
        const scae::data::SimulatedTissue& a = sim.tissues[0];
        const scae::data::SimulatedTissue& b = sim.tissues[1];

        // [train]
        scae::transfer::TrainRecipe recipe; // defaults: 2,000 HVGs, genes -> 128 -> 64 -> 128 -> genes
        recipe.train.epochs = 30;           // at most; training stops early on the validation loss
        recipe.train.threads = 2;           // 0: every core OpenMP sees
        // With labels (one per cell), the model keeps its cells' bottleneck for annotation.
        scae::transfer::ModelFile model = scae::transfer::train_model(as_count_matrix(a), recipe, "tissue A", a.cell_types);
        scae::transfer::save_model(model_path, model); // JSON, written whole or not at all
        // [train]

        // [annotate]
        const scae::transfer::ModelFile foreign = scae::transfer::load_model(model_path);
        scae::transfer::AnnotationOptions how;         // genes matched by id, else symbol; missing
        how.threads = 2;                               // genes stood in for; error rate 0.05
        const scae::transfer::AnnotationResults labelled =
            scae::transfer::run_annotation(foreign, as_count_matrix(b), b.cell_types, how); // B's own labels: optional, for scoring
        std::cout << "gene coverage " << labelled.alignment.coverage << "\n";
        for (const auto& [label, cells] : labelled.annotation.counts) std::cout << "  " << label << ": " << cells << " cells\n";
        // Per cell: labelled.annotation.labels[c] ("unknown" below the error rate), .confidence[c],
        // .nearest[c]; labelled.latent is the bottleneck (cells x 64).
        std::cout << "accuracy on the shared types " << labelled.scores->accuracy << ", of them called unknown "
                  << labelled.scores->unknown_share << "\n";
        // [annotate]

        // [align]
        // Denoising and pathways take counts in the model's gene order: align B's genes to the
        // model's, and let the model stand in for the genes B lacks (none here).
        const scae::data::Alignment alignment =
            scae::data::align_genes(foreign.gene_ids, foreign.gene_symbols, b.gene_ids, b.gene_symbols);
        scae::Csr<float> counts = b.counts;
        scae::data::align_in_place(counts, alignment); // cells x model genes; absent genes empty
        const scae::nn::Autoencoder<float> adapted = scae::transfer::adapt_to_present_genes(
            foreign.model, foreign.reference_input, alignment.missing_model_columns, scae::transfer::MissingGenes::conditional);
        // [align]

        // [denoise]
        const scae::transfer::DenoiseResult denoised = scae::transfer::denoise(adapted, counts);
        std::cout << "denoised " << denoised.rates.rows() << " cells x " << denoised.rates.cols() << " genes (expected counts)\n";
        // [denoise]

        // [pathways]
        scae::interpret::PathwayOptions explain; // integrated gradients, rank-sum test, as scae pathways
        explain.threads = 2;
        // Gene sets: io::read_gmt(path) for a GMT file; here the planted programs and decoys.
        const scae::interpret::PathwayResult r =
            scae::interpret::score_pathways(adapted, counts, foreign.gene_symbols, sim.gene_sets, explain, b.cell_types);
        for (const scae::interpret::NodeCall& call : scae::interpret::node_calls(r)) {
            std::cout << call.group << ": node " << call.node << " (AUC " << call.auc << ")";
            if (!call.sets.empty())
                std::cout << ", top set " << r.sets[std::size_t(call.sets[0])].name << " q " << r.q(call.node, call.sets[0]);
            std::cout << "\n";
        }
        // [pathways]
    } catch (const scae::Error& e) { // bad input: the message names the file or field and what was expected
        std::cerr << "library_tour: " << e.what() << "\n";
        return 1;
    }
}

// Builds against the installed headers and trains a tiny model for one epoch. It includes the
// modules it uses, as an application should (scae/scae.hpp has them all, at a compile-time cost).
#include <scae/data/simulate.hpp>
#include <scae/train/train.hpp>
#include <scae/version.hpp>
// With the hdf5 component (CONSUMER_EXPECTS_HDF5), scae::hdf5 defines SCAE_HAVE_HDF5 and links
// libhdf5; scae::scae alone does neither.
#if defined(CONSUMER_EXPECTS_HDF5) != defined(SCAE_HAVE_HDF5)
#error "SCAE_HAVE_HDF5 does not match the component asked for"
#endif
#ifdef SCAE_HAVE_HDF5
#include <scae/io/hdf5_file.hpp>
#endif
// With the precompiled component, scae::precompiled defines SCAE_PRECOMPILED, and train_model
// comes from its library, declared `extern template` here.
#if defined(CONSUMER_PRECOMPILED) != defined(SCAE_PRECOMPILED)
#error "SCAE_PRECOMPILED does not match the component asked for"
#endif
#ifdef CONSUMER_PRECOMPILED
#include <scae/transfer/train_model.hpp>
#include <scae/precompiled.hpp>
#endif

#include <iostream>
#include <string>

int main() {
    scae::data::SimulationOptions sim;
    sim.cells_per_tissue = 200;
    sim.n_genes = 600;
    sim.n_tissues = 1;
    const auto tissue = scae::data::simulate(sim).tissues.at(0);
    scae::nn::AutoencoderOptions options;
    options.encoder_sizes = {16, 8};
    scae::nn::Autoencoder<float> model(tissue.counts.cols(), options);
    scae::train::TrainOptions train;
    train.epochs = 1;
    const auto history = scae::train::fit(model, tissue.counts, train);
#ifdef SCAE_HAVE_HDF5
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release); // a call into libhdf5: it is linked
    const std::string hdf5 = "with HDF5 " + std::to_string(major) + "." + std::to_string(minor);
#else
    const std::string hdf5 = "without HDF5";
#endif
#ifdef CONSUMER_PRECOMPILED
    scae::io::CountMatrix<float> data;
    data.counts = tissue.counts;
    data.gene_ids = tissue.gene_ids;
    data.gene_symbols = tissue.gene_symbols;
    data.barcodes = tissue.barcodes;
    scae::transfer::TrainRecipe recipe;
    recipe.train.epochs = 1;
    const scae::transfer::ModelFile trained = scae::transfer::train_model(data, recipe);
    std::cout << "consumer: train_model from scae::precompiled, " << trained.gene_ids.size() << " genes\n";
#endif
    std::cout << "consumer: scae " << scae::version() << " " << hdf5 << ", one epoch, loss " << history.epochs.back().train_loss << "\n";
    return history.epochs.size() == 1 ? 0 : 1;
}

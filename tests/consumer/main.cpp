// Builds against the installed headers and trains a tiny model for one epoch. It includes the
// modules it uses, as an application should (scae/scae.hpp has them all, at a compile-time cost).
#include <scae/data/simulate.hpp>
#include <scae/train/train.hpp>
#include <scae/version.hpp>

#include <iostream>

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
    std::cout << "consumer: scae " << scae::version() << ", one epoch, loss " << history.epochs.back().train_loss << "\n";
    return history.epochs.size() == 1 ? 0 : 1;
}

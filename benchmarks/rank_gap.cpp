// Why R ranks end further from one process than float rounding (docs/cluster.md, "How far R
// ranks are from one process"): trains transfer::train_model_sharded on an .h5ad with R threads
// standing for R ranks (each reading its block, as `scae train --shard` under mpirun), with the
// orthogonality weight and the optimiser as given, and writes the model, so that two rank counts
// can be compared (benchmarks/rank_gap.py). Not built by CMake; compile it by hand:
//   g++ -std=c++17 -O2 -DNDEBUG -DSCAE_HAVE_HDF5 -I include -I tests -I /usr/include/eigen3 \
//       -I /usr/include/hdf5/serial benchmarks/rank_gap.cpp -o rank_gap \
//       -L /usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -pthread
// usage: rank_gap ATLAS.h5ad RANKS EPOCHS LR ORTHOGONALITY adam|sgd OUT.json
#include "scae/io/read_counts.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/train_sharded.hpp"
#include "thread_ranks.hpp" // tests/

#include <iostream>
#include <thread>

namespace {

using namespace scae;

using scae_testing::ThreadRanks;

} // namespace

int main(int argc, char** argv) {
    if (argc != 8) {
        std::cerr << "usage: rank_gap ATLAS.h5ad RANKS EPOCHS LR ORTHOGONALITY adam|sgd OUT.json\n";
        return 2;
    }
    const std::string path = argv[1], out = argv[7];
    const int ranks = std::stoi(argv[2]);
    transfer::TrainRecipe recipe;
    recipe.preprocess.hvg.n_top_genes = 2000;
    recipe.model.orthogonality_weight = std::stod(argv[5]);
    recipe.train.epochs = std::stoi(argv[3]);
    recipe.train.learning_rate = std::stod(argv[4]);
    recipe.train.optimizer = std::string(argv[6]) == "sgd" ? train::Optimizer::sgd : train::Optimizer::adam;
    recipe.train.batch_size = 512;
    recipe.train.threads = 1;
    ThreadRanks world(ranks);
    std::vector<std::thread> threads;
    std::vector<std::string> errors(static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r)
        threads.emplace_back([&, r] {
            try {
                io::CountSlab<float> block = io::read_counts_slab<float>(path, {}, io::SlabOptions{r, ranks});
                const transfer::ModelFile m = transfer::train_model_sharded(std::move(block.data), recipe, world.at(r), path);
                if (r == 0) transfer::save_model(out, m);
            } catch (const std::exception& e) {
                errors[std::size_t(r)] = e.what();
            }
        });
    for (auto& t : threads) t.join();
    for (const std::string& e : errors)
        if (!e.empty()) {
            std::cerr << "rank_gap: " << e << "\n";
            return 1;
        }
    return 0;
}

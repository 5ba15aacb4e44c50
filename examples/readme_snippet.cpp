// my_tool.cpp: train on one tissue, then apply that model unchanged to another.
#include <scae/scae.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: my_tool TRAIN_DIR OTHER_DIR\n";
        return 2;
    }
    try {
        const auto data = scae::io::read_counts<float>(argv[1]);  // CSR, cells x genes
        const auto model = scae::transfer::train_model(data, {}); // preprocessing + training
        const auto other = scae::io::read_counts<float>(argv[2]);
        // Foreign model, no retraining: no labels ({}), default options ({}).
        const auto result = scae::transfer::run_transfer(model, other, {}, {});
        std::cout << "gene coverage " << result.alignment.coverage << ", latent "
                  << result.latent.rows() << " cells x " << result.latent.cols() << " nodes\n";
    } catch (const scae::Error& e) { // bad input: the message names the file and what was expected
        std::cerr << "my_tool: " << e.what() << "\n";
        return 1;
    }
}

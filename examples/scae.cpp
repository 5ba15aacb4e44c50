// The `scae` command line (build/bin/scae). Every subcommand lives in include/scae/cli/,
// so the same code is callable, and tested, as a library function.
#include "scae/cli/main.hpp"

int main(int argc, char** argv) {
    return scae::cli::main(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}

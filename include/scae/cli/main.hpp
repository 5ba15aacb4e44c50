#pragma once
/// @file main.hpp
/// @brief The `scae` command line: dispatches to one subcommand per workflow step.

#include "scae/cli/demo.hpp"
#include "scae/cli/embed.hpp"
#include "scae/cli/inspect.hpp"
#include "scae/version.hpp"

#ifdef SCAE_WITH_MPI
#include "scae/train/mpi.hpp"
#endif

namespace scae::cli {

/// Usage of the whole command line.
/// @return the text, ending in a newline (a static string)
inline const char* main_usage() {
    return "scae " SCAE_VERSION ": interpretable autoencoders for single-cell counts\n\n"
           "usage: scae COMMAND [options]   (scae COMMAND --help for its options)\n\n"
           "  demo      the whole method on the built-in simulator (start here)\n"
           "  simulate  write simulated tissues with planted gene programs as 10x directories\n"
           "  inspect   summarise a count matrix (cells, genes, nonzeros, total) as JSON\n"
           "  train     train an autoencoder on one tissue and save the model\n"
           "  embed     bottleneck activations of new data under a saved model\n"
           "  denoise   expected counts of new data under a saved model\n"
           "  annotate  label a new tissue's cells from a model's labelled reference (unknown where none fits)\n"
           "  transfer  apply a foreign model to a tissue; report it next to native and PCA\n"
           "  pathways  saliency of every bottleneck node mapped to gene sets, with statistics\n";
}

/// Runs one subcommand; returns its exit code.
/// @param args  the subcommand's name, then its arguments
/// @param out  the command's standard output
/// @param err  the command's error output (also the usage text when `args` is empty)
/// @return the subcommand's exit code; Exit::usage_error for no or an unknown subcommand
inline int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        (args.empty() ? err : out) << main_usage();
        return args.empty() ? usage_error : ok;
    }
    if (args[0] == "--version") {
        out << "scae " SCAE_VERSION " (" << scae::instruction_set() << ")\n";
        return ok;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    const std::string& command = args[0];
    if (command == "demo") return demo(rest, out, err);
    if (command == "simulate") return simulate(rest, out, err);
    if (command == "inspect") return inspect(rest, out, err);
    if (command == "train") return train(rest, out, err);
    if (command == "embed") return embed(rest, out, err);
    if (command == "denoise") return denoise(rest, out, err);
    if (command == "transfer") return transfer(rest, out, err);
    if (command == "annotate") return annotate(rest, out, err);
    if (command == "pathways") return pathways(rest, out, err);
    err << "scae: unknown command '" << command << "'\n\n" << main_usage();
    return usage_error;
}

/// Runs `scae` with `args` (without the program name); returns the exit code. Started by mpirun
/// or srun (builds with SCAE_WITH_MPI), it runs MPI around the command, and a failure on any rank
/// ends every rank (after that rank printed its message) rather than leaving them waiting; a run
/// stopped by a signal (exit code 128 + signal) ends normally on every rank.
/// @param args  the subcommand's name, then its arguments
/// @param out  the command's standard output
/// @param err  the command's error output
/// @return the exit code (Exit, or 128 + a signal's number)
inline int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
#ifdef SCAE_WITH_MPI
    const mpi::Session session;
    const int code = run_command(args, out, err);
    if (code != ok && code < 128) {
        err.flush();
        mpi::abort_all(code);
    }
    return code;
#else
    return run_command(args, out, err);
#endif
}

} // namespace scae::cli

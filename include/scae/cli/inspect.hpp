#pragma once
/// @file inspect.hpp
/// @brief `scae inspect PATH`: reads counts and prints their size as one JSON object.

#include "scae/cli/args.hpp"
#include "scae/cli/input_options.hpp"
#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/io/read_counts.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scae::cli {

/// Usage text of `scae inspect`.
/// @return the usage text, ending in a newline
inline std::string inspect_usage() {
    return std::string("usage: scae inspect [options] PATH\n"
           "\n"
           "Reads a 10x directory, a Matrix Market file (.mtx or .mtx.gz), a dense TSV/CSV table, a\n"
           "Cell Ranger .h5 or an AnnData .h5ad and prints one JSON object: path, format, cells, genes,\n"
           "nnz, total (sum of all values), density, field, integer_values, matrix (which matrix of an\n"
           "HDF5 file was read, or how a table was oriented), seconds (time spent reading).\n"
           "\n"
           "options:\n"
           "  --help              print this text\n") + input_options_usage();
}

/// Runs `scae inspect` with `args` (without the program and subcommand names). Prints the JSON
/// object on `out` and returns 0; prints "scae inspect: <error>" on `err` and returns 1 for
/// input that cannot be read, or the message and the usage text and returns 2 for a bad command
/// line. `--help` prints the usage text on `out` and returns 0.
/// @param args  the words after "inspect"
/// @param out  where the JSON object (or the usage text) prints
/// @param err  where errors print
/// @return the exit code (Exit)
inline int inspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string path;
    io::ReadOptions options;
    try {
        const Args parsed(args, with_input_options({}), with_input_flags({"help"}), 1);
        if (parsed.has("help")) {
            out << inspect_usage();
            return Exit::ok;
        }
        if (parsed.positional().size() != 1)
            throw UsageError("expected one PATH, got " + std::to_string(parsed.positional().size()));
        path = parsed.positional()[0];
        if (path.empty()) throw UsageError("PATH is empty, expected a 10x directory, a .mtx file or a table");
        options = input_options(parsed);
    } catch (const UsageError& e) {
        err << "scae inspect: " << e.what() << "\n" << inspect_usage();
        return Exit::usage_error;
    }
    try {
        const auto start = std::chrono::steady_clock::now();
        const io::CountFormat format = io::detect_count_format(path);
        const io::CountMatrix<double> counts = io::read_counts<double>(path, options);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double cells = static_cast<double>(counts.cells()), genes = static_cast<double>(counts.genes());
        const auto nnz = static_cast<long long>(counts.counts.nonZeros());
        double total = 0;
        const double* values = counts.counts.valuePtr();
        for (long long k = 0; k < nnz; ++k) total += values[k];
        if (!std::isfinite(total))
            fail(path, 0, "the values sum to more than the largest double (about 1.8e308), so their total cannot be reported; "
                          "expected counts or expression levels");
        nlohmann::json report = {{"path", path},
                                 {"format", io::to_string(format)},
                                 {"cells", counts.cells()},
                                 {"genes", counts.genes()},
                                 {"nnz", nnz},
                                 {"total", total},
                                 {"density", cells * genes > 0 ? static_cast<double>(nnz) / (cells * genes) : 0.0},
                                 {"field", io::to_string(counts.field)},
                                 {"integer_values", counts.integer_values},
                                 {"matrix", counts.source},
                                 {"seconds", seconds}};
        out << report.dump() << "\n";
        return Exit::ok;
    } catch (const std::exception& e) {
        err << "scae inspect: " << e.what() << "\n";
        return Exit::runtime_error;
    }
}

} // namespace scae::cli

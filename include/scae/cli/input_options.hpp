#pragma once
/// @file input_options.hpp
/// @brief The command-line options that choose what to read from an HDF5 input (--layer,
/// --genome, --feature-types), shared by every subcommand that reads counts.

#include "scae/cli/args.hpp"
#include "scae/io/read_counts.hpp"

#include <ostream>
#include <set>
#include <sstream>
#include <string>

namespace scae::cli {

/// Usage lines of the input options.
/// @return the lines, each ending in a newline (a static string)
inline const char* input_options_usage() {
    return "  --layer X|raw|NAME  AnnData: the matrix to read (default: X when it holds counts, else raw/X\n"
           "                      or layers/counts when they do)\n"
           "  --genome NAME       Cell Ranger HDF5 with several genomes: the one to read\n"
           "  --feature-types T   feature types to keep, comma-separated, or all (default Gene Expression)\n";
}

/// `valued` plus the input option names, for the Args constructor.
/// @param valued  the command's own valued option names
/// @return `valued` with "layer", "genome" and "feature-types" added
inline std::set<std::string> with_input_options(std::set<std::string> valued) {
    valued.insert({"layer", "genome", "feature-types"});
    return valued;
}

/// Applies --layer, --genome and --feature-types to `options`.
/// @param a  the parsed options
/// @param options  the reader options to start from (default: the reader's defaults)
/// @return `options` with the given input options applied
/// @throws UsageError when --feature-types lists no type
inline io::ReadOptions input_options(const Args& a, io::ReadOptions options = {}) {
    options.layer = a.get("layer", options.layer);
    options.genome = a.get("genome", options.genome);
    if (a.has("feature-types")) {
        const std::string types = a.get("feature-types", "");
        options.feature_types.clear();
        if (types != "all") {
            std::stringstream s(types);
            std::string type;
            while (std::getline(s, type, ','))
                if (!type.empty()) options.feature_types.push_back(type);
            if (options.feature_types.empty())
                throw UsageError("--feature-types expects types separated by commas, or all, got '" + types + "'");
        }
    }
    return options;
}

} // namespace scae::cli

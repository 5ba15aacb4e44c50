#pragma once
/// @file input_options.hpp
/// @brief The reader options every `scae` subcommand that reads counts takes, parsed in one
/// place: what to read from an HDF5 input (--layer, --genome, --feature-types), how a bare .mtx or
/// a table is oriented and separated (--layout, --delimiter), and what values and repeated
/// entries are accepted (--duplicates, --require-counts, --allow-negative).

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
    return "input options (every command that reads counts):\n"
           "  --layout auto|genes-by-cells|cells-by-genes\n"
           "                      orientation of a bare .mtx or a table (default auto: a table's names decide when\n"
           "                      they are clear, as barcodes or Ensembl ids; else genes-by-cells, and stderr says so)\n"
           "  --delimiter tab|comma  table separator (default: comma for .csv, tab otherwise)\n"
           "  --duplicates error|sum  repeated (row, column) entries of a .mtx: fail (default) or add them\n"
           "  --require-counts    fail on values that are not whole numbers\n"
           "  --allow-negative    accept negative values\n"
           "  --layer X|raw|NAME  AnnData: the matrix to read (default: X when it holds counts, else raw/X\n"
           "                      or layers/counts when they do)\n"
           "  --genome NAME       Cell Ranger HDF5 with several genomes: the one to read\n"
           "  --feature-types T   feature types to keep, comma-separated, or all (default Gene Expression)\n";
}

/// `valued` plus the valued input option names, for the Args constructor.
/// @param valued  the command's own valued option names
/// @return `valued` with "layer", "genome", "feature-types", "layout", "delimiter" and "duplicates" added
inline std::set<std::string> with_input_options(std::set<std::string> valued) {
    valued.insert({"layer", "genome", "feature-types", "layout", "delimiter", "duplicates"});
    return valued;
}

/// `flags` plus the input flags, for the Args constructor.
/// @param flags  the command's own flag names
/// @return `flags` with "require-counts" and "allow-negative" added
inline std::set<std::string> with_input_flags(std::set<std::string> flags) {
    flags.insert({"require-counts", "allow-negative"});
    return flags;
}

/// Applies the input options (with_input_options() and with_input_flags()) to `options`: the one
/// parser of them for every command.
/// @param a  the parsed options
/// @param options  the reader options to start from (default: the reader's defaults)
/// @return `options` with the given input options applied
/// @throws UsageError for a bad --layout, --delimiter or --duplicates, or a --feature-types that lists no type
inline io::ReadOptions input_options(const Args& a, io::ReadOptions options = {}) {
    options.layout = a.choice("layout", io::layout_names, options.layout);
    options.delimiter = a.choice("delimiter", io::delimiter_names, options.delimiter);
    options.duplicates = a.choice("duplicates", io::duplicates_names, options.duplicates);
    if (a.has("require-counts")) options.require_counts = true;
    if (a.has("allow-negative")) options.allow_negative = true;
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

#pragma once
/// @file gmt.hpp
/// @brief Gene sets and the GMT format: `name<TAB>description<TAB>gene<TAB>gene...`, one set
/// per line (MSigDB, GO exports), read (read_gmt) and written (write_gmt).

#include "scae/core/atomic_file.hpp"
#include "scae/core/error.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"

#include <filesystem>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace scae::io {

/// One gene set (the one type for sets read, simulated and written).
struct GeneSet {
    std::string name;               ///< column 1, unique within the file
    std::string description;        ///< column 2 (often a URL)
    std::vector<std::string> genes; ///< the genes, in file order, each once
};

/// Options of read_gmt(): sets outside [min_genes, max_genes] (after removing repeated genes)
/// are dropped and counted.
struct GmtOptions {
    /// Smallest set kept. Default: 1 (keep every set).
    std::size_t min_genes = 1;
    /// Largest set kept. Default: no limit.
    std::size_t max_genes = std::numeric_limits<std::size_t>::max();
};

/// The sets of a GMT file that passed the size filter, and how many did not.
struct GeneSets {
    std::vector<GeneSet> sets; ///< kept sets, in file order
    std::size_t too_small = 0; ///< sets dropped for having fewer than min_genes genes
    std::size_t too_large = 0; ///< sets dropped for having more than max_genes genes
};

/// Reads the GMT file at `path` (plain or gzip; CRLF line ends are fine; blank lines are
/// skipped). A gene listed twice in one set counts once.
/// Throws Error for a missing or empty file, a line without genes, or a set name used twice.
/// @param path     the GMT file, plain or gzip.
/// @param options  the size filter.
/// @return the kept sets in file order, and the numbers dropped by the filter.
/// @throws Error when min_genes is above max_genes, or naming the file and line on a problem with its contents.
inline GeneSets read_gmt(const std::string& path, const GmtOptions& options = {}) {
    if (options.min_genes > options.max_genes)
        throw Error("GmtOptions: min_genes (" + std::to_string(options.min_genes) + ") is larger than max_genes (" +
                    std::to_string(options.max_genes) + ")");
    LineReader reader(path);
    GeneSets result;
    std::unordered_map<std::string, long long> line_of_name;
    std::unordered_set<std::string_view> in_set;
    std::vector<std::string_view> fields;
    std::string_view line;
    bool any_line = false;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        any_line = true;
        reader.require_utf8(line, "the gene set line");
        split(line, '\t', fields);
        if (fields[0].empty()) reader.fail("found " + in_quotes(line) + ", expected a set name in the first field");
        const auto [named, fresh] = line_of_name.emplace(std::string(fields[0]), reader.line_number());
        if (!fresh)
            reader.fail("found the set name " + in_quotes(fields[0]) + " again (first on line " +
                        std::to_string(named->second) + "), expected each set name once");
        GeneSet set;
        set.name = std::string(fields[0]);
        if (fields.size() > 1) set.description = std::string(fields[1]);
        in_set.clear();
        for (std::size_t f = 2; f < fields.size(); ++f)
            if (!fields[f].empty() && in_set.insert(fields[f]).second) set.genes.emplace_back(fields[f]);
        if (set.genes.empty())
            reader.fail("found the set " + in_quotes(fields[0]) +
                        " with no genes, expected 'name<TAB>description<TAB>gene<TAB>gene...'");
        if (set.genes.size() < options.min_genes) {
            ++result.too_small;
        } else if (set.genes.size() > options.max_genes) {
            ++result.too_large;
        } else {
            result.sets.push_back(std::move(set));
        }
    }
    if (!any_line) fail(path, 0, "empty file; expected one 'name<TAB>description<TAB>gene...' line per gene set");
    return result;
}

/// Writes `sets` as a GMT file at `path`, atomically (see write_file_atomically()).
/// Throws scae::Error when a name, description or gene contains a tab or a line break, or a set
/// has no name, since the file could not be read back as written.
/// @param sets  the gene sets, written in this order, one line each
/// @param path  the file to create or replace
/// @throws Error when a set has no name, a field holds a tab or line break, or the write fails
inline void write_gmt(const std::vector<GeneSet>& sets, const std::filesystem::path& path) {
    auto check = [&](const std::string& field, const std::string& what, const std::string& set) {
        if (field.find_first_of("\t\r\n") != std::string::npos) {
            throw Error(where(path.string(), 0, what + " of gene set '" + set +
                                                    "' contains a tab or line break, which GMT cannot hold"));
        }
    };
    for (const GeneSet& set : sets) {
        if (set.name.empty()) throw Error(where(path.string(), 0, "a gene set has an empty name"));
        check(set.name, "the name", set.name);
        check(set.description, "the description", set.name);
        for (const std::string& gene : set.genes) check(gene, "a gene", set.name);
    }
    write_file_atomically(path, [&](std::ostream& out) {
        for (const GeneSet& set : sets) {
            out << set.name << '\t' << set.description;
            for (const std::string& gene : set.genes) out << '\t' << gene;
            out << '\n';
        }
    });
}

} // namespace scae::io

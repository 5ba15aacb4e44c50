#pragma once
/// @file gene_sets.hpp
/// @brief Named gene sets (the rows of a GMT file) and writing them as GMT.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/core/atomic_file.hpp"
#include "scae/data/symbols.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

namespace scae::data {

/// One gene set: a GMT row `name<TAB>description<TAB>gene<TAB>gene...`, genes given by symbol.
struct GeneSet {
    std::string name;               ///< unique set name, e.g. "HALLMARK_HYPOXIA"
    std::string description;        ///< free text (often a URL)
    std::vector<std::string> genes; ///< gene symbols
};

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

/// The distinct symbols of all `sets`, in order of first appearance (e.g. to restrict a model to
/// the genes of a collection, as the 2019 reference did with the Hallmark sets).
/// @param sets  the gene sets
/// @return each symbol once, compared exactly (no case folding)
inline std::vector<std::string> gene_set_symbols(const std::vector<GeneSet>& sets) {
    std::vector<std::string> symbols;
    std::unordered_set<std::string> seen;
    for (const GeneSet& set : sets) {
        for (const std::string& gene : set.genes) {
            if (seen.insert(gene).second) symbols.push_back(gene);
        }
    }
    return symbols;
}

/// Columns whose symbol is in `wanted`, compared case-insensitively (fold_symbol()), ascending.
/// @param symbols  one symbol per column of the data; empty symbols never match
/// @param wanted   the symbols to find (e.g. gene_set_symbols())
/// @return the matching column indices, ascending
inline std::vector<Index> columns_with_symbols(const std::vector<std::string>& symbols,
                                               const std::vector<std::string>& wanted) {
    std::unordered_set<std::string> folded;
    folded.reserve(wanted.size());
    for (const std::string& s : wanted) folded.insert(fold_symbol(s));
    std::vector<Index> columns;
    for (std::size_t g = 0; g < symbols.size(); ++g) {
        if (!symbols[g].empty() && folded.count(fold_symbol(symbols[g]))) columns.push_back(static_cast<Index>(g));
    }
    return columns;
}

} // namespace scae::data

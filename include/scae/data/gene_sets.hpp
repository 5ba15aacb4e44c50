#pragma once
/// @file gene_sets.hpp
/// @brief Gene sets as the data module uses them: their symbols, and the columns that carry them.
/// The one GeneSet type, its reader and its writer are in io/gmt.hpp.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/core/atomic_file.hpp"
#include "scae/data/symbols.hpp"
#include "scae/io/gmt.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

namespace scae::data {

using io::GeneSet;  // one gene set type (io/gmt.hpp), read and written as GMT there
using io::write_gmt;

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

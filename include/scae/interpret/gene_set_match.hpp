#pragma once
/// @file gene_set_match.hpp
/// @brief Gene sets mapped onto a model's genes by symbol, case-insensitively.

#include "scae/core/types.hpp"
#include "scae/data/symbols.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace scae::interpret {

/// A gene set restricted to the genes of a model.
struct MatchedSet {
    std::string name;          ///< the set's name
    std::vector<Index> genes;  ///< model columns of its genes, ascending, each once
    std::size_t listed = 0;    ///< genes the set lists
    std::string description;   ///< the set's description (GMT column 2), "" when the type has none
};

/// What a picture should call `set`: its description when that reads as a name (GO's term
/// names), otherwise its name (MSigDB puts a URL there); at most `width` characters.
/// @param set  the matched set
/// @param width  most characters; a longer label is cut to `width` - 3 and "..." added
/// @return the label
inline std::string display_name(const MatchedSet& set, std::size_t width = 48) {
    const std::string& d = set.description;
    const bool usable = !d.empty() && d != "NA" && d != "na" && d.rfind("http", 0) != 0;
    std::string label = usable ? d : set.name;
    if (label.size() > width) label = width > 3 ? label.substr(0, width - 3) + "..." : label.substr(0, width);
    return label;
}

/// display_name() of every set, except that sets whose labels would be the same (a generator
/// that writes one description for many sets) are called by their names.
/// @param sets  the matched sets
/// @param width  most characters per label (see display_name())
/// @return one label per set, in their order
inline std::vector<std::string> display_names(const std::vector<MatchedSet>& sets, std::size_t width = 48) {
    std::vector<std::string> labels;
    std::unordered_map<std::string, int> uses;
    for (const MatchedSet& set : sets) ++uses[labels.emplace_back(display_name(set, width))];
    for (std::size_t i = 0; i < sets.size(); ++i)
        if (uses[labels[i]] > 1) labels[i] = display_name(MatchedSet{sets[i].name, {}, 0, ""}, width);
    return labels;
}

namespace detail {
/// Whether a gene-set type has a `description` (io::GeneSet does; a caller's own type may not).
template <class Set, class = void>
struct has_description : std::false_type {};
template <class Set>
struct has_description<Set, std::void_t<decltype(std::declval<const Set&>().description)>> : std::true_type {};
} // namespace detail

/// The sets that keep enough model genes, and those that do not.
struct MatchedSets {
    std::vector<MatchedSet> sets;        ///< sets with at least min_genes model genes, and not all, in input order
    std::vector<MatchedSet> too_small;   ///< sets with fewer than min_genes model genes, in input order
    /// Sets that hold every model gene, in input order: no gene lies outside them, so neither a
    /// rank score nor random sets of their size (all the same set, so a null sd of 0) can score them.
    std::vector<MatchedSet> covering;
};

/// Maps each set's genes onto `model_symbols` (the model's genes in column order) by symbol,
/// ignoring case (data::fold_symbol), so that human CD3E meets mouse Cd3e. A symbol the model
/// lists in several columns maps to all of them; genes the model lacks are left out. Sets with
/// fewer than `min_genes` model genes go to `too_small`, sets holding every model gene to `covering`.
/// `Set` is any type with `name` and `genes` (io::GeneSet, or a caller's type).
/// @param sets  the gene sets, e.g. io::read_gmt()'s
/// @param model_symbols  one symbol per model gene, in column order ("" matches nothing)
/// @param min_genes  fewest model genes a set needs to be kept (default 10)
/// @return the kept, the too small and the covering sets, each in input order
template <class Set>
MatchedSets match_gene_sets(const std::vector<Set>& sets, const std::vector<std::string>& model_symbols,
                            std::size_t min_genes = 10) {
    std::unordered_map<std::string, std::vector<Index>> columns;
    columns.reserve(model_symbols.size());
    for (std::size_t g = 0; g < model_symbols.size(); ++g)
        if (!model_symbols[g].empty()) columns[data::fold_symbol(model_symbols[g])].push_back(Index(g));
    MatchedSets out;
    for (const Set& set : sets) {
        MatchedSet matched{set.name, {}, set.genes.size(), {}};
        if constexpr (detail::has_description<Set>::value) matched.description = set.description;
        for (const std::string& gene : set.genes) {
            const auto found = columns.find(data::fold_symbol(gene));
            if (found != columns.end()) matched.genes.insert(matched.genes.end(), found->second.begin(), found->second.end());
        }
        std::sort(matched.genes.begin(), matched.genes.end());
        matched.genes.erase(std::unique(matched.genes.begin(), matched.genes.end()), matched.genes.end());
        const bool covers_all = !model_symbols.empty() && matched.genes.size() == model_symbols.size();
        (covers_all ? out.covering : matched.genes.size() >= min_genes ? out.sets : out.too_small).push_back(std::move(matched));
    }
    return out;
}

} // namespace scae::interpret

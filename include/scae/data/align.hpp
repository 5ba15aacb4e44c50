#pragma once
/// @file align.hpp
/// @brief Mapping a new dataset's genes onto a model's gene order, with diagnostics, and
/// rearranging its count matrix accordingly (missing genes become zero columns).

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/subset.hpp"
#include "scae/data/symbols.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scae::data {

/// Which gene names are compared.
enum class GeneKey {
    id,        ///< gene ids (e.g. Ensembl), exact match (version suffix optionally ignored)
    symbol,    ///< gene symbols (case-insensitive by default)
    automatic, ///< ids when enough model genes are found by id, otherwise whichever finds more
};

/// What to do with model genes that the data lacks.
enum class MissingGenePolicy {
    zero,  ///< give them an all-zero column
    error, ///< throw scae::Error listing them
};

/// What to do when several data genes match one model gene.
enum class DuplicateGenePolicy {
    first, ///< use the first matching data column
    sum,   ///< add all matching data columns
    error, ///< throw scae::Error listing them
};

/// Options of align_genes().
struct AlignOptions {
    GeneKey match_by = GeneKey::automatic;                     ///< names to compare
    bool case_insensitive_symbols = true;                       ///< fold case of symbols (human CD3E = mouse Cd3e)
    bool ignore_id_versions = true;                             ///< compare Ensembl "ENSG00000123.4" as "ENSG00000123"
    MissingGenePolicy missing = MissingGenePolicy::zero;        ///< model genes absent from the data
    DuplicateGenePolicy duplicates = DuplicateGenePolicy::first; ///< several data genes for one model gene
    double min_coverage = 0.5;           ///< fewest model genes (fraction) that must be found, else scae::Error
    double automatic_id_coverage = 0.5;  ///< automatic: use ids when at least this fraction is found by id
};

/// One data column feeding one model column.
struct ColumnLink {
    int data_column;  ///< column of the data matrix
    int model_column; ///< column of the model's gene order
};

/// How a dataset's genes map onto a model's genes, with diagnostics for reports.
struct Alignment {
    Index n_model_genes = 0;                ///< columns of the aligned matrix
    Index n_data_genes = 0;                 ///< columns the data matrix must have
    GeneKey method = GeneKey::id;           ///< the names actually compared (never automatic)
    DuplicateGenePolicy duplicate_policy = DuplicateGenePolicy::first; ///< how duplicates were resolved
    std::vector<ColumnLink> links;          ///< sorted by data column, then model column
    Index matched = 0;                      ///< model genes found in the data
    double coverage = 0;                    ///< matched / n_model_genes
    double id_coverage = 0;                 ///< coverage matching by id (0 when ids were not compared)
    double symbol_coverage = 0;             ///< coverage matching by symbol (0 when symbols were not compared)
    std::vector<Index> missing_model_columns; ///< model columns with no data gene, ascending
    std::vector<std::string> missing_genes;   ///< their names (id or symbol, per method)
    std::vector<std::string> duplicated_genes; ///< model gene names matched by more than one data gene
};

/// The keys' names in JSON and messages.
inline constexpr EnumNames<GeneKey, 3> gene_key_names{{{GeneKey::id, "id"}, {GeneKey::symbol, "symbol"}, {GeneKey::automatic, "automatic"}}};

/// Name of a GeneKey in JSON and messages: "id", "symbol" or "automatic".
/// @param key  the key to name
/// @return its lower-case name
inline std::string to_string(GeneKey key) { return enum_name(key, gene_key_names); }

/// The policies' names in JSON and messages.
inline constexpr EnumNames<DuplicateGenePolicy, 3> duplicate_gene_policy_names{
    {{DuplicateGenePolicy::first, "first"}, {DuplicateGenePolicy::sum, "sum"}, {DuplicateGenePolicy::error, "error"}}};

/// Name of a DuplicateGenePolicy in JSON and messages: "first", "sum" or "error".
/// @param policy  the policy to name
/// @return its lower-case name
inline std::string to_string(DuplicateGenePolicy policy) { return enum_name(policy, duplicate_gene_policy_names); }

namespace detail {

/// "ENSG00000123.4" -> "ENSG00000123". Only Ensembl stable ids ("ENS", capital letters, digits)
/// lose a numeric ".N" suffix: in clone-based names such as "RP11-34P13.7" the suffix is part of
/// the name, and stripping it would merge distinct genes.
inline std::string strip_id_version(const std::string& id) {
    const std::size_t dot = id.rfind('.');
    if (dot == std::string::npos || dot + 1 == id.size() || id.compare(0, 3, "ENS") != 0) return id;
    std::size_t i = 3;
    while (i < dot && id[i] >= 'A' && id[i] <= 'Z') ++i;
    if (i == dot) return id;
    for (; i < dot; ++i) {
        if (id[i] < '0' || id[i] > '9') return id;
    }
    for (std::size_t k = dot + 1; k < id.size(); ++k) {
        if (id[k] < '0' || id[k] > '9') return id;
    }
    return id.substr(0, dot);
}

/// The names compared for `key`, after case folding or version stripping as `options` says.
inline std::vector<std::string> comparison_keys(const std::vector<std::string>& names, GeneKey key,
                                                const AlignOptions& options) {
    std::vector<std::string> keys;
    keys.reserve(names.size());
    for (const std::string& name : names) {
        if (key == GeneKey::symbol) {
            keys.push_back(options.case_insensitive_symbols ? fold_symbol(name) : name);
        } else {
            keys.push_back(options.ignore_id_versions ? strip_id_version(name) : name);
        }
    }
    return keys;
}

/// For each model key, all data columns with that key in ascending order (empty keys never match).
inline std::vector<std::vector<int>> matching_columns(const std::vector<std::string>& model_keys,
                                                      const std::vector<std::string>& data_keys) {
    std::unordered_map<std::string, std::vector<int>> columns_of;
    columns_of.reserve(data_keys.size());
    for (std::size_t c = 0; c < data_keys.size(); ++c) {
        if (!data_keys[c].empty()) columns_of[data_keys[c]].push_back(static_cast<int>(c));
    }
    std::vector<std::vector<int>> matches(model_keys.size());
    for (std::size_t m = 0; m < model_keys.size(); ++m) {
        if (model_keys[m].empty()) continue;
        const auto found = columns_of.find(model_keys[m]);
        if (found != columns_of.end()) matches[m] = found->second;
    }
    return matches;
}

inline Index count_matched(const std::vector<std::vector<int>>& matches) {
    Index matched = 0;
    for (const auto& columns : matches) matched += !columns.empty();
    return matched;
}

/// "A, B, C and 17 more" from the first `shown` names.
inline std::string name_sample(const std::vector<std::string>& names, std::size_t shown = 8) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

inline std::string percent(double fraction) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f%%", 100.0 * fraction);
    return buffer;
}

} // namespace detail

/// Maps the genes of a dataset (`data_ids`, `data_symbols`, one per data column) onto a model's
/// genes (`model_ids`, `model_symbols`, in model order). An empty id list means "no ids" (then
/// symbols are used). Throws scae::Error when lists that should match in length do not, when the
/// coverage is below `options.min_coverage`, or when a policy set to `error` is triggered; the
/// message gives the coverage and some of the genes concerned.
/// @param model_ids      the model's gene ids in model order; empty when the model has none
/// @param model_symbols  the model's gene symbols in model order; their count is the model's gene count
/// @param data_ids       the data's gene ids, one per data column; empty when the data have none
/// @param data_symbols   the data's gene symbols, one per data column
/// @param options        which names to compare and what to do with missing or duplicated genes
/// @return the column links and the diagnostics (method, coverages, missing and duplicated genes)
/// @throws Error when list lengths disagree, the model has no genes, ids are requested but absent,
/// the coverage is below `options.min_coverage`, or an `error` policy is triggered
inline Alignment align_genes(const std::vector<std::string>& model_ids,
                             const std::vector<std::string>& model_symbols,
                             const std::vector<std::string>& data_ids,
                             const std::vector<std::string>& data_symbols, const AlignOptions& options = {}) {
    const std::size_t n_model = model_symbols.size();
    const std::size_t n_data = data_symbols.size();
    if (!model_ids.empty() && model_ids.size() != n_model) {
        throw Error("align_genes: the model has " + std::to_string(model_ids.size()) + " gene ids but " +
                    std::to_string(n_model) + " symbols");
    }
    if (!data_ids.empty() && data_ids.size() != n_data) {
        throw Error("align_genes: the data has " + std::to_string(data_ids.size()) + " gene ids but " +
                    std::to_string(n_data) + " symbols");
    }
    if (n_model == 0) throw Error("align_genes: the model has no genes");
    const bool have_ids = !model_ids.empty() && !data_ids.empty();
    if (options.match_by == GeneKey::id && !have_ids) {
        throw Error("align_genes: matching by id was requested but the " +
                    std::string(model_ids.empty() ? "model" : "data") + " has no gene ids");
    }

    Alignment alignment;
    alignment.n_model_genes = static_cast<Index>(n_model);
    alignment.n_data_genes = static_cast<Index>(n_data);
    alignment.duplicate_policy = options.duplicates;
    const double model_genes = static_cast<double>(n_model);

    std::vector<std::vector<int>> matches;
    if (options.match_by != GeneKey::symbol && have_ids) {
        matches = detail::matching_columns(detail::comparison_keys(model_ids, GeneKey::id, options),
                                           detail::comparison_keys(data_ids, GeneKey::id, options));
        alignment.id_coverage = static_cast<double>(detail::count_matched(matches)) / model_genes;
        alignment.method = GeneKey::id;
    }
    if (options.match_by == GeneKey::symbol ||
        (options.match_by == GeneKey::automatic && (!have_ids || alignment.id_coverage < options.automatic_id_coverage))) {
        std::vector<std::vector<int>> by_symbol =
            detail::matching_columns(detail::comparison_keys(model_symbols, GeneKey::symbol, options),
                                     detail::comparison_keys(data_symbols, GeneKey::symbol, options));
        alignment.symbol_coverage = static_cast<double>(detail::count_matched(by_symbol)) / model_genes;
        // Automatic mode falls back to symbols only when they find more genes than the ids did.
        if (options.match_by == GeneKey::symbol || !have_ids || alignment.symbol_coverage > alignment.id_coverage) {
            matches = std::move(by_symbol);
            alignment.method = GeneKey::symbol;
        }
    }
    const std::vector<std::string>& model_names = alignment.method == GeneKey::id ? model_ids : model_symbols;

    for (std::size_t m = 0; m < n_model; ++m) {
        const std::vector<int>& columns = matches[m];
        if (columns.empty()) {
            alignment.missing_model_columns.push_back(static_cast<Index>(m));
            alignment.missing_genes.push_back(model_names[m]);
            continue;
        }
        ++alignment.matched;
        if (columns.size() > 1) alignment.duplicated_genes.push_back(model_names[m]);
        const std::size_t used = options.duplicates == DuplicateGenePolicy::sum ? columns.size() : 1;
        for (std::size_t k = 0; k < used; ++k) alignment.links.push_back({columns[k], static_cast<int>(m)});
    }
    std::sort(alignment.links.begin(), alignment.links.end(), [](const ColumnLink& a, const ColumnLink& b) {
        return a.data_column != b.data_column ? a.data_column < b.data_column : a.model_column < b.model_column;
    });
    alignment.coverage = static_cast<double>(alignment.matched) / model_genes;

    const std::string how = "by " + to_string(alignment.method);
    if (alignment.coverage < options.min_coverage) {
        std::string tried;
        if (have_ids && alignment.method == GeneKey::symbol && options.match_by == GeneKey::automatic) {
            tried = " (by id: " + detail::percent(alignment.id_coverage) + ")";
        }
        throw Error("align_genes: only " + std::to_string(alignment.matched) + " of " + std::to_string(n_model) +
                    " model genes (" + detail::percent(alignment.coverage) + ") were found in the data " + how +
                    tried + ", below the minimum coverage of " + detail::percent(options.min_coverage) +
                    "; missing genes include " + detail::name_sample(alignment.missing_genes));
    }
    if (options.missing == MissingGenePolicy::error && !alignment.missing_genes.empty()) {
        throw Error("align_genes: " + std::to_string(alignment.missing_genes.size()) +
                    " model genes are missing from the data " + how + ": " +
                    detail::name_sample(alignment.missing_genes));
    }
    if (options.duplicates == DuplicateGenePolicy::error && !alignment.duplicated_genes.empty()) {
        throw Error("align_genes: " + std::to_string(alignment.duplicated_genes.size()) +
                    " model genes match several data genes " + how + ": " +
                    detail::name_sample(alignment.duplicated_genes));
    }
    return alignment;
}

/// Rearranges `data_counts` (cells x data genes) into the model's gene order: column m of the
/// result holds the data column(s) linked to model gene m (summed under the sum policy), or zeros
/// for a missing gene. Throws scae::Error when the column count differs from the alignment's.
/// @param data_counts  cells x data genes, with the column count the alignment was made for
/// @param alignment    the result of align_genes() for these data
/// @return cells x model genes, in the model's gene order
/// @throws Error when `data_counts` has not `alignment.n_data_genes` columns
template <class T>
Csr<T> apply_alignment(const Csr<T>& data_counts, const Alignment& alignment) {
    if (data_counts.cols() != alignment.n_data_genes) {
        throw Error("apply_alignment: the matrix has " + std::to_string(data_counts.cols()) +
                    " genes but the alignment was made for " + std::to_string(alignment.n_data_genes));
    }
    // The links are sorted by data column: starts[c] .. starts[c + 1] are those of data column c.
    std::vector<int> starts(static_cast<std::size_t>(alignment.n_data_genes) + 1, 0), targets;
    targets.reserve(alignment.links.size());
    for (const ColumnLink& link : alignment.links) {
        ++starts[static_cast<std::size_t>(link.data_column) + 1];
        targets.push_back(link.model_column);
    }
    for (std::size_t c = 1; c < starts.size(); ++c) starts[c] += starts[c - 1];
    return map_columns(data_counts, starts, targets, alignment.n_model_genes);
}

/// Whether `alignment` maps the data's columns onto the model's one to one and in order, so
/// that the data are already in the model's gene order (apply_alignment would copy them unchanged).
/// @param alignment  the result of align_genes()
/// @return true when every data column c feeds model column c and nothing else
inline bool is_identity(const Alignment& alignment) {
    if (alignment.n_data_genes != alignment.n_model_genes || Index(alignment.links.size()) != alignment.n_model_genes) return false;
    for (std::size_t i = 0; i < alignment.links.size(); ++i)
        if (alignment.links[i].data_column != int(i) || alignment.links[i].model_column != int(i)) return false;
    return true;
}

/// apply_alignment() in the memory of `counts`, which it replaces: for data too large to hold
/// twice. Done in place when each data gene goes to at most one model gene (always, unless a
/// data gene fills two model columns); otherwise through apply_alignment().
/// @param counts     cells x data genes, compressed; becomes cells x model genes
/// @param alignment  from align_genes() for these data genes
/// @throws Error when `counts` has not the alignment's number of data genes
template <class T>
void align_in_place(Csr<T>& counts, const Alignment& alignment) {
    if (counts.cols() != alignment.n_data_genes) {
        throw Error("align_in_place: the matrix has " + std::to_string(counts.cols()) + " genes but the alignment was made for " +
                    std::to_string(alignment.n_data_genes));
    }
    std::vector<int> new_of_old(static_cast<std::size_t>(counts.cols()), -1);
    bool one_place_each = counts.isCompressed();
    for (const ColumnLink& link : alignment.links) {
        int& target = new_of_old[static_cast<std::size_t>(link.data_column)];
        one_place_each = one_place_each && target < 0;
        target = link.model_column;
    }
    if (one_place_each) {
        map_columns_in_place(counts, nullptr, new_of_old, alignment.n_model_genes);
    } else {
        Csr<T> aligned = apply_alignment(counts, alignment);
        counts.swap(aligned);
    }
}

/// JSON diagnostics of an alignment (without the column links): method, counts, coverages,
/// missing and duplicated genes.
/// @param j  receives the diagnostics object
/// @param a  the alignment to describe
template <class Json>
void to_json(Json& j, const Alignment& a) {
    j = {{"method", to_string(a.method)},
         {"n_model_genes", a.n_model_genes},
         {"n_data_genes", a.n_data_genes},
         {"matched", a.matched},
         {"coverage", a.coverage},
         {"id_coverage", a.id_coverage},
         {"symbol_coverage", a.symbol_coverage},
         {"duplicate_policy", to_string(a.duplicate_policy)},
         {"missing_genes", a.missing_genes},
         {"duplicated_genes", a.duplicated_genes}};
}

} // namespace scae::data

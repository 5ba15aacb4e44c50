#pragma once
/// @file count_checks.hpp
/// @brief What scae checks on counts it reads before training or applying a model: cell totals
/// within float's reach, and a policy for gene ids listed more than once (`scae --duplicate-genes`).

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/subset.hpp"
#include "scae/io/count_matrix.hpp"

#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace scae::data {

/// The largest total count one cell may have: far above any assay (a deep Smart-seq cell holds
/// about 1e7 reads), and where float32 sums in training and preprocessing keep some precision.
inline constexpr double max_cell_total = 1e9;

/// What to do with gene ids listed more than once in a dataset (`--duplicate-genes`).
enum class DuplicateGeneIds {
    error,  ///< refuse the data, naming the repeats (default: a repeated id usually means a broken file)
    unique, ///< rename the repeats id.1, id.2, ... (as R's make.unique)
    first   ///< keep the first column of each id, drop the others
};

/// The policies' names, as `--duplicate-genes` takes them.
inline constexpr EnumNames<DuplicateGeneIds, 3> duplicate_gene_ids_names{
    {{DuplicateGeneIds::error, "error"}, {DuplicateGeneIds::unique, "unique"}, {DuplicateGeneIds::first, "first"}}};

/// Applies `policy` to repeated ids in `data` (read from `path`).
/// @param data  the dataset, changed in place (renamed ids or dropped columns)
/// @param policy  what to do with repeated ids
/// @param path  where `data` was read from, for messages
/// @return a note that says what was done, "PATH: N gene ids repeat ...; renamed ..." ("" when
/// every id is unique)
/// @throws Error for DuplicateGeneIds::error when an id repeats, naming the first repeats
template <class T>
std::string resolve_duplicate_gene_ids(io::CountMatrix<T>& data, DuplicateGeneIds policy, const std::string& path) {
    std::unordered_map<std::string, std::size_t> first;
    first.reserve(data.gene_ids.size());
    std::vector<std::size_t> repeats; // columns whose id came before
    for (std::size_t g = 0; g < data.gene_ids.size(); ++g)
        if (!first.emplace(data.gene_ids[g], g).second) repeats.push_back(g);
    if (repeats.empty()) return "";
    std::string sample;
    for (std::size_t k = 0; k < repeats.size() && k < 5; ++k)
        sample += (k ? ", '" : "'") + data.gene_ids[repeats[k]] + "' (genes " + std::to_string(first[data.gene_ids[repeats[k]]] + 1) +
                  " and " + std::to_string(repeats[k] + 1) + ")";
    if (repeats.size() > 5) sample += ", ...";
    const std::string what = std::to_string(repeats.size()) + " gene id" + (repeats.size() == 1 ? " repeats" : "s repeat") + " an earlier one: " + sample;
    if (policy == DuplicateGeneIds::error)
        fail(path, 0, "found " + what + "; expected each gene id once (--duplicate-genes unique renames repeats id.1, id.2, ...; "
                      "--duplicate-genes first keeps the first)");
    if (policy == DuplicateGeneIds::unique) {
        for (const std::size_t g : repeats) {
            const std::string base = data.gene_ids[g];
            for (std::size_t n = 1;; ++n)
                if (first.emplace(base + "." + std::to_string(n), g).second) {
                    data.gene_ids[g] = base + "." + std::to_string(n);
                    break;
                }
        }
        return path + ": " + what + "; renamed the repeats id.1, id.2, ... (--duplicate-genes unique)";
    }
    std::vector<bool> drop(data.gene_ids.size(), false);
    for (const std::size_t g : repeats) drop[g] = true;
    std::vector<Index> keep;
    for (std::size_t g = 0; g < drop.size(); ++g)
        if (!drop[g]) keep.push_back(Index(g));
    Csr<T> kept = select_columns(data.counts, keep);
    data.counts.swap(kept);
    for (auto* names : {&data.gene_ids, &data.gene_symbols, &data.feature_types}) {
        if (names->size() != drop.size()) continue;
        std::vector<std::string> out;
        out.reserve(keep.size());
        for (const Index g : keep) out.push_back(std::move((*names)[std::size_t(g)]));
        names->swap(out);
    }
    return path + ": " + what + "; kept the first column of each (--duplicate-genes first)";
}

/// Refuses a cell whose total count is not finite or above max_cell_total.
/// @param data  the dataset (or one block of a dataset's cells)
/// @param path  where it was read from, for messages
/// @param first_cell  the dataset's row of data's first cell (a block's offset), for messages
/// @throws Error naming the cell (numbered from 1), its barcode and its total
template <class T>
void check_cell_totals(const io::CountMatrix<T>& data, const std::string& path, Index first_cell = 0) {
    for (Index c = 0; c < data.cells(); ++c) {
        double total = 0;
        for (typename Csr<T>::InnerIterator it(data.counts, c); it; ++it) total += double(it.value());
        if (!(total <= max_cell_total)) {
            std::ostringstream s;
            s << "cell " << first_cell + c + 1 << " ('" << (std::size_t(c) < data.barcodes.size() ? data.barcodes[std::size_t(c)] : std::string("?"))
              << "') sums to " << total << ", expected at most " << max_cell_total
              << " per cell: no assay counts that many molecules, and float32 sums lose their precision there";
            fail(path, 0, s.str());
        }
    }
}

/// Settings of check_counts().
struct CountChecks {
    DuplicateGeneIds duplicate_gene_ids = DuplicateGeneIds::error; ///< what to do with repeated gene ids
    Index first_cell = 0; ///< the dataset's row of the first cell checked (a block's offset), for messages
};

/// The checks `scae` makes on every dataset it trains on or applies a model to: cell totals
/// (check_cell_totals()), then repeated gene ids (resolve_duplicate_gene_ids()).
/// @param data  the dataset, changed in place by the duplicate-id policy
/// @param path  where it was read from, for messages
/// @param checks  the duplicate-id policy and the first cell's row
/// @return resolve_duplicate_gene_ids()'s note ("" when nothing was changed)
/// @throws Error as the two checks do
template <class T>
std::string check_counts(io::CountMatrix<T>& data, const std::string& path, const CountChecks& checks = {}) {
    check_cell_totals(data, path, checks.first_cell);
    return resolve_duplicate_gene_ids(data, checks.duplicate_gene_ids, path);
}

} // namespace scae::data

#pragma once
/// @file hdf5_cellranger.hpp
/// @brief Reads a Cell Ranger / Space Ranger feature-barcode matrix in HDF5: the v3 layout
/// (`/matrix` with `features/{id,name,feature_type[,genome]}`, Cell Ranger 3 and later, Space
/// Ranger, Cell Ranger ARC) and the v2 layout (one group per genome with `genes`, `gene_names`,
/// Cell Ranger 1 and 2). Both store genes x cells compressed over cells, which is scae's cells x
/// genes CSR. Needs SCAE_HAVE_HDF5.

#include "scae/io/count_matrix.hpp"
#include "scae/io/hdf5_file.hpp"
#include "scae/io/hdf5_matrix.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace scae::io {

namespace detail {

/// "'a', 'b' and 'c'".
inline std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t k = 0; k < names.size(); ++k) {
        if (k > 0) out += k + 1 == names.size() ? " and " : ", ";
        out += "'" + names[k] + "'";
    }
    return out;
}

/// Names of the v2 genome groups: root groups holding indptr and genes.
inline std::vector<std::string> cellranger_v2_genomes(const hdf5::File& file) {
    std::vector<std::string> genomes;
    for (const std::string& name : file.children("/"))
        if (file.is_group("/" + name) && file.exists("/" + name + "/indptr") && file.exists("/" + name + "/genes"))
            genomes.push_back(name);
    return genomes;
}

/// Reads the strings of `path`, which must hold `n` of them (`meaning` for the message).
inline std::vector<std::string> read_names(const hdf5::File& file, const std::string& path, long long n, const char* meaning) {
    const hdf5::Dataset dataset = file.dataset(path);
    dataset.expect_vector(n, meaning);
    return dataset.read_strings();
}

/// The matrix shape the `shape` dataset of Cell Ranger group `group` declares: (genes, cells),
/// checked against the length of its indptr (one offset per cell + 1).
inline std::pair<Index, Index> cellranger_shape(const hdf5::File& file, const std::string& group) {
    const hdf5::Dataset dataset = file.dataset(group + "/shape");
    dataset.expect_vector(2, "(genes, cells) shape");
    dataset.expect_numbers("the matrix shape");
    const auto shape = dataset.read_all<std::int64_t>();
    if (shape[0] < 0 || shape[1] < 0 || shape[0] > std::numeric_limits<int>::max() || shape[1] > std::numeric_limits<int>::max())
        dataset.fail("declares a shape of " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) +
                     ", expected two counts below 2^31");
    const hdf5::Dataset indptr = file.dataset(group + "/indptr");
    indptr.expect_vector(-1, "offset array");
    if (indptr.shape()[0] != hsize_t(shape[1]) + 1)
        dataset.fail("declares " + std::to_string(shape[1]) + " cells but " + indptr.path() + " holds " +
                     std::to_string(indptr.shape()[0]) + " offsets, expected one per cell + 1");
    return {Index(shape[0]), Index(shape[1])};
}

} // namespace detail

/// True when `file` has either Cell Ranger layout.
/// @param file  the open HDF5 file.
/// @return whether it has /matrix/indptr or a v2 genome group.
inline bool is_cellranger_h5(const hdf5::File& file) {
    return (file.is_group("/matrix") && file.exists("/matrix/indptr")) || !detail::cellranger_v2_genomes(file).empty();
}

/// Reads a Cell Ranger HDF5 file into cells x genes counts with gene IDs, symbols, types and
/// barcodes. Keeps the features whose type is in `options.feature_types` (default: Gene
/// Expression) and, with several genomes, those of `options.genome`: several genomes without
/// a choice are an error that lists them. CountMatrix::source says what was read.
///
/// With a `slab`, only that block of the cells is read: the whole indptr, and the block's
/// entries, which are one stretch of the file's arrays; the result holds the block's cells and
/// their barcodes, and its values are checked in those entries.
/// @param file     the open Cell Ranger file.
/// @param options  genome, feature types and what values are accepted.
/// @param slab     the block of cells to read (default: all).
/// @param file_cells  when not null, receives the cells of the whole matrix.
/// @return the counts, cells x genes, with names and CountMatrix::source.
/// @throws Error naming the dataset when the layout, shapes, names or values are wrong, no feature is of the wanted types, or several genomes leave the choice open.
template <class T = float>
CountMatrix<T> read_cellranger_h5(const hdf5::File& file, const ReadOptions& options = {}, const SlabOptions& slab = {},
                                  Index* file_cells = nullptr) {
    CountMatrix<T> result;
    std::string group;
    std::vector<std::string> genome_of; // v3: the genome of each feature, when the file says
    if (file.is_group("/matrix")) {
        group = "/matrix";
        const auto [genes, cells] = detail::cellranger_shape(file, group);
        result.gene_ids = detail::read_names(file, group + "/features/id", genes, "feature ID per gene (shape[0])");
        result.gene_symbols = detail::read_names(file, group + "/features/name", genes, "feature name per gene (shape[0])");
        if (file.exists(group + "/features/feature_type"))
            result.feature_types = detail::read_names(file, group + "/features/feature_type", genes, "feature type per gene");
        else
            result.feature_types.assign(std::size_t(genes), "Gene Expression");
        if (file.exists(group + "/features/genome"))
            genome_of = detail::read_names(file, group + "/features/genome", genes, "genome per gene");
        result.barcodes = detail::read_names(file, group + "/barcodes", cells, "barcode per cell (shape[1])");
    } else {
        const std::vector<std::string> genomes = detail::cellranger_v2_genomes(file);
        if (genomes.empty())
            fail(file.path(), 0, "is HDF5 but neither a Cell Ranger matrix (/matrix or /<genome>/genes) nor an AnnData file (/X)");
        if (!options.genome.empty()) {
            if (std::find(genomes.begin(), genomes.end(), options.genome) == genomes.end())
                fail(file.path(), 0, "has no genome '" + options.genome + "'; it has " + detail::quoted_list(genomes));
            group = "/" + options.genome;
        } else if (genomes.size() > 1) {
            fail(file.path(), 0, "holds " + std::to_string(genomes.size()) + " genomes (" + detail::quoted_list(genomes) +
                                     "); choose one with --genome NAME");
        } else {
            group = "/" + genomes[0];
        }
        const auto [genes, cells] = detail::cellranger_shape(file, group);
        result.gene_ids = detail::read_names(file, group + "/genes", genes, "gene ID per gene (shape[0])");
        result.gene_symbols = file.exists(group + "/gene_names")
                                  ? detail::read_names(file, group + "/gene_names", genes, "gene name per gene (shape[0])")
                                  : result.gene_ids;
        result.feature_types.assign(std::size_t(genes), "Gene Expression");
        result.barcodes = detail::read_names(file, group + "/barcodes", cells, "barcode per cell (shape[1])");
    }
    const Index genes = Index(result.gene_ids.size()), cells = Index(result.barcodes.size());

    // v3 files list every genome's features together: choose one genome as v2 files do.
    std::vector<std::string> genomes;
    for (const std::string& g : genome_of)
        if (std::find(genomes.begin(), genomes.end(), g) == genomes.end()) genomes.push_back(g);
    if (!options.genome.empty() && !genome_of.empty() && std::find(genomes.begin(), genomes.end(), options.genome) == genomes.end())
        file.fail_at(group + "/features/genome", "has no genome '" + options.genome + "'; it has " + detail::quoted_list(genomes));
    const bool choose_genome = genomes.size() > 1;
    if (choose_genome && options.genome.empty())
        file.fail_at(group, "holds features of " + std::to_string(genomes.size()) + " genomes (" + detail::quoted_list(genomes) +
                                "); choose one with --genome NAME");

    hdf5::GeneSelection selection;
    std::map<std::string, Index> left_out; // feature type -> features left out
    selection.new_column.assign(std::size_t(genes), -1);
    for (Index g = 0; g < genes; ++g) {
        const std::string& type = result.feature_types[std::size_t(g)];
        const bool type_kept = options.feature_types.empty() ||
                               std::find(options.feature_types.begin(), options.feature_types.end(), type) != options.feature_types.end();
        const bool genome_kept = !choose_genome || genome_of[std::size_t(g)] == options.genome;
        if (type_kept && genome_kept) {
            selection.new_column[std::size_t(g)] = int(selection.kept++);
        } else if (!type_kept) {
            ++left_out[type];
        }
    }
    if (selection.kept == 0) {
        std::vector<std::string> present;
        for (const auto& [type, n] : left_out) present.push_back(type + "' (" + std::to_string(n));
        file.fail_at(group, "has no features of type " + detail::quoted_list(options.feature_types) + "; it has '" +
                                [&] {
                                    std::string s;
                                    for (std::size_t k = 0; k < present.size(); ++k) s += (k ? ", '" : "") + present[k] + ")";
                                    return s;
                                }() +
                                "; choose with --feature-types TYPE[,TYPE] or all");
    }
    if (selection.kept == genes) selection.new_column.clear();

    const RowRange rows = slab.range(cells);
    const hdf5::ValueSummary summary =
        hdf5::read_sparse<T>(file, {group + "/data", group + "/indices", group + "/indptr"}, cells, genes,
                             hdf5::Compression::over_cells, selection, options, result.counts, rows);
    if (!slab.whole()) {
        result.barcodes.erase(result.barcodes.begin() + rows.first + rows.count, result.barcodes.end());
        result.barcodes.erase(result.barcodes.begin(), result.barcodes.begin() + rows.first);
    }
    if (file_cells) *file_cells = cells;
    result.field = summary.field;
    result.integer_values = summary.integer_values;

    hdf5::keep_selected(result.gene_ids, selection);
    hdf5::keep_selected(result.gene_symbols, selection);
    hdf5::keep_selected(result.feature_types, selection);
    result.source = group;
    if (choose_genome) result.source += " (genome '" + options.genome + "')";
    if (!left_out.empty()) {
        result.source += ": " + std::to_string(selection.kept) + " of " + std::to_string(genes) + " features kept; left out";
        for (const auto& [type, n] : left_out) result.source += " " + std::to_string(n) + " '" + type + "'";
        result.source += " (--feature-types all keeps them)";
    }
    return result;
}

} // namespace scae::io

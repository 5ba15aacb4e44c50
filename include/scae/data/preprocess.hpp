#pragma once
/// @file preprocess.hpp
/// @brief Fitting a preprocessing recipe on training counts (cell and gene filters, gene-set
/// restriction, highly variable genes, normalisation target) and recording it as JSON.
///
/// The model's training target is the raw counts of the selected genes (select_model_counts()).
/// Its input is those counts through the model's own nn::transform_input(), whose
/// nn::InputTransform takes `target_sum` and `log1p` from the fitted Preprocessing
/// (transfer::train_model): library-size normalisation to the recorded target sum, then log1p.
/// Library sizes are taken over the model's genes only, so the transform needs nothing but the
/// model-ordered counts.

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/filter.hpp"
#include "scae/data/gene_sets.hpp"
#include "scae/data/hvg.hpp"
#include "scae/data/normalize.hpp"
#include "scae/data/subset.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>


namespace scae::data {

/// What fit_preprocessing() does, step by step, in this order.
struct PreprocessOptions {
    double min_counts_per_cell = 1;             ///< 1. drop cells whose total count (all genes) is below this
    Index min_genes_per_cell = 0;               ///< 1. drop cells detecting fewer genes than this
    Index min_cells_per_gene = 3;               ///< 2. drop genes nonzero in fewer kept cells than this
    std::vector<std::string> gene_set_symbols;  ///< 3. if not empty, keep only genes with these symbols (case-insensitive)
    HvgOptions hvg;                             ///< 4. highly variable genes among the rest (n_top_genes 0: keep all)
    double target_sum = 0;                      ///< 5. per-cell total after normalisation; 0 = median library size of the kept cells over the model genes
    bool log1p = true;                          ///< 6. apply log(1 + x) after normalisation
};

/// Counts of cells and genes after each step of a fit, for reports.
struct PreprocessingSummary {
    Index cells_in = 0;              ///< cells given to the fit
    Index genes_in = 0;              ///< genes given to the fit
    Index cells_kept = 0;            ///< cells passing the cell filter
    Index genes_after_filter = 0;    ///< genes passing the gene filter
    Index genes_after_gene_sets = 0; ///< genes left after the gene-set restriction (= genes_after_filter without one)
};

/// A fitted preprocessing recipe: the model's genes in order and the per-cell input transform.
/// Serialises with to_json()/from_json() and re-applies identically to new data.
struct Preprocessing {
    std::vector<std::string> gene_ids;     ///< model genes, in model column order
    std::vector<std::string> gene_symbols; ///< symbols of the same genes
    double target_sum = 0;                 ///< every cell is scaled to this total over the model genes
    bool log1p = true;                     ///< whether log(1 + x) follows the scaling
    PreprocessOptions options;             ///< the options of the fit (provenance)
    PreprocessingSummary summary;          ///< cell and gene counts along the fit

    /// Number of model genes (columns the transform expects).
    /// @return the length of `gene_ids`
    Index n_genes() const { return static_cast<Index>(gene_ids.size()); }
};

/// Result of fit_preprocessing().
struct PreprocessingFit {
    Preprocessing preprocessing;   ///< the recipe
    std::vector<Index> kept_cells; ///< rows of the input that passed the cell filter, ascending
    std::vector<Index> kept_genes; ///< columns of the input that became the model genes, in model order
};

/// Fits the recipe of `options` on raw `counts` (cells x genes) whose columns are named by
/// `gene_ids` and `gene_symbols`. Throws scae::Error on mismatched sizes, negative or non-finite
/// counts, or when a step leaves no cell or no gene.
/// @param counts        raw counts, cells x genes
/// @param gene_ids      one id per column of `counts`
/// @param gene_symbols  one symbol per column of `counts`
///
/// With `cells` naming other processes' cells (data/sharded_preprocess.hpp: MPI ranks, each
/// holding a block of the cells), `counts` is this process's block and every statistic over
/// cells is made from per-process partial sums: the cells' totals and detected genes (per
/// cell, local), the genes' detection counts, the HVG moments and the median depth (an exact
/// order statistic over all processes). For counts these sums are exact, so the recipe equals
/// the one a single process fits on all cells, bit for bit. kept_cells are then rows of the
/// block, and the summary counts every process's cells.
/// @param options       the steps and their thresholds
/// @param cells         where the other cells are (default: nowhere; `counts` holds every cell)
/// @return the recipe, with the kept cells (input rows) and the model genes (input columns)
/// @throws Error on mismatched sizes, negative or non-finite counts, no cell or gene left, or a
/// median library size of 0 over the model genes
template <class T, class Cells = LocalCells>
PreprocessingFit fit_preprocessing(const Csr<T>& counts, const std::vector<std::string>& gene_ids,
                                   const std::vector<std::string>& gene_symbols,
                                   const PreprocessOptions& options = {}, const Cells& cells = {}) {
    const Index genes_in = counts.cols();
    if (static_cast<Index>(gene_ids.size()) != genes_in || static_cast<Index>(gene_symbols.size()) != genes_in) {
        throw Error("fit_preprocessing: the matrix has " + std::to_string(genes_in) + " genes but " +
                    std::to_string(gene_ids.size()) + " gene ids and " + std::to_string(gene_symbols.size()) +
                    " symbols were given");
    }
    require_counts(counts, "fit_preprocessing");

    PreprocessingFit fit;
    Preprocessing& recipe = fit.preprocessing;
    recipe.options = options;
    recipe.log1p = options.log1p;
    fit.kept_cells = cells_passing(counts, options.min_counts_per_cell, options.min_genes_per_cell);
    // No copy of the data unless the HVG scores need one: a copy of an atlas is gigabytes.
    const bool all_cells = static_cast<Index>(fit.kept_cells.size()) == counts.rows();
    const std::vector<Index>* kept_rows = all_cells ? nullptr : &fit.kept_cells;
    // Cells in and kept, and each gene's detecting cells, summed over the processes (exactly: whole numbers).
    std::vector<double> tallies(static_cast<std::size_t>(genes_in) + 2);
    tallies[0] = static_cast<double>(counts.rows());
    tallies[1] = static_cast<double>(fit.kept_cells.size());
    {
        const std::vector<Index> detected = cells_per_gene(counts, kept_rows);
        for (std::size_t g = 0; g < detected.size(); ++g) tallies[g + 2] = static_cast<double>(detected[g]);
    }
    cells.sum(tallies);
    recipe.summary.cells_in = static_cast<Index>(tallies[0]);
    recipe.summary.genes_in = genes_in;
    if (tallies[1] == 0) {
        throw Error("fit_preprocessing: no cell has at least " + std::to_string(options.min_counts_per_cell) +
                    " counts and " + std::to_string(options.min_genes_per_cell) + " detected genes (of " +
                    std::to_string(recipe.summary.cells_in) + " cells)");
    }
    recipe.summary.cells_kept = static_cast<Index>(tallies[1]);
    std::vector<Index> genes;
    for (Index g = 0; g < genes_in; ++g)
        if (tallies[static_cast<std::size_t>(g) + 2] >= static_cast<double>(options.min_cells_per_gene)) genes.push_back(g);
    recipe.summary.genes_after_filter = static_cast<Index>(genes.size());
    if (!options.gene_set_symbols.empty()) {
        std::vector<std::string> candidate_symbols;
        candidate_symbols.reserve(genes.size());
        for (Index g : genes) candidate_symbols.push_back(gene_symbols[static_cast<std::size_t>(g)]);
        std::vector<Index> in_sets;
        for (Index position : columns_with_symbols(candidate_symbols, options.gene_set_symbols)) {
            in_sets.push_back(genes[static_cast<std::size_t>(position)]);
        }
        genes = std::move(in_sets);
    }
    recipe.summary.genes_after_gene_sets = static_cast<Index>(genes.size());
    if (genes.empty()) {
        throw Error("fit_preprocessing: no gene is left after the gene filter (min_cells_per_gene " +
                    std::to_string(options.min_cells_per_gene) +
                    (options.gene_set_symbols.empty()
                         ? std::string(")")
                         : ") and the restriction to " + std::to_string(options.gene_set_symbols.size()) +
                               " gene-set symbols"));
    }

    if (options.hvg.n_top_genes > 0 && options.hvg.n_top_genes < static_cast<Index>(genes.size())) {
        // The scores see the kept cells and candidate genes as a matrix of their own.
        bool all_genes = static_cast<Index>(genes.size()) == genes_in;
        for (std::size_t j = 0; all_genes && j < genes.size(); ++j) all_genes = genes[j] == static_cast<Index>(j);
        const HvgResult hvg = all_cells && all_genes ? highly_variable_genes(counts, options.hvg, cells)
                              : all_cells            ? highly_variable_genes(select_columns(counts, genes), options.hvg, cells)
                                                     : highly_variable_genes(select_columns(select_rows(counts, fit.kept_cells), genes), options.hvg, cells);
        std::vector<Index> chosen;
        chosen.reserve(hvg.selected.size());
        for (Index position : hvg.selected) chosen.push_back(genes[static_cast<std::size_t>(position)]);
        genes = std::move(chosen);
    }
    fit.kept_genes = genes;
    for (Index g : genes) {
        recipe.gene_ids.push_back(gene_ids[static_cast<std::size_t>(g)]);
        recipe.gene_symbols.push_back(gene_symbols[static_cast<std::size_t>(g)]);
    }
    if (options.target_sum > 0) {
        recipe.target_sum = options.target_sum;
    } else {
        std::vector<double> sizes = library_sizes(counts, genes);
        if (!all_cells) {
            for (std::size_t i = 0; i < fit.kept_cells.size(); ++i) sizes[i] = sizes[static_cast<std::size_t>(fit.kept_cells[i])];
            sizes.resize(fit.kept_cells.size());
        }
        recipe.target_sum = cells.median(std::move(sizes));
    }
    if (!(recipe.target_sum > 0) || !std::isfinite(recipe.target_sum)) {
        throw Error("fit_preprocessing: the median library size over the " + std::to_string(genes.size()) +
                    " model genes is " + std::to_string(recipe.target_sum) +
                    "; set PreprocessOptions::target_sum or filter empty cells (min_counts_per_cell)");
    }
    return fit;
}

namespace detail {

/// Throws unless `counts` has the shape the fit was made on.
template <class T>
void require_fit_shape(const Csr<T>& counts, const PreprocessingFit& fit) {
    if (counts.rows() != fit.preprocessing.summary.cells_in || counts.cols() != fit.preprocessing.summary.genes_in) {
        throw Error("select_model_counts: the fit was made on a " + std::to_string(fit.preprocessing.summary.cells_in) +
                    " x " + std::to_string(fit.preprocessing.summary.genes_in) + " matrix, got " +
                    std::to_string(counts.rows()) + " x " + std::to_string(counts.cols()));
    }
}

/// Keeps rows `rows` (ascending; nullptr: all) and columns `columns` (in that order, each at
/// most once) of the compressed `m`, in place (map_columns_in_place()).
template <class T>
void keep_in_place(Csr<T>& m, const std::vector<Index>* rows, const std::vector<Index>& columns) {
    std::vector<int> new_of_old(static_cast<std::size_t>(m.cols()), -1);
    for (std::size_t j = 0; j < columns.size(); ++j) new_of_old[static_cast<std::size_t>(columns[j])] = static_cast<int>(j);
    map_columns_in_place(m, rows, new_of_old, static_cast<Index>(columns.size()));
}

} // namespace detail

/// The training target: raw counts of the fit's kept cells in the model's genes and gene order.
/// @param counts  the matrix the fit was made on, cells x genes
/// @param fit     the result of fit_preprocessing() on `counts`
/// @return kept cells x model genes, raw counts, in model gene order
/// @throws Error when `counts` has not the shape the fit was made on
template <class T>
Csr<T> select_model_counts(const Csr<T>& counts, const PreprocessingFit& fit) {
    detail::require_fit_shape(counts, fit);
    Csr<T> out = select_rows(counts, fit.kept_cells);
    detail::keep_in_place(out, nullptr, fit.kept_genes);
    return out;
}

/// select_model_counts() made in the memory of `counts`, which it consumes: for data too
/// large to hold twice (nothing is copied).
/// @param counts  the matrix the fit was made on, cells x genes; left empty
/// @param fit     the result of fit_preprocessing() on `counts`
/// @return kept cells x model genes, raw counts, in model gene order
/// @throws Error when `counts` has not the shape the fit was made on (then it is left unchanged)
template <class T>
Csr<T> select_model_counts(Csr<T>&& counts, const PreprocessingFit& fit) {
    detail::require_fit_shape(counts, fit);
    Csr<T> out;
    out.swap(counts); // Eigen 3.4's SparseMatrix has no move constructor: std::move would copy
    out.makeCompressed();
    const bool all_rows = static_cast<Index>(fit.kept_cells.size()) == out.rows();
    bool identity = all_rows && static_cast<Index>(fit.kept_genes.size()) == out.cols();
    for (std::size_t j = 0; identity && j < fit.kept_genes.size(); ++j) identity = fit.kept_genes[j] == static_cast<Index>(j);
    if (!identity) detail::keep_in_place(out, all_rows ? nullptr : &fit.kept_cells, fit.kept_genes);
    return out;
}

namespace detail {

/// `j[key]` as a V, or scae::Error naming `what` and the missing or mistyped key. (The JSON
/// functions of this file are templates on the JSON type, so that including it compiles none.)
template <class V, class Json>
V required(const Json& j, const char* key, const std::string& what) {
    if (!j.is_object() || !j.contains(key)) throw Error(what + ": missing key '" + key + "'");
    try {
        return j.at(key).template get<V>();
    } catch (const typename Json::exception& e) {
        throw Error(what + ": key '" + key + "' has the wrong type: " + e.what());
    }
}

} // namespace detail

/// The flavours' names in JSON and on the command line.
inline constexpr EnumNames<HvgFlavor, 2> hvg_flavor_names{{{HvgFlavor::seurat_v3, "seurat_v3"}, {HvgFlavor::dispersion, "dispersion"}}};

/// Name of a flavour in JSON and on the command line: "seurat_v3" or "dispersion".
/// @param flavor  the flavour to name
/// @return its name
inline std::string to_string(HvgFlavor flavor) { return enum_name(flavor, hvg_flavor_names); }

/// Parses a flavour name written by to_string(HvgFlavor); throws scae::Error otherwise.
/// @param name  "seurat_v3" or "dispersion"
/// @return the flavour of that name
/// @throws Error on any other name
inline HvgFlavor hvg_flavor_from_string(const std::string& name) { return enum_from_name(name, hvg_flavor_names, "HVG flavor"); }

/// JSON form of HvgOptions.
/// @param j  receives the object
/// @param o  the options to write
template <class Json>
void to_json(Json& j, const HvgOptions& o) {
    j = {{"flavor", to_string(o.flavor)}, {"n_top_genes", o.n_top_genes}, {"span", o.span},
         {"n_bins", o.n_bins}, {"target_sum", o.target_sum}};
}

/// Reads HvgOptions written by to_json(); throws scae::Error on a missing or mistyped key.
/// @param j  an object with every field of HvgOptions
/// @param o  receives the options
/// @throws Error on a missing or mistyped key or an unknown flavour
template <class Json>
void from_json(const Json& j, HvgOptions& o) {
    const std::string what = "preprocessing JSON, hvg";
    o.flavor = hvg_flavor_from_string(detail::required<std::string>(j, "flavor", what));
    o.n_top_genes = detail::required<Index>(j, "n_top_genes", what);
    o.span = detail::required<double>(j, "span", what);
    o.n_bins = detail::required<Index>(j, "n_bins", what);
    o.target_sum = detail::required<double>(j, "target_sum", what);
}

/// JSON form of PreprocessOptions.
/// @param j  receives the object
/// @param o  the options to write
template <class Json>
void to_json(Json& j, const PreprocessOptions& o) {
    j = {{"min_counts_per_cell", o.min_counts_per_cell},
         {"min_genes_per_cell", o.min_genes_per_cell},
         {"min_cells_per_gene", o.min_cells_per_gene},
         {"gene_set_symbols", o.gene_set_symbols},
         {"hvg", o.hvg},
         {"target_sum", o.target_sum},
         {"log1p", o.log1p}};
}

/// Reads PreprocessOptions written by to_json(); throws scae::Error on a missing or mistyped key.
/// @param j  an object with every field of PreprocessOptions
/// @param o  receives the options
/// @throws Error on a missing or mistyped key
template <class Json>
void from_json(const Json& j, PreprocessOptions& o) {
    const std::string what = "preprocessing JSON, options";
    o.min_counts_per_cell = detail::required<double>(j, "min_counts_per_cell", what);
    o.min_genes_per_cell = detail::required<Index>(j, "min_genes_per_cell", what);
    o.min_cells_per_gene = detail::required<Index>(j, "min_cells_per_gene", what);
    o.gene_set_symbols = detail::required<std::vector<std::string>>(j, "gene_set_symbols", what);
    o.hvg = detail::required<HvgOptions>(j, "hvg", what);
    o.target_sum = detail::required<double>(j, "target_sum", what);
    o.log1p = detail::required<bool>(j, "log1p", what);
}

/// JSON form of PreprocessingSummary.
/// @param j  receives the object
/// @param s  the summary to write
template <class Json>
void to_json(Json& j, const PreprocessingSummary& s) {
    j = {{"cells_in", s.cells_in},
         {"genes_in", s.genes_in},
         {"cells_kept", s.cells_kept},
         {"genes_after_filter", s.genes_after_filter},
         {"genes_after_gene_sets", s.genes_after_gene_sets}};
}

/// Reads PreprocessingSummary written by to_json(); throws scae::Error on a missing or mistyped key.
/// @param j  an object with every field of PreprocessingSummary
/// @param s  receives the summary
/// @throws Error on a missing or mistyped key
template <class Json>
void from_json(const Json& j, PreprocessingSummary& s) {
    const std::string what = "preprocessing JSON, summary";
    s.cells_in = detail::required<Index>(j, "cells_in", what);
    s.genes_in = detail::required<Index>(j, "genes_in", what);
    s.cells_kept = detail::required<Index>(j, "cells_kept", what);
    s.genes_after_filter = detail::required<Index>(j, "genes_after_filter", what);
    s.genes_after_gene_sets = detail::required<Index>(j, "genes_after_gene_sets", what);
}

/// JSON form of a recipe: {"format": "scae.preprocessing", "version": 1, "gene_ids", "gene_symbols",
/// "target_sum", "log1p", "options", "summary"}. Doubles round-trip exactly.
/// @param j  receives the object
/// @param p  the recipe to write
template <class Json>
void to_json(Json& j, const Preprocessing& p) {
    j = {{"format", "scae.preprocessing"}, {"version", 1},       {"gene_ids", p.gene_ids},
         {"gene_symbols", p.gene_symbols}, {"target_sum", p.target_sum}, {"log1p", p.log1p},
         {"options", p.options},           {"summary", p.summary}};
}

/// Reads a recipe written by to_json(). Throws scae::Error on another format or version, a
/// missing or mistyped key, gene lists of different lengths, or a target sum that is not positive.
/// @param j  an object written by to_json()
/// @param p  receives the recipe
/// @throws Error on another format or version, a missing or mistyped key, gene lists of
/// different lengths, or a target sum that is not positive and finite
template <class Json>
void from_json(const Json& j, Preprocessing& p) {
    const std::string what = "preprocessing JSON";
    const std::string format = detail::required<std::string>(j, "format", what);
    if (format != "scae.preprocessing") {
        throw Error(what + ": format is '" + format + "', expected 'scae.preprocessing'");
    }
    const int version = detail::required<int>(j, "version", what);
    if (version != 1) throw Error(what + ": version " + std::to_string(version) + " is not supported (expected 1)");
    p.gene_ids = detail::required<std::vector<std::string>>(j, "gene_ids", what);
    p.gene_symbols = detail::required<std::vector<std::string>>(j, "gene_symbols", what);
    if (p.gene_ids.size() != p.gene_symbols.size()) {
        throw Error(what + ": " + std::to_string(p.gene_ids.size()) + " gene ids but " +
                    std::to_string(p.gene_symbols.size()) + " gene symbols");
    }
    p.target_sum = detail::required<double>(j, "target_sum", what);
    if (!(p.target_sum > 0) || !std::isfinite(p.target_sum)) {
        throw Error(what + ": target_sum must be a positive number, got " + std::to_string(p.target_sum));
    }
    p.log1p = detail::required<bool>(j, "log1p", what);
    p.options = detail::required<PreprocessOptions>(j, "options", what);
    p.summary = detail::required<PreprocessingSummary>(j, "summary", what);
}

} // namespace scae::data

#pragma once
/// @file simulate.hpp
/// @brief A seeded simulator of tissues whose cell types share planted gene programs: the
/// embedded default data of scae (demo, tests), with the planted truth to check recovery against.
///
/// Model. Each gene g has a base log rate b_g ~ N(0, gene_log_sd^2) and, per tissue t, a small
/// tissue shift e_tg ~ N(0, tissue_effect_sd^2). A program is a set of program_size genes drawn
/// from the more expressed half of the genes (programs are disjoint when n_programs * program_size
/// <= n_genes, else they may overlap) with log fold changes f_pg ~ program_log_fold_change * exp(N(0, 0.25^2)). A cell c
/// of type k has an activity a_cp for each program p its type uses (0 for the others): the
/// (type, program) level in [0.7, 1] times either 1 + N(0, 0.1^2) (a constant program) or U(0, 1)
/// (a graded program, varying continuously within the type). Its expected counts are
///   mu_cg = L_c * r_cg / sum_g' r_cg',   r_cg = exp(b_g + e_tg + sum_p a_cp f_pg),
/// with library size L_c log-normal of mean library_size_mean, and its counts are negative binomial
/// (variance mu + dispersion * mu^2), each nonzero count then lost with probability dropout
/// (zero inflation).
///
/// Shared cell types exist in every tissue under the same label ("shared_type1", ...) and use only
/// shared programs, so labels can be transferred between tissues; tissue-specific types ("A_type1",
/// ...) use their tissue's specific programs and shared ones.
///
/// Determinism: every random number comes from scae::Rng (core/random.hpp) and the portable
/// samplers of data/random.hpp, and each cell draws from its own generator seeded by (seed, tissue,
/// cell), so the output depends on the options alone, not on the thread count or the platform's
/// `<random>`.

#include "scae/core/error.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/core/types.hpp"
#include "scae/data/gene_sets.hpp"
#include "scae/data/random.hpp"
#include "scae/data/subset.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace scae::data {

/// Options of simulate(); the defaults make 2 tissues x 1500 cells x 2000 genes in well under a second.
struct SimulationOptions {
    Index n_genes = 2000;                 ///< genes (columns), shared by all tissues
    Index n_programs = 12;                ///< planted gene programs
    Index program_size = 40;              ///< genes per program (disjoint while n_programs * program_size <= n_genes)
    double shared_program_fraction = 0.5; ///< fraction of programs used in every tissue; the rest are split among tissues
    Index n_tissues = 2;                  ///< tissues, named "A", "B", ...
    Index cell_types_per_tissue = 5;      ///< cell types present in each tissue
    Index shared_cell_types = 3;          ///< of those, types present in every tissue with the same label
    Index programs_per_cell_type = 3;     ///< programs each cell type uses (more if programs outnumber the slots)
    Index cells_per_tissue = 1500;        ///< cells simulated per tissue
    double program_log_fold_change = 2.0; ///< typical natural-log effect of a fully active program on its genes
    double graded_fraction = 0.3;         ///< chance that a (type, program) activity varies continuously within the type
    double gene_log_sd = 2.7;             ///< sd of the genes' natural-log base rates (spread of expression levels)
    double tissue_effect_sd = 0.2;        ///< sd of the per-tissue, per-gene log-rate shift (batch-like)
    double library_size_mean = 3000;      ///< mean expected UMI per cell
    double library_size_log_sd = 0.35;    ///< sd of log library size
    double dispersion = 0.3;              ///< negative-binomial dispersion: variance = mu + dispersion * mu^2
    double dropout = 0.05;                ///< probability that a nonzero count is lost (zero inflation)
    Index n_decoy_sets = 12;              ///< random gene sets of about program_size genes added to the GMT
    /// Genes of each program, in program order (as long as n_programs); empty: program_size
    /// each. When given, decoy set d has as many genes as program d % n_programs, so that decoys
    /// match the programs' sizes. Default empty.
    std::vector<Index> program_sizes;
    /// Share of a tissue's cells in each of its cell types, in their order (shared types, then
    /// the tissue's own; as long as cell_types_per_tissue, normalised to sum 1); empty: random
    /// shares, 0.5 + U(0, 1) normalised. Rare types are where weak programs are hard to find.
    /// Default empty.
    std::vector<double> cell_type_fractions;
    /// Decoy sets drawn from the most expressed genes that no program uses ("EXPRESSED_DECOY_01",
    /// ...; after the random decoys), sized as the random decoys are. Their only trait is high
    /// expression: a test that calls them calls abundance, not a node's use of the set.
    /// The pool is the max(n_genes / 10, 2 x the largest set) most expressed such genes. Default 0.
    Index n_expressed_decoy_sets = 0;
    std::uint64_t seed = 1;               ///< everything is a function of the options and this seed
    int threads = 1;                      ///< threads drawing cells (default 1; 0: OpenMP's default); the data do not depend on it
};

/// One simulated tissue: counts plus the per-cell truth.
struct SimulatedTissue {
    std::string name;                      ///< "A", "B", ...
    Csr<float> counts;                     ///< cells x genes UMI counts
    std::vector<std::string> gene_ids;     ///< "G0001", ...
    std::vector<std::string> gene_symbols; ///< "Gene1", ...
    std::vector<std::string> barcodes;     ///< 16-base barcodes with suffix "-<tissue number>"
    std::vector<std::string> cell_types;   ///< label of each cell
    Matrix<float> program_activity;        ///< cells x programs; 0 where the cell's type does not use the program
};

/// A planted program: the truth a gene-set analysis should recover.
struct PlantedProgram {
    std::string name;                    ///< "PROGRAM_01", ...
    std::string tissue;                  ///< "" when shared by all tissues, else the tissue that owns it
    std::vector<Index> genes;            ///< gene columns, ascending
    std::vector<double> log_fold_changes; ///< natural-log effect of full activity, per gene
    std::vector<std::string> cell_types; ///< labels of the cell types that use it
};

/// A cell type and the programs it uses.
struct SimulatedCellType {
    std::string name;             ///< label, e.g. "shared_type2" or "B_type1"
    std::string tissue;           ///< "" for a shared type, else its tissue
    std::vector<Index> programs;  ///< programs used, ascending
    std::vector<double> levels;   ///< activity level of each used program
    std::vector<bool> graded;     ///< whether that activity varies continuously within the type
};

/// Everything simulate() makes.
struct Simulation {
    SimulationOptions options;                 ///< the options used
    std::vector<SimulatedTissue> tissues;      ///< one per tissue
    std::vector<PlantedProgram> programs;      ///< the planted programs
    std::vector<SimulatedCellType> cell_types; ///< shared types first, then each tissue's own
    std::vector<GeneSet> gene_sets;            ///< planted programs (by symbol) followed by decoy sets
};

namespace detail {

inline std::string zero_padded(Index value, int width) {
    std::string digits = std::to_string(value);
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(digits.size()))), '0') + digits;
}

inline std::string tissue_name(Index t) {
    return t < 26 ? std::string(1, static_cast<char>('A' + t)) : "T" + std::to_string(t + 1);
}

/// A 16-base barcode, distinct for distinct `cell` below 2^32 (a bijective 32-bit scramble, 2 bits per base).
inline std::string barcode(Index cell, Index tissue) {
    std::uint32_t x = static_cast<std::uint32_t>(cell) * 0x9E3779B1u;
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    std::string code(16, 'A');
    for (int i = 0; i < 16; ++i) code[static_cast<std::size_t>(i)] = "ACGT"[(x >> (2 * i)) & 3u];
    return code + "-" + std::to_string(tissue + 1);
}

inline void check_simulation_options(const SimulationOptions& o) {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw Error("simulate: " + what);
    };
    require(o.n_genes >= 1, "n_genes must be at least 1");
    require(o.n_programs >= 1 && o.program_size >= 1, "n_programs and program_size must be at least 1");
    require(o.program_size <= o.n_genes, "program_size (" + std::to_string(o.program_size) +
                                              ") exceeds n_genes (" + std::to_string(o.n_genes) + ")");
    require(o.n_tissues >= 1, "n_tissues must be at least 1");
    require(o.cell_types_per_tissue >= 1, "cell_types_per_tissue must be at least 1");
    require(o.shared_cell_types >= 0 && o.shared_cell_types <= o.cell_types_per_tissue,
            "shared_cell_types must be between 0 and cell_types_per_tissue");
    require(o.programs_per_cell_type >= 1, "programs_per_cell_type must be at least 1");
    require(o.cells_per_tissue >= 0, "cells_per_tissue must be non-negative");
    require(o.shared_program_fraction >= 0 && o.shared_program_fraction <= 1, "shared_program_fraction must be in [0, 1]");
    require(o.graded_fraction >= 0 && o.graded_fraction <= 1, "graded_fraction must be in [0, 1]");
    require(o.dropout >= 0 && o.dropout < 1, "dropout must be in [0, 1)");
    require(o.library_size_mean > 0, "library_size_mean must be positive");
    require(o.gene_log_sd >= 0 && o.tissue_effect_sd >= 0 && o.library_size_log_sd >= 0 && o.dispersion >= 0,
            "standard deviations and the dispersion must be non-negative");
    require(o.n_decoy_sets >= 0 && o.n_expressed_decoy_sets >= 0, "n_decoy_sets and n_expressed_decoy_sets must be non-negative");
    require(o.program_sizes.empty() || Index(o.program_sizes.size()) == o.n_programs,
            "program_sizes has " + std::to_string(o.program_sizes.size()) + " entries, expected n_programs (" +
                std::to_string(o.n_programs) + ") or none");
    for (Index size : o.program_sizes)
        require(size >= 1 && size <= o.n_genes, "program_sizes must be in [1, n_genes], not " + std::to_string(size));
    require(o.cell_type_fractions.empty() || Index(o.cell_type_fractions.size()) == o.cell_types_per_tissue,
            "cell_type_fractions has " + std::to_string(o.cell_type_fractions.size()) +
                " entries, expected cell_types_per_tissue (" + std::to_string(o.cell_types_per_tissue) + ") or none");
    double fractions = 0;
    for (double f : o.cell_type_fractions) {
        require(f >= 0 && std::isfinite(f), "cell_type_fractions must be finite and non-negative");
        fractions += f;
    }
    require(o.cell_type_fractions.empty() || fractions > 0, "cell_type_fractions must not all be 0");
    const Index shared = static_cast<Index>(std::lround(o.shared_program_fraction * static_cast<double>(o.n_programs)));
    require(shared == o.n_programs || o.shared_cell_types < o.cell_types_per_tissue,
            "tissue-specific programs need tissue-specific cell types (shared_cell_types < cell_types_per_tissue)");
    require(shared > 0 || o.shared_cell_types == 0, "shared cell types need shared programs (shared_program_fraction > 0)");
}

} // namespace detail

/// Simulates `options.n_tissues` tissues; see the file comment for the model. Throws scae::Error
/// on inconsistent options (e.g. programs that do not fit in the genes).
/// @param options  sizes, effect strengths, noise and seed
/// @return the tissues (counts and per-cell truth), the planted programs, the cell types and the
/// gene sets (programs then decoys)
/// @throws Error on options out of range or inconsistent with each other
inline Simulation simulate(const SimulationOptions& options = {}) {
    detail::check_simulation_options(options);
    const SimulationOptions& o = options;
    Simulation sim;
    sim.options = o;
    Rng rng(derive_seed(o.seed, 0));
    const std::size_t n_genes = static_cast<std::size_t>(o.n_genes);
    const int id_width = std::max(4, static_cast<int>(std::to_string(o.n_genes).size()));
    const int set_width =
        std::max(2, static_cast<int>(std::to_string(std::max({o.n_programs, o.n_decoy_sets, o.n_expressed_decoy_sets})).size()));
    const auto program_size = [&](Index p) { return o.program_sizes.empty() ? o.program_size : o.program_sizes[std::size_t(p)]; };
    Index all_program_genes = 0, largest_program = 0;
    for (Index p = 0; p < o.n_programs; ++p) {
        all_program_genes += program_size(p);
        largest_program = std::max(largest_program, program_size(p));
    }

    std::vector<std::string> gene_ids(n_genes), gene_symbols(n_genes);
    for (std::size_t g = 0; g < n_genes; ++g) {
        gene_ids[g] = "G" + detail::zero_padded(static_cast<Index>(g) + 1, id_width);
        gene_symbols[g] = "Gene" + std::to_string(g + 1);
    }
    std::vector<double> base_log_rate(n_genes);
    for (double& b : base_log_rate) b = o.gene_log_sd * standard_normal(rng);

    // Programs: gene sets drawn at random from the more expressed half of the genes, so that every
    // planted gene can be seen. They are disjoint whenever n_programs * program_size <= n_genes (the
    // pool grows to that many genes); otherwise each program draws its genes independently.
    std::vector<Index> by_rate(n_genes);
    for (std::size_t g = 0; g < n_genes; ++g) by_rate[g] = static_cast<Index>(g);
    std::stable_sort(by_rate.begin(), by_rate.end(), [&](Index a, Index b) {
        return base_log_rate[static_cast<std::size_t>(a)] > base_log_rate[static_cast<std::size_t>(b)];
    });
    const bool disjoint = all_program_genes <= o.n_genes;
    const Index pool_size = std::max({o.n_genes / 2, largest_program, disjoint ? all_program_genes : 0});
    std::vector<Index> pool(by_rate.begin(), by_rate.begin() + pool_size);
    rng.shuffle(pool);
    const Index n_shared_programs =
        static_cast<Index>(std::lround(o.shared_program_fraction * static_cast<double>(o.n_programs)));
    for (Index p = 0, first = 0; p < o.n_programs; first += program_size(p), ++p) {
        PlantedProgram program;
        program.name = "PROGRAM_" + detail::zero_padded(p + 1, set_width);
        program.tissue = p < n_shared_programs ? "" : detail::tissue_name((p - n_shared_programs) % o.n_tissues);
        if (!disjoint) rng.shuffle(pool);
        const Index from = disjoint ? first : 0;
        program.genes.assign(pool.begin() + from, pool.begin() + from + program_size(p));
        std::sort(program.genes.begin(), program.genes.end());
        for (std::size_t j = 0; j < program.genes.size(); ++j) {
            program.log_fold_changes.push_back(o.program_log_fold_change * std::exp(0.25 * standard_normal(rng)));
        }
        sim.programs.push_back(std::move(program));
    }

    // Cell types: shared ones first, then each tissue's own. Programs are first dealt out in turn
    // (shared ones to the shared types, each tissue's own to that tissue's types), so that every
    // program is used and types differ; then each type is topped up with random programs from
    // its pool (shared programs, plus its tissue's own) to programs_per_cell_type.
    const Index specific_types = o.cell_types_per_tissue - o.shared_cell_types;
    for (Index k = 0; k < o.shared_cell_types; ++k) {
        sim.cell_types.push_back({"shared_type" + std::to_string(k + 1), "", {}, {}, {}});
    }
    for (Index t = 0; t < o.n_tissues; ++t) {
        for (Index k = 0; k < specific_types; ++k) {
            sim.cell_types.push_back({detail::tissue_name(t) + "_type" + std::to_string(k + 1), detail::tissue_name(t), {}, {}, {}});
        }
    }
    auto specific_type = [&](Index tissue, Index k) {
        return static_cast<std::size_t>(o.shared_cell_types + tissue * specific_types + k);
    };
    const Index all_types = static_cast<Index>(sim.cell_types.size());
    for (Index p = 0; p < o.n_programs; ++p) {
        std::size_t owner;
        if (p < n_shared_programs) {
            owner = o.shared_cell_types > 0 ? static_cast<std::size_t>(p % o.shared_cell_types)
                                            : static_cast<std::size_t>(p % all_types);
        } else {
            const Index rank = p - n_shared_programs;
            owner = specific_type(rank % o.n_tissues, (rank / o.n_tissues) % specific_types);
        }
        sim.cell_types[owner].programs.push_back(p);
    }
    for (SimulatedCellType& type : sim.cell_types) {
        std::vector<Index> pool;
        for (Index p = 0; p < o.n_programs; ++p) {
            const bool usable = p < n_shared_programs || (!type.tissue.empty() && sim.programs[static_cast<std::size_t>(p)].tissue == type.tissue);
            if (usable && std::find(type.programs.begin(), type.programs.end(), p) == type.programs.end()) pool.push_back(p);
        }
        rng.shuffle(pool);
        for (std::size_t i = 0; i < pool.size() && static_cast<Index>(type.programs.size()) < o.programs_per_cell_type; ++i) {
            type.programs.push_back(pool[i]);
        }
        std::sort(type.programs.begin(), type.programs.end());
        for (Index p : type.programs) {
            type.levels.push_back(0.7 + 0.3 * rng.uniform());
            type.graded.push_back(rng.uniform() < o.graded_fraction);
            sim.programs[static_cast<std::size_t>(p)].cell_types.push_back(type.name);
        }
    }

    // Gene sets: planted programs by symbol, then decoys of similar size that were never planted.
    for (const PlantedProgram& program : sim.programs) {
        GeneSet set{program.name,
                    program.tissue.empty() ? "planted program shared by all tissues"
                                           : "planted program specific to tissue " + program.tissue,
                    {}};
        for (Index g : program.genes) set.genes.push_back(gene_symbols[static_cast<std::size_t>(g)]);
        sim.gene_sets.push_back(std::move(set));
    }
    const auto decoy_size = [&](Index d) {
        if (!o.program_sizes.empty()) return std::size_t(program_size(d % o.n_programs));
        const Index low = std::max<Index>(1, (3 * o.program_size) / 4);
        return std::min(n_genes, std::size_t(low) + std::size_t(rng.below(std::uint64_t(o.program_size / 2 + 1))));
    };
    for (Index d = 0; d < o.n_decoy_sets; ++d) {
        const std::size_t size = decoy_size(d);
        std::vector<Index> genes(n_genes);
        for (std::size_t g = 0; g < n_genes; ++g) genes[g] = static_cast<Index>(g);
        // The first `size` steps of a Fisher-Yates shuffle: a uniform random subset.
        for (std::size_t i = 0; i < size; ++i) std::swap(genes[i], genes[i + std::size_t(rng.below(n_genes - i))]);
        genes.resize(size);
        std::sort(genes.begin(), genes.end());
        GeneSet set{"DECOY_" + detail::zero_padded(d + 1, set_width), "decoy: random genes, not planted", {}};
        for (Index g : genes) set.genes.push_back(gene_symbols[static_cast<std::size_t>(g)]);
        sim.gene_sets.push_back(std::move(set));
    }
    if (o.n_expressed_decoy_sets > 0) {
        std::vector<char> planted(n_genes, 0);
        for (const PlantedProgram& program : sim.programs)
            for (Index g : program.genes) planted[static_cast<std::size_t>(g)] = 1;
        std::vector<Index> expressed; // the most expressed genes no program uses, most expressed first
        const std::size_t pool_wanted = std::size_t(std::max(o.n_genes / 10, 2 * std::max(largest_program, o.program_size)));
        for (std::size_t i = 0; i < n_genes && expressed.size() < pool_wanted; ++i)
            if (!planted[static_cast<std::size_t>(by_rate[i])]) expressed.push_back(by_rate[i]);
        for (Index d = 0; d < o.n_expressed_decoy_sets; ++d) {
            const std::size_t size = std::min(expressed.size(), decoy_size(d));
            for (std::size_t i = 0; i < size; ++i) std::swap(expressed[i], expressed[i + std::size_t(rng.below(expressed.size() - i))]);
            std::vector<Index> genes(expressed.begin(), expressed.begin() + std::ptrdiff_t(size));
            std::sort(genes.begin(), genes.end());
            GeneSet set{"EXPRESSED_DECOY_" + detail::zero_padded(d + 1, set_width),
                        "decoy: highly expressed genes, not planted", {}};
            for (Index g : genes) set.genes.push_back(gene_symbols[static_cast<std::size_t>(g)]);
            sim.gene_sets.push_back(std::move(set));
        }
    }

    // Per tissue: gene rates with the tissue shift, type proportions, then the cells.
    std::vector<std::vector<double>> tissue_rates(static_cast<std::size_t>(o.n_tissues), std::vector<double>(n_genes));
    std::vector<std::vector<std::size_t>> tissue_types(static_cast<std::size_t>(o.n_tissues));
    std::vector<std::vector<double>> type_weights(static_cast<std::size_t>(o.n_tissues));
    std::vector<double> tissue_totals(static_cast<std::size_t>(o.n_tissues), 0.0);
    for (Index t = 0; t < o.n_tissues; ++t) {
        const std::size_t ti = static_cast<std::size_t>(t);
        for (std::size_t g = 0; g < n_genes; ++g) {
            tissue_rates[ti][g] = std::exp(base_log_rate[g] + o.tissue_effect_sd * standard_normal(rng));
            tissue_totals[ti] += tissue_rates[ti][g];
        }
        for (Index k = 0; k < o.shared_cell_types; ++k) tissue_types[ti].push_back(static_cast<std::size_t>(k));
        for (Index k = 0; k < specific_types; ++k) tissue_types[ti].push_back(specific_type(t, k));
        double total = 0;
        for (std::size_t k = 0; k < tissue_types[ti].size(); ++k) {
            type_weights[ti].push_back(o.cell_type_fractions.empty() ? 0.5 + rng.uniform() : o.cell_type_fractions[k]);
            total += type_weights[ti].back();
        }
        for (double& w : type_weights[ti]) w /= total;
    }

    const double log_library_mean = std::log(o.library_size_mean) - 0.5 * o.library_size_log_sd * o.library_size_log_sd;
    // Each cell's seed, as the simulator has always derived it, so that the simulated data (and the
    // planted truth that tests and the demo check) stay bit-identical.
    const std::uint64_t cell_stream = derive_seed(o.seed ^ 0x5ce11u, 0);
    for (Index t = 0; t < o.n_tissues; ++t) {
        const std::size_t ti = static_cast<std::size_t>(t);
        SimulatedTissue tissue;
        tissue.name = detail::tissue_name(t);
        tissue.gene_ids = gene_ids;
        tissue.gene_symbols = gene_symbols;
        const Index n_cells = o.cells_per_tissue;
        tissue.barcodes.resize(static_cast<std::size_t>(n_cells));
        tissue.cell_types.resize(static_cast<std::size_t>(n_cells));
        tissue.program_activity = Matrix<float>::Zero(n_cells, o.n_programs);
        std::vector<std::vector<std::pair<int, float>>> rows(static_cast<std::size_t>(n_cells));

        // Each cell draws from its own seed, so cells are independent tasks.
        parallelize_each([&](Index c) {
            Rng cell_rng(derive_seed(cell_stream + static_cast<std::uint64_t>(t * n_cells + c), 0));
            const std::size_t ci = static_cast<std::size_t>(c);
            double pick = cell_rng.uniform();
            std::size_t slot = 0;
            while (slot + 1 < type_weights[ti].size() && pick >= type_weights[ti][slot]) pick -= type_weights[ti][slot++];
            const SimulatedCellType& type = sim.cell_types[tissue_types[ti][slot]];
            tissue.cell_types[ci] = type.name;
            tissue.barcodes[ci] = detail::barcode(c, t);
            const double library = std::exp(log_library_mean + o.library_size_log_sd * standard_normal(cell_rng));

            std::vector<double> rate = tissue_rates[ti];
            double total = tissue_totals[ti];
            for (std::size_t i = 0; i < type.programs.size(); ++i) {
                const Index p = type.programs[i];
                const double activity = type.graded[i] ? type.levels[i] * cell_rng.uniform()
                                                       : std::max(0.0, type.levels[i] * (1 + 0.1 * standard_normal(cell_rng)));
                tissue.program_activity(c, p) = static_cast<float>(activity);
                const PlantedProgram& program = sim.programs[static_cast<std::size_t>(p)];
                for (std::size_t j = 0; j < program.genes.size(); ++j) {
                    const std::size_t g = static_cast<std::size_t>(program.genes[j]);
                    const double raised = rate[g] * std::exp(activity * program.log_fold_changes[j]);
                    total += raised - rate[g];
                    rate[g] = raised;
                }
            }
            const double scale = library / total;
            std::vector<std::pair<int, float>>& row = rows[ci];
            for (std::size_t g = 0; g < n_genes; ++g) {
                const std::int64_t k = negative_binomial_variate(cell_rng, scale * rate[g], o.dispersion);
                if (k == 0) continue;
                if (o.dropout > 0 && cell_rng.uniform() < o.dropout) continue;
                row.emplace_back(static_cast<int>(g), static_cast<float>(k));
            }
        }, n_cells, o.threads);

        std::vector<Index> lengths(rows.size());
        for (std::size_t c = 0; c < rows.size(); ++c) lengths[c] = static_cast<Index>(rows[c].size());
        tissue.counts = csr_with_row_lengths<float>(n_cells, o.n_genes, lengths);
        for (std::size_t c = 0; c < rows.size(); ++c) {
            int at = tissue.counts.outerIndexPtr()[c];
            for (const auto& [g, k] : rows[c]) {
                tissue.counts.innerIndexPtr()[at] = g;
                tissue.counts.valuePtr()[at] = k;
                ++at;
            }
        }
        sim.tissues.push_back(std::move(tissue));
    }
    return sim;
}

/// JSON form of SimulationOptions (all fields by name but `threads`, which does not change the data).
/// @param j  receives the object
/// @param o  the options to write
template <class Json>
void to_json(Json& j, const SimulationOptions& o) {
    j = {{"n_genes", o.n_genes},
         {"n_programs", o.n_programs},
         {"program_size", o.program_size},
         {"shared_program_fraction", o.shared_program_fraction},
         {"n_tissues", o.n_tissues},
         {"cell_types_per_tissue", o.cell_types_per_tissue},
         {"shared_cell_types", o.shared_cell_types},
         {"programs_per_cell_type", o.programs_per_cell_type},
         {"cells_per_tissue", o.cells_per_tissue},
         {"program_log_fold_change", o.program_log_fold_change},
         {"graded_fraction", o.graded_fraction},
         {"gene_log_sd", o.gene_log_sd},
         {"tissue_effect_sd", o.tissue_effect_sd},
         {"library_size_mean", o.library_size_mean},
         {"library_size_log_sd", o.library_size_log_sd},
         {"dispersion", o.dispersion},
         {"dropout", o.dropout},
         {"n_decoy_sets", o.n_decoy_sets},
         {"seed", o.seed}};
    // The newer options only when set, so that earlier truth files stay byte for byte.
    if (!o.program_sizes.empty()) j["program_sizes"] = o.program_sizes;
    if (!o.cell_type_fractions.empty()) j["cell_type_fractions"] = o.cell_type_fractions;
    if (o.n_expressed_decoy_sets > 0) j["n_expressed_decoy_sets"] = o.n_expressed_decoy_sets;
}

} // namespace scae::data

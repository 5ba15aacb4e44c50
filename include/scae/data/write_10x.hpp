#pragma once
/// @file write_10x.hpp
/// @brief Writing a count matrix as an uncompressed 10x directory (matrix.mtx, features.tsv,
/// barcodes.tsv, optional labels.tsv), and a whole simulation as such directories plus its truth.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/atomic_file.hpp"
#include "scae/data/gene_sets.hpp"
#include "scae/data/simulate.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

namespace scae::data {

namespace detail {

/// Appends `value` in decimal to `out`.
inline void append_integer(std::string& out, long long value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

/// Appends `value` with 9 significant digits, enough to read a float back exactly.
inline void append_real(std::string& out, double value) {
    char digits[32];
    const int length = std::snprintf(digits, sizeof digits, "%.9g", value);
    out.append(digits, static_cast<std::size_t>(length));
}

inline void require_tsv_field(const std::string& field, const std::filesystem::path& file, std::size_t line) {
    if (field.find_first_of("\t\r\n") != std::string::npos) {
        throw Error(where(file.string(), static_cast<long long>(line),
                          "value '" + field + "' contains a tab or line break, which the TSV file cannot hold"));
    }
}

} // namespace detail

/// Writes `counts` (cells x genes) as the 10x directory `dir` (created if needed): matrix.mtx in
/// Matrix Market coordinate form, genes x cells, sorted by cell then gene ("integer" when every
/// value is whole, else "real"); features.tsv as `id<TAB>symbol<TAB>Gene Expression`; barcodes.tsv;
/// and, when `labels` is not empty, labels.tsv with the header `barcode<TAB>label_column`. All files
/// are uncompressed and each is written atomically. Throws scae::Error on mismatched lengths, a
/// name with a tab or line break, or a failed write.
/// @param dir           the directory to write into, created with its parents if needed
/// @param counts        cells x genes
/// @param gene_ids      one id per gene
/// @param gene_symbols  one symbol per gene
/// @param barcodes      one barcode per cell
/// @param labels        one label per cell, or empty to write no labels.tsv
/// @param label_column  header of the label column in labels.tsv
/// @throws Error on mismatched lengths, a field with a tab or line break, or a failed write
template <class T>
void write_10x(const std::filesystem::path& dir, const Csr<T>& counts, const std::vector<std::string>& gene_ids,
               const std::vector<std::string>& gene_symbols, const std::vector<std::string>& barcodes,
               const std::vector<std::string>& labels = {}, const std::string& label_column = "cell_type") {
    const std::size_t cells = static_cast<std::size_t>(counts.rows()), genes = static_cast<std::size_t>(counts.cols());
    if (gene_ids.size() != genes || gene_symbols.size() != genes || barcodes.size() != cells ||
        (!labels.empty() && labels.size() != cells)) {
        throw Error(where(dir.string(), 0,
                          "cannot write a " + std::to_string(cells) + " x " + std::to_string(genes) + " matrix with " +
                              std::to_string(gene_ids.size()) + " gene ids, " + std::to_string(gene_symbols.size()) +
                              " symbols, " + std::to_string(barcodes.size()) + " barcodes and " +
                              std::to_string(labels.size()) + " labels"));
    }
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw Error(where(dir.string(), 0, "cannot create the directory: " + error.message()));

    bool whole = true;
    for (Index r = 0; r < counts.rows() && whole; ++r) {
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            const double v = static_cast<double>(it.value());
            whole = whole && v == std::floor(v) && std::abs(v) < 9e15;
        }
    }
    write_file_atomically(dir / "matrix.mtx", [&](std::ostream& out) {
        std::string buffer = std::string("%%MatrixMarket matrix coordinate ") + (whole ? "integer" : "real") +
                             " general\n%written by scae\n";
        detail::append_integer(buffer, static_cast<long long>(genes));
        buffer += ' ';
        detail::append_integer(buffer, static_cast<long long>(cells));
        buffer += ' ';
        detail::append_integer(buffer, static_cast<long long>(counts.nonZeros()));
        buffer += '\n';
        for (Index r = 0; r < counts.rows(); ++r) {
            for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
                detail::append_integer(buffer, static_cast<long long>(it.col()) + 1);
                buffer += ' ';
                detail::append_integer(buffer, static_cast<long long>(r) + 1);
                buffer += ' ';
                if (whole) {
                    detail::append_integer(buffer, static_cast<long long>(it.value()));
                } else {
                    detail::append_real(buffer, static_cast<double>(it.value()));
                }
                buffer += '\n';
            }
            if (buffer.size() > (1u << 20)) {
                out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                buffer.clear();
            }
        }
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    });
    write_file_atomically(dir / "features.tsv", [&](std::ostream& out) {
        for (std::size_t g = 0; g < genes; ++g) {
            detail::require_tsv_field(gene_ids[g], dir / "features.tsv", g + 1);
            detail::require_tsv_field(gene_symbols[g], dir / "features.tsv", g + 1);
            out << gene_ids[g] << '\t' << gene_symbols[g] << "\tGene Expression\n";
        }
    });
    write_file_atomically(dir / "barcodes.tsv", [&](std::ostream& out) {
        for (std::size_t c = 0; c < cells; ++c) {
            detail::require_tsv_field(barcodes[c], dir / "barcodes.tsv", c + 1);
            out << barcodes[c] << '\n';
        }
    });
    if (labels.empty()) return;
    write_file_atomically(dir / "labels.tsv", [&](std::ostream& out) {
        out << "barcode\t" << label_column << '\n';
        for (std::size_t c = 0; c < cells; ++c) {
            detail::require_tsv_field(labels[c], dir / "labels.tsv", c + 2);
            out << barcodes[c] << '\t' << labels[c] << '\n';
        }
    });
}

/// Writes a simulated tissue as the 10x directory `dir` (write_10x() with its cell-type labels),
/// plus program_activity.tsv: a header `barcode<TAB>PROGRAM_01...` and one row of activities per cell.
/// `program_names` gives the header (Simulation::programs order); it must match the activity columns.
/// @param tissue         the tissue to write
/// @param program_names  one name per column of `tissue.program_activity`
/// @param dir            the directory to write into, created if needed
/// @throws Error when the names do not match the activity columns, or as write_10x()
inline void write_tissue_10x(const SimulatedTissue& tissue, const std::vector<std::string>& program_names,
                             const std::filesystem::path& dir) {
    if (static_cast<Index>(program_names.size()) != tissue.program_activity.cols()) {
        throw Error(where(dir.string(), 0, std::to_string(program_names.size()) + " program names for " +
                                               std::to_string(tissue.program_activity.cols()) + " activity columns"));
    }
    write_10x(dir, tissue.counts, tissue.gene_ids, tissue.gene_symbols, tissue.barcodes, tissue.cell_types);
    write_file_atomically(dir / "program_activity.tsv", [&](std::ostream& out) {
        std::string buffer = "barcode";
        for (const std::string& name : program_names) buffer += '\t' + name;
        buffer += '\n';
        for (Index c = 0; c < tissue.program_activity.rows(); ++c) {
            buffer += tissue.barcodes[static_cast<std::size_t>(c)];
            for (Index p = 0; p < tissue.program_activity.cols(); ++p) {
                buffer += '\t';
                detail::append_real(buffer, static_cast<double>(tissue.program_activity(c, p)));
            }
            buffer += '\n';
        }
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    });
}

/// JSON truth of a simulation: options, programs (genes by symbol, tissue, cell types) and cell
/// types (tissue, programs, levels, graded flags). The first gene sets of `sim` are its programs.
/// @param sim  the result of simulate()
/// @return an object with "format" "scae.simulation_truth", "version" 1, "options", "programs"
/// and "cell_types"
template <class Json = nlohmann::json>
Json simulation_truth(const Simulation& sim) {
    Json programs = Json::array();
    for (const PlantedProgram& p : sim.programs) {
        const std::size_t index = static_cast<std::size_t>(&p - sim.programs.data());
        programs.push_back({{"name", p.name}, {"tissue", p.tissue}, {"genes", sim.gene_sets[index].genes},
                            {"log_fold_changes", p.log_fold_changes}, {"cell_types", p.cell_types}});
    }
    Json types = Json::array();
    for (const SimulatedCellType& t : sim.cell_types) {
        std::vector<std::string> names;
        for (Index p : t.programs) names.push_back(sim.programs[static_cast<std::size_t>(p)].name);
        types.push_back({{"name", t.name}, {"tissue", t.tissue}, {"programs", names}, {"levels", t.levels},
                         {"graded", std::vector<bool>(t.graded)}});
    }
    return {{"format", "scae.simulation_truth"}, {"version", 1}, {"options", sim.options},
            {"programs", programs}, {"cell_types", types}};
}

/// Writes `sim` under `dir`: one 10x directory per tissue (`dir/A`, `dir/B`, ... via
/// write_tissue_10x()), `dir/gene_sets.gmt` (planted programs and decoys) and `dir/truth.json`
/// (simulation_truth()). Every file is written atomically.
/// @param sim  the result of simulate()
/// @param dir  the directory to write into, created if needed
/// @throws Error when a directory cannot be created or a file cannot be written
template <class Json = nlohmann::json>
void write_simulation(const Simulation& sim, const std::filesystem::path& dir) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw Error(where(dir.string(), 0, "cannot create the directory: " + error.message()));
    std::vector<std::string> program_names;
    for (const PlantedProgram& p : sim.programs) program_names.push_back(p.name);
    for (const SimulatedTissue& tissue : sim.tissues) write_tissue_10x(tissue, program_names, dir / tissue.name);
    write_gmt(sim.gene_sets, dir / "gene_sets.gmt");
    const std::string truth = simulation_truth<Json>(sim).dump(2) + "\n";
    write_file_atomically(dir / "truth.json", [&](std::ostream& out) { out << truth; });
}

} // namespace scae::data

#pragma once
/// @file write_simulation.hpp
/// @brief Writing a simulation (simulate.hpp) to disk: one 10x directory per tissue (io::write_10x)
/// with its program activities, the planted gene sets as GMT, and the truth as JSON.

#include "scae/core/atomic_file.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/gene_sets.hpp"
#include "scae/data/simulate.hpp"
#include "scae/io/write_10x.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

namespace scae::data {

/// Writes a simulated tissue as the 10x directory `dir` (io::write_10x() with its cell-type labels),
/// plus program_activity.tsv: a header `barcode<TAB>PROGRAM_01...` and one row of activities per cell.
/// `program_names` gives the header (Simulation::programs order); it must match the activity columns.
/// @param tissue         the tissue to write
/// @param program_names  one name per column of `tissue.program_activity`
/// @param dir            the directory to write into, created if needed
/// @throws Error when the names do not match the activity columns, or as io::write_10x()
inline void write_tissue_10x(const SimulatedTissue& tissue, const std::vector<std::string>& program_names,
                             const std::filesystem::path& dir) {
    if (static_cast<Index>(program_names.size()) != tissue.program_activity.cols()) {
        throw Error(where(dir.string(), 0, std::to_string(program_names.size()) + " program names for " +
                                               std::to_string(tissue.program_activity.cols()) + " activity columns"));
    }
    io::write_10x(dir, tissue.counts, tissue.gene_ids, tissue.gene_symbols, tissue.barcodes, tissue.cell_types);
    write_file_atomically(dir / "program_activity.tsv", [&](std::ostream& out) {
        std::string buffer = "barcode";
        for (const std::string& name : program_names) buffer += '\t' + name;
        buffer += '\n';
        for (Index c = 0; c < tissue.program_activity.rows(); ++c) {
            buffer += tissue.barcodes[static_cast<std::size_t>(c)];
            for (Index p = 0; p < tissue.program_activity.cols(); ++p) {
                char digits[32]; // 9 significant digits, enough to read a float back exactly
                const int length = std::snprintf(digits, sizeof digits, "%.9g", static_cast<double>(tissue.program_activity(c, p)));
                buffer += '\t';
                buffer.append(digits, static_cast<std::size_t>(length));
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

// The simulator (scae::data): determinism, shapes and names, realistic sparsity and library
// sizes, planted programs visible in the counts, the GMT with decoys, and the 10x files it writes.
#include <doctest/doctest.h>

#include "scae/data/normalize.hpp"
#include "scae/data/simulate.hpp"
#include "scae/data/write_simulation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace test_data_simulate {

using scae::Csr;
using scae::Index;
namespace sd = scae::data;
namespace fs = std::filesystem;

namespace {

bool same_counts(const Csr<float>& a, const Csr<float>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && a.nonZeros() == b.nonZeros() &&
           std::memcmp(a.outerIndexPtr(), b.outerIndexPtr(), sizeof(int) * static_cast<std::size_t>(a.rows() + 1)) == 0 &&
           std::memcmp(a.innerIndexPtr(), b.innerIndexPtr(), sizeof(int) * static_cast<std::size_t>(a.nonZeros())) == 0 &&
           std::memcmp(a.valuePtr(), b.valuePtr(), sizeof(float) * static_cast<std::size_t>(a.nonZeros())) == 0;
}

const sd::Simulation& default_simulation() {
    static const sd::Simulation sim = sd::simulate();
    return sim;
}

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> fields;
    std::stringstream in(line);
    for (std::string field; std::getline(in, field, sep);) fields.push_back(field);
    return fields;
}

std::vector<std::string> lines_of(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("scae_test_data_simulate_" + std::to_string(::getpid()));
    TempDir() { fs::remove_all(path); }
    ~TempDir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("the same options give identical output, whatever the thread count") {
    sd::SimulationOptions o;
    o.cells_per_tissue = 300;
    o.n_genes = 600;
    const sd::Simulation a = sd::simulate(o);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    const sd::Simulation b = sd::simulate(o);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    REQUIRE(a.tissues.size() == b.tissues.size());
    for (std::size_t t = 0; t < a.tissues.size(); ++t) {
        CHECK(same_counts(a.tissues[t].counts, b.tissues[t].counts));
        CHECK(a.tissues[t].cell_types == b.tissues[t].cell_types);
        CHECK(a.tissues[t].program_activity == b.tissues[t].program_activity);
    }
    o.seed = 2;
    CHECK_FALSE(same_counts(a.tissues[0].counts, sd::simulate(o).tissues[0].counts));
}

TEST_CASE("the default data set is stable across versions and platforms") {
    // Guards the embedded default data: a change here changes every demo and downstream test.
    const sd::SimulatedTissue& a = default_simulation().tissues[0];
    double total = 0;
    for (Index k = 0; k < a.counts.nonZeros(); ++k) total += a.counts.valuePtr()[k];
    CHECK(a.counts.nonZeros() == 500443);
    CHECK(total == 4240186);
    CHECK(a.cell_types[0] == "shared_type3");
}

TEST_CASE("shapes, names and labels") {
    const sd::Simulation& sim = default_simulation();
    REQUIRE(sim.tissues.size() == 2);
    CHECK(sim.programs.size() == 12);
    CHECK(sim.cell_types.size() == 3 + 2 * 2);
    for (const sd::SimulatedTissue& t : sim.tissues) {
        CHECK(t.counts.rows() == 1500);
        CHECK(t.counts.cols() == 2000);
        CHECK(t.gene_ids.front() == "G0001");
        CHECK(t.gene_ids.back() == "G2000");
        CHECK(t.gene_symbols.front() == "Gene1");
        CHECK(t.barcodes.size() == 1500);
        CHECK(std::set<std::string>(t.barcodes.begin(), t.barcodes.end()).size() == 1500);
        CHECK(t.barcodes[0].size() == 18);
        CHECK(t.program_activity.rows() == 1500);
        CHECK(t.program_activity.cols() == 12);
        const std::set<std::string> labels(t.cell_types.begin(), t.cell_types.end());
        CHECK(labels == std::set<std::string>{"shared_type1", "shared_type2", "shared_type3", t.name + "_type1",
                                              t.name + "_type2"});
    }
    CHECK(sim.tissues[0].name == "A");
    CHECK(sim.tissues[1].barcodes[0].substr(16) == "-2");
}

TEST_CASE("counts are whole, sparse as real UMI data, with realistic library sizes") {
    for (const sd::SimulatedTissue& t : default_simulation().tissues) {
        const double zeros = 1.0 - static_cast<double>(t.counts.nonZeros()) / (1500.0 * 2000.0);
        CHECK(zeros > 0.80);
        CHECK(zeros < 0.95);
        bool whole = true;
        for (Index k = 0; k < t.counts.nonZeros(); ++k) {
            const float v = t.counts.valuePtr()[k];
            whole = whole && v >= 1 && v == std::floor(v);
        }
        CHECK(whole);
        const std::vector<double> sizes = sd::library_sizes(t.counts);
        const double median = sd::median(sizes);
        CHECK(median > 2000);
        CHECK(median < 5000);
        CHECK(*std::min_element(sizes.begin(), sizes.end()) > 200);
    }
}

TEST_CASE("planted program genes are higher in cells whose type uses the program") {
    const sd::Simulation& sim = default_simulation();
    for (const sd::SimulatedTissue& t : sim.tissues) {
        Csr<float> normalized = t.counts;
        sd::normalize_total_in_place(normalized, 1e4);
        const Eigen::MatrixXf dense(normalized);
        for (std::size_t p = 0; p < sim.programs.size(); ++p) {
            const sd::PlantedProgram& program = sim.programs[p];
            double in_sum = 0, out_sum = 0;
            Index in_cells = 0, out_cells = 0, activity_mismatches = 0;
            for (Index c = 0; c < dense.rows(); ++c) {
                const std::string& type = t.cell_types[static_cast<std::size_t>(c)];
                const bool uses = std::find(program.cell_types.begin(), program.cell_types.end(), type) !=
                                  program.cell_types.end();
                activity_mismatches += (t.program_activity(c, static_cast<Index>(p)) > 0) != uses;
                double expression = 0;
                for (Index g : program.genes) expression += dense(c, g);
                (uses ? in_sum : out_sum) += expression;
                (uses ? in_cells : out_cells) += 1;
            }
            INFO(t.name << " " << program.name);
            CHECK(activity_mismatches == 0); // a cell has activity exactly for its type's programs
            if (in_cells == 0) continue;     // another tissue's program
            CHECK(in_sum / in_cells > 1.5 * out_sum / std::max<Index>(out_cells, 1));
        }
    }
}

TEST_CASE("shared cell types use only shared programs; every program is used") {
    const sd::Simulation& sim = default_simulation();
    for (const sd::SimulatedCellType& type : sim.cell_types) {
        CHECK(type.programs.size() == 3);
        for (Index p : type.programs) {
            const std::string& owner = sim.programs[static_cast<std::size_t>(p)].tissue;
            CHECK((owner.empty() || owner == type.tissue));
        }
    }
    for (const sd::PlantedProgram& program : sim.programs) {
        CHECK_FALSE(program.cell_types.empty());
        CHECK(program.genes.size() == 40);
    }
    // Programs are disjoint at the default size.
    std::set<Index> genes;
    for (const sd::PlantedProgram& program : sim.programs) genes.insert(program.genes.begin(), program.genes.end());
    CHECK(genes.size() == 12 * 40);
}

TEST_CASE("small gene counts still work: programs then overlap") {
    sd::SimulationOptions o;
    o.n_genes = 300;
    o.cells_per_tissue = 50;
    o.n_tissues = 1;
    const sd::Simulation sim = sd::simulate(o);
    CHECK(sim.tissues[0].counts.cols() == 300);
    CHECK(sim.programs.size() == 12);
    for (const sd::PlantedProgram& program : sim.programs) {
        CHECK(std::set<Index>(program.genes.begin(), program.genes.end()).size() == 40);
    }
}

TEST_CASE("programs of given sizes, cell types of given shares, decoys of abundant genes") {
    sd::SimulationOptions o;
    o.n_genes = 1000;
    o.n_programs = 3;
    o.program_sizes = {10, 40, 25};
    o.n_decoy_sets = 4;
    o.n_expressed_decoy_sets = 3;
    o.n_tissues = 1;
    o.cell_types_per_tissue = 3;
    o.shared_cell_types = 3;
    o.shared_program_fraction = 1.0;
    o.programs_per_cell_type = 1;
    o.cell_type_fractions = {0.7, 0.25, 0.05};
    o.cells_per_tissue = 4000;
    o.seed = 5;
    const sd::Simulation sim = sd::simulate(o);
    std::set<Index> planted;
    for (std::size_t p = 0; p < 3; ++p) {
        CHECK(Index(sim.programs[p].genes.size()) == o.program_sizes[p]);
        planted.insert(sim.programs[p].genes.begin(), sim.programs[p].genes.end());
    }
    CHECK(planted.size() == 75); // disjoint
    // The GMT: programs, random decoys of the programs' sizes in turn, then abundant decoys.
    REQUIRE(sim.gene_sets.size() == 10);
    CHECK(sim.gene_sets[3].name == "DECOY_01");
    CHECK(sim.gene_sets[4].genes.size() == 40);
    CHECK(sim.gene_sets[6].genes.size() == 10); // decoy 4 matches program 1
    CHECK(sim.gene_sets[7].name == "EXPRESSED_DECOY_01");
    // Abundant decoys: no planted gene, and more expressed than the median gene.
    std::map<std::string, Index> column;
    for (std::size_t g = 0; g < sim.tissues[0].gene_symbols.size(); ++g) column[sim.tissues[0].gene_symbols[g]] = Index(g);
    std::vector<double> total(1000, 0.0);
    const Csr<float>& counts = sim.tissues[0].counts;
    for (Index c = 0; c < counts.rows(); ++c)
        for (Csr<float>::InnerIterator it(counts, c); it; ++it) total[std::size_t(it.col())] += it.value();
    std::vector<double> sorted = total;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t d = 7; d < 10; ++d)
        for (const std::string& gene : sim.gene_sets[d].genes) {
            CHECK(planted.count(column.at(gene)) == 0);
            CHECK(total[std::size_t(column.at(gene))] > sorted[500]);
        }
    // Cell types in the given shares (4,000 cells: within 4 binomial sd).
    std::map<std::string, int> cells;
    for (const std::string& t : sim.tissues[0].cell_types) ++cells[t];
    for (std::size_t k = 0; k < 3; ++k) {
        const double share = o.cell_type_fractions[k], expected = share * 4000;
        CHECK(std::abs(cells[sim.cell_types[k].name] - expected) < 4 * std::sqrt(expected * (1 - share)));
    }
    // The truth file names the new options; options without them write what they always did.
    nlohmann::json j = o;
    CHECK(j["program_sizes"] == std::vector<Index>{10, 40, 25});
    CHECK(j["n_expressed_decoy_sets"] == 3);
    nlohmann::json plain = sd::SimulationOptions{};
    CHECK(!plain.contains("program_sizes"));
    CHECK(!plain.contains("cell_type_fractions"));
    CHECK(!plain.contains("n_expressed_decoy_sets"));
    // Lengths that do not fit are refused.
    sd::SimulationOptions bad = o;
    bad.program_sizes = {10, 40};
    CHECK_THROWS_AS(sd::simulate(bad), scae::Error);
    bad = o;
    bad.cell_type_fractions = {1.0};
    CHECK_THROWS_AS(sd::simulate(bad), scae::Error);
    bad = o;
    bad.cell_type_fractions = {0.0, 0.0, 0.0};
    CHECK_THROWS_AS(sd::simulate(bad), scae::Error);
}

TEST_CASE("inconsistent options are refused") {
    sd::SimulationOptions o;
    o.program_size = 3000;
    CHECK_THROWS_WITH_AS(sd::simulate(o), doctest::Contains("program_size"), scae::Error);
    o = {};
    o.shared_cell_types = 5; // every type shared, yet half the programs are tissue-specific
    CHECK_THROWS_AS(sd::simulate(o), scae::Error);
    o = {};
    o.dropout = 1;
    CHECK_THROWS_AS(sd::simulate(o), scae::Error);
}

TEST_CASE("gene sets: the planted programs by symbol, then decoys that were never planted") {
    const sd::Simulation& sim = default_simulation();
    REQUIRE(sim.gene_sets.size() == 24);
    const auto& symbols = sim.tissues[0].gene_symbols;
    for (std::size_t p = 0; p < 12; ++p) {
        CHECK(sim.gene_sets[p].name == sim.programs[p].name);
        std::vector<std::string> expected;
        for (Index g : sim.programs[p].genes) expected.push_back(symbols[static_cast<std::size_t>(g)]);
        CHECK(sim.gene_sets[p].genes == expected);
    }
    std::set<std::string> planted;
    for (std::size_t p = 0; p < 12; ++p) planted.insert(sim.gene_sets[p].genes.begin(), sim.gene_sets[p].genes.end());
    for (std::size_t d = 12; d < 24; ++d) {
        const sd::GeneSet& decoy = sim.gene_sets[d];
        CHECK(decoy.name.rfind("DECOY_", 0) == 0);
        CHECK(decoy.genes.size() >= 30);
        CHECK(decoy.genes.size() <= 50);
        CHECK(std::set<std::string>(decoy.genes.begin(), decoy.genes.end()).size() == decoy.genes.size());
        // Random genes: most are outside the programs (480 of 2000 genes are planted).
        std::size_t inside = 0;
        for (const std::string& g : decoy.genes) inside += planted.count(g);
        CHECK(inside < decoy.genes.size() / 2);
    }

    TempDir dir;
    fs::create_directories(dir.path);
    sd::write_gmt(sim.gene_sets, dir.path / "sets.gmt");
    const std::vector<std::string> lines = lines_of(dir.path / "sets.gmt");
    REQUIRE(lines.size() == 24);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::vector<std::string> fields = split(lines[i], '\t');
        CHECK(fields[0] == sim.gene_sets[i].name);
        CHECK(fields[1] == sim.gene_sets[i].description);
        CHECK(std::vector<std::string>(fields.begin() + 2, fields.end()) == sim.gene_sets[i].genes);
    }
    CHECK_THROWS_AS(sd::write_gmt({{"BAD\tNAME", "", {"A"}}}, dir.path / "bad.gmt"), scae::Error);
    CHECK_FALSE(fs::exists(dir.path / "bad.gmt"));
}

TEST_CASE("write_simulation writes 10x directories that read back to the same counts") {
    sd::SimulationOptions o;
    o.cells_per_tissue = 60;
    o.n_genes = 500;
    const sd::Simulation sim = sd::simulate(o);
    TempDir dir;
    sd::write_simulation(sim, dir.path);
    CHECK(fs::exists(dir.path / "gene_sets.gmt"));
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir.path)) {
        CHECK(entry.path().extension() != ".partial"); // temporary files were all renamed
    }
    std::ifstream truth_file(dir.path / "truth.json");
    const nlohmann::json truth = nlohmann::json::parse(truth_file);
    CHECK(truth["programs"].size() == 12);
    CHECK(truth["options"]["cells_per_tissue"] == 60);

    for (const sd::SimulatedTissue& t : sim.tissues) {
        const fs::path tissue_dir = dir.path / t.name;
        const std::vector<std::string> mtx = lines_of(tissue_dir / "matrix.mtx");
        REQUIRE(mtx.size() > 3);
        CHECK(mtx[0] == "%%MatrixMarket matrix coordinate integer general");
        CHECK(mtx[2] == "500 60 " + std::to_string(t.counts.nonZeros()));
        Eigen::MatrixXf read = Eigen::MatrixXf::Zero(60, 500);
        for (std::size_t i = 3; i < mtx.size(); ++i) {
            const std::vector<std::string> f = split(mtx[i], ' ');
            read(std::stoi(f[1]) - 1, std::stoi(f[0]) - 1) = std::stof(f[2]);
        }
        CHECK(read == Eigen::MatrixXf(t.counts));

        const std::vector<std::string> features = lines_of(tissue_dir / "features.tsv");
        REQUIRE(features.size() == 500);
        CHECK(features[0] == "G0001\tGene1\tGene Expression");
        CHECK(lines_of(tissue_dir / "barcodes.tsv") == t.barcodes);
        const std::vector<std::string> labels = lines_of(tissue_dir / "labels.tsv");
        REQUIRE(labels.size() == 61);
        CHECK(labels[0] == "barcode\tcell_type");
        CHECK(labels[1] == t.barcodes[0] + "\t" + t.cell_types[0]);
        const std::vector<std::string> activity = lines_of(tissue_dir / "program_activity.tsv");
        REQUIRE(activity.size() == 61);
        CHECK(split(activity[0], '\t').size() == 13);
        CHECK(std::stof(split(activity[1], '\t')[1]) == doctest::Approx(t.program_activity(0, 0)));
    }
}

TEST_CASE("write_10x writes real values when counts are not whole, and checks lengths") {
    Csr<float> m(2, 2);
    m.insert(0, 1) = 0.5f;
    m.insert(1, 0) = 3.0f;
    m.makeCompressed();
    TempDir dir;
    scae::io::write_10x(dir.path, m, {"g1", "g2"}, {"A", "B"}, {"c1", "c2"});
    const std::vector<std::string> mtx = lines_of(dir.path / "matrix.mtx");
    CHECK(mtx[0] == "%%MatrixMarket matrix coordinate real general");
    CHECK(mtx[3] == "2 1 0.5");
    CHECK(mtx[4] == "1 2 3");
    CHECK_FALSE(fs::exists(dir.path / "labels.tsv"));
    CHECK_THROWS_AS(scae::io::write_10x(dir.path, m, {"g1"}, {"A", "B"}, {"c1", "c2"}), scae::Error);
    CHECK_THROWS_AS(scae::io::write_10x(dir.path, m, {"g1", "g2"}, {"A", "B"}, {"c1", "c\t2"}), scae::Error);
}

} // namespace test_data_simulate

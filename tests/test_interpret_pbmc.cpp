// The check with known answers on real cells (issue 12): a PBMC model trained with `scae train`
// defaults, then `scae pathways` defaults with the labelled groups and PanglaoDB's cell-type
// marker sets. Each cell type's best node (highest AUC) must be called by a marker set of its own
// type, most of them significantly, and its top genes must be that type's markers.
#include <doctest/doctest.h>

#include <unistd.h>

#include "scae/cli/pathways.hpp"
#include "scae/cli/train.hpp"
#include "support.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace test_interpret_pbmc {

using namespace scae;
namespace fs = std::filesystem;

namespace {

/// The rows of a TSV file with a header, as maps from column to field.
std::vector<std::map<std::string, std::string>> read_table(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream s(line);
        for (std::string field; std::getline(s, field, '\t');) fields.push_back(field);
        if (header.empty()) {
            header = fields;
            continue;
        }
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
        rows.push_back(row);
    }
    return rows;
}

bool contains_any(const std::string& text, const std::vector<std::string>& words) {
    for (const std::string& w : words)
        if (text.find(w) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("PBMC x PanglaoDB: each cell type's best node is called by its own type's markers") {
    if (!scae_test::have_data("human_pbmc_soupx/labels.tsv") || !scae_test::have_data("genesets/panglaodb_markers_human.gmt")) return;
    const std::string data = scae_test::data_dir() + "/human_pbmc_soupx";
    const fs::path dir = fs::temp_directory_path() / ("scae_test_interpret_pbmc_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ostringstream out, err;
    REQUIRE(cli::train({"--data", data, "--out", (dir / "model.json").string(), "--quiet"}, out, err) == 0);
    out.str("");
    REQUIRE(cli::pathways({"--model", (dir / "model.json").string(), "--data", data, "--gmt",
                           scae_test::data_dir() + "/genesets/panglaodb_markers_human.gmt", "--groups", data + "/labels.tsv",
                           "--min-genes", "5", "--out", (dir / "calls").string()},
                          out, err) == 0);
    const auto summary = nlohmann::json::parse(out.str());
    MESSAGE("pathways: " << summary["seconds"].get<double>() << " s, " << summary["significant_calls"] << " calls");
    // The family of sets that names each type: the check, written once.
    const std::map<std::string, std::vector<std::string>> family{
        {"B", {"_B_CELLS"}},
        {"MNP", {"MONOCYTES", "MACROPHAGES", "DENDRITIC_CELLS", "KUPFFER", "MICROGLIA", "LANGERHANS"}},
        {"NK", {"_NK_CELLS"}},
        {"T", {"_T_CELLS", "T_MEMORY", "T_HELPER", "T_REGULATORY", "T_FOLLICULAR", "GAMMA_DELTA_T", "THYMOCYTES"}}};
    const std::map<std::string, std::vector<std::string>> markers{
        {"B", {"MS4A1", "CD79A", "CD74"}}, {"MNP", {"LYZ", "S100A8", "S100A9", "CD14"}}, {"NK", {"NKG7", "GNLY", "KLRD1"}}};
    std::map<std::string, bool> right, significant;
    for (const auto& row : read_table((dir / "calls/node_calls.tsv").string())) {
        const std::string group = row.at("group");
        const std::string type = group.rfind("T_", 0) == 0 ? "T" : group;
        MESSAGE(group << ": node " << row.at("node") << " (AUC " << row.at("auc") << "): " << row.at("top_set") << ", z "
                      << row.at("z") << ", q " << row.at("q") << "; " << row.at("top_genes"));
        if (!family.count(type)) continue;
        const bool own = contains_any(row.at("top_set"), family.at(type));
        const bool passes = row.at("q") != "NaN" && std::stod(row.at("q")) < 0.05;
        // T has two labelled groups (CD4, CD8): either one's call counts for T.
        right[type] = right[type] || own;
        significant[type] = significant[type] || (own && passes);
        if (markers.count(type)) {
            // The first 10 top genes, by the same attribution.
            std::stringstream genes(row.at("top_genes"));
            std::string first10;
            std::string gene;
            for (int i = 0; i < 10 && std::getline(genes, gene, ','); ++i) first10 += "," + gene + ",";
            bool found = false;
            for (const std::string& m : markers.at(type)) found = found || first10.find("," + m + ",") != std::string::npos;
            CHECK_MESSAGE(found, group << "'s node lacks its markers among its first 10 top genes");
        }
    }
    std::size_t passing = 0;
    for (const auto& entry : family) {
        const std::string& type = entry.first; // not a structured binding: CHECK_MESSAGE's lambda (clang 14, C++17)
        CHECK_MESSAGE(right[type], type << " is not called by its own family of sets");
        passing += significant[type];
    }
    CHECK(passing >= 3);
    fs::remove_all(dir);
}

} // namespace test_interpret_pbmc

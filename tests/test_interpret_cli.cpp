// `scae pathways`: a saved model, a 10x directory and a GMT file in; tables, heatmap and a JSON
// summary out; bad command lines and inputs give exit codes 2 and 1 with a message. Also the
// training option that matters most for saliency, `scae train --weight-decay`.
#include <doctest/doctest.h>

#include <unistd.h>

#include "scae/cli/pathways.hpp"
#include "scae/cli/train.hpp"
#include "scae/data/gene_sets.hpp"
#include "scae/data/simulate.hpp"
#include "scae/data/subset.hpp"
#include "scae/io/write_10x.hpp"
#include "scae/transfer/model_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace test_interpret_cli {

using namespace scae;
namespace fs = std::filesystem;

namespace {

/// A simulated tissue as a 10x directory, its gene sets as GMT, a labels file and a model file
/// (untrained: the command's plumbing is what is tested here) in a fresh temporary directory.
struct Files {
    fs::path dir = fs::temp_directory_path() / ("scae_test_interpret_cli_" + std::to_string(::getpid()));
    Files() {
        fs::remove_all(dir);
        fs::create_directories(dir);
        data::SimulationOptions o;
        o.n_genes = 200;
        o.n_programs = 4;
        o.program_size = 15;
        o.n_decoy_sets = 2;
        o.n_tissues = 1;
        o.cells_per_tissue = 60;
        o.shared_program_fraction = 1.0;
        o.cell_types_per_tissue = 4;
        o.shared_cell_types = 4;
        const data::Simulation sim = data::simulate(o);
        const auto& t = sim.tissues[0];
        io::write_10x(dir / "data", t.counts, t.gene_ids, t.gene_symbols, t.barcodes, t.cell_types);
        data::write_gmt(sim.gene_sets, dir / "sets.gmt");
        std::ofstream labels(dir / "labels.tsv");
        for (std::size_t c = 0; c < t.barcodes.size(); ++c) labels << t.barcodes[c] << '\t' << t.cell_types[c] << '\n';
        nn::AutoencoderOptions architecture;
        architecture.encoder_sizes = {16, 5};
        const transfer::ModelFile model{nn::Autoencoder<float>(o.n_genes, architecture), t.gene_ids, t.gene_symbols,
                                        nlohmann::json::object(), train::History{}, transfer::Provenance{}, {}, Matrix<float>(), {}, {}, {}};
        transfer::save_model((dir / "model.json").string(), model);
    }
    ~Files() { fs::remove_all(dir); }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("scae pathways writes scores, top genes, contrasts and a heatmap, and prints a summary") {
    const Files f;
    std::ostringstream out, err;
    const int code = cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--steps", "8",
                                    "--groups", f / "labels.tsv", "--seed", "3", "--out", f / "result"},
                                   out, err);
    INFO(err.str());
    REQUIRE(code == 0);
    const auto summary = nlohmann::json::parse(out.str());
    CHECK(summary["method"] == "ig");
    CHECK(summary["weighting"] == "activity");
    CHECK(summary["null"] == "rank-sum");
    CHECK(summary["nodes"] == 5);
    CHECK(summary["cells"] == 60);
    CHECK(summary["sets_scored"] == 6);
    CHECK(!summary.contains("pairs_at_p_floor")); // the rank-sum test has no floor
    // The node calls: one line per group in the table and in the summary.
    const std::string calls = read(f / "result/node_calls.tsv");
    CHECK(calls.rfind("group\tcells\tnode\tauc\ttop_set\tz\tp\tq\tpresence\tsecond_set\tsecond_z\tthird_set\tthird_z\ttop_genes\n", 0) == 0);
    REQUIRE(summary["node_calls"].is_array());
    CHECK(std::size_t(std::count(calls.begin(), calls.end(), '\n')) == 1 + summary["node_calls"].size());
    CHECK(summary["node_calls"].size() == summary["nodes_by_group"].size());
    for (const auto& call : summary["node_calls"]) {
        CHECK(call["auc"].get<double>() > 0.5);
        CHECK(calls.find("\n" + call["group"].get<std::string>() + "\t") != std::string::npos);
    }
    CHECK(err.str().find("aligned 200 of 200 model genes") != std::string::npos);
    const std::string scores = read(f / "result/scores.tsv");
    CHECK(scores.rfind("node\tset\tscore\tz\tp\tq\tpresence\tn_genes\tpermutations\tdescription\n", 0) == 0);
    CHECK(std::count(scores.begin(), scores.end(), '\n') == 1 + 5 * 6);
    CHECK(read(f / "result/top_genes.tsv").rfind("node\trank\tgene\t", 0) == 0);
    CHECK(read(f / "result/contrasts.tsv").find("shared_type1") != std::string::npos);
    const std::string activity = read(f / "result/node_activity.tsv");
    CHECK(activity.rfind("group\tcells\tnode\tmean_group\tmean_rest\tauc\n", 0) == 0);
    CHECK(summary["nodes_by_group"].is_object());
    CHECK(read(f / "result/heatmap.svg").rfind("<?xml", 0) == 0);

    // The reference method by name: guided backprop, median score, per-set permutation null.
    std::ostringstream ref_out, ref_err;
    REQUIRE(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--reference", "--method",
                           "vanilla", "--permutations", "100", "--out", f / "reference"},
                          ref_out, ref_err) == 0);
    const auto reference = nlohmann::json::parse(ref_out.str());
    CHECK(reference["method"] == "vanilla");
    CHECK(reference["score"] == "median");
    CHECK(reference["null"] == "per-set");
    CHECK(reference["weighting"] == "uniform");
    CHECK(reference["normalize_genes"] == true);
    const std::size_t floor = reference["pairs_at_p_floor"].get<std::size_t>();
    CHECK((ref_err.str().find("more permutations may lower their q") != std::string::npos) == (floor > 0));
    // A median score asked for alone takes the reference's weighting and null; contradictions exit 2.
    std::ostringstream median_out;
    REQUIRE(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--score", "median",
                           "--method", "vanilla", "--permutations", "20", "--out", f / "median"},
                          median_out, ref_err) == 0);
    CHECK(nlohmann::json::parse(median_out.str())["null"] == "per-set");
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--score", "median", "--null",
                         "rank-sum", "--out", f / "bad"},
                        median_out, ref_err) == 2);
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--score", "median", "--null",
                         "matched", "--out", f / "bad"},
                        median_out, ref_err) == 2);
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--expression-strata", "0",
                         "--out", f / "bad"},
                        median_out, ref_err) == 2);
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--raw", "--normalize-genes",
                         "--out", f / "bad"},
                        median_out, ref_err) == 2);
}

TEST_CASE("scae pathways skips a set holding every model gene with a note, as it skips one too small (no NaN z-scores)") {
    const Files f;
    {
        std::ifstream in(f / "sets.gmt");
        std::ofstream out(f / "with_all.gmt");
        out << in.rdbuf();
        out << "EVERY_GENE\tall of them";
        for (const auto& symbol : transfer::load_model(f / "model.json").gene_symbols) out << '\t' << symbol;
        out << '\n';
    }
    std::ostringstream out, err;
    const int code = cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "with_all.gmt", "--out", f / "r",
                                    "--permutations", "20", "--threads", "1"},
                                   out, err);
    INFO(err.str());
    REQUIRE(code == 0);
    const std::string scores = read(f / "r/scores.tsv");
    CHECK(scores.find("EVERY_GENE") == std::string::npos);
    std::istringstream lines(scores);
    std::string line;
    std::getline(lines, line); // the header
    while (std::getline(lines, line)) { // node, set, score, z: no z is NaN
        std::istringstream fields(line);
        std::string field;
        for (int i = 0; i < 4; ++i) std::getline(fields, field, '\t');
        CHECK(field != "NaN");
    }
    const auto summary = nlohmann::json::parse(out.str());
    CHECK(summary["sets_covering_all_genes"] == 1);
    CHECK(err.str().find("EVERY_GENE") != std::string::npos);
    CHECK(err.str().find("holds every model gene") != std::string::npos);
}

TEST_CASE("scae pathways: bad command lines exit 2, unusable inputs exit 1") {
    const Files f;
    std::ostringstream out, err;
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--out", f / "r"}, out, err) == 2);
    CHECK(err.str().find("--gmt") != std::string::npos);
    err.str("");
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--out", f / "r", "--method", "smooth"},
                        out, err) == 2);
    CHECK(err.str().find("--method expects vanilla, guided") != std::string::npos);
    err.str("");
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "missing.gmt", "--out", f / "r"}, out, err) == 1);
    CHECK(err.str().find("missing.gmt") != std::string::npos);
    err.str("");
    CHECK(cli::pathways({"--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--out", f / "r", "--min-genes", "100"},
                        out, err) == 1);
    CHECK(err.str().find("none of the 6 gene sets") != std::string::npos);
    std::ostringstream help;
    CHECK(cli::pathways({"--help"}, help, err) == 0);
    CHECK(help.str().find("--permutations") != std::string::npos);
}

TEST_CASE("commands that apply a model refuse data missing most of its genes unless --min-coverage allows it") {
    const Files f;
    // The same cells with only the first 80 of the model's 200 genes: 40% coverage.
    const auto full = io::read_counts<float>(f / "data");
    std::vector<Index> kept(80);
    for (Index g = 0; g < 80; ++g) kept[std::size_t(g)] = g;
    const std::vector<std::string> ids(full.gene_ids.begin(), full.gene_ids.begin() + 80),
        symbols(full.gene_symbols.begin(), full.gene_symbols.begin() + 80);
    io::write_10x(f.dir / "partial", data::select_columns(full.counts, kept), ids, symbols, full.barcodes, {});

    std::ostringstream out, err;
    CHECK(cli::embed({"--model", f / "model.json", "--data", f / "partial", "--out", f / "latent.tsv"}, out, err) == 1);
    CHECK(err.str().find("coverage") != std::string::npos);
    err.str("");
    CHECK(cli::embed({"--model", f / "model.json", "--data", f / "partial", "--min-coverage", "0.3", "--out", f / "latent.tsv"}, out,
                     err) == 0);
    CHECK(err.str().find("aligned 80 of 200 model genes") != std::string::npos);
    const std::string latent = read(f / "latent.tsv");
    CHECK(std::count(latent.begin(), latent.end(), '\n') == 1 + 60);
    CHECK(cli::embed({"--model", f / "model.json", "--data", f / "partial", "--min-coverage", "1.5", "--out", f / "l.tsv"}, out, err) == 2);
}

TEST_CASE("scae train --weight-decay shrinks the input weights; a negative value is a usage error") {
    const Files f;
    std::ostringstream out, err;
    const auto input_weight_norm = [&](const std::string& decay) {
        const std::string path = f / ("wd" + decay + ".json");
        REQUIRE(cli::train({"--data", f / "data", "--out", path, "--epochs", "20", "--batch", "8", "--lr", "0.01", "--layers", "16,5", "--genes", "all",
                            "--weight-decay", decay, "--quiet", "--threads", "1"},
                           out, err) == 0);
        return double(transfer::load_model(path).model.layers[0].weight.value.norm());
    };
    const double with_decay = input_weight_norm("0.01"), without = input_weight_norm("0");
    INFO("input weight norm with decay " << with_decay << ", without " << without);
    CHECK(with_decay < 0.8 * without);
    CHECK(cli::train({"--data", f / "data", "--out", f / "bad.json", "--weight-decay", "-1"}, out, err) == 2);
    CHECK(err.str().find("--weight-decay") != std::string::npos);
}

} // namespace test_interpret_cli

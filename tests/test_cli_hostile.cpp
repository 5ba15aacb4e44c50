// Hostile and careless input to the command line: every finding of the hostile-input campaign
// (issue 16) as a test. Each bad input must give a clear message and exit code 2 (command line)
// or 1 (data), before any work, with no output written and no input overwritten; valid input
// must still give a correct result.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "scae/cli/main.hpp"
#include "scae/data/simulate.hpp"
#include "scae/io/write_10x.hpp"
#include "scae/report/report_folder.hpp"
#include "scae/core/atomic_file.hpp"
#include "scae/transfer/model_file.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace test_cli_hostile {

using namespace scae;
namespace fs = std::filesystem;

namespace {

/// A small simulated tissue as a 10x folder, its labels, a dense table, a GMT file and an
/// untrained model over its genes, in a fresh temporary folder.
struct Files {
    fs::path dir = fs::temp_directory_path() / ("scae_test_cli_hostile_" + std::to_string(::getpid()));
    data::SimulatedTissue tissue;
    Files() {
        fs::remove_all(dir);
        fs::create_directories(dir);
        data::SimulationOptions o;
        o.n_genes = 60;
        o.n_programs = 2;
        o.program_size = 12;
        o.shared_program_fraction = 1.0;
        o.n_decoy_sets = 1;
        o.n_tissues = 1;
        o.cells_per_tissue = 40;
        o.cell_types_per_tissue = 2;
        o.shared_cell_types = 2;
        const data::Simulation sim = data::simulate(o);
        tissue = sim.tissues[0];
        io::write_10x(dir / "data", tissue.counts, tissue.gene_ids, tissue.gene_symbols, tissue.barcodes, tissue.cell_types);
        data::write_gmt(sim.gene_sets, dir / "sets.gmt");
        std::ofstream labels(dir / "labels.tsv");
        for (std::size_t c = 0; c < tissue.barcodes.size(); ++c) labels << tissue.barcodes[c] << '\t' << tissue.cell_types[c] << '\n';
        labels.close();
        std::ofstream table(dir / "t.tsv");
        table << "gene";
        for (const auto& b : tissue.barcodes) table << '\t' << b;
        table << '\n';
        const Matrix<float> dense = Matrix<float>(tissue.counts);
        for (Index g = 0; g < dense.cols(); ++g) {
            table << tissue.gene_ids[std::size_t(g)];
            for (Index c = 0; c < dense.rows(); ++c) table << '\t' << dense(c, g);
            table << '\n';
        }
        table.close();
        transfer::save_model((dir / "model.json").string(), untrained_model());
    }
    ~Files() { fs::remove_all(dir); }

    transfer::ModelFile untrained_model() const {
        nn::AutoencoderOptions architecture;
        architecture.encoder_sizes = {8, 4};
        return transfer::ModelFile{nn::Autoencoder<float>(Index(tissue.gene_ids.size()), architecture), tissue.gene_ids, tissue.gene_symbols,
                                   nlohmann::json::object(), train::History{}, transfer::Provenance{}, {}, Matrix<float>(), {}, {}, {}};
    }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

/// The result of one command line.
struct Run {
    int code;
    std::string out, err;
};

Run run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = cli::main(args, out, err);
    return {code, out.str(), err.str()};
}

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Checks that `r` failed with `code` and a message holding `part`.
#define CHECK_FAILS(r, expected_code, part)                                                                                     \
    do {                                                                                                                        \
        const Run result_ = (r);                                                                                                \
        INFO("stderr: " << result_.err);                                                                                        \
        CHECK(result_.code == (expected_code));                                                                                 \
        CHECK(contains(result_.err, part));                                                                                     \
    } while (0)

const std::vector<std::string> quick_train = {"--genes", "all", "--epochs", "1", "--layers", "4,2", "--batch", "8", "--quiet"};

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

/// The model file with `edit` applied to its JSON.
template <class Edit>
std::string edited_model(const Files& f, const std::string& name, Edit edit) {
    nlohmann::json j = transfer::to_json(f.untrained_model());
    edit(j);
    write(f / name, j.dump());
    return f / name;
}

} // namespace

TEST_CASE("the argument parser refuses unknown, single-dash, stray, repeated, empty and option-like arguments") {
    const Files f;
    const auto train = [&](std::vector<std::string> extra) {
        return run(cat(cat({"train", "--data", f / "data", "--out", f / "m.json"}, quick_train), extra));
    };
    CHECK_FAILS(run({"train", "--data", f / "data", "--out", "--epochs", "2"}), 2, "found the option --epochs");
    CHECK_FAILS(train({"extra"}), 2, "unexpected argument 'extra'");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "data", "--out", f / "l.tsv", "extra"}), 2,
                "unexpected argument 'extra'");
    CHECK_FAILS(train({"-seed", "2"}), 2, "unknown option -seed (options start with two dashes: --seed)");
    CHECK_FAILS(train({"--seed", "2", "--seed", "3"}), 2, "given twice");
    CHECK_FAILS(train({"--colour", "red"}), 2, "unknown option --colour");
    CHECK_FAILS(train({"--no-normalize=yes"}), 2, "takes no value");
    CHECK_FAILS(run({"train", "--data", f / "data", "--out"}), 2, "--out needs a value");
    CHECK_FAILS(run({"train", "--data", f / "data", "--out", ""}), 2, "--out needs a non-empty value");
    CHECK_FAILS(run({"train", "--data", f / "data", "--out="}), 2, "--out needs a non-empty value");
    CHECK_FAILS(train({"--"}), 2, "bare '--'");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "data", "--out", f / "l.tsv", "--quiet", "word"}), 2,
                "unknown option --quiet");
    CHECK(!fs::exists(f / "m.json"));
    CHECK(!fs::exists("--epochs"));
}

TEST_CASE("numbers are parsed exactly and checked against their documented ranges") {
    const Files f;
    const auto train = [&](std::vector<std::string> extra) {
        return run(cat({"train", "--data", f / "data", "--out", f / "m.json", "--quiet"}, extra));
    };
    CHECK_FAILS(train({"--epochs", "0x10"}), 2, "decimal digits only");
    CHECK_FAILS(train({"--epochs", "1e3"}), 2, "decimal digits only");
    CHECK_FAILS(train({"--epochs", "2.5"}), 2, "decimal digits only");
    CHECK_FAILS(train({"--epochs", "0"}), 2, "in 1..100000");
    CHECK_FAILS(train({"--epochs", "-3"}), 2, "in 1..100000");
    CHECK_FAILS(train({"--epochs", "99999999999999999999"}), 2, "above 9223372036854775807");
    CHECK_FAILS(train({"--batch", "4294967297"}), 2, "--batch expects a whole number in 1..1048576, got 4294967297");
    CHECK_FAILS(train({"--threads", "4294967297"}), 2, "--threads expects a whole number in 0..");
    CHECK_FAILS(train({"--threads", "1e12"}), 2, "decimal digits only");
    CHECK_FAILS(train({"--threads", "1000"}), 2, "hardware threads"); // libgomp failed to create them
    CHECK_FAILS(train({"--lr", "-0.001"}), 2, "--lr expects a number in [0, 1], got -0.001");
    CHECK_FAILS(train({"--lr", "0"}), 2, "greater than 0");
    CHECK_FAILS(train({"--lr", "1e309"}), 2, "'1e309', which overflows a double");
    CHECK_FAILS(train({"--lr", "1e-400"}), 2, "too close to zero");
    CHECK_FAILS(train({"--lr", "nan"}), 2, "finite number");
    CHECK_FAILS(train({"--lr", "0.01x"}), 2, "expects a number, got '0.01x'");
    CHECK_FAILS(train({"--weight-decay", "-1"}), 2, "--weight-decay expects a number in [0, 10]");
    CHECK_FAILS(train({"--layers", "1000000000"}), 2, "--layers");
    CHECK_FAILS(train({"--layers", "8.5,4"}), 2, "--layers");
    CHECK_FAILS(train({"--layers", "8,,4"}), 2, "--layers");
    CHECK_FAILS(train({"--genes", "hvg:50.5"}), 2, "--genes hvg:N expects a whole number");
    CHECK_FAILS(train({"--genes", "hvg:1e3"}), 2, "--genes hvg:N expects a whole number");
    CHECK_FAILS(train({"--genes", "hvg:0"}), 2, "--genes hvg:N");
    CHECK(!fs::exists(f / "m.json"));

    const std::vector<std::string> pathways = {"pathways", "--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--out", f / "p"};
    for (const char* alpha : {"-1", "2", "nan", "0"}) CHECK_FAILS(run(cat(pathways, {"--alpha", alpha})), 2, "--alpha");
    CHECK_FAILS(run(cat(pathways, {"--method", "ig", "--steps", "100000000"})), 2, "--steps expects a whole number in 1..10000");
    CHECK_FAILS(run(cat(pathways, {"--permutations", "0"})), 2, "--permutations");
    CHECK_FAILS(run(cat(pathways, {"--threads", "1000000"})), 2, "hardware threads");
    CHECK(!fs::exists(f / "p"));

    CHECK_FAILS(run({"transfer", "--model", f / "model.json", "--data", f / "data", "--out", f / "r", "--epochs", "0"}), 2,
                "--epochs expects a whole number in 1..100000");
    CHECK_FAILS(run({"simulate", "--out", f / "s", "--cells", "0"}), 2, "--cells");
    CHECK_FAILS(run({"simulate", "--out", f / "s", "--cells", "1000000000"}), 2, "--cells");
    CHECK_FAILS(run({"simulate", "--out", f / "s", "--cells", "1000000", "--genes", "100000"}), 2, "at most 2147483647");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "data", "--out", f / "l.tsv", "--min-coverage", "1.5"}), 2,
                "--min-coverage");
    CHECK_FAILS(run({"demo", "--threads", "-1"}), 2, "--threads");
    CHECK(!fs::exists(f / "s"));
}

TEST_CASE("every command takes the reader options; a cells x genes table trains on its genes, or the layout is named") {
    const Files f;
    // The tissue as pandas writes it: cells in rows (barcodes), genes in columns.
    const Matrix<float> dense = Matrix<float>(f.tissue.counts);
    const auto write_cells_by_genes = [&](const std::string& name, const std::vector<std::string>& rows) {
        std::ofstream table(f / name);
        for (const auto& g : f.tissue.gene_ids) table << ',' << g;
        table << '\n';
        for (Index c = 0; c < dense.rows(); ++c) {
            table << rows[std::size_t(c)];
            for (Index g = 0; g < dense.cols(); ++g) table << ',' << dense(c, g);
            table << '\n';
        }
    };
    write_cells_by_genes("cells.csv", f.tissue.barcodes);
    Run r = run(cat({"train", "--data", f / "cells.csv", "--out", f / "m.json"}, quick_train));
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(contains(r.err, "read as cells x genes (rows are cells): the row names look like cell barcodes"));
    const auto trained_on_genes = [&](const std::string& model) { // every model gene is a gene (genes without counts are dropped)
        const auto ids = transfer::load_model(f / model).gene_ids;
        for (const auto& id : ids)
            if (std::find(f.tissue.gene_ids.begin(), f.tissue.gene_ids.end(), id) == f.tissue.gene_ids.end()) return false;
        return ids.size() * 4 > f.tissue.gene_ids.size() * 3;
    };
    CHECK(trained_on_genes("m.json"));

    // Cell names that do not look like barcodes: genes x cells is assumed, and said; --layout reads it right.
    std::vector<std::string> names;
    for (std::size_t c = 0; c < f.tissue.barcodes.size(); ++c) names.push_back("cell" + std::to_string(c));
    write_cells_by_genes("plain.csv", names);
    r = run(cat({"train", "--data", f / "plain.csv", "--out", f / "m2.json"}, quick_train));
    CHECK(contains(r.err, "read as genes x cells (rows are genes), assumed"));
    CHECK(contains(r.err, "--layout cells-by-genes"));
    r = run(cat({"train", "--data", f / "plain.csv", "--out", f / "m3.json", "--layout", "cells-by-genes"}, quick_train));
    CHECK(r.code == 0);
    CHECK(trained_on_genes("m3.json"));

    // The same options, through the same parser, on every command that reads counts.
    const std::vector<std::string> reader = {"--layout", "cells-by-genes", "--delimiter", "comma", "--duplicates", "sum", "--require-counts"};
    CHECK(run(cat({"embed", "--model", f / "m3.json", "--data", f / "plain.csv", "--out", f / "l.tsv"}, reader)).code == 0);
    CHECK(run(cat({"denoise", "--model", f / "m3.json", "--data", f / "plain.csv", "--out", f / "d.tsv", "--calibrate", "none"}, reader)).code == 0);
    {
        std::ofstream sets(f / "ids.gmt"); // a table names genes by id only
        for (int set = 0; set < 3; ++set) {
            sets << "set" << set << "\tna";
            for (int g = 0; g < 10; ++g) sets << '\t' << f.tissue.gene_ids[std::size_t(set * 10 + g)];
            sets << '\n';
        }
    }
    r = run(cat({"pathways", "--model", f / "m3.json", "--data", f / "plain.csv", "--gmt", f / "ids.gmt", "--out", f / "p", "--permutations",
                 "20", "--min-genes", "2"}, reader));
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(run(cat({"transfer", "--model", f / "m3.json", "--data", f / "plain.csv", "--out", f / "t", "--no-native"}, reader)).code == 0);
    CHECK(run(cat({"inspect", f / "plain.csv"}, reader)).code == 0);
    for (const char* command : {"train", "embed", "denoise", "pathways", "transfer", "inspect"}) {
        const Run help = run({command, "--help"});
        CHECK_MESSAGE(contains(help.out, "--layout auto|genes-by-cells|cells-by-genes"), command);
        CHECK_MESSAGE(contains(help.out, "--allow-negative"), command);
    }
}

TEST_CASE("a bad enum value is a bad command line: exit 2, naming the option and every accepted value") {
    const Files f;
    const std::vector<std::string> model_data = {"--model", f / "model.json", "--data", f / "data"};
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--out", f / "m.json", "--loss", "nonsense"}, quick_train)), 2,
                "option --loss expects poisson, negative_binomial or mse, got 'nonsense'");
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--out", f / "m.json", "--duplicate-genes", "keep"}, quick_train)), 2,
                "option --duplicate-genes expects error, unique or first, got 'keep'");
    CHECK_FAILS(run(cat(cat({"denoise"}, model_data), {"--out", f / "d.tsv", "--calibrate", "some"})), 2,
                "option --calibrate expects none, genes, genes_shrunk, groups or blend, got 'some'");
    const std::vector<std::string> pathways = cat(cat({"pathways"}, model_data), {"--gmt", f / "sets.gmt", "--out", f / "p"});
    CHECK_FAILS(run(cat(pathways, {"--method", "shap"})), 2, "option --method expects vanilla, guided, gradxinput or ig, got 'shap'");
    CHECK_FAILS(run(cat(pathways, {"--score", "mean"})), 2, "option --score expects median or rank_auc, got 'mean'");
    CHECK_FAILS(run(cat(pathways, {"--null", "none"})), 2, "option --null expects per-set, pooled, rank-sum, matched or confirmed, got 'none'");
    CHECK_FAILS(run(cat(pathways, {"--weighting", "x"})), 2, "option --weighting expects uniform or activity, got 'x'");
    CHECK_FAILS(run(cat(pathways, {"--baseline", "x"})), 2, "option --baseline expects zeros, mean or depth, got 'x'");
    CHECK_FAILS(run({"inspect", "--layout", "rows", f / "t.tsv"}), 2, "option --layout expects");
    CHECK_FAILS(run({"inspect", "--delimiter", ";", f / "t.tsv"}), 2, "option --delimiter expects tab or comma, got ';'");
    CHECK_FAILS(run({"inspect", "--duplicates", "keep", f / "t.tsv"}), 2, "option --duplicates expects error or sum, got 'keep'");
    CHECK(!fs::exists(f / "m.json"));
    CHECK(!fs::exists(f / "d.tsv"));
    CHECK(!fs::exists(f / "p"));
}

namespace {

/// The text of the gzip file `path` (zlib's gzread).
std::string gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    std::string text;
    char buffer[4096];
    int n = 0;
    while ((n = gzread(f, buffer, sizeof buffer)) > 0) text.append(buffer, std::size_t(n));
    CHECK(n == 0);
    CHECK(gzclose(f) == Z_OK);
    return text;
}

} // namespace

TEST_CASE(".gz outputs are compressed as they are written, in chunks: any size round-trips") {
    const Files f;
    std::string text;
    for (int i = 0; i < 300; ++i) text += "row" + std::to_string(i) + "\t" + std::to_string(i * 0.37) + "\n";
    // Pieces of every size, each one larger than the 7-byte chunk handed to zlib at a time.
    cli::stream_output(f / "pieces.tsv.gz", [&](std::ostream& out) {
        for (std::size_t at = 0, piece = 1; at < text.size(); at += piece, piece = piece % 23 + 1) out << text.substr(at, piece);
    }, 7);
    CHECK(gunzip(f / "pieces.tsv.gz") == text);
    cli::stream_output(f / "whole.tsv.gz", [&](std::ostream& out) { out.write(text.data(), std::streamsize(text.size())); }, 7);
    CHECK(gunzip(f / "whole.tsv.gz") == text);
    cli::stream_output(f / "one.gz", [&](std::ostream& out) { out << text; }, 1);
    CHECK(gunzip(f / "one.gz") == text);
    cli::write_output(f / "empty.gz", "");
    CHECK(gunzip(f / "empty.gz").empty());
    for (const auto& entry : fs::directory_iterator(f.dir)) CHECK(!contains(entry.path().filename().string(), ".partial"));
    CHECK_THROWS_AS(cli::stream_output(f / "bad.gz", [](std::ostream&) {}, 0), Error);
    CHECK(!fs::exists(f / "bad.gz"));
    for (const auto& entry : fs::directory_iterator(f.dir)) CHECK(!contains(entry.path().filename().string(), ".partial"));

    // A matrix is written row by row (report::write_matrix_tsv), the same text as matrix_tsv().
    Matrix<float> m(3, 2);
    m << 1, 2.5f, -3, 0, 1e-7f, 4;
    const std::vector<std::string> rows = {"a", "b", "c"}, columns = {"x", "y"};
    cli::stream_output(f / "m.tsv.gz", [&](std::ostream& out) { report::write_matrix_tsv(out, "cell", rows, columns, m); }, 5);
    CHECK(gunzip(f / "m.tsv.gz") == cli::matrix_tsv(m, rows, columns));

    // embed --out x.tsv.gz holds what x.tsv holds.
    const std::vector<std::string> embed = {"embed", "--model", f / "model.json", "--data", f / "data", "--out"};
    REQUIRE(run(cat(embed, {f / "l.tsv"})).code == 0);
    REQUIRE(run(cat(embed, {f / "l.tsv.gz"})).code == 0);
    CHECK(gunzip(f / "l.tsv.gz") == read(f / "l.tsv"));
}

TEST_CASE("outputs that are also inputs are refused before any work, whatever the spelling") {
    const Files f;
    const std::string table = read(f / "t.tsv"), labels = read(f / "labels.tsv"), model = read(f / "model.json");
    CHECK_FAILS(run(cat({"train", "--data", f / "t.tsv", "--out", f / "t.tsv"}, quick_train)), 2, "is also an input");
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--labels", f / "labels.tsv", "--out", f / "labels.tsv"}, quick_train)), 2,
                "is also an input");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "data", "--out", f / "model.json"}), 2, "is also an input");
    CHECK_FAILS(run({"denoise", "--model", f / "model.json", "--data", f / "t.tsv", "--out", (f.dir / "data" / ".." / "t.tsv").string()}), 2,
                "is also an input");
    fs::create_symlink(f / "t.tsv", f / "link.tsv");
    CHECK_FAILS(run({"denoise", "--model", f / "model.json", "--data", f / "t.tsv", "--out", f / "link.tsv"}), 2, "is also an input");
    CHECK_FAILS(run({"transfer", "--model", f / "model.json", "--data", f / "data", "--out", f / "data", "--no-native"}), 2, "is also an input");
    CHECK_FAILS(run({"pathways", "--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--out", f / "data"}), 2,
                "is also an input");
    CHECK(read(f / "t.tsv") == table);
    CHECK(read(f / "labels.tsv") == labels);
    CHECK(read(f / "model.json") == model);

    // Unwritable places are named up front too.
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--out", f / "no/such/folder/m.json"}, quick_train)), 1, "does not exist");
    fs::create_directories(f.dir / "folder");
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--out", f / "folder"}, quick_train)), 1, "names a folder");
    CHECK_FAILS(run({"transfer", "--model", f / "model.json", "--data", f / "data", "--out", f / "t.tsv", "--no-native"}), 1,
                "names an existing file");
}

TEST_CASE("train --epochs 1 trains and reports; an empty history is no crash") {
    const Files f;
    const Run r = run(cat({"train", "--data", f / "data", "--out", f / "m.json"}, quick_train));
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto summary = nlohmann::json::parse(r.out);
    CHECK(summary["epochs"] == 1);
    CHECK(transfer::load_model(f / "m.json").model.latent_size() == 2);
}

TEST_CASE("model files: every field is typed and range-checked, and the error names the file and the JSON path") {
    const Files f;
    const auto load_error = [&](const std::string& path) -> std::string {
        try {
            transfer::load_model(path);
        } catch (const Error& e) {
            return e.what();
        }
        return "(loaded)";
    };
    struct Case {
        const char* name;
        std::function<void(nlohmann::json&)> edit;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"genes_1e12", [](nlohmann::json& j) { j["architecture"]["genes"] = 1e12; }, "architecture.genes: expected an integer"},
        {"genes_huge", [](nlohmann::json& j) { j["architecture"]["genes"] = 3000000; }, "genes.ids: expected 3000000 entries, found 60"},
        {"genes_30m", [](nlohmann::json& j) { j["architecture"]["genes"] = 30000000; }, "architecture.genes: expected an integer in 1..10000000"},
        {"genes_too_many", [](nlohmann::json& j) { j["architecture"]["genes"] = 3000000000LL; }, "architecture.genes: expected an integer in 1..10000000"},
        {"sizes_1e9", [](nlohmann::json& j) { j["architecture"]["encoder_sizes"] = {1e9, 4}; }, "architecture.encoder_sizes[0]: expected an integer"},
        {"sizes_big", [](nlohmann::json& j) { j["architecture"]["encoder_sizes"] = {1000000000, 4}; }, "architecture.encoder_sizes[0]: expected an integer in 1..16384"},
        {"sizes_frac", [](nlohmann::json& j) { j["architecture"]["encoder_sizes"] = {8.5, 4}; }, "architecture.encoder_sizes[0]: expected an integer in 1..16384, found the number 8.5"},
        {"sizes_empty", [](nlohmann::json& j) { j["architecture"]["encoder_sizes"] = nlohmann::json::array(); }, "architecture.encoder_sizes"},
        {"beta_0", [](nlohmann::json& j) { j["architecture"]["softplus_beta"] = 0; }, "architecture.softplus_beta: expected a finite number in [0.001, 1000]"},
        {"beta_neg", [](nlohmann::json& j) { j["architecture"]["softplus_beta"] = -1; }, "architecture.softplus_beta"},
        {"beta_huge", [](nlohmann::json& j) { j["architecture"]["softplus_beta"] = 1e300; }, "architecture.softplus_beta"},
        {"beta_string", [](nlohmann::json& j) { j["architecture"]["softplus_beta"] = "1"; }, "architecture.softplus_beta: expected a number, found the string"},
        {"target_neg", [](nlohmann::json& j) { j["input_transform"]["target_sum"] = -100; }, "input_transform.target_sum"},
        {"log1p_int", [](nlohmann::json& j) { j["input_transform"]["log1p"] = 1; }, "input_transform.log1p: expected true or false"},
        {"rows_frac", [](nlohmann::json& j) { j["weights"][0]["rows"] = 60.5; }, "weights[0].rows: expected an integer"},
        {"rows_wrong", [](nlohmann::json& j) { j["weights"][0]["rows"] = 59; }, "weights[0]: weight 'layer0.weight' is 59x8, the architecture needs 60x8"},
        {"data_short", [](nlohmann::json& j) { j["weights"][1]["data"] = "AAAA"; }, "weights[1].data"},
        {"data_number", [](nlohmann::json& j) { j["weights"][1]["data"] = 5; }, "weights[1].data: expected a base64 string"},
        {"activation", [](nlohmann::json& j) { j["architecture"]["activation"] = "swish"; }, "architecture.activation: unknown activation 'swish'"},
        {"loss_missing", [](nlohmann::json& j) { j["architecture"].erase("loss"); }, "architecture.loss: missing"},
        {"ids_short", [](nlohmann::json& j) { j["genes"]["ids"].erase(0); }, "genes.ids: expected 60 entries, found 59"},
        {"ids_repeat", [](nlohmann::json& j) { j["genes"]["ids"][1] = j["genes"]["ids"][0]; }, "genes.ids[1]: found the gene id"},
        {"ids_number", [](nlohmann::json& j) { j["genes"]["ids"][3] = 3; }, "genes.ids[3]: expected a string"},
        {"version", [](nlohmann::json& j) { j["format_version"] = "one"; }, "format_version"},
        {"history", [](nlohmann::json& j) { j["history"]["epochs"] = {{{"epoch", "x"}}}; }, "history.epochs[0].epoch"},
        {"weights_object", [](nlohmann::json& j) { j["weights"] = nlohmann::json::object(); }, "weights: expected 8 weight arrays"},
        {"top_array", [](nlohmann::json& j) { j = nlohmann::json::array(); }, "(top level): expected an scae model object"},
        {"format", [](nlohmann::json& j) { j["format"] = "other"; }, "not an scae model file"},
    };
    for (const Case& c : cases) {
        const std::string path = edited_model(f, std::string(c.name) + ".json", c.edit);
        const auto start = std::chrono::steady_clock::now();
        const std::string message = load_error(path);
        INFO(c.name << ": " << message);
        CHECK(contains(message, path + ": "));
        CHECK(contains(message, c.message));
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2)); // nothing was built first
    }

    // Weights at the float limit would make every output NaN.
    {
        nlohmann::json j = transfer::to_json(f.untrained_model());
        transfer::ModelFile huge = f.untrained_model();
        huge.model.layers[0].weight.value.setConstant(3e38f);
        write(f / "huge.json", transfer::to_json(huge).dump());
        const std::string message = load_error(f / "huge.json");
        CHECK(contains(message, "weights[0].data: weight 'layer0.weight' holds 3e+38"));
        CHECK_FAILS(run({"embed", "--model", f / "huge.json", "--data", f / "data", "--out", f / "l.tsv"}), 1, "huge.json");
        CHECK(!fs::exists(f / "l.tsv"));
    }

    // Not JSON, cut short, a folder, an empty path.
    write(f / "text.json", "hello");
    CHECK(contains(load_error(f / "text.json"), "text.json: not valid JSON"));
    const std::string whole = read(f / "model.json");
    write(f / "cut.json", whole.substr(0, whole.size() / 2));
    CHECK(contains(load_error(f / "cut.json"), "cut.json: not valid JSON, expected a model file written by scae train (truncated or damaged?)"));
    write(f / "overflow.json", "{\"format\": \"scae-model\", \"format_version\": \"1.0\", \"architecture\": {\"genes\": 1e400}}");
    CHECK(contains(load_error(f / "overflow.json"), "overflow.json: not valid JSON"));
    CHECK(contains(load_error(f / "data"), "data: is a folder, expected a model file"));
    CHECK(contains(load_error(""), "the model path is empty"));
    CHECK(contains(load_error(f / "missing.json"), "missing.json: cannot open model file"));
    CHECK(load_error(f / "model.json") == "(loaded)");
}

TEST_CASE("sizes are checked against what the file can hold before allocating") {
    const Files f;
    const auto start = std::chrono::steady_clock::now();
    write(f / "wide.mtx", "%%MatrixMarket matrix coordinate integer general\n4 500000000 1\n1 1 1\n");
    CHECK_FAILS(run({"inspect", f / "wide.mtx"}), 1, "declares 500000000 columns for 1 entries");
    write(f / "huge.mtx", "%%MatrixMarket matrix coordinate integer general\n2147483646 2147483646 1\n1 1 1\n");
    CHECK_FAILS(run({"inspect", f / "huge.mtx"}), 1, "declares 2147483646 rows for 1 entries");
    write(f / "many.mtx", "%%MatrixMarket matrix coordinate integer general\n1000 1000 900000\n1 1 1\n");
    CHECK_FAILS(run({"inspect", f / "many.mtx"}), 1, "the file is too small to hold more than");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));

    // A dense table whose header names a million cells and which has no data rows.
    {
        std::ofstream table(f / "header.tsv");
        table << "gene";
        for (int i = 0; i < 1000000; ++i) table << "\tc" << i;
        table << '\n';
    }
    CHECK_FAILS(run({"inspect", f / "header.tsv"}), 1, "found no data rows");

    // Valid files still read.
    const Run ok = run({"inspect", f / "data"});
    INFO(ok.err);
    CHECK(ok.code == 0);
    CHECK(nlohmann::json::parse(ok.out)["cells"] == 40);
}

TEST_CASE("counts that overflow, duplicate gene ids and non-UTF-8 text are refused with the file named") {
    const Files f;
    // One count of 1e17 in a table.
    std::string table = read(f / "t.tsv");
    const std::size_t second_line = table.find('\n') + 1, value = table.find('\t', second_line) + 1;
    table.replace(value, table.find('\t', value) - value, "1e17");
    write(f / "big.tsv", table);
    CHECK_FAILS(run(cat({"train", "--data", f / "big.tsv", "--out", f / "m.json"}, quick_train)), 1, "sums to 1e+17");
    CHECK(!fs::exists(f / "m.json"));

    // inspect of two values near the double limit: an error, never "total": null.
    write(f / "max.mtx", "%%MatrixMarket matrix coordinate real general\n1 2 2\n1 1 1.7e308\n1 2 1.7e308\n");
    const Run r = run({"inspect", f / "max.mtx"});
    CHECK(r.code == 1);
    CHECK(!contains(r.out, "null"));
    CHECK(contains(r.err, "sum to more than the largest double"));
    write(f / "overflow.mtx", "%%MatrixMarket matrix coordinate real general\n1 2 1\n1 1 1e309\n");
    CHECK_FAILS(run({"inspect", f / "overflow.mtx"}), 1, "overflow.mtx:3: found '1e309', which overflows a double");
    write(f / "bigint.mtx", "%%MatrixMarket matrix coordinate integer general\n1 2 1\n1 1 99999999999999999999\n");
    CHECK_FAILS(run({"inspect", f / "bigint.mtx"}), 1, "bigint.mtx:3: found the integer '99999999999999999999', which is larger than");

    // Two lines "MS4A1 MS4A1" in features.tsv.
    fs::copy(f / "data", f / "dup");
    std::string features = read(f / "dup/features.tsv");
    const std::size_t line2 = features.find('\n') + 1;
    const std::string first_line = features.substr(0, line2);
    features.replace(line2, features.find('\n', line2) + 1 - line2, first_line);
    write(f / "dup/features.tsv", features);
    CHECK_FAILS(run(cat({"train", "--data", f / "dup", "--out", f / "m.json"}, quick_train)), 1, "1 gene id repeats an earlier one");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "dup", "--out", f / "l.tsv"}), 1, "(genes 1 and 2)");
    const Run unique = run({"embed", "--model", f / "model.json", "--data", f / "dup", "--out", f / "l.tsv", "--duplicate-genes", "unique"});
    INFO(unique.err);
    CHECK(unique.code == 0);
    CHECK(contains(unique.err, "renamed the repeats"));
    const Run first = run({"embed", "--model", f / "model.json", "--data", f / "dup", "--out", f / "l.tsv", "--duplicate-genes", "first"});
    CHECK(first.code == 0);
    CHECK(contains(first.err, "kept the first column"));
    CHECK(contains(first.err, "aligned 59 of 60 model genes"));
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "dup", "--out", f / "l.tsv", "--duplicate-genes", "sum"}), 2,
                "option --duplicate-genes expects error, unique or first, got 'sum'");

    // A symbol with a byte that is not UTF-8, and a label with one.
    fs::copy(f / "data", f / "latin1");
    std::string latin1 = read(f / "latin1/features.tsv");
    latin1.insert(latin1.find('\n') + 3, "\xe9");
    write(f / "latin1/features.tsv", latin1);
    CHECK_FAILS(run(cat({"train", "--data", f / "latin1", "--out", f / "m.json"}, quick_train)), 1, "features.tsv:2: found the gene line");
    std::string bad_labels = read(f / "labels.tsv");
    bad_labels.insert(bad_labels.find('\n'), "\xff");
    write(f / "bad_labels.tsv", bad_labels);
    CHECK_FAILS(run(cat({"train", "--data", f / "data", "--labels", f / "bad_labels.tsv", "--out", f / "m.json"}, quick_train)), 1,
                "bad_labels.tsv:1: found the line");
    write(f / "bad.gmt", "SET\tdesc\tG0001\tG\xc3\x28\n");
    CHECK_FAILS(run({"pathways", "--model", f / "model.json", "--data", f / "data", "--gmt", f / "bad.gmt", "--out", f / "p"}), 1,
                "bad.gmt:1: found the gene set line");
    CHECK(!fs::exists(f / "m.json"));
    CHECK(!fs::exists(f / "p"));
}

TEST_CASE("helpful messages: an empty path, a folder, a missing file") {
    const Files f;
    CHECK_FAILS(run({"inspect", ""}), 2, "PATH is empty");
    CHECK_FAILS(run({"inspect", f / "a", f / "b"}), 2, "unexpected argument");
    CHECK_FAILS(run({"inspect", f / "nothing.mtx"}), 1, "nothing.mtx: cannot open file");
    write(f / "empty.mtx", "%%MatrixMarket matrix coordinate integer general\n0 0 0\n");
    CHECK_FAILS(run({"embed", "--model", f / "model.json", "--data", f / "empty.mtx", "--out", f / "l.tsv"}), 1,
                "empty.mtx: holds 0 cells and 0 genes, expected at least one of each");
    CHECK(!fs::exists(f / "l.tsv"));
    CHECK_FAILS(run({"embed", "--model", f / "data", "--data", f / "data", "--out", f / "l.tsv"}), 1, "is a folder, expected a model file");
    CHECK_FAILS(run({"train", "--data", f / "data", "--genes", "gmt:" + (f / "data"), "--out", f / "m.json"}), 1, "is a folder, expected a file");
}

TEST_CASE("report::ReportFolder: a failed report leaves the earlier one intact; a finished one replaces it") {
    const Files f;
    const fs::path target = f.dir / "report";
    {
        report::ReportFolder folder(target);
        write(folder.file("a.tsv"), "old a");
        fs::create_directories(folder.path() / "sub");
        write((folder.path() / "sub" / "x").string(), "old x");
        folder.commit();
    }
    CHECK(read((target / "a.tsv").string()) == "old a");
    write((target / "user.txt").string(), "mine");
    try {
        report::ReportFolder folder(target);
        write(folder.file("a.tsv"), "new a");
        throw Error("the run fails halfway");
    } catch (const Error&) {
    }
    CHECK(read((target / "a.tsv").string()) == "old a");
    {
        report::ReportFolder folder(target);
        write(folder.file("a.tsv"), "new a");
        write(folder.file("b.tsv"), "new b");
        fs::create_directories(folder.path() / "sub");
        write((folder.path() / "sub" / "y").string(), "new y");
        folder.commit();
    }
    CHECK(read((target / "a.tsv").string()) == "new a");
    CHECK(read((target / "b.tsv").string()) == "new b");
    CHECK(read((target / "user.txt").string()) == "mine");
    CHECK(!fs::exists(target / "sub" / "x"));
    CHECK(read((target / "sub" / "y").string()) == "new y");
    // The files it does not replace stay the same files (not copies), in folders and through links.
    fs::create_directories(target / "notes");
    write((target / "notes" / "n.txt").string(), "note");
    fs::create_symlink("user.txt", target / "link.txt");
    fs::create_hard_link(target / "user.txt", f.dir / "user_elsewhere.txt");
    {
        report::ReportFolder folder(target);
        write(folder.file("a.tsv"), "newest a");
        folder.commit();
    }
    CHECK(read((target / "a.tsv").string()) == "newest a");
    CHECK(read((target / "notes" / "n.txt").string()) == "note");
    CHECK(fs::is_symlink(target / "link.txt"));
    CHECK(read((target / "link.txt").string()) == "mine");
    CHECK(fs::equivalent(target / "user.txt", f.dir / "user_elsewhere.txt"));
    CHECK(read((target / "sub" / "y").string()) == "new y");
    // A target that is a symbolic link to a folder stays one: the report lands in the folder.
    fs::create_symlink(target, f.dir / "alias");
    {
        report::ReportFolder folder(f.dir / "alias");
        write(folder.file("a.tsv"), "via alias");
        folder.commit();
    }
    CHECK(fs::is_symlink(f.dir / "alias"));
    CHECK(read((target / "a.tsv").string()) == "via alias");
    CHECK(read((target / "user.txt").string()) == "mine");
    // A report entry that would replace an input is refused, and nothing is moved.
    write((target / "input.tsv").string(), "input");
    {
        report::ReportFolder folder(target, {target / "input.tsv"});
        write(folder.file("a.tsv"), "newer a");
        write(folder.file("input.tsv"), "report");
        CHECK_THROWS_WITH_AS(folder.commit(), doctest::Contains("would replace the input"), Error);
    }
    CHECK(read((target / "input.tsv").string()) == "input");
    CHECK(read((target / "a.tsv").string()) == "via alias");
    std::size_t leftovers = 0;
    for (const auto& entry : fs::directory_iterator(f.dir)) leftovers += contains(entry.path().filename().string(), ".partial");
    CHECK(leftovers == 0);
}

TEST_CASE("report::ReportFolder into an existing folder keeps the folder itself: mode, setgid, inode, other entries") {
    const Files f;
    const fs::path target = f.dir / "private";
    fs::create_directories(target / "mine");
    write((target / "notes.txt").string(), "notes");
    write((target / "mine" / "m.txt").string(), "m");
    write((target / "a.tsv").string(), "old a");
    REQUIRE(::chmod(target.c_str(), 02700) == 0);
    struct stat before {}, notes_before {}, mine_before {};
    REQUIRE(::stat(target.c_str(), &before) == 0);
    REQUIRE(::stat((target / "notes.txt").c_str(), &notes_before) == 0);
    REQUIRE(::stat((target / "mine").c_str(), &mine_before) == 0);
    {
        report::ReportFolder folder(target);
        write(folder.file("a.tsv"), "new a");
        fs::create_directories(folder.path() / "sub");
        write((folder.path() / "sub" / "b.tsv").string(), "new b");
        folder.commit();
    }
    struct stat after {}, notes_after {}, mine_after {};
    REQUIRE(::stat(target.c_str(), &after) == 0);
    REQUIRE(::stat((target / "notes.txt").c_str(), &notes_after) == 0);
    REQUIRE(::stat((target / "mine").c_str(), &mine_after) == 0);
    CHECK((after.st_mode & 07777) == 02700);
    CHECK(after.st_ino == before.st_ino); // the same folder, not a re-created one
    CHECK(notes_after.st_ino == notes_before.st_ino);
    CHECK(mine_after.st_ino == mine_before.st_ino);
    CHECK(read((target / "a.tsv").string()) == "new a");
    CHECK(read((target / "sub" / "b.tsv").string()) == "new b");
    CHECK(read((target / "mine" / "m.txt").string()) == "m");
    // A report folder of its own is replaced whole, at once, by the next report's.
    {
        report::ReportFolder folder(target);
        fs::create_directories(folder.path() / "sub");
        write((folder.path() / "sub" / "c.tsv").string(), "new c");
        folder.commit();
    }
    CHECK(!fs::exists(target / "sub" / "b.tsv"));
    CHECK(read((target / "sub" / "c.tsv").string()) == "new c");
    REQUIRE(::stat(target.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    CHECK((after.st_mode & 07777) == 02700);

    // Through the command line: a report into the current folder (--out .) leaves it as it was.
    fs::create_directories(f.dir / "project" / ".git");
    write((f.dir / "project" / ".git" / "HEAD").string(), "ref");
    REQUIRE(::chmod((f.dir / "project").c_str(), 0700) == 0);
    struct stat project_before {}, git_before {};
    REQUIRE(::stat((f.dir / "project").c_str(), &project_before) == 0);
    REQUIRE(::stat((f.dir / "project" / ".git").c_str(), &git_before) == 0);
    const Run r = run({"pathways", "--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt", "--out",
                       (f.dir / "project" / ".").string(), "--permutations", "20", "--min-genes", "2", "--threads", "1"});
    INFO(r.err);
    CHECK(r.code == 0);
    struct stat project_after {}, git_after {};
    REQUIRE(::stat((f.dir / "project").c_str(), &project_after) == 0);
    REQUIRE(::stat((f.dir / "project" / ".git").c_str(), &git_after) == 0);
    CHECK(project_after.st_ino == project_before.st_ino);
    CHECK((project_after.st_mode & 07777) == 0700);
    CHECK(git_after.st_ino == git_before.st_ino);
    CHECK(fs::exists(f.dir / "project" / "scores.tsv"));
}

TEST_CASE("report::ReportFolder: a report that fails to write names the output asked for, not the temporary folder") {
    const Files f;
    const fs::path target = f.dir / "report";
    report::ReportFolder folder(target);
    std::string message;
    try {
        folder.write([](const std::string& dir) { write_text_atomically(dir + "/no/such/folder/scores.tsv", "x"); });
    } catch (const Error& e) {
        message = e.what();
    }
    INFO(message);
    CHECK(contains(message, (target / "no/such/folder/scores.tsv").string()));
    CHECK(!contains(message, ".report.partial-")); // the temporary folder
    CHECK(folder.write([](const std::string& dir) { return dir; }) == folder.path().string());
}

TEST_CASE("pathways: a failing run leaves the earlier report whole") {
    const Files f;
    const std::vector<std::string> pathways = {"pathways", "--model", f / "model.json", "--data", f / "data", "--gmt", f / "sets.gmt",
                                               "--permutations", "20", "--max-cells", "20", "--out", f / "p"};
    const Run good = run(pathways);
    INFO(good.err);
    REQUIRE(good.code == 0);
    const std::string scores = read(f / "p/scores.tsv");
    // The same report again, asked to fail late: every set is too small.
    const Run bad = run(cat(pathways, {"--min-genes", "1000"}));
    CHECK(bad.code == 1);
    CHECK(read(f / "p/scores.tsv") == scores);
    for (const auto& entry : fs::directory_iterator(f.dir)) CHECK(!contains(entry.path().filename().string(), ".partial"));
}

TEST_CASE("scae annotate: a label per cell with its confidence; a model without labels, a bad level or label map are clear errors") {
    const Files f;
    Run r = run({"annotate", "--model", f / "model.json", "--data", f / "data", "--out", f / "a"});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "no labelled reference cells"));
    r = run({"train", "--data", f / "data", "--labels", f / "labels.tsv", "--out", f / "labelled.json", "--genes", "all", "--epochs", "2",
             "--layers", "8,4", "--quiet", "--threads", "1"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    for (const std::vector<std::string>& bad : {std::vector<std::string>{"--error-rate", "0"}, {"--error-rate", "1"}, {"--error-rate", "1.5"},
                                                 {"--alignment", "bogus"}, {"--missing-genes", "bogus"}}) {
        std::vector<std::string> args{"annotate", "--model", f / "labelled.json", "--data", f / "data", "--out", f / "a"};
        args.insert(args.end(), bad.begin(), bad.end());
        r = run(args);
        const std::string what = bad[0] + " " + bad[1] + ": " + r.err;
        INFO(what);
        CHECK(r.code == 2);
    }
    write(f / "map.tsv", "no_such_type\tx\n");
    r = run({"annotate", "--model", f / "labelled.json", "--data", f / "data", "--label-map", f / "map.tsv", "--out", f / "a"});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "no_such_type"));
    CHECK(contains(r.err, f / "map.tsv"));
    CHECK_FALSE(fs::exists(f / "a"));
    r = run({"annotate", "--model", f / "labelled.json", "--data", f / "data", "--labels", f / "labels.tsv", "--out", f / "a", "--threads", "1"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const auto report = nlohmann::json::parse(r.out);
    Index total = 0;
    for (const auto& [label, cells] : report["label_transfer"]["predicted_counts"].items()) total += cells.get<Index>();
    CHECK(total == Index(f.tissue.barcodes.size()));
    const std::string cells = read(f / "a/cells.tsv");
    CHECK(cells.rfind("cell\tpredicted_label\tconfidence\t", 0) == 0);
    CHECK(fs::exists(f / "a/node_support.tsv"));
    CHECK(fs::exists(f / "a/report.md"));
}

} // namespace test_cli_hostile

// Model files: exact round trip, validation with clear errors, compatibility with a
// committed version-1.0 fixture.
#include <doctest/doctest.h>

#include "scae/transfer/model_file.hpp"
#include "support.hpp"

#include <filesystem>
#include <limits>
#include <string>

#include <unistd.h>

namespace test_model_file {

using namespace scae;
namespace fs = std::filesystem;

namespace {

transfer::ModelFile tiny(nn::Loss loss = nn::Loss::poisson) {
    nn::AutoencoderOptions o;
    o.encoder_sizes = {4, 2};
    o.loss = loss;
    o.seed = 3;
    o.input.target_sum = 1e4;
    transfer::ModelFile m{nn::Autoencoder<float>(6, o), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    for (int g = 0; g < 6; ++g) {
        m.gene_ids.push_back("ENSG" + std::to_string(g));
        m.gene_symbols.push_back("GENE" + std::to_string(g));
    }
    if (loss == nn::Loss::negative_binomial) m.model.log_theta.value.setConstant(0.25f);
    m.model.layers[0].weight.value(0, 0) = 1.0f / 3.0f; // not exactly representable in decimal
    m.history.epochs.push_back({1, 0.5, std::numeric_limits<double>::quiet_NaN(), 0.1});
    m.provenance.data_path = "somewhere";
    m.provenance.created = transfer::utc_now();
    m.reference_labels = {"T", "B", "T"};
    m.reference_latent = Matrix<float>::Random(3, 2);
    return m;
}

std::string temp_path(const std::string& name) { return (fs::temp_directory_path() / ("scae_test_" + name)).string(); }

} // namespace

TEST_CASE("save then load gives back every float exactly") {
    for (auto loss : {nn::Loss::poisson, nn::Loss::negative_binomial}) {
        const auto m = tiny(loss);
        const std::string path = temp_path("roundtrip.json");
        transfer::save_model(path, m);
        // No temporary left behind (this process' own: other runs may be writing theirs).
        const std::string mine = ".scae_test_roundtrip.json.partial-" + std::to_string(::getpid()) + "-";
        for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path()))
            CHECK(entry.path().filename().string().rfind(mine, 0) == std::string::npos);
        const auto back = transfer::load_model(path);
        REQUIRE(back.model.layers.size() == m.model.layers.size());
        for (std::size_t i = 0; i < m.model.layers.size(); ++i) {
            CHECK(back.model.layers[i].weight.value == m.model.layers[i].weight.value);
            CHECK(back.model.layers[i].bias.value == m.model.layers[i].bias.value);
        }
        CHECK(back.model.log_theta.value == m.model.log_theta.value);
        CHECK(back.gene_symbols == m.gene_symbols);
        CHECK(back.model.options.input.target_sum == 1e4);
        CHECK(back.history.epochs.size() == 1);
        CHECK(std::isnan(back.history.epochs[0].validation_loss));
        CHECK(back.provenance.data_path == "somewhere");
        CHECK(back.reference_labels == m.reference_labels);
        CHECK(back.reference_latent == m.reference_latent);
        fs::remove(path);
    }
}

TEST_CASE("the target sum is stored once, and files holding both copies still load") {
    auto m = tiny();
    // Normalised to the fitted depth: the model's input target sum.
    m.preprocessing = {{"format", "scae.preprocessing"}, {"version", 1}, {"gene_ids", m.gene_ids}, {"target_sum", 1e4}};
    nlohmann::json j = transfer::to_json(m);
    CHECK(j["format_version"] == "1.3");
    CHECK(j["input_transform"]["target_sum"] == 1e4);
    CHECK_FALSE(j["preprocessing"].contains("target_sum"));
    CHECK(transfer::from_json(j).preprocessing == m.preprocessing);

    // A format 1.0 file: both copies, each read where it stands.
    j["format_version"] = "1.0";
    j["preprocessing"]["target_sum"] = 1e4;
    CHECK(transfer::from_json(j).preprocessing == m.preprocessing);

    // A raw-count model (input target sum 0) keeps the fitted depth with its preprocessing.
    m.model.options.input.target_sum = 0;
    j = transfer::to_json(m);
    CHECK(j["input_transform"]["target_sum"] == 0.0);
    CHECK(j["preprocessing"]["target_sum"] == 1e4);
    const auto raw = transfer::from_json(j);
    CHECK(raw.preprocessing == m.preprocessing);
    CHECK(raw.model.options.input.target_sum == 0);
}

TEST_CASE("unknown extra fields are ignored") {
    nlohmann::json j = transfer::to_json(tiny());
    j["something_new"] = {1, 2, 3};
    j["architecture"]["future_option"] = true;
    CHECK_NOTHROW(transfer::from_json(j));
}

TEST_CASE("validation errors name the file and the problem") {
    const nlohmann::json good = transfer::to_json(tiny());
    auto expect = [](const nlohmann::json& j, const std::string& message) {
        CHECK_THROWS_WITH_AS(transfer::from_json(j, "m.json"), doctest::Contains(message.c_str()), Error);
    };
    nlohmann::json j = good;
    j["format_version"] = "2.0";
    expect(j, "newer than this scae");
    j = good;
    j["format"] = "something";
    expect(j, "not an scae model file");
    j = good;
    j["weights"][0]["rows"] = 7;
    expect(j, "layer0.weight' is 7x4");
    j = good;
    j["weights"][1]["data"] = "AAA";
    expect(j, "base64");
    j = good;
    j["weights"].erase(j["weights"].size() - 1);
    expect(j, "weight arrays");
    j = good;
    j["genes"]["ids"].erase(0);
    expect(j, "genes.ids: expected 6 entries, found 5");
    j = good;
    j["architecture"]["activation"] = "swish";
    expect(j, "unknown activation");
    j = good;
    j.erase("architecture");
    expect(j, "m.json: architecture: missing");
    // A NaN weight.
    j = good;
    {
        auto m = tiny();
        m.model.layers[2].bias.value(0, 1) = std::numeric_limits<float>::quiet_NaN();
        j = transfer::to_json(m);
    }
    expect(j, "NaN");
}

TEST_CASE("a model the library builds is one its loader reads: the limits are checked where a model is built") {
    const auto refusal = [](Index genes, const nn::AutoencoderOptions& o) {
        try {
            nn::Autoencoder<float> model(genes, o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    nn::AutoencoderOptions o;
    o.encoder_sizes = {20000};
    CHECK(refusal(6, o).find("encoder_sizes[0] is 20000, expected 1..16384") != std::string::npos);
    o.encoder_sizes = std::vector<Index>(17, 2);
    CHECK(refusal(6, o).find("the number of encoder_sizes is 17, expected 1..16") != std::string::npos);
    o.encoder_sizes = {};
    CHECK(refusal(6, o).find("the number of encoder_sizes is 0") != std::string::npos);
    o.encoder_sizes = {4, 2};
    CHECK(refusal(0, o).find("the number of genes is 0") != std::string::npos);
    CHECK(refusal(nn::max_model_genes + 1, o).find("the number of genes is 10000001, expected 1..10000000") != std::string::npos);
    o.softplus_beta = 5000;
    CHECK(refusal(6, o).find("softplus_beta is 5000, expected [0.001, 1000]") != std::string::npos);
    o.softplus_beta = std::numeric_limits<double>::quiet_NaN();
    CHECK(refusal(6, o).find("softplus_beta is nan") != std::string::npos);
    o.softplus_beta = 1;
    o.orthogonality_weight = 2e6;
    CHECK(refusal(6, o).find("orthogonality_weight is 2e+06") != std::string::npos);
    o.orthogonality_weight = 0.05;
    o.input.target_sum = 1e13;
    CHECK(refusal(6, o).find("input.target_sum is 1e+13") != std::string::npos);
    // At the limits, the model saves and loads.
    o.input.target_sum = nn::max_target_sum;
    o.softplus_beta = nn::max_softplus_beta;
    o.orthogonality_weight = nn::max_orthogonality_weight;
    o.encoder_sizes = {nn::max_layer_size, 1};
    transfer::ModelFile m{nn::Autoencoder<float>(2, o), {"a", "b"}, {"A", "B"}, {}, {}, {}, {}, {}, {}, {}, {}};
    const std::string path = temp_path("limits.json");
    transfer::save_model(path, m);
    CHECK(transfer::load_model(path).model.options.encoder_sizes == o.encoder_sizes);
    fs::remove(path);
}

TEST_CASE("unreadable files are errors, not crashes") {
    CHECK_THROWS_WITH_AS(transfer::load_model("/nonexistent/model.json"), doctest::Contains("/nonexistent/model.json"), Error);
    const std::string path = temp_path("truncated.json");
    const std::string text = transfer::to_json(tiny()).dump();
    std::ofstream(path) << text.substr(0, text.size() / 2);
    CHECK_THROWS_WITH_AS(transfer::load_model(path), doctest::Contains("not valid JSON"), Error);
    fs::remove(path);
}

TEST_CASE("a model saved by format 1.0 still loads and computes the same") {
    // tests/fixtures/model/v1_0_tiny.json was written by scae 0.1.0 from tiny() above.
    const auto m = transfer::load_model(scae_test::fixtures_dir() + "/model/v1_0_tiny.json");
    const auto expected = tiny();
    CHECK(m.model.layers[0].weight.value == expected.model.layers[0].weight.value);
    Csr<float> counts(1, 6);
    counts.insert(0, 1) = 3;
    counts.insert(0, 4) = 1;
    counts.makeCompressed();
    CHECK(m.model.encode(counts) == expected.model.encode(counts));
}

} // namespace test_model_file

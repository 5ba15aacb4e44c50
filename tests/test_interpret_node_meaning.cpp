// Does a node keep, on a new tissue, the meaning it was named with on its training tissue?
// (issue 24, item 3; interpret/node_meaning.hpp). On the simulator: a node that tracked a
// programme on tissue A must read `changed` on B when B lacks the programme and `kept` when B has
// it and the node still tracks it; with B's gene names shuffled nearly every node must read
// `changed`. Then the model file's new field (format 1.3), hostile input, and the command line.
#include <doctest/doctest.h>

#include "support.hpp"

#include "scae/cli/pathways.hpp"
#include "scae/cli/simulate.hpp"
#include "scae/cli/train.hpp"
#include "scae/cli/transfer.hpp"
#include "scae/data/align.hpp"
#include "scae/data/simulate.hpp"
#include "scae/interpret/name_nodes.hpp"
#include "scae/interpret/node_meaning.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/train_model.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>

namespace test_interpret_node_meaning {

using namespace scae;
namespace fs = std::filesystem;

namespace {

/// Counts of one simulated tissue in the model's gene order, and which model genes its file has.
struct Aligned {
    Csr<float> counts;
    std::vector<bool> present;
};

Aligned align(const transfer::ModelFile& m, const Csr<float>& counts, const std::vector<std::string>& ids, const std::vector<std::string>& symbols) {
    const data::Alignment alignment = data::align_genes(m.gene_ids, m.gene_symbols, ids, symbols);
    Aligned a{counts, std::vector<bool>(m.gene_ids.size(), false)};
    for (const data::ColumnLink& link : alignment.links) a.present[std::size_t(link.model_column)] = true;
    data::align_in_place(a.counts, alignment);
    return a;
}

std::vector<Index> all_rows(Index n) {
    std::vector<Index> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), Index(0));
    return rows;
}

/// The setting of docs/interpretation.md's measurement: 600 genes, 8 programmes of 30 genes, half
/// of them used by one tissue only, 700 cells per tissue, a model trained on A for 40 epochs and
/// named on A with scae pathways' defaults; B as it is and with every gene's name shuffled.
struct Fixture {
    data::Simulation sim;
    transfer::ModelFile model;
    Aligned a, b, shuffled;
    interpret::ReferenceMeaning reference;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        data::SimulationOptions o;
        o.seed = 1;
        o.n_genes = 600;
        o.n_programs = 8;
        o.program_size = 30;
        o.n_decoy_sets = 8;
        o.cells_per_tissue = 700;
        o.shared_program_fraction = 0.5;
        Fixture out{data::simulate(o), {nn::Autoencoder<float>(1, {}), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}, {}, {}, {}, {}};
        const data::SimulatedTissue& A = out.sim.tissues[0];
        const data::SimulatedTissue& B = out.sim.tissues[1];
        transfer::TrainRecipe recipe;
        recipe.train.epochs = 40;
        recipe.train.threads = 2;
        recipe.preprocess.hvg.n_top_genes = 0;
        out.model = transfer::train_model(scae_test::as_counts(A), recipe, "A", A.cell_types);
        out.a = align(out.model, A.counts, A.gene_ids, A.gene_symbols);
        out.b = align(out.model, B.counts, B.gene_ids, B.gene_symbols);
        std::vector<Index> order(B.gene_ids.size());
        std::iota(order.begin(), order.end(), Index(0));
        Rng rng(2024);
        rng.shuffle(order);
        std::vector<std::string> ids, symbols; // column g now carries the name of gene order[g]
        for (Index g : order) {
            ids.push_back(B.gene_ids[std::size_t(g)]);
            symbols.push_back(B.gene_symbols[std::size_t(g)]);
        }
        out.shuffled = align(out.model, B.counts, ids, symbols);
        interpret::PathwayOptions options;
        options.threads = 2;
        const interpret::PathwayResult r = interpret::score_pathways(out.model.model, out.a.counts, out.model.gene_symbols, out.sim.gene_sets, options, A.cell_types);
        out.reference = interpret::reference_meaning(out.model.model, out.a.counts, r, "sim.gmt", options.alpha);
        return out;
    }();
    return f;
}

std::vector<interpret::NodeMeaning> on(const Fixture& f, const Aligned& t) {
    return interpret::compare_meaning(f.reference, f.model.model, t.counts, all_rows(t.counts.rows()), t.present);
}

double correlation(const Vector<double>& a, const Vector<double>& b) { return interpret::activation_correlation(Matrix<double>(a), Matrix<double>(b))(0, 0); }

} // namespace

TEST_CASE("node meaning on the simulator: absent programmes read changed, present and still tracked ones kept") {
    const Fixture& f = fixture();
    const data::SimulatedTissue& A = f.sim.tissues[0];
    const data::SimulatedTissue& B = f.sim.tissues[1];
    const std::vector<interpret::NodeMeaning> meanings = on(f, f.b);
    std::map<std::string, Index> programme;
    for (std::size_t i = 0; i < f.sim.programs.size(); ++i) programme[f.sim.programs[i].name] = Index(i);
    const Matrix<double> ha = f.model.model.encode(f.a.counts).cast<double>(), hb = f.model.model.encode(f.b.counts).cast<double>();
    int judged = 0, agree = 0, absent = 0, tracked = 0;
    for (const interpret::NodeMeaning& m : meanings) {
        if (m.meaning == interpret::Meaning::untested || !programme.count(m.set)) continue;
        const Index p = programme[m.set];
        const double on_a = correlation(ha.col(m.node), A.program_activity.col(p).cast<double>());
        if (std::abs(on_a) < 0.4) continue; // judged: nodes that clearly tracked their programme on A
        const Vector<double> activity = B.program_activity.col(p).cast<double>();
        const bool active = (activity.array() > 0).any();
        const double on_b = active ? (on_a > 0 ? 1 : -1) * correlation(hb.col(m.node), activity) : 0;
        if (active && on_b < 0.4) continue; // present but tracked less: the statistic cannot tell (docs)
        ++judged;
        absent += !active;
        tracked += active;
        const bool kept = m.meaning == interpret::Meaning::kept;
        agree += kept == active;
        INFO("node " << m.node << " " << m.set << " r on A " << on_a << " on B " << on_b << " coordination " << m.coordination << " tracking "
                     << m.tracking);
        CHECK(kept == active);
    }
    INFO(agree << " of " << judged << " judged nodes agree (" << absent << " absent, " << tracked << " tracked)");
    CHECK(judged >= 10);
    CHECK(agree >= 0.85 * judged);
}

TEST_CASE("node meaning: with every gene name shuffled nearly every named node reads changed; on its own tissue nearly every one kept") {
    const Fixture& f = fixture();
    int named = 0;
    for (const interpret::NodeProgramme& p : f.reference.nodes) named += p.named();
    REQUIRE(named >= 20);
    const auto count = [](const std::vector<interpret::NodeMeaning>& v, interpret::Meaning which) {
        return std::count_if(v.begin(), v.end(), [&](const interpret::NodeMeaning& m) { return m.meaning == which; });
    };
    const std::vector<interpret::NodeMeaning> shuffled = on(f, f.shuffled), own = on(f, f.a);
    const auto tested = count(shuffled, interpret::Meaning::kept) + count(shuffled, interpret::Meaning::changed);
    INFO("shuffled: " << count(shuffled, interpret::Meaning::changed) << " changed of " << tested << " tested");
    CHECK(tested >= 0.8 * named);
    CHECK(count(shuffled, interpret::Meaning::changed) >= 0.9 * tested);
    INFO("own tissue: " << count(own, interpret::Meaning::kept) << " kept");
    CHECK(count(own, interpret::Meaning::kept) >= 0.9 * tested);
    for (const interpret::NodeMeaning& m : own) // the very cells the components were taken on: both halves are whole
        if (m.meaning != interpret::Meaning::untested) {
            CHECK(m.coordination == doctest::Approx(1).epsilon(1e-6));
            CHECK(m.tracking == doctest::Approx(1).epsilon(1e-6));
        }
}

TEST_CASE("node meaning: untested nodes say why; genes the target lacks are not counted as silent") {
    const Fixture& f = fixture();
    interpret::ReferenceMeaning reference = f.reference;
    const auto named = std::find_if(reference.nodes.begin(), reference.nodes.end(), [](const interpret::NodeProgramme& p) { return p.named() && p.r >= 0.3 && p.eigenvalue > p.edge; });
    REQUIRE(named != reference.nodes.end());
    const std::size_t k = std::size_t(named - reference.nodes.begin());
    std::vector<bool> present = f.b.present;
    for (Index g : named->genes) present[std::size_t(g)] = false; // the target's file lacks the set
    const auto lacking = interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(f.b.counts.rows()), present);
    CHECK(lacking[k].meaning == interpret::Meaning::untested);
    CHECK(lacking[k].reason.find("lacks") != std::string::npos);
    named->r = 0.1; // followed too little in training
    CHECK(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10))[k].reason.find("hardly followed") != std::string::npos);
    named->eigenvalue = named->edge; // not coordinated in training
    CHECK(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10))[k].meaning == interpret::Meaning::untested);
    interpret::MeaningOptions bad;
    bad.share = 0;
    CHECK_THROWS_AS(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10), {}, bad), Error);
    CHECK_THROWS_WITH_AS(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(2)), doctest::Contains("at least 3"), Error);
    CHECK_THROWS_WITH_AS(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10), std::vector<bool>(3, true)),
                         doctest::Contains("presence flags"), Error);
    named->eigenvalue = 5;
    named->r = 0.5;
    named->loadings.pop_back(); // a hand-made reference with a loading short
    CHECK_THROWS_WITH_AS(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10)), doctest::Contains("loadings"), Error);
    reference.nodes.pop_back();
    CHECK_THROWS_WITH_AS(interpret::compare_meaning(reference, f.model.model, f.b.counts, all_rows(10)), doctest::Contains("nodes"), Error);
}

namespace {

/// A tiny model (6 genes, 2 nodes) whose node 0 was named with a 3-gene set and node 1 not.
transfer::ModelFile named_tiny() {
    nn::AutoencoderOptions o;
    o.encoder_sizes = {4, 2};
    transfer::ModelFile m{nn::Autoencoder<float>(6, o), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    for (int g = 0; g < 6; ++g) {
        m.gene_ids.push_back("G" + std::to_string(g));
        m.gene_symbols.push_back("S" + std::to_string(g));
    }
    m.reference_meaning.gene_sets = "h.gmt";
    m.reference_meaning.alpha = 0.05;
    m.reference_meaning.cells = 100;
    interpret::NodeProgramme p;
    p.set = "SET_A";
    p.q = 0.001;
    p.genes = {0, 2, 3};
    p.loadings = {0.6, 0.0, -0.8};
    p.eigenvalue = 2.1;
    p.r = 0.55;
    m.reference_meaning.nodes = {p, interpret::NodeProgramme{}};
    return m;
}

} // namespace

TEST_CASE("model file 1.3: reference_meaning round-trips; files without it load with none") {
    const transfer::ModelFile m = named_tiny();
    const nlohmann::json j = transfer::to_json(m);
    CHECK(j["format_version"] == "1.3");
    CHECK(j["reference_meaning"]["nodes"][1].is_null());
    const transfer::ModelFile back = transfer::from_json(nlohmann::json::parse(j.dump()));
    REQUIRE(back.reference_meaning.nodes.size() == 2);
    const interpret::NodeProgramme& p = back.reference_meaning.nodes[0];
    CHECK(p.set == "SET_A");
    CHECK(p.genes == std::vector<Index>{0, 2, 3});
    CHECK(p.loadings == m.reference_meaning.nodes[0].loadings);
    CHECK(p.eigenvalue == 2.1);
    CHECK(p.r == 0.55);
    CHECK(p.edge == doctest::Approx(std::pow(1 + std::sqrt(3.0 / 100), 2)));
    CHECK_FALSE(back.reference_meaning.nodes[1].named());
    CHECK(back.reference_meaning.gene_sets == "h.gmt");
    CHECK(back.reference_meaning.cells == 100);
    nlohmann::json old = j; // a 1.2 file: no reference_meaning
    old.erase("reference_meaning");
    old["format_version"] = "1.2";
    CHECK(transfer::from_json(old).reference_meaning.empty());
    CHECK(transfer::load_model(scae_test::fixtures_dir() + "/model/v1_0_tiny.json").reference_meaning.empty());
}

TEST_CASE("model file 1.3: a broken reference_meaning field is an error naming the field") {
    const nlohmann::json good = transfer::to_json(named_tiny());
    const auto broken = [&](const std::string& field, const std::function<void(nlohmann::json&)>& change) {
        nlohmann::json j = good;
        change(j["reference_meaning"]);
        INFO(field);
        CHECK_THROWS_WITH_AS(transfer::from_json(j, "m.json"), doctest::Contains(("reference_meaning" + field).c_str()), Error);
    };
    broken(".nodes", [](nlohmann::json& r) { r["nodes"].push_back(nullptr); });
    broken(".nodes", [](nlohmann::json& r) { r["nodes"] = "all"; });
    broken(".cells", [](nlohmann::json& r) { r["cells"] = 1; });
    broken(".alpha", [](nlohmann::json& r) { r["alpha"] = 0; });
    broken(".gene_sets", [](nlohmann::json& r) { r.erase("gene_sets"); });
    broken(".nodes[0].set", [](nlohmann::json& r) { r["nodes"][0]["set"] = ""; });
    broken(".nodes[0].q", [](nlohmann::json& r) { r["nodes"][0]["q"] = 1.5; });
    broken(".nodes[0].genes[1]", [](nlohmann::json& r) { r["nodes"][0]["genes"][1] = 6; });
    broken(".nodes[0].genes[1]", [](nlohmann::json& r) { r["nodes"][0]["genes"][1] = 0; }); // not ascending
    broken(".nodes[0].genes[2]", [](nlohmann::json& r) { r["nodes"][0]["genes"][2] = "three"; });
    broken(".nodes[0].loadings", [](nlohmann::json& r) { r["nodes"][0]["loadings"].erase(0); });
    broken(".nodes[0].loadings", [](nlohmann::json& r) { r["nodes"][0]["loadings"][0] = 0.5; }); // not of unit length
    broken(".nodes[0].loadings[1]", [](nlohmann::json& r) { r["nodes"][0]["loadings"][1] = 2; });
    broken(".nodes[0].eigenvalue", [](nlohmann::json& r) { r["nodes"][0]["eigenvalue"] = -1; });
    broken(".nodes[0].r", [](nlohmann::json& r) { r["nodes"][0].erase("r"); });
    broken(".nodes[1]", [](nlohmann::json& r) { r["nodes"][1] = 7; });
}

TEST_CASE("scae train --gmt keeps the names; scae pathways writes node_meaning.tsv and the meaning column") {
    const fs::path dir = fs::temp_directory_path() / ("scae_test_node_meaning_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto at = [&](const std::string& name) { return (dir / name).string(); };
    std::ostringstream out, err;
    REQUIRE(cli::simulate({"--out", at("sim"), "--cells", "300", "--genes", "300", "--seed", "5", "--threads", "1"}, out, err) == 0);
    REQUIRE(cli::train({"--data", at("sim/A"), "--labels", at("sim/A/labels.tsv"), "--genes", "all", "--gmt", at("sim/gene_sets.gmt"), "--epochs", "15",
                        "--threads", "2", "--quiet", "--out", at("named.json")},
                       out, err) == 0);
    const transfer::ModelFile named = transfer::load_model(at("named.json"));
    CHECK(named.reference_meaning.gene_sets == "gene_sets.gmt");
    CHECK(Index(named.reference_meaning.nodes.size()) == named.model.latent_size());
    out.str("");
    REQUIRE(cli::pathways({"--model", at("named.json"), "--data", at("sim/B"), "--gmt", at("sim/gene_sets.gmt"), "--groups", at("sim/B/labels.tsv"),
                           "--threads", "2", "--out", at("pw")},
                          out, err) == 0);
    const nlohmann::json summary = nlohmann::json::parse(out.str());
    REQUIRE(summary.contains("node_meaning"));
    CHECK(summary["node_meaning"]["kept"].get<int>() + summary["node_meaning"]["changed"].get<int>() + summary["node_meaning"]["untested"].get<int>() ==
          named.model.latent_size());
    std::ifstream calls(at("pw/node_calls.tsv"));
    std::string header;
    std::getline(calls, header);
    CHECK(header.find("\ttraining_set\tmeaning\tcoordination\ttracking") != std::string::npos);
    CHECK(fs::exists(at("pw/node_meaning.tsv")));
    out.str("");
    REQUIRE(cli::transfer({"--model", at("named.json"), "--data", at("sim/B"), "--no-native", "--threads", "2", "--quiet", "--out", at("tr")}, out, err) == 0);
    const nlohmann::json report = nlohmann::json::parse(out.str());
    REQUIRE(report.contains("node_meaning"));
    CHECK(report["node_meaning"]["kept"] == summary["node_meaning"]["kept"]); // the same test on the same cells (all, fewer than 5,000)
    CHECK(report["node_meaning"]["changed"] == summary["node_meaning"]["changed"]);
    std::ifstream table(at("tr/node_meaning.tsv"));
    std::string first;
    std::getline(table, first);
    CHECK(first == "node\tmeaning\ttraining_set\ttraining_q\teigenvalue\tedge\ttraining_r\tcoordination\ttracking\treason");
    // without --gmt: no names kept, no meaning column
    REQUIRE(cli::train({"--data", at("sim/A"), "--genes", "all", "--epochs", "2", "--threads", "2", "--quiet", "--out", at("plain.json")}, out, err) == 0);
    CHECK(transfer::load_model(at("plain.json")).reference_meaning.empty());
    CHECK(cli::train({"--data", at("sim/A"), "--gmt", at("sim/gene_sets.gmt"), "--shard", "--out", at("x.json")}, out, err) == 2);
    fs::remove_all(dir);
}

} // namespace test_interpret_node_meaning

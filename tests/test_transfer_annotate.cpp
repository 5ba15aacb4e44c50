// Carrying a reference across a shift: missing genes stood in for, node support, and labels with
// a calibrated confidence and `unknown` for types the reference lacks.
#include "support.hpp"
#include <doctest/doctest.h>

#include "scae/core/random.hpp"
#include "scae/io/label_map.hpp"
#include "scae/transfer/annotate.hpp"
#include "scae/transfer/annotation_scores.hpp"
#include "scae/transfer/missing_genes.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/node_support.hpp"

#include <Eigen/Cholesky>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace test_transfer_annotate {

using namespace scae;

namespace {

/// Gaussian clusters in `dims` dimensions: `per_type` cells around each centre, labelled by type.
void clusters(const std::vector<std::pair<std::string, double>>& types, Index per_type, Index dims, Rng& rng, Matrix<float>& points,
              std::vector<std::string>& labels) {
    points.resize(Index(types.size()) * per_type, dims);
    labels.clear();
    for (std::size_t t = 0; t < types.size(); ++t)
        for (Index c = 0; c < per_type; ++c) {
            const Index row = Index(t) * per_type + c;
            for (Index d = 0; d < dims; ++d) points(row, d) = float((d == Index(t) % dims ? types[t].second : 0.0) + rng.normal());
            labels.push_back(types[t].first);
        }
}

/// A small model with a made-up reference summary over `genes` genes: mean, count shares, a
/// rank-3 covariance and noise.
struct Summarised {
    nn::Autoencoder<float> model;
    transfer::ReferenceInput ref;
};

Summarised summarised(Index genes, bool normalised) {
    nn::AutoencoderOptions o;
    o.encoder_sizes = {6, 3};
    if (normalised) o.input.target_sum = 1e4;
    Summarised s{nn::Autoencoder<float>(genes, o), {}};
    Rng rng(5);
    s.ref.mean.resize(genes);
    s.ref.count_share.resize(genes);
    s.ref.noise.resize(genes);
    s.ref.loadings.resize(genes, 3);
    for (Index g = 0; g < genes; ++g) {
        s.ref.mean(g) = float(0.5 + 0.1 * double(g % 7));
        s.ref.count_share(g) = 1.0f / float(genes);
        s.ref.noise(g) = float(0.05 + 0.01 * double(g % 3));
        for (Index k = 0; k < 3; ++k) s.ref.loadings(g, k) = float(0.3 * rng.normal());
    }
    return s;
}

} // namespace

TEST_CASE("annotate: held-out cells of reference types are unknown at about the error rate, a type the reference lacks nearly always") {
    Rng rng(11);
    Matrix<float> reference, target;
    std::vector<std::string> reference_labels, target_labels;
    clusters({{"a", 8}, {"b", 8}, {"c", 8}}, 400, 5, rng, reference, reference_labels);
    // New cells of the same types, and a fourth type far from all of them.
    clusters({{"a", 8}, {"b", 8}, {"c", 8}, {"new", 8}}, 400, 5, rng, target, target_labels);
    for (Index r = 1200; r < 1600; ++r) target.row(r).array() += 6.0f;
    transfer::AnnotateOptions options;
    options.error_rate = 0.05;
    const transfer::Annotation a = transfer::annotate(reference, reference_labels, target, options);
    REQUIRE(a.labels.size() == 1600);
    const transfer::LabelTransferScores s = transfer::score_annotation(a, target_labels);
    CHECK(s.shared_label_cells == 1200);
    CHECK(s.unseen_label_cells == 400);
    CHECK(s.unknown_share <= 0.08); // the level, with the sampling error of 1,200 cells
    CHECK(s.unknown_share >= 0.01); // calibrated, not merely conservative
    CHECK(s.accuracy > 0.99);
    CHECK(s.unseen_unknown_share > 0.95);
    CHECK(a.counts.at(transfer::unknown_label) > 380);
    for (double p : a.confidence) CHECK((p > 0 && p <= 1));
    // A stricter level calls fewer cells unknown.
    options.error_rate = 0.01;
    const auto strict = transfer::score_annotation(transfer::annotate(reference, reference_labels, target, options), target_labels);
    CHECK(strict.unknown_share < s.unknown_share);
}

TEST_CASE("annotate: a type the encoder maps onto a known one is still unknown when the model cannot reconstruct it") {
    Rng rng(3);
    Matrix<float> reference, target;
    std::vector<std::string> reference_labels, target_labels;
    clusters({{"a", 8}, {"b", 8}}, 300, 4, rng, reference, reference_labels);
    clusters({{"a", 8}, {"b", 8}}, 300, 4, rng, target, target_labels);
    std::vector<double> reference_fit, target_fit;
    for (Index r = 0; r < reference.rows(); ++r) reference_fit.push_back(0.3 + 0.05 * rng.normal());
    for (Index r = 0; r < target.rows(); ++r) target_fit.push_back(0.3 + 0.05 * rng.normal());
    // The last 100 target cells sit among the a's but fit badly: a type the encoder collapsed.
    for (Index r = 200; r < 300; ++r) target_labels[std::size_t(r)] = "collapsed", target_fit[std::size_t(r)] = 1.0;
    const auto latent_only = transfer::score_annotation(transfer::annotate(reference, reference_labels, target), target_labels);
    const transfer::Annotation a = transfer::annotate(reference, reference_labels, target, {}, reference_fit, target_fit);
    CHECK(a.fit_tested);
    const auto with_fit = transfer::score_annotation(a, target_labels);
    CHECK(latent_only.unseen_unknown_share < 0.2);
    CHECK(with_fit.unseen_unknown_share > 0.95);
    CHECK(with_fit.unknown_share <= 0.1);
    CHECK_THROWS_AS(transfer::annotate(reference, reference_labels, target, {}, reference_fit, {}), Error);
}

TEST_CASE("annotate and the label map: bad settings are errors that say what was expected") {
    Matrix<float> points(4, 2);
    points.setRandom();
    const std::vector<std::string> labels{"a", "a", "b", "b"};
    transfer::AnnotateOptions options;
    for (double bad : {0.0, 1.0, -0.1, 2.0}) {
        options.error_rate = bad;
        CHECK_THROWS_WITH_AS(transfer::annotate(points, labels, points, options), doctest::Contains("(0, 1)"), Error);
    }
    CHECK_THROWS_WITH_AS(transfer::annotate(points, std::vector<std::string>{"a", "", "b", ""}, points), doctest::Contains("two labelled cells"),
                         Error);
    CHECK_THROWS_WITH_AS(transfer::check_label_map({{"c", "x"}}, labels, "map.tsv"), doctest::Contains("'c'"), Error);
    CHECK_THROWS_WITH_AS(transfer::check_label_map({{"a", "x"}}, {}, "map.tsv"), doctest::Contains("reference labels"), Error);
    CHECK_NOTHROW(transfer::check_label_map({{"a", "x"}, {"b", "x"}}, labels, "map.tsv"));
    // Scored through the map: both reference types are "x" in the target's words.
    const transfer::Annotation a = transfer::annotate(points, labels, points);
    const auto s = transfer::score_annotation(a, {"x", "x", "x", "y"}, {{"a", "x"}, {"b", "x"}});
    CHECK(s.shared_label_cells == 3);
    CHECK(s.unseen_label_cells == 1);
}

TEST_CASE("adapt_to_present_genes: the adapted first layer equals the original on the inputs filled in as each method says") {
    for (bool normalised : {false, true}) {
        const Summarised s = summarised(12, normalised);
        const std::vector<Index> missing{1, 4, 5, 9};
        std::vector<Index> present;
        for (Index g = 0; g < 12; ++g)
            if (std::find(missing.begin(), missing.end(), g) == missing.end()) present.push_back(g);
        RowVector<double> x(12);
        for (Index g = 0; g < 12; ++g) x(g) = 0.2 * double(g % 5);
        for (Index g : missing) x(g) = 0; // what the target's counts hold there
        const Matrix<double> w1 = s.model.layers[0].weight.value.cast<double>();
        const RowVector<double> b1 = s.model.layers[0].bias.value.cast<double>();
        // The conditional expectation under the full covariance W W^T + diag(noise), by brute force.
        const Matrix<double> w = s.ref.loadings.cast<double>();
        Matrix<double> cov = w * w.transpose();
        for (Index g = 0; g < 12; ++g) cov(g, g) += double(s.ref.noise(g));
        const Matrix<double> cov_oo = cov(present, present), cov_mo = cov(missing, present);
        const RowVector<double> mu = s.ref.mean.cast<double>();
        const RowVector<double> centred = x(present) - mu(present);
        const RowVector<double> conditional = mu(missing) + (cov_mo * cov_oo.ldlt().solve(centred.transpose())).transpose();
        for (auto method : {transfer::MissingGenes::reference_mean, transfer::MissingGenes::conditional}) {
            transfer::MissingGeneAdaptation done;
            const nn::Autoencoder<float> adapted = transfer::adapt_to_present_genes(s.model, s.ref, missing, method, &done);
            CHECK(done.method == method);
            CHECK(done.missing == 4);
            RowVector<double> filled = x;
            filled(missing) = method == transfer::MissingGenes::conditional ? conditional : mu(missing);
            const RowVector<double> expected = filled * w1 + b1;
            const RowVector<double> got = x * adapted.layers[0].weight.value.cast<double>() + adapted.layers[0].bias.value.cast<double>();
            CHECK((got - expected).cwiseAbs().maxCoeff() < 1e-4);
            for (Index g : missing) CHECK(adapted.layers[0].weight.value.row(g).isZero());
            // Depth: the present genes hold 8 of 12 equal shares.
            if (normalised) {
                CHECK(done.present_count_share == doctest::Approx(8.0 / 12).epsilon(1e-6));
                CHECK(adapted.options.input.target_sum == doctest::Approx(1e4 * 8 / 12).epsilon(1e-6));
            } else {
                CHECK(adapted.options.input.target_sum == 0);
            }
        }
        // Zero filling is the model as it is; so is a model without a summary, with a note.
        const auto same = [&](const nn::Autoencoder<float>& m) { return m.layers[0].weight.value == s.model.layers[0].weight.value; };
        CHECK(same(transfer::adapt_to_present_genes(s.model, s.ref, missing, transfer::MissingGenes::zero)));
        transfer::MissingGeneAdaptation done;
        CHECK(same(transfer::adapt_to_present_genes(s.model, transfer::ReferenceInput{}, missing, transfer::MissingGenes::conditional, &done)));
        CHECK(done.method == transfer::MissingGenes::zero);
        CHECK(done.note.find("before format 1.2") != std::string::npos);
    }
    const Summarised s = summarised(5, false);
    CHECK_THROWS_AS(transfer::adapt_to_present_genes(s.model, s.ref, {7}, transfer::MissingGenes::conditional), Error);
    CHECK(transfer::to_string(transfer::MissingGenes::conditional) == "conditional");
    CHECK(transfer::missing_genes_from_string("reference_mean") == transfer::MissingGenes::reference_mean);
    CHECK_THROWS_AS(transfer::missing_genes_from_string("nonsense"), Error);
}

TEST_CASE("node_support: full without missing genes, lower with more missing, and the conditional expectation recovers some") {
    const Summarised s = summarised(40, false);
    const auto none = transfer::node_support(s.model, s.ref, {}, transfer::MissingGenes::conditional);
    REQUIRE(none.size() == 3);
    for (const auto& n : none) CHECK((n.support == 1 && n.trusted));
    std::vector<Index> few{0, 1, 2, 3}, many;
    for (Index g = 0; g < 30; ++g) many.push_back(g);
    const auto mean_many = transfer::node_support(s.model, s.ref, many, transfer::MissingGenes::reference_mean);
    const auto cond_few = transfer::node_support(s.model, s.ref, few, transfer::MissingGenes::conditional);
    const auto cond_many = transfer::node_support(s.model, s.ref, many, transfer::MissingGenes::conditional);
    for (std::size_t k = 0; k < 3; ++k) {
        // What the present genes cannot tell grows as genes go (a conditional variance); the
        // variance the missing genes carry need not (their covariances may cancel).
        CHECK(cond_few[k].unexplained_share < cond_many[k].unexplained_share);
        CHECK(mean_many[k].unexplained_share == mean_many[k].missing_share);
        CHECK(cond_many[k].missing_share == doctest::Approx(mean_many[k].missing_share));
        CHECK(cond_many[k].unexplained_share < mean_many[k].unexplained_share);
        CHECK(cond_many[k].support == doctest::Approx(1 - cond_many[k].unexplained_share));
        CHECK((cond_many[k].support >= 0 && cond_many[k].support <= 1));
    }
    CHECK(transfer::node_support(s.model, transfer::ReferenceInput{}, many, transfer::MissingGenes::conditional).empty());
}

TEST_CASE("fit_reference_input: moments of the model input, and a covariance the data support") {
    Rng rng(2);
    // 400 cells x 6 genes: genes 0-2 follow one program, 3-5 another.
    Eigen::SparseMatrix<float, Eigen::RowMajor, int> counts(400, 6);
    std::vector<Eigen::Triplet<float>> entries;
    for (Index c = 0; c < 400; ++c) {
        const double a = rng.uniform() * 20, b = rng.uniform() * 20;
        for (Index g = 0; g < 6; ++g) entries.emplace_back(int(c), int(g), float(std::round((g < 3 ? a : b) + 1)));
    }
    counts.setFromTriplets(entries.begin(), entries.end());
    counts.makeCompressed();
    nn::InputTransform transform;
    const transfer::ReferenceInput r = transfer::fit_reference_input(counts, transform, {2, 0.05, 1});
    REQUIRE(r.genes() == 6);
    CHECK(r.loadings.cols() == 2);
    double share = 0;
    for (Index g = 0; g < 6; ++g) {
        share += r.count_share(g);
        CHECK(r.noise(g) > 0);
    }
    CHECK(share == doctest::Approx(1).epsilon(1e-5));
    // Genes of one program covary, genes of different programs do not.
    const Matrix<float> cov = r.loadings * r.loadings.transpose();
    CHECK(cov(0, 1) > 5 * std::abs(cov(0, 4)));
    // The input's mean: log1p of the counts.
    double mean0 = 0;
    for (Index c = 0; c < 400; ++c) mean0 += std::log1p(double(counts.coeff(c, 0))) / 400;
    CHECK(r.mean(0) == doctest::Approx(mean0).epsilon(1e-4));
}

TEST_CASE("model file 1.2: the reference summary and fits round-trip exactly; damaged ones are refused by field") {
    const Summarised s = summarised(7, true);
    transfer::ModelFile m{s.model, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    for (Index g = 0; g < 7; ++g) m.gene_ids.push_back("g" + std::to_string(g));
    m.gene_symbols = m.gene_ids;
    m.reference_labels = {"a", "b", "a"};
    m.reference_latent = Matrix<float>::Constant(3, 3, 0.5f);
    m.reference_fit = RowVector<float>::LinSpaced(3, 0.1f, 0.3f);
    m.reference_input = s.ref;
    const nlohmann::json j = transfer::to_json(m);
    CHECK(j["format_version"] == "1.3");
    const transfer::ModelFile back = transfer::from_json(j);
    CHECK(back.reference_input.mean == m.reference_input.mean);
    CHECK(back.reference_input.count_share == m.reference_input.count_share);
    CHECK(back.reference_input.loadings == m.reference_input.loadings);
    CHECK(back.reference_input.noise == m.reference_input.noise);
    CHECK(back.reference_fit == m.reference_fit);
    // A file without them (before 1.2) loads with both empty.
    nlohmann::json old = j;
    old.erase("reference_input");
    old["reference"].erase("fit");
    const transfer::ModelFile older = transfer::from_json(old);
    CHECK(older.reference_input.empty());
    CHECK(older.reference_fit.size() == 0);
    // Damage names the field.
    nlohmann::json bad = j;
    bad["reference_input"]["noise"] = checked_json::encode_matrix<nlohmann::json, float>("noise", Matrix<float>::Zero(1, 7));
    CHECK_THROWS_WITH_AS(transfer::from_json(bad, "m.json"), doctest::Contains("reference_input.noise"), Error);
    bad = j;
    bad["reference_input"]["loadings"]["rows"] = 6;
    CHECK_THROWS_WITH_AS(transfer::from_json(bad, "m.json"), doctest::Contains("reference_input.loadings"), Error);
    bad = j;
    bad["reference"]["fit"] = checked_json::encode_matrix<nlohmann::json, float>("fit", Matrix<float>::Zero(1, 2));
    CHECK_THROWS_WITH_AS(transfer::from_json(bad, "m.json"), doctest::Contains("reference.fit"), Error);
}

TEST_CASE("read_label_map: reference-to-target lines; broken files are refused with their line") {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("scae_test_label_map_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        return (dir / name).string();
    };
    const auto map = io::read_label_map(file("good.tsv", "# reference -> target\nT_CD4\tT\nT_CD8\tT\n\nB\tB cell\n"));
    CHECK(map.size() == 3);
    CHECK(map.at("T_CD8") == "T");
    CHECK(map.at("B") == "B cell");
    CHECK_THROWS_WITH_AS(io::read_label_map(file("one.tsv", "T_CD4\n")), doctest::Contains("one.tsv:1"), Error);
    CHECK_THROWS_WITH_AS(io::read_label_map(file("three.tsv", "a\tb\tc\n")), doctest::Contains("three.tsv:1"), Error);
    CHECK_THROWS_WITH_AS(io::read_label_map(file("empty_field.tsv", "a\tb\n\tc\n")), doctest::Contains("empty_field.tsv:2"), Error);
    CHECK_THROWS_WITH_AS(io::read_label_map(file("twice.tsv", "a\tb\na\tc\n")), doctest::Contains("first on line 1"), Error);
    CHECK_THROWS_WITH_AS(io::read_label_map(file("none.tsv", "# only a comment\n")), doctest::Contains("no mapping"), Error);
    CHECK_THROWS_AS(io::read_label_map((dir / "missing.tsv").string()), Error);
    std::filesystem::remove_all(dir);
}

} // namespace test_transfer_annotate

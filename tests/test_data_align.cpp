// Gene alignment (scae::data): matching a dataset's genes to a model's by id or symbol, the
// missing and duplicate policies, the coverage guard, and rearranging the count matrix.
#include <doctest/doctest.h>

#include "scae/data/align.hpp"
#include "scae/core/random.hpp"
#include "scae/data/simulate.hpp"

#include <nlohmann/json.hpp>

#include <numeric>
#include <string>
#include <vector>

namespace test_data_align {

using scae::Csr;
using scae::Index;
namespace sd = scae::data;

namespace {

Csr<float> from_dense(const Eigen::MatrixXf& dense) {
    Csr<float> m = dense.sparseView();
    m.makeCompressed();
    return m;
}

Eigen::MatrixXf to_dense(const Csr<float>& m) { return Eigen::MatrixXf(m); }

const std::vector<std::string> human_ids = {"ENSG01", "ENSG02", "ENSG03", "ENSG04"};
const std::vector<std::string> human_symbols = {"CD3E", "MS4A1", "LYZ", "NKG7"};

} // namespace

/// data aligned by data::align_in_place(), as a dense matrix (and checked to be compressed,
/// in storage of its size).
Eigen::MatrixXf aligned_in_place(const Eigen::MatrixXf& data, const sd::Alignment& a) {
    Csr<float> m = from_dense(data);
    sd::align_in_place(m, a);
    CHECK(m.isCompressed());
    CHECK(Index(m.data().size()) == m.nonZeros());
    return to_dense(m);
}

TEST_CASE("mouse-case symbols meet human symbols, and the counts follow") {
    // Mouse data: no shared ids, symbols in mouse case, genes in another order, one extra gene.
    const std::vector<std::string> mouse_ids = {"ENSMUSG9", "ENSMUSG7", "ENSMUSG5", "ENSMUSG3", "ENSMUSG1"};
    const std::vector<std::string> mouse_symbols = {"Nkg7", "Actb", "Cd3e", "Lyz", "Ms4a1"};
    const sd::Alignment a = sd::align_genes(human_ids, human_symbols, mouse_ids, mouse_symbols);
    CHECK(a.method == sd::GeneKey::symbol);
    CHECK(a.matched == 4);
    CHECK(a.coverage == 1.0);
    CHECK(a.id_coverage == 0.0);
    CHECK(a.missing_genes.empty());

    Eigen::MatrixXf data(2, 5);
    data << 1, 2, 3, 4, 5,
            0, 7, 0, 9, 0;
    Eigen::MatrixXf expected(2, 4); // model order CD3E MS4A1 LYZ NKG7
    expected << 3, 5, 4, 1,
                0, 0, 9, 0;
    CHECK(to_dense(sd::apply_alignment(from_dense(data), a)) == expected);

    sd::AlignOptions exact_case;
    exact_case.case_insensitive_symbols = false;
    CHECK_THROWS_AS(sd::align_genes(human_ids, human_symbols, mouse_ids, mouse_symbols, exact_case), scae::Error);
}

TEST_CASE("automatic matching prefers ids when enough match, and ids ignore version suffixes") {
    // Ids agree (up to a version); the symbols are stale aliases for half the genes.
    const std::vector<std::string> ids = {"ENSG04.2", "ENSG03.1", "ENSG02.7", "ENSG01.3"};
    const std::vector<std::string> symbols = {"NKG7", "LYZ", "OLD_NAME", "T3E"};
    const sd::Alignment by_id = sd::align_genes(human_ids, human_symbols, ids, symbols);
    CHECK(by_id.method == sd::GeneKey::id);
    CHECK(by_id.coverage == 1.0);
    sd::AlignOptions keep_versions;
    keep_versions.ignore_id_versions = false;
    const sd::Alignment fallback = sd::align_genes(human_ids, human_symbols, ids, symbols, keep_versions);
    CHECK(fallback.method == sd::GeneKey::symbol);
    CHECK(fallback.matched == 2);
    CHECK(fallback.missing_genes == std::vector<std::string>{"CD3E", "MS4A1"});

    // Only Ensembl ids lose their version: clone-based names keep the suffix that tells them apart.
    const sd::Alignment clones = sd::align_genes({"RP11-34P13.3", "RP11-34P13.7", "ENSMUSG0001"}, {"a", "b", "c"},
                                                 {"RP11-34P13.7", "RP11-34P13.3", "ENSMUSG0001.9"}, {"x", "y", "z"});
    CHECK(clones.method == sd::GeneKey::id);
    CHECK(clones.matched == 3);
    CHECK(clones.duplicated_genes.empty());
    CHECK(clones.links.front().model_column == 1);

    // Below the id threshold, symbols are used only if they find more genes than the ids did.
    sd::AlignOptions demanding;
    demanding.automatic_id_coverage = 0.9;
    demanding.min_coverage = 0.1;
    const std::vector<std::string> three_ids = {"ENSG01", "ENSG02", "ENSG03", "ENSG99"};
    const std::vector<std::string> one_symbol = {"T3E", "OLD", "LYZ", "X"};
    const sd::Alignment kept_ids = sd::align_genes(human_ids, human_symbols, three_ids, one_symbol, demanding);
    CHECK(kept_ids.method == sd::GeneKey::id);
    CHECK(kept_ids.id_coverage == 0.75);
    CHECK(kept_ids.symbol_coverage == 0.25);
    const std::vector<std::string> all_symbols = {"CD3E", "MS4A1", "LYZ", "NKG7"};
    CHECK(sd::align_genes(human_ids, human_symbols, three_ids, all_symbols, demanding).method == sd::GeneKey::symbol);

    // Data with symbols only (empty id list): symbols, whatever the preference.
    CHECK(sd::align_genes(human_ids, human_symbols, {}, human_symbols).method == sd::GeneKey::symbol);
    sd::AlignOptions ids_only;
    ids_only.match_by = sd::GeneKey::id;
    CHECK_THROWS_WITH_AS(sd::align_genes(human_ids, human_symbols, {}, human_symbols, ids_only),
                         doctest::Contains("no gene ids"), scae::Error);
    sd::AlignOptions symbols_only;
    symbols_only.match_by = sd::GeneKey::symbol;
    CHECK(sd::align_genes(human_ids, human_symbols, ids, symbols, symbols_only).method == sd::GeneKey::symbol);
}

TEST_CASE("missing genes become zero columns, or an error that names them") {
    const std::vector<std::string> data_symbols = {"LYZ", "CD3E", "GAPDH"};
    const sd::Alignment a = sd::align_genes(human_ids, human_symbols, {}, data_symbols);
    CHECK(a.matched == 2);
    CHECK(a.coverage == 0.5);
    CHECK(a.missing_model_columns == std::vector<Index>{1, 3});
    CHECK(a.missing_genes == std::vector<std::string>{"MS4A1", "NKG7"});
    Eigen::MatrixXf data(1, 3);
    data << 6, 2, 100;
    Eigen::MatrixXf expected(1, 4);
    expected << 2, 0, 6, 0;
    const Csr<float> aligned = sd::apply_alignment(from_dense(data), a);
    CHECK(to_dense(aligned) == expected);
    CHECK(aligned.nonZeros() == 2);
    CHECK(aligned_in_place(data, a) == expected);

    sd::AlignOptions strict;
    strict.missing = sd::MissingGenePolicy::error;
    CHECK_THROWS_WITH_AS(sd::align_genes(human_ids, human_symbols, {}, data_symbols, strict),
                         doctest::Contains("MS4A1, NKG7"), scae::Error);
}

TEST_CASE("low coverage throws with the coverage and some missing genes") {
    const std::vector<std::string> data_symbols = {"LYZ", "GAPDH", "ACTB"};
    try {
        sd::align_genes(human_ids, human_symbols, {}, data_symbols);
        FAIL("expected scae::Error");
    } catch (const scae::Error& e) {
        const std::string message = e.what();
        CHECK(message.find("1 of 4 model genes (25.0%)") != std::string::npos);
        CHECK(message.find("50.0%") != std::string::npos);
        CHECK(message.find("CD3E, MS4A1, NKG7") != std::string::npos);
    }
    sd::AlignOptions lenient;
    lenient.min_coverage = 0.2;
    CHECK(sd::align_genes(human_ids, human_symbols, {}, data_symbols, lenient).matched == 1);
}

TEST_CASE("duplicated data genes: first, sum or error") {
    // CD3E appears twice (once in lower case), LYZ once.
    const std::vector<std::string> data_symbols = {"CD3E", "LYZ", "cd3e", "MS4A1", "NKG7"};
    Eigen::MatrixXf data(2, 5);
    data << 1, 2, 10, 3, 4,
            0, 5, 20, 0, 0;
    const sd::Alignment first = sd::align_genes(human_ids, human_symbols, {}, data_symbols);
    CHECK(first.duplicated_genes == std::vector<std::string>{"CD3E"});
    Eigen::MatrixXf expected_first(2, 4);
    expected_first << 1, 3, 2, 4,
                      0, 0, 5, 0;
    CHECK(to_dense(sd::apply_alignment(from_dense(data), first)) == expected_first);
    CHECK(aligned_in_place(data, first) == expected_first);

    sd::AlignOptions sum;
    sum.duplicates = sd::DuplicateGenePolicy::sum;
    const sd::Alignment summed = sd::align_genes(human_ids, human_symbols, {}, data_symbols, sum);
    Eigen::MatrixXf expected_sum(2, 4);
    expected_sum << 11, 3, 2, 4,
                    20, 0, 5, 0;
    const Csr<float> aligned = sd::apply_alignment(from_dense(data), summed);
    CHECK(to_dense(aligned) == expected_sum);
    CHECK(aligned.row(0).nonZeros() == 4); // five contributions, the two CD3E ones merged
    CHECK(aligned_in_place(data, summed) == expected_sum); // merged in place too

    sd::AlignOptions strict;
    strict.duplicates = sd::DuplicateGenePolicy::error;
    CHECK_THROWS_WITH_AS(sd::align_genes(human_ids, human_symbols, {}, data_symbols, strict),
                         doctest::Contains("CD3E"), scae::Error);
}

TEST_CASE("model genes sharing a symbol each receive the data column") {
    const std::vector<std::string> model_symbols = {"TBCE", "LYZ", "TBCE"};
    const sd::Alignment a = sd::align_genes({}, model_symbols, {}, {"LYZ", "TBCE"});
    CHECK(a.matched == 3);
    Eigen::MatrixXf data(1, 2);
    data << 4, 9;
    Eigen::MatrixXf expected(1, 3);
    expected << 9, 4, 9;
    CHECK(to_dense(sd::apply_alignment(from_dense(data), a)) == expected);
    CHECK(aligned_in_place(data, a) == expected); // a data gene in two places: through a copy
}

TEST_CASE("a column permutation round-trips exactly on simulated counts") {
    sd::SimulationOptions so;
    so.n_tissues = 1;
    so.cells_per_tissue = 300;
    so.n_genes = 500;
    const sd::SimulatedTissue t = sd::simulate(so).tissues[0];
    std::vector<Index> order(static_cast<std::size_t>(t.counts.cols()));
    std::iota(order.begin(), order.end(), Index{0});
    scae::Rng rng(5);
    rng.shuffle(order);
    std::vector<std::string> ids, symbols;
    for (Index g : order) {
        ids.push_back(t.gene_ids[static_cast<std::size_t>(g)]);
        symbols.push_back(t.gene_symbols[static_cast<std::size_t>(g)]);
    }
    const Csr<float> shuffled = sd::select_columns(t.counts, order);
    const sd::Alignment a = sd::align_genes(t.gene_ids, t.gene_symbols, ids, symbols);
    CHECK(a.method == sd::GeneKey::id);
    CHECK(a.coverage == 1.0);
    const Csr<float> back = sd::apply_alignment(shuffled, a);
    CHECK(back.nonZeros() == t.counts.nonZeros());
    CHECK(to_dense(back) == to_dense(t.counts));
    CHECK_THROWS_AS(sd::apply_alignment(t.counts.leftCols(10).eval(), a), scae::Error);
}

TEST_CASE("map_columns: drops, moves, copies and adds columns, rows sorted") {
    Eigen::MatrixXf data(3, 4);
    data << 1, 2, 3, 4,
            0, 5, 0, 6,
            7, 0, 0, 0;
    // Column 0 -> 2 and 0 (a copy); column 1 dropped; columns 2 and 3 both -> 1 (added).
    const std::vector<int> starts = {0, 2, 2, 3, 4}, targets = {2, 0, 1, 1};
    const Csr<float> out = sd::map_columns(from_dense(data), starts, targets, 3);
    Eigen::MatrixXf expected(3, 3);
    expected << 1, 7, 1,
                0, 6, 0,
                7, 0, 7;
    CHECK(to_dense(out) == expected);
    CHECK(out.nonZeros() == 6); // the merged pair of row 0 is one entry
    for (Index r = 0; r < out.rows(); ++r)
        for (int k = out.outerIndexPtr()[r] + 1; k < out.outerIndexPtr()[r + 1]; ++k)
            CHECK(out.innerIndexPtr()[k - 1] < out.innerIndexPtr()[k]);
}

TEST_CASE("alignment diagnostics as JSON") {
    const sd::Alignment a = sd::align_genes(human_ids, human_symbols, {}, {"lyz", "CD3E", "Cd3e"});
    const nlohmann::json j = a;
    CHECK(j["method"] == "symbol");
    CHECK(j["matched"] == 2);
    CHECK(j["coverage"] == 0.5);
    CHECK(j["n_model_genes"] == 4);
    CHECK(j["n_data_genes"] == 3);
    CHECK(j["missing_genes"] == nlohmann::json({"MS4A1", "NKG7"}));
    CHECK(j["duplicated_genes"] == nlohmann::json({"CD3E"}));
    CHECK(j["duplicate_policy"] == "first");
}

TEST_CASE("mismatched name lists are rejected") {
    CHECK_THROWS_AS(sd::align_genes({"a"}, human_symbols, {}, human_symbols), scae::Error);
    CHECK_THROWS_AS(sd::align_genes(human_ids, human_symbols, {"x"}, human_symbols), scae::Error);
    CHECK_THROWS_AS(sd::align_genes({}, {}, {}, human_symbols), scae::Error);
}

} // namespace test_data_align

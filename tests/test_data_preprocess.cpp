// Preprocessing (scae::data): filters, normalisation, subsets, the fitted recipe, its JSON form,
// and the model input it gives new data (through nn::transform_input).
#include <doctest/doctest.h>

#include "scae/data/preprocess.hpp"
#include "scae/data/simulate.hpp"
#include "scae/nn/input_transform.hpp"
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace test_data_preprocess {

using scae::Csr;
using scae::Index;
namespace sd = scae::data;

namespace {

// The model's input from a fitted recipe, as transfer::train_model builds it.
Csr<float> model_input(const Csr<float>& counts_in_model_genes, const sd::Preprocessing& p) {
    return scae::nn::transform_input(counts_in_model_genes, scae::nn::InputTransform{p.target_sum, p.log1p});
}

Csr<float> from_dense(const std::vector<std::vector<float>>& rows) {
    Eigen::MatrixXf dense(static_cast<Index>(rows.size()), static_cast<Index>(rows[0].size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < rows[r].size(); ++c) dense(static_cast<Index>(r), static_cast<Index>(c)) = rows[r][c];
    }
    Csr<float> m = dense.sparseView();
    m.makeCompressed();
    return m;
}

Eigen::MatrixXf to_dense(const Csr<float>& m) { return Eigen::MatrixXf(m); }

bool same_bits(const Csr<float>& a, const Csr<float>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && a.nonZeros() == b.nonZeros() &&
           std::memcmp(a.outerIndexPtr(), b.outerIndexPtr(), sizeof(int) * static_cast<std::size_t>(a.rows() + 1)) == 0 &&
           std::memcmp(a.innerIndexPtr(), b.innerIndexPtr(), sizeof(int) * static_cast<std::size_t>(a.nonZeros())) == 0 &&
           std::memcmp(a.valuePtr(), b.valuePtr(), sizeof(float) * static_cast<std::size_t>(a.nonZeros())) == 0;
}

// 5 cells x 4 genes:
//   cell 0: 1 0 3 0   total 4, 2 genes
//   cell 1: 0 0 0 0   total 0, 0 genes
//   cell 2: 2 0 2 4   total 8, 3 genes
//   cell 3: 0 0 1 0   total 1, 1 gene
//   cell 4: 5 0 0 5   total 10, 2 genes
// gene cells: 3 0 3 2
const std::vector<std::vector<float>> small = {
    {1, 0, 3, 0}, {0, 0, 0, 0}, {2, 0, 2, 4}, {0, 0, 1, 0}, {5, 0, 0, 5}};
const std::vector<std::string> small_ids = {"ENSG1", "ENSG2", "ENSG3", "ENSG4"};
const std::vector<std::string> small_symbols = {"CD3E", "MS4A1", "LYZ", "NKG7"};

} // namespace

TEST_CASE("filters count cells per gene and genes per cell") {
    const Csr<float> m = from_dense(small);
    CHECK(sd::cells_per_gene(m) == std::vector<Index>{3, 0, 3, 2});
    CHECK(sd::genes_per_cell(m) == std::vector<Index>{2, 0, 3, 1, 2});
    CHECK(sd::genes_in_at_least(m, 3) == std::vector<Index>{0, 2});
    CHECK(sd::genes_in_at_least(m, 1) == std::vector<Index>{0, 2, 3});
    CHECK(sd::cells_passing(m, 2, 0) == std::vector<Index>{0, 2, 4});
    CHECK(sd::cells_passing(m, 0, 3) == std::vector<Index>{2});
    CHECK(sd::cells_passing(m, 1, 2) == std::vector<Index>{0, 2, 4});
}

TEST_CASE("library sizes, median, normalisation to a target and log1p") {
    Csr<float> m = from_dense(small);
    CHECK(sd::library_sizes(m) == std::vector<double>{4, 0, 8, 1, 10});
    CHECK_THROWS_AS(sd::library_sizes(m, {0, 99}), scae::Error);
    CHECK(sd::median({4, 0, 8, 1, 10}) == 4);
    CHECK(sd::median({4, 0, 8, 1}) == 2.5);
    CHECK_THROWS_AS(sd::median({}), scae::Error);

    const Index nonzeros = m.nonZeros();
    sd::normalize_total_in_place(m, 100);
    const Eigen::MatrixXf d = to_dense(m);
    CHECK(d(0, 0) == doctest::Approx(25));
    CHECK(d(0, 2) == doctest::Approx(75));
    CHECK(d(2, 3) == doctest::Approx(50));
    CHECK(d(3, 2) == doctest::Approx(100));
    CHECK(d.row(1).sum() == 0); // an empty cell stays empty instead of dividing by zero
    CHECK(m.nonZeros() == nonzeros);
    CHECK_THROWS_AS(sd::normalize_total_in_place(m, 0), scae::Error);
}

TEST_CASE("row and column subsets keep CSR rows sorted") {
    const Csr<float> m = from_dense(small);
    const Csr<float> rows = sd::select_rows(m, {4, 0});
    CHECK(to_dense(rows) == to_dense(m)(std::vector<int>{4, 0}, Eigen::all));
    const Csr<float> cols = sd::select_columns(m, {3, 0, 2});
    CHECK(to_dense(cols) == to_dense(m)(Eigen::all, std::vector<int>{3, 0, 2}));
    for (Index r = 0; r < cols.rows(); ++r) {
        for (int k = cols.outerIndexPtr()[r] + 1; k < cols.outerIndexPtr()[r + 1]; ++k) {
            CHECK(cols.innerIndexPtr()[k - 1] < cols.innerIndexPtr()[k]);
        }
    }
    CHECK_THROWS_AS(sd::select_columns(m, {1, 1}), scae::Error);
    CHECK_THROWS_AS(sd::select_columns(m, {4}), scae::Error);
    CHECK_THROWS_AS(sd::select_rows(m, {5}), scae::Error);
}

TEST_CASE("select_model_counts in place on a matrix of many pages: the kept entries, in storage of their size") {
    // Large enough (about 6 MB of entries) that the old storage's pages are given back as the
    // kept entries move to their new storage.
    const Csr<float> counts = scae_test::random_counts(4000, 3000, 7);
    REQUIRE(counts.nonZeros() > 1000000);
    sd::PreprocessingFit fit;
    fit.preprocessing.summary.cells_in = counts.rows();
    fit.preprocessing.summary.genes_in = counts.cols();
    for (Index r = 0; r < counts.rows(); ++r)
        if (r % 7 != 3) fit.kept_cells.push_back(r);
    for (Index g = 0; g < counts.cols(); ++g)
        if (g % 5 != 1) fit.kept_genes.push_back(g);
    const Csr<float> expected = sd::select_columns(sd::select_rows(counts, fit.kept_cells), fit.kept_genes);
    Csr<float> consumed = counts;
    const Csr<float> in_place = sd::select_model_counts(std::move(consumed), fit);
    CHECK(in_place.isCompressed());
    CHECK(Index(in_place.data().size()) == in_place.nonZeros());
    CHECK(in_place.nonZeros() == expected.nonZeros());
    CHECK(to_dense(in_place) == to_dense(expected));
    CHECK(to_dense(sd::select_model_counts(counts, fit)) == to_dense(expected));
}

TEST_CASE("fit_preprocessing on a hand-checked example") {
    sd::PreprocessOptions options;
    options.min_counts_per_cell = 2; // drops cells 1 and 3
    options.min_cells_per_gene = 2;  // of cells 0, 2, 4: gene 0 in 3, gene 2 in 2, gene 3 in 2, gene 1 in 0
    options.hvg.n_top_genes = 0;
    const Csr<float> counts = from_dense(small);
    const sd::PreprocessingFit fit = sd::fit_preprocessing(counts, small_ids, small_symbols, options);
    CHECK(fit.kept_cells == std::vector<Index>{0, 2, 4});
    CHECK(fit.kept_genes == std::vector<Index>{0, 2, 3});
    const sd::Preprocessing& p = fit.preprocessing;
    CHECK(p.gene_ids == std::vector<std::string>{"ENSG1", "ENSG3", "ENSG4"});
    CHECK(p.gene_symbols == std::vector<std::string>{"CD3E", "LYZ", "NKG7"});
    // Library sizes over the model genes of the kept cells: 4, 8, 10 -> median 8.
    CHECK(p.target_sum == 8);
    CHECK(p.log1p);
    CHECK(p.summary.cells_in == 5);
    CHECK(p.summary.cells_kept == 3);
    CHECK(p.summary.genes_after_filter == 3);
    CHECK(p.summary.genes_after_gene_sets == 3);

    const Csr<float> target = sd::select_model_counts(counts, fit);
    CHECK(to_dense(target) == to_dense(counts)(std::vector<int>{0, 2, 4}, std::vector<int>{0, 2, 3}));
    // In the memory of the input (for data too large to hold twice): the same matrix.
    Csr<float> consumed = counts;
    const Csr<float> in_place = sd::select_model_counts(std::move(consumed), fit);
    CHECK(in_place.isCompressed());
    CHECK(in_place.nonZeros() == target.nonZeros());
    CHECK(to_dense(in_place) == to_dense(target));
    // Columns out of order (as gene sets may list them) are sorted within each row.
    sd::PreprocessingFit reordered = fit;
    reordered.kept_genes = {3, 0, 2};
    Csr<float> again = counts;
    const Csr<float> shuffled = sd::select_model_counts(std::move(again), reordered);
    CHECK(to_dense(shuffled) == to_dense(counts)(std::vector<int>{0, 2, 4}, std::vector<int>{3, 0, 2}));
    CHECK(to_dense(sd::select_model_counts(counts, reordered)) == to_dense(shuffled));
    for (Index r = 0; r < shuffled.rows(); ++r)
        for (int k = shuffled.outerIndexPtr()[r] + 1; k < shuffled.outerIndexPtr()[r + 1]; ++k)
            CHECK(shuffled.innerIndexPtr()[k - 1] < shuffled.innerIndexPtr()[k]);
    // Cell 0 over the model genes: 1 and 3 (total 4) -> scaled to 8 -> 2 and 6 -> log1p.
    const Eigen::MatrixXf input = to_dense(model_input(target, p));
    CHECK(input(0, 0) == doctest::Approx(std::log1p(2.0)));
    CHECK(input(0, 1) == doctest::Approx(std::log1p(6.0)));
    CHECK(input(0, 2) == 0);

    options.target_sum = 1e4;
    options.log1p = false;
    const sd::Preprocessing fixed = sd::fit_preprocessing(counts, small_ids, small_symbols, options).preprocessing;
    CHECK(fixed.target_sum == 1e4);
    CHECK(to_dense(model_input(target, fixed))(0, 1) == doctest::Approx(7500));
}

TEST_CASE("restriction to gene-set symbols is case-insensitive") {
    sd::PreprocessOptions options;
    options.min_cells_per_gene = 1;
    options.hvg.n_top_genes = 0;
    options.gene_set_symbols = {"nkg7", "Cd3e", "NOT_A_GENE"};
    const sd::PreprocessingFit fit = sd::fit_preprocessing(from_dense(small), small_ids, small_symbols, options);
    CHECK(fit.preprocessing.gene_symbols == std::vector<std::string>{"CD3E", "NKG7"});
    CHECK(fit.preprocessing.summary.genes_after_filter == 3);
    CHECK(fit.preprocessing.summary.genes_after_gene_sets == 2);

    options.gene_set_symbols = {"NOT_A_GENE"};
    CHECK_THROWS_AS(sd::fit_preprocessing(from_dense(small), small_ids, small_symbols, options), scae::Error);
}

TEST_CASE("fit_preprocessing rejects bad input") {
    const Csr<float> counts = from_dense(small);
    CHECK_THROWS_AS(sd::fit_preprocessing(counts, {"a"}, small_symbols), scae::Error);
    Csr<float> negative = counts;
    negative.coeffRef(0, 0) = -1;
    CHECK_THROWS_WITH_AS(sd::fit_preprocessing(negative, small_ids, small_symbols),
                         doctest::Contains("cell 0, gene 0"), scae::Error);
    sd::PreprocessOptions impossible;
    impossible.min_counts_per_cell = 1000;
    CHECK_THROWS_AS(sd::fit_preprocessing(counts, small_ids, small_symbols, impossible), scae::Error);
}

TEST_CASE("a recipe fitted with HVG selection re-applies identically and survives JSON exactly") {
    sd::SimulationOptions so;
    so.cells_per_tissue = 400;
    so.n_tissues = 1;
    so.shared_cell_types = 2;
    so.cell_types_per_tissue = 4;
    const sd::Simulation sim = sd::simulate(so);
    const sd::SimulatedTissue& tissue = sim.tissues[0];
    sd::PreprocessOptions options;
    options.hvg.n_top_genes = 300;
    const sd::PreprocessingFit fit = sd::fit_preprocessing(tissue.counts, tissue.gene_ids, tissue.gene_symbols, options);
    const sd::Preprocessing& p = fit.preprocessing;
    CHECK(p.n_genes() == 300);
    CHECK(std::is_sorted(fit.kept_genes.begin(), fit.kept_genes.end())); // input gene order is kept

    // Re-application: the same data gives the same bits, and a cell's transform does not depend on
    // the other cells of the batch.
    const Csr<float> target = sd::select_model_counts(tissue.counts, fit);
    const Csr<float> input = model_input(target, p);
    CHECK(same_bits(input, model_input(target, p)));
    CHECK(input.nonZeros() == target.nonZeros());
    const std::vector<Index> some{3, 1, 250};
    CHECK(same_bits(sd::select_rows(input, some), model_input(sd::select_rows(target, some), p)));

    // JSON round trip: every field, the target sum to the bit, and the same JSON again.
    const nlohmann::json j = p;
    const sd::Preprocessing back = nlohmann::json::parse(j.dump()).get<sd::Preprocessing>();
    CHECK(back.gene_ids == p.gene_ids);
    CHECK(back.gene_symbols == p.gene_symbols);
    CHECK(std::memcmp(&back.target_sum, &p.target_sum, sizeof(double)) == 0);
    CHECK(back.log1p == p.log1p);
    CHECK(back.options.hvg.n_top_genes == 300);
    CHECK(back.options.hvg.flavor == sd::HvgFlavor::seurat_v3);
    CHECK(back.summary.cells_in == 400);
    CHECK(nlohmann::json(back) == j);
    CHECK(same_bits(model_input(target, back), input));
}

TEST_CASE("reading a recipe from bad JSON names the problem") {
    const Csr<float> counts = from_dense(small);
    sd::PreprocessOptions options;
    options.hvg.n_top_genes = 0;
    options.hvg.flavor = sd::HvgFlavor::dispersion;
    const nlohmann::json good = sd::fit_preprocessing(counts, small_ids, small_symbols, options).preprocessing;
    CHECK(good.get<sd::Preprocessing>().options.hvg.flavor == sd::HvgFlavor::dispersion);

    nlohmann::json j = good;
    j["format"] = "something.else";
    CHECK_THROWS_WITH_AS(j.get<sd::Preprocessing>(), doctest::Contains("format"), scae::Error);
    j = good;
    j.erase("target_sum");
    CHECK_THROWS_WITH_AS(j.get<sd::Preprocessing>(), doctest::Contains("'target_sum'"), scae::Error);
    j = good;
    j["target_sum"] = "eight";
    CHECK_THROWS_WITH_AS(j.get<sd::Preprocessing>(), doctest::Contains("wrong type"), scae::Error);
    j = good;
    j["target_sum"] = -1.0;
    CHECK_THROWS_AS(j.get<sd::Preprocessing>(), scae::Error);
    j = good;
    j["gene_symbols"].push_back("EXTRA");
    CHECK_THROWS_WITH_AS(j.get<sd::Preprocessing>(), doctest::Contains("gene symbols"), scae::Error);
    j = good;
    j["options"]["hvg"]["flavor"] = "cell_ranger";
    CHECK_THROWS_WITH_AS(j.get<sd::Preprocessing>(), doctest::Contains("cell_ranger"), scae::Error);
    j = good;
    j["version"] = 2;
    CHECK_THROWS_AS(j.get<sd::Preprocessing>(), scae::Error);
}

} // namespace test_data_preprocess

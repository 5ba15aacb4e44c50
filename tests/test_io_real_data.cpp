// Every dataset under the shared data folder, checked against numbers computed independently
// once with scipy (Debian's /usr/bin/python3, scipy 1.10.1):
//   m = scipy.io.mmread(DIR + "/matrix.mtx.gz").tocsc()
//   cells = m.shape[1]; genes = m.shape[0]; nnz = m.nnz; total = m.data.astype(float64).sum()
//   max = m.data.max(); first_cell_nnz = m[:, 0].nnz
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/gmt.hpp>
#include <scae/io/labels.hpp>
#include <scae/io/tenx.hpp>

#include <algorithm>
#include <filesystem>

namespace test_io_real_data {

using scae_test::data_dir;
using scae_test::have_data;

namespace {

struct Reference {
    const char* dir;
    scae::Index cells, genes, nnz;
    double total, max;
    int first_cell_nnz;
    bool integer;
};

// From the scipy run described at the top of this file.
const Reference references[] = {
    {"human_pbmc_soupx", 2170, 33694, 2867135, 9436596.0, 777.0, 1651, true},
    {"human_breast_tumor_copykat", 302, 33694, 1306468, 6982395.0, 3770.0, 3590, true},
    {"human_pbmc_small_seuratobject", 80, 230, 4456, 19633.0, 138.0, 47, true},
    {"human_headneck_tumor_chetah_ref", 180, 7943, 403705, 1233129.6451036, 15.569, 1493, false},
    {"human_melanoma_chetah_query", 150, 7943, 523911, 1587828.4326348, 14.508, 2948, false},
    {"human_myoblast_hsmm", 271, 47192, 2017470, 138347894.1337553, 47677.1, 10175, false},
    {"human_oligodendroglioma_infercnv", 184, 10338, 771850, 18322440.679981735, 34215.0, 4630, false},
};

std::string dataset(const std::string& name) { return (std::filesystem::path(data_dir()) / name).string(); }

} // namespace

TEST_CASE("every shared dataset matches scipy's cells, genes, nonzeros, total and maximum") {
    for (const Reference& ref : references) {
        if (!have_data(std::string(ref.dir) + "/matrix.mtx.gz")) continue;
        INFO(ref.dir);
        const scae::io::CountMatrix<double> m = scae::io::read_10x<double>(dataset(ref.dir));
        CHECK(m.cells() == ref.cells);
        CHECK(m.genes() == ref.genes);
        CHECK(m.counts.nonZeros() == ref.nnz);
        CHECK(m.counts.sum() == doctest::Approx(ref.total).epsilon(1e-12));
        CHECK(m.counts.coeffs().maxCoeff() == ref.max);
        CHECK(m.counts.outerIndexPtr()[1] == ref.first_cell_nnz);
        CHECK(m.integer_values == ref.integer);
        CHECK(m.field == (ref.integer ? scae::io::Field::integer : scae::io::Field::real));
        CHECK(m.barcodes.size() == static_cast<std::size_t>(ref.cells));
        CHECK(m.gene_ids.size() == static_cast<std::size_t>(ref.genes));
        CHECK(m.gene_symbols.size() == static_cast<std::size_t>(ref.genes));
    }
}

TEST_CASE("float reading of the integer PBMC counts keeps the exact total") {
    if (!have_data("human_pbmc_soupx/matrix.mtx.gz")) return;
    const scae::io::CountMatrix<float> m = scae::io::read_10x(dataset("human_pbmc_soupx"));
    double total = 0;
    for (scae::Index k = 0; k < m.counts.nonZeros(); ++k) total += m.counts.valuePtr()[k];
    CHECK(total == 9436596.0);
    CHECK(m.gene_symbols[0] == "RP11-34P13.3");
    CHECK(m.barcodes[0] == "GCGAGAAGTTCTGGTA");
}

TEST_CASE("PBMC labels match every barcode; the class sizes are those of SOURCES.md") {
    if (!have_data("human_pbmc_soupx/labels.tsv")) return;
    const std::vector<std::string> barcodes = scae::io::read_barcodes(dataset("human_pbmc_soupx/barcodes.tsv.gz"));
    const scae::io::Labels labels = scae::io::read_labels(dataset("human_pbmc_soupx/labels.tsv"), barcodes);
    CHECK(labels.column_name == "cell_type");
    CHECK(labels.matched == 2170);
    CHECK(labels.cells_without_label.empty());
    CHECK(labels.labels_without_cell.empty());
    CHECK(std::count(labels.per_cell.begin(), labels.per_cell.end(), "T_CD4") == 643);
    CHECK(std::count(labels.per_cell.begin(), labels.per_cell.end(), "?") == 20);
}

TEST_CASE("every labelled dataset's labels match all its barcodes") {
    for (const char* dir : {"human_pbmc_small_seuratobject", "human_headneck_tumor_chetah_ref",
                            "human_melanoma_chetah_query", "human_myoblast_hsmm", "human_oligodendroglioma_infercnv"}) {
        if (!have_data(std::string(dir) + "/labels.tsv")) continue;
        INFO(dir);
        const auto barcodes = scae::io::read_barcodes(dataset(std::string(dir) + "/barcodes.tsv.gz"));
        const scae::io::Labels labels = scae::io::read_labels(dataset(std::string(dir) + "/labels.tsv"), barcodes);
        CHECK(labels.matched == barcodes.size());
        CHECK(labels.labels_without_cell.empty());
    }
}

TEST_CASE("the shared GMT files parse: 50 Hallmark sets, 5233 GO BP sets of 15-500 genes") {
    if (have_data("genesets/h.all.v7.0.symbols.gmt")) {
        const scae::io::GeneSets hallmark = scae::io::read_gmt(dataset("genesets/h.all.v7.0.symbols.gmt"));
        CHECK(hallmark.sets.size() == 50);
        CHECK(hallmark.sets[0].name.rfind("HALLMARK_", 0) == 0);
        std::size_t smallest = 1000, largest = 0;
        for (const auto& set : hallmark.sets) {
            smallest = std::min(smallest, set.genes.size());
            largest = std::max(largest, set.genes.size());
        }
        CHECK(smallest == 32);
        CHECK(largest == 200);
        scae::io::GmtOptions at_most_100;
        at_most_100.max_genes = 100;
        const auto filtered = scae::io::read_gmt(dataset("genesets/h.all.v7.0.symbols.gmt"), at_most_100);
        CHECK(filtered.sets.size() + filtered.too_large == 50);
        CHECK(filtered.too_large > 0);
    }
    if (have_data("genesets/go_bp_human_orghs3.16_15-500.gmt")) {
        const scae::io::GeneSets go = scae::io::read_gmt(dataset("genesets/go_bp_human_orghs3.16_15-500.gmt"));
        CHECK(go.sets.size() == 5233);
        scae::io::GmtOptions in_range;
        in_range.min_genes = 15;
        in_range.max_genes = 500;
        const scae::io::GeneSets same =
            scae::io::read_gmt(dataset("genesets/go_bp_human_orghs3.16_15-500.gmt"), in_range);
        CHECK(same.sets.size() == 5233);
        CHECK(same.too_small + same.too_large == 0);
    }
}

} // namespace test_io_real_data

// 10x directories, dense tables and the read_counts() dispatcher, good and broken.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/read_counts.hpp>

#include <vector>

namespace test_io_tenx {

using scae::Matrix;
using scae::io::CountFormat;
using scae::io::CountMatrix;
using scae::io::Layout;
using scae::io::ReadOptions;
using scae_test::error_of;
using scae_test::io_fixture;
using scae_test::expected_tiny;
using scae_test::mentions;

namespace {

const std::vector<std::string> tiny_barcodes = {"AAAC-1", "AAAG-1", "AACC-1"};

} // namespace

TEST_CASE("a v3 directory gives counts, gene IDs, symbols, types and barcodes") {
    const CountMatrix<float> m = scae::io::read_10x(io_fixture("tenx_v3"));
    CHECK(m.counts.toDense() == expected_tiny());
    CHECK(m.gene_ids == std::vector<std::string>{"ENSG01", "ENSG02", "ENSG03", "ENSG04"});
    CHECK(m.gene_symbols == std::vector<std::string>{"GeneA", "GeneB", "GeneC", "GeneD"});
    CHECK(m.feature_types.back() == "Antibody Capture");
    CHECK(m.barcodes == tiny_barcodes);
}

TEST_CASE("a v2 directory of .gz files (genes.tsv, entries in reverse order) reads the same") {
    const CountMatrix<double> m = scae::io::read_10x<double>(io_fixture("tenx_v2_gz"));
    CHECK(m.counts.toDense() == expected_tiny().cast<double>());
    CHECK(m.gene_symbols[2] == "GeneC");
    CHECK(m.feature_types[3] == "Gene Expression");
    CHECK(m.barcodes == tiny_barcodes);
}

TEST_CASE("broken 10x directories name the file at fault") {
    const std::string fewer = io_fixture("broken/tenx_fewer_features");
    CHECK(mentions(error_of([&] { scae::io::read_10x(fewer); }),
                   {fewer + "/features.tsv: found 3 genes, expected 4", "matrix.mtx:3 declares 4 rows"}));
    const std::string more = io_fixture("broken/tenx_more_barcodes");
    CHECK(mentions(error_of([&] { scae::io::read_10x(more); }),
                   {more + "/barcodes.tsv: found 4 barcodes, expected 3", "matrix.mtx:3 declares 3 columns"}));
    const std::string repeated = io_fixture("broken/tenx_duplicate_barcodes");
    CHECK(mentions(error_of([&] { scae::io::read_10x(repeated); }),
                   {repeated + "/barcodes.tsv:3: found the barcode 'AAAC-1' again (first on line 1)",
                    "expected each barcode once"}));
    const std::string incomplete = io_fixture("broken/tenx_no_barcodes");
    CHECK(mentions(error_of([&] { scae::io::read_10x(incomplete); }),
                   {incomplete + ": no barcodes.tsv[.gz] found", "expected a 10x directory"}));
    const std::string absent = io_fixture("broken/no_such_dir");
    CHECK(mentions(error_of([&] { scae::io::read_10x(absent); }), {absent + ": cannot open directory"}));
}

TEST_CASE("a matrix file that is both plain and .gz is ambiguous") {
    const auto dir = scae_test::scratch_dir("io_tenx_both");
    for (const char* name : {"matrix.mtx", "features.tsv", "barcodes.tsv"})
        std::filesystem::copy_file(io_fixture(std::string("tenx_v3/") + name), dir / name);
    std::filesystem::copy_file(io_fixture("tenx_v2_gz/matrix.mtx.gz"), dir / "matrix.mtx.gz");
    CHECK(mentions(error_of([&] { scae::io::read_10x(dir.string()); }),
                   {"found both matrix.mtx and matrix.mtx.gz", "expected one of them"}));
    std::filesystem::remove_all(dir);
}

TEST_CASE("dense tables: genes x cells TSV and cells x genes CSV with R-style header") {
    const CountMatrix<float> tsv = scae::io::read_dense_table(io_fixture("table_genes_by_cells.tsv"));
    CHECK(tsv.counts.toDense() == expected_tiny());
    CHECK(tsv.counts.nonZeros() == 6);
    CHECK(tsv.barcodes == tiny_barcodes);
    CHECK(tsv.gene_ids == std::vector<std::string>{"GeneA", "GeneB", "GeneC", "GeneD"});
    CHECK(tsv.field == scae::io::Field::real);
    CHECK(tsv.integer_values);

    ReadOptions rows_are_cells;
    rows_are_cells.layout = Layout::cells_by_genes;
    const CountMatrix<float> csv = scae::io::read_dense_table(io_fixture("table_cells_by_genes.csv"), rows_are_cells);
    CHECK(csv.counts.toDense() == expected_tiny());
    CHECK(csv.barcodes == tiny_barcodes);
    CHECK(csv.gene_symbols[3] == "GeneD");

    const CountMatrix<float> gz = scae::io::read_dense_table(io_fixture("table_genes_by_cells.tsv.gz"));
    CHECK(gz.cells() == 2);
    CHECK(gz.genes() == 2);
    CHECK(gz.counts.coeff(1, 1) == 1.5f);
    CHECK_FALSE(gz.integer_values);
}

TEST_CASE("broken dense tables") {
    const std::string ragged = io_fixture("broken/table_ragged.tsv");
    CHECK(mentions(error_of([&] { scae::io::read_dense_table(ragged); }),
                   {ragged + ":3: found 2 fields, expected 3"}));
    const std::string repeated = io_fixture("broken/table_duplicate_cells.tsv");
    CHECK(mentions(error_of([&] { scae::io::read_dense_table(repeated); }),
                   {repeated + ":1: found the cell name 'c1' in columns 1 and 2"}));
    const std::string empty = io_fixture("broken/empty.mtx");
    CHECK(mentions(error_of([&] { scae::io::read_dense_table(empty); }), {empty + ": empty file"}));
    const std::string tsv = io_fixture("table_genes_by_cells.tsv");
    ReadOptions commas;
    commas.delimiter = ',';
    CHECK(mentions(error_of([&] { scae::io::read_dense_table(tsv, commas); }),
                   {tsv + ":1: found no column names, expected names separated by ','"}));
}

TEST_CASE("read_counts tells the formats apart by content") {
    CHECK(scae::io::detect_count_format(io_fixture("tenx_v3")) == CountFormat::tenx);
    CHECK(scae::io::detect_count_format(io_fixture("gzip_without_gz_name.mtx")) == CountFormat::matrix_market);
    CHECK(scae::io::detect_count_format(io_fixture("table_genes_by_cells.tsv.gz")) == CountFormat::dense_table);
    CHECK(scae::io::detect_count_format(io_fixture("broken/empty.mtx")) == CountFormat::matrix_market);
    CHECK(scae::io::read_counts(io_fixture("tenx_v2_gz")).counts.toDense() == expected_tiny());
    CHECK(scae::io::read_counts(io_fixture("good.mtx")).counts.toDense() == expected_tiny());
    CHECK(scae::io::read_counts(io_fixture("table_genes_by_cells.tsv")).counts.toDense() == expected_tiny());
    const std::string missing = io_fixture("no_such_file.tsv");
    CHECK(mentions(error_of([&] { scae::io::read_counts(missing); }), {missing + ": cannot open file"}));
}

} // namespace test_io_tenx

// Which way round a table is: barcode-like and gene-id-like names decide, and a table whose names
// do not tell is read genes x cells with a note that says it was assumed.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include "scae/io/read_counts.hpp"

#include <string>
#include <vector>

namespace test_io_orientation {

using namespace scae::io;
using scae_test::io_fixture;

TEST_CASE("barcodes and Ensembl ids are recognised; symbols and Smart-seq cell names are neither") {
    for (const char* name : {"AAACCTGAGAAACCAT-1", "AAAC-1", "TTTGTCATCTTGCATT", "s1_AAACCTGAGAAACCAT-1", "AAACCTGAGAAACCAT-1_2",
                             "AAACCTGAGAAACCAT.1"})
        CHECK_MESSAGE(looks_like_barcode(name), name);
    for (const char* name : {"GeneA", "CD3E", "CAT", "A1_P3_M1", "SRR1234567", "ENSG00000141510", "G001", "cell_1", "XAAACCTGAGAAACCAT"})
        CHECK_MESSAGE(!looks_like_barcode(name), name);
    for (const char* name : {"ENSG00000141510", "ENSMUSG00000064370.1", "ENSDARG00000000001"}) CHECK_MESSAGE(looks_like_gene_id(name), name);
    for (const char* name : {"TP53", "ENSG", "ENSG123", "ENST00000269305", "ENSG00000141510.", "AAAC-1"}) CHECK_MESSAGE(!looks_like_gene_id(name), name);
}

TEST_CASE("decide_layout: clear names decide, unclear ones are assumed genes x cells and said to be") {
    const std::vector<std::string> barcodes = {"AAAC-1", "AAAG-1", "AACC-1"}, ensembl = {"ENSG00000141510", "ENSG00000000003"},
                                   symbols = {"CD3E", "MS4A1"}, cells = {"c1", "c2", "c3"};
    Orientation o = decide_layout(barcodes, symbols, Layout::automatic);
    CHECK(o.layout == Layout::cells_by_genes);
    CHECK(o.note.find("row names look like cell barcodes ('AAAC-1')") != std::string::npos);
    o = decide_layout(cells, ensembl, Layout::automatic);
    CHECK(o.layout == Layout::cells_by_genes);
    CHECK(o.note.find("column names look like gene ids") != std::string::npos);
    o = decide_layout(symbols, barcodes, Layout::automatic);
    CHECK(o.layout == Layout::genes_by_cells);
    CHECK(o.note.find("column names look like cell barcodes") != std::string::npos);
    o = decide_layout(symbols, cells, Layout::automatic);
    CHECK(o.layout == Layout::genes_by_cells);
    CHECK(o.note.find("assumed") != std::string::npos);
    CHECK(o.note.find("--layout cells-by-genes") != std::string::npos);
    o = decide_layout(barcodes, barcodes, Layout::automatic); // contradictory: assumed, not guessed
    CHECK(o.layout == Layout::genes_by_cells);
    CHECK(o.note.find("assumed") != std::string::npos);
    // A layout asked for is kept; a note only where the names say otherwise.
    CHECK(decide_layout(symbols, cells, Layout::cells_by_genes).layout == Layout::cells_by_genes);
    CHECK(decide_layout(symbols, cells, Layout::cells_by_genes).note.empty());
    o = decide_layout(barcodes, symbols, Layout::genes_by_cells);
    CHECK(o.layout == Layout::genes_by_cells);
    CHECK(o.note.find("warning: the row names look like cell barcodes") != std::string::npos);
}

TEST_CASE("a cells x genes table is read the right way round by default, and says how it was read") {
    const CountMatrix<float> csv = read_counts(io_fixture("table_cells_by_genes.csv"));
    CHECK(csv.gene_ids == std::vector<std::string>{"GeneA", "GeneB", "GeneC", "GeneD"});
    CHECK(csv.barcodes == std::vector<std::string>{"AAAC-1", "AAAG-1", "AACC-1"});
    CHECK(csv.source.find("read as cells x genes (rows are cells)") == 0);
    const CountMatrix<float> tsv = read_counts(io_fixture("table_genes_by_cells.tsv"));
    CHECK(tsv.gene_ids == csv.gene_ids);
    CHECK(tsv.barcodes == csv.barcodes);
    CHECK(Eigen::MatrixXf(tsv.counts).isApprox(Eigen::MatrixXf(csv.counts)));
    CHECK(tsv.source.find("read as genes x cells (rows are genes)") == 0);
    // A bare .mtx has no names: genes x cells, said to be assumed.
    CHECK(read_counts(io_fixture("good.mtx")).source.find("assumed") != std::string::npos);
    ReadOptions asked;
    asked.layout = Layout::genes_by_cells;
    CHECK(read_counts(io_fixture("good.mtx"), asked).source.empty());
}

} // namespace test_io_orientation

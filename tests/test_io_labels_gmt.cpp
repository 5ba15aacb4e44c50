// Cell labels matched by barcode, and GMT gene sets with size filters.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/gmt.hpp>
#include <scae/io/labels.hpp>

#include <vector>

namespace test_io_labels_gmt {

using scae::io::GmtOptions;
using scae::io::HeaderLine;
using scae::io::LabelOptions;
using scae::io::read_gmt;
using scae::io::read_labels;
using scae_test::error_of;
using scae_test::io_fixture;
using scae_test::mentions;

namespace {
const std::vector<std::string> barcodes = {"AAAC-1", "AAAG-1", "AACC-1"};
}

TEST_CASE("labels are matched by barcode and unmatched ones are listed both ways") {
    const scae::io::Labels labels = read_labels(io_fixture("labels.tsv"), barcodes);
    CHECK(labels.column_name == "cell_type");
    CHECK(labels.per_cell == std::vector<std::string>{"T", "", "B"});
    CHECK(labels.matched == 2);
    CHECK(labels.cells_without_label == std::vector<std::string>{"AAAG-1"});
    CHECK(labels.labels_without_cell == std::vector<std::string>{"GHOST-1"});
}

TEST_CASE("the header line is detected, or forced either way") {
    const scae::io::Labels detected = read_labels(io_fixture("labels_no_header.tsv"), barcodes);
    CHECK(detected.column_name.empty());
    CHECK(detected.per_cell == std::vector<std::string>{"T", "B", ""});

    LabelOptions header;
    header.header = HeaderLine::present;
    const scae::io::Labels skipped_first = read_labels(io_fixture("labels_no_header.tsv"), barcodes, header);
    CHECK(skipped_first.column_name == "T");
    CHECK(skipped_first.per_cell == std::vector<std::string>{"", "B", ""});

    LabelOptions no_header;
    no_header.header = HeaderLine::absent;
    const scae::io::Labels with_header_row = read_labels(io_fixture("labels.tsv"), barcodes, no_header);
    CHECK(with_header_row.labels_without_cell == std::vector<std::string>{"barcode", "GHOST-1"});
    CHECK(with_header_row.matched == 2);
}

TEST_CASE("broken labels files") {
    const std::string unmatched = io_fixture("broken/labels_unmatched.tsv");
    CHECK(mentions(error_of([&] { read_labels(unmatched, barcodes); }),
                   {unmatched + ": none of its 2 barcodes (first 'XXXX-1') match the 3 barcodes of the matrix",
                    "expected labels keyed by the matrix barcodes"}));
    const std::string repeated = io_fixture("broken/labels_duplicate.tsv");
    CHECK(mentions(error_of([&] { read_labels(repeated, barcodes); }),
                   {repeated + ":3: found the barcode 'AAAC-1' again (first on line 1)"}));
    const std::string no_label = io_fixture("broken/labels_no_label.tsv");
    CHECK(mentions(error_of([&] { read_labels(no_label, barcodes); }),
                   {no_label + ":2: found 'AAAG-1', expected 'barcode<TAB>label'"}));
    const std::string empty = io_fixture("broken/empty.mtx");
    CHECK(mentions(error_of([&] { read_labels(empty, barcodes); }), {empty + ": empty file"}));
    const std::string missing = io_fixture("no_labels_here.tsv");
    CHECK(mentions(error_of([&] { read_labels(missing, barcodes); }), {missing + ": cannot open file"}));
}

TEST_CASE("GMT: CRLF stripped, blank lines skipped, repeated genes counted once") {
    const scae::io::GeneSets all = read_gmt(io_fixture("sets.gmt"));
    REQUIRE(all.sets.size() == 3);
    CHECK(all.sets[0].name == "SET_A");
    CHECK(all.sets[0].description == "first set");
    CHECK(all.sets[0].genes == std::vector<std::string>{"GeneA", "GeneB"});
    CHECK(all.sets[1].genes == std::vector<std::string>{"GeneC"});
    CHECK(all.sets[2].description.empty());
    CHECK(all.sets[2].genes == std::vector<std::string>{"GeneA", "GeneB", "GeneD"});
}

TEST_CASE("GMT size filters drop and count sets outside [min, max]") {
    GmtOptions options;
    options.min_genes = 2;
    options.max_genes = 2;
    const scae::io::GeneSets kept = read_gmt(io_fixture("sets.gmt"), options);
    REQUIRE(kept.sets.size() == 1);
    CHECK(kept.sets[0].name == "SET_A");
    CHECK(kept.too_small == 1);
    CHECK(kept.too_large == 1);
    options.min_genes = 3;
    CHECK(mentions(error_of([&] { read_gmt(io_fixture("sets.gmt"), options); }), {"min_genes (3)", "max_genes (2)"}));
}

TEST_CASE("broken GMT files") {
    const std::string no_genes = io_fixture("broken/gmt_no_genes.gmt");
    CHECK(mentions(error_of([&] { read_gmt(no_genes); }),
                   {no_genes + ":2: found the set 'SET_B' with no genes", "expected 'name<TAB>description<TAB>gene"}));
    const std::string repeated = io_fixture("broken/gmt_duplicate_name.gmt");
    CHECK(mentions(error_of([&] { read_gmt(repeated); }),
                   {repeated + ":2: found the set name 'SET_A' again (first on line 1)"}));
    const std::string empty = io_fixture("broken/empty.mtx");
    CHECK(mentions(error_of([&] { read_gmt(empty); }), {empty + ": empty file"}));
}

} // namespace test_io_labels_gmt

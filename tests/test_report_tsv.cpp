// TSV text: field escaping, number formatting, table shape checks, matrices with names.
#include <doctest/doctest.h>

#include "scae/report/tsv.hpp"

#include <limits>
#include <string>
#include <vector>

namespace test_report_tsv {

using scae::Matrix;
using namespace scae::report;

TEST_CASE("fields lose tabs and line breaks; numbers use %g with named non-finite values") {
    CHECK(tsv_field("a\tb\nc\r\nd") == "a b c  d");
    CHECK(tsv_field("plain") == "plain");
    CHECK(tsv_number(0.123456789) == "0.123457");
    CHECK(tsv_number(1234567.0) == "1.23457e+06");
    CHECK(tsv_number(3.0) == "3");
    CHECK(tsv_number(0.1, 17) == "0.10000000000000001");
    CHECK(tsv_number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(tsv_number(std::numeric_limits<double>::infinity()) == "Inf");
    CHECK(tsv_number(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("tsv_text writes the header and rows, checking every row's width") {
    const std::string text = tsv_text({"cell", "label", "score"},
                                      {{"AAAC-1", "T\tcell", "0.5"}, {"AAAG-1", "B cell", "1"}});
    CHECK(text == "cell\tlabel\tscore\nAAAC-1\tT cell\t0.5\nAAAG-1\tB cell\t1\n");
    CHECK(tsv_text({"only"}, {}) == "only\n");
    CHECK_THROWS_AS(tsv_text({}, {}), scae::Error);
    try {
        tsv_text({"a", "b"}, {{"1", "2"}, {"3"}});
        FAIL("expected scae::Error");
    } catch (const scae::Error& e) {
        CHECK(std::string(e.what()).find("row 1 has 1 fields; expected 2") != std::string::npos);
    }
}

TEST_CASE("matrix_tsv_text puts names around the numbers") {
    Matrix<double> values(2, 2);
    values << 1.0, 0.25, -3.5, 1e-9;
    const std::string text =
        matrix_tsv_text("programme", {"p1", "p2"}, {"CD3E", "MS4A1"}, values, {4});
    CHECK(text == "programme\tCD3E\tMS4A1\np1\t1\t0.25\np2\t-3.5\t1e-09\n");
    CHECK_THROWS_AS(matrix_tsv_text("x", {"p1"}, {"a", "b"}, values), scae::Error);
    CHECK_THROWS_AS(matrix_tsv_text("x", {"p1", "p2"}, {"a"}, values), scae::Error);
}

TEST_CASE("matrix_tsv_text takes float matrices and makes names safe fields") {
    Matrix<float> values(2, 1);
    values << 0.1f, 3.0f;
    // A name with a tab or line break would shift every column after it.
    CHECK(matrix_tsv_text("cell", {"AAAC\t1", "AAAG\n2"}, {"node0"}, values) == "cell\tnode0\nAAAC 1\t0.1\nAAAG 2\t3\n");
    CHECK(matrix_tsv_text("cell", {"a", "b"}, {"x"}, values.array() * 2.0f) == "cell\tx\na\t0.2\nb\t6\n");
}

} // namespace test_report_tsv

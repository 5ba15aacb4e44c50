// TSV helpers: field escaping, number formatting, table shape checks and
// atomic writing, read back from disk.
#include <doctest/doctest.h>

#include "scae/report/tsv.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace test_report_tsv {

using scae::Matrix;
using namespace scae::report;

namespace {
std::filesystem::path fresh_directory() {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("scae_test_report_tsv_" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    return dir;
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}
} // namespace

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

TEST_CASE("write_tsv and write_matrix_tsv write whole files atomically") {
    const auto dir = fresh_directory();
    const auto table = dir / "cells.tsv";
    write_tsv(table.string(), {"cell", "cluster"}, {{"c1", "0"}, {"c2", "1"}});
    CHECK(read_all(table) == "cell\tcluster\nc1\t0\nc2\t1\n");
    write_tsv(table.string(), {"cell"}, {{"c9"}});
    CHECK(read_all(table) == "cell\nc9\n");

    const auto matrix = dir / "loadings.tsv";
    const Matrix<double> values = Matrix<double>::Constant(1, 2, 0.5);
    write_matrix_tsv(matrix.string(), "gene", {"g1"}, {"f1", "f2"}, values);
    CHECK(read_all(matrix) == "gene\tf1\tf2\ng1\t0.5\t0.5\n");
    CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 2);

    // A bad table leaves the existing file untouched.
    CHECK_THROWS_AS(write_tsv(table.string(), {"a", "b"}, {{"1"}}), scae::Error);
    CHECK(read_all(table) == "cell\nc9\n");
    CHECK_THROWS_AS(write_tsv((dir / "missing" / "x.tsv").string(), {"a"}, {}), scae::Error);
    std::filesystem::remove_all(dir);
}

} // namespace test_report_tsv

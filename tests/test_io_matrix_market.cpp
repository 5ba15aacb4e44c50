// Matrix Market reading: the good fixtures, every kind of broken file, duplicates, and entries in
// scattered order checked against a dense reference.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/matrix_market.hpp>

#include <algorithm>
#include <random>
#include <sstream>
#include <vector>

namespace test_io_matrix_market {

using scae::Matrix;
using scae::io::CountMatrix;
using scae::io::Duplicates;
using scae::io::Field;
using scae::io::Layout;
using scae::io::ReadOptions;
using scae::io::read_matrix_market;
using scae_test::error_of;
using scae_test::io_fixture;
using scae_test::expected_tiny;
using scae_test::mentions;

namespace {

/// True when every row's column indices are strictly increasing, as Eigen requires.
template <class T>
bool rows_sorted_and_unique(const scae::Csr<T>& m) {
    for (int r = 0; r < m.rows(); ++r)
        for (int k = m.outerIndexPtr()[r] + 1; k < m.outerIndexPtr()[r + 1]; ++k)
            if (m.innerIndexPtr()[k - 1] >= m.innerIndexPtr()[k]) return false;
    return true;
}

} // namespace

TEST_CASE("a 10x-style genes x cells file reads as cells x genes") {
    const CountMatrix<float> m = read_matrix_market(io_fixture("good.mtx"));
    CHECK(m.cells() == 3);
    CHECK(m.genes() == 4);
    CHECK(m.counts.nonZeros() == 6);
    CHECK(m.counts.toDense() == expected_tiny());
    CHECK(m.field == Field::integer);
    CHECK(m.integer_values);
    CHECK(m.gene_ids.empty());
    CHECK(m.barcodes.empty());
}

TEST_CASE("cells x genes layout keeps the file's orientation") {
    ReadOptions options;
    options.layout = Layout::cells_by_genes;
    const CountMatrix<double> m = read_matrix_market<double>(io_fixture("good.mtx"), options);
    CHECK(m.cells() == 4);
    CHECK(m.genes() == 3);
    CHECK(m.counts.toDense() == expected_tiny().transpose().cast<double>());
}

TEST_CASE("gzip is recognised by its magic bytes, CRLF line ends are stripped") {
    CHECK(scae::io::is_gzip(io_fixture("gzip_without_gz_name.mtx")));
    CHECK_FALSE(scae::io::is_gzip(io_fixture("good.mtx")));
    CHECK(read_matrix_market(io_fixture("gzip_without_gz_name.mtx")).counts.toDense() == expected_tiny());
    CHECK(read_matrix_market(io_fixture("crlf.mtx")).counts.toDense() == expected_tiny());
}

TEST_CASE("real files read fractional values and report whether all are whole") {
    const CountMatrix<float> fractional = read_matrix_market(io_fixture("real.mtx"));
    CHECK(fractional.field == Field::real);
    CHECK_FALSE(fractional.integer_values);
    CHECK(fractional.counts.coeff(0, 0) == 0.5f);
    CHECK(fractional.counts.coeff(1, 1) == 2.25f);
    const CountMatrix<float> whole = read_matrix_market(io_fixture("whole_real.mtx"));
    CHECK(whole.field == Field::real);
    CHECK(whole.integer_values);

    ReadOptions counts_only;
    counts_only.require_counts = true;
    CHECK(read_matrix_market(io_fixture("whole_real.mtx"), counts_only).counts.toDense() == expected_tiny());
    CHECK(mentions(error_of([&] { read_matrix_market(io_fixture("real.mtx"), counts_only); }),
                   {io_fixture("real.mtx") + ":4:", "non-integer value '0.5'", "whole-number count"}));
}

TEST_CASE("negative values are an error unless allowed") {
    const std::string path = io_fixture("broken/negative.mtx");
    CHECK(mentions(error_of([&] { read_matrix_market(path); }), {path + ":6:", "negative value '-2'", ">= 0"}));
    ReadOptions options;
    options.allow_negative = true;
    CHECK(read_matrix_market(path, options).counts.coeff(1, 1) == -2.0f);
}

TEST_CASE("broken files throw an Error naming the file, the line, the finding and the expectation") {
    struct Case {
        const char* file;
        const char* line;
        std::initializer_list<std::string> words;
    };
    const Case cases[] = {
        {"empty.mtx", ": ", {"empty file", "expected the banner"}},
        {"wrong_banner.mtx", ":1: ", {"found '%%MatrixMarkt matrix", "expected the banner"}},
        {"array.mtx", ":1: ", {"format 'array'", "expected 'coordinate'"}},
        {"complex.mtx", ":1: ", {"value type 'complex'", "expected 'integer' or 'real'"}},
        {"pattern.mtx", ":1: ", {"value type 'pattern'", "expected 'integer' or 'real'"}},
        {"symmetric.mtx", ":1: ", {"symmetry 'symmetric'", "expected 'general'"}},
        {"no_size_line.mtx", ":3: ", {"ends before the size line", "expected 'rows columns entries'"}},
        {"size_not_numeric.mtx", ":3: ", {"found '4 three 6'", "expected the size line"}},
        {"size_two_numbers.mtx", ":3: ", {"found '4 3'", "three non-negative integers"}},
        {"too_many_entries_declared.mtx", ":3: ", {"found 13 entries declared for a 4 x 3", "at most rows x columns"}},
        {"fewer_entries.mtx", ":9: ", {"ends after 6 entries", "expected the 7 declared on line 3"}},
        {"more_entries.mtx", ":9: ", {"more entries than the 5 declared on line 3"}},
        {"row_zero.mtx", ":6: ", {"row index 0", "expected 1..4"}},
        {"row_too_big.mtx", ":6: ", {"row index 5", "expected 1..4"}},
        {"column_zero.mtx", ":6: ", {"column index 0", "expected 1..3"}},
        {"column_too_big.mtx", ":6: ", {"column index 4", "expected 1..3"}},
        {"non_numeric_value.mtx", ":6: ", {"found 'two'", "expected an integer value"}},
        {"missing_value.mtx", ":6: ", {"found '2 2'", "expected an entry 'row column value'"}},
        {"non_integer.mtx", ":6: ", {"non-integer value '2.5'", "expected a whole number"}},
        {"nan.mtx", ":6: ", {"found 'nan'", "expected a finite number"}},
        {"inf.mtx", ":6: ", {"found 'inf'", "expected a finite number"}},
        {"truncated.mtx.gz", ": ", {"truncated gzip file", "expected a complete gzip stream"}},
    };
    for (const Case& c : cases) {
        const std::string path = io_fixture(std::string("broken/") + c.file);
        const std::string message = error_of([&] { read_matrix_market(path); });
        INFO(c.file << " -> " << message);
        CHECK(message.rfind(path + c.line, 0) == 0);
        CHECK(mentions(message, c.words));
    }
}

TEST_CASE("a missing file names the path and the reason") {
    const std::string path = io_fixture("broken/no_such_file.mtx");
    CHECK(mentions(error_of([&] { read_matrix_market(path); }), {path + ": cannot open file", "No such file"}));
}

TEST_CASE("a repeated (row, column) is an error naming both lines, or summed when asked") {
    const std::string sorted = io_fixture("duplicate.mtx");
    CHECK(mentions(error_of([&] { read_matrix_market(sorted); }),
                   {sorted + ":7: ", "entry (row 1, column 1) again (first on line 4)", "duplicates = sum"}));
    ReadOptions sum;
    sum.duplicates = Duplicates::sum;
    Matrix<float> expected = expected_tiny();
    expected(0, 0) += 4;
    const CountMatrix<float> summed = read_matrix_market(sorted, sum);
    CHECK(summed.counts.nonZeros() == 6);
    CHECK(summed.counts.toDense() == expected);

    const std::string scattered = io_fixture("unsorted_duplicate.mtx");
    CHECK(mentions(error_of([&] { read_matrix_market(scattered); }),
                   {scattered + ":10: ", "entry (row 1, column 1) again (first on line 5)"}));
    const CountMatrix<float> scattered_sum = read_matrix_market(scattered, sum);
    expected(2, 0) += 1;
    CHECK(scattered_sum.counts.nonZeros() == 6);
    CHECK(scattered_sum.counts.toDense() == expected);
    CHECK(rows_sorted_and_unique(scattered_sum.counts));

    // With summing, a file may list more entries than the matrix has cells.
    const auto dir = scae_test::scratch_dir("io_matrix_market_repeats");
    scae_test::write_text(dir / "repeats.mtx",
                          "%%MatrixMarket matrix coordinate integer general\n1 1 3\n1 1 1\n1 1 2\n1 1 3\n");
    CHECK(read_matrix_market((dir / "repeats.mtx").string(), sum).counts.coeff(0, 0) == 6.0f);
    CHECK(mentions(error_of([&] { read_matrix_market((dir / "repeats.mtx").string()); }),
                   {"repeats.mtx:2: found 3 entries declared for a 1 x 1 matrix"}));
    std::filesystem::remove_all(dir);
}

TEST_CASE("entries in any order give the same CSR as a dense reference") {
    std::mt19937 rng(7);
    const int genes = 53, cells = 41;
    Matrix<double> dense = Matrix<double>::Zero(cells, genes);
    std::vector<std::string> lines;
    for (int c = 0; c < cells; ++c)
        for (int g = 0; g < genes; ++g)
            if (rng() % 5 == 0) {
                dense(c, g) = 1 + rng() % 50;
                lines.push_back(std::to_string(g + 1) + " " + std::to_string(c + 1) + " " +
                                std::to_string(static_cast<int>(dense(c, g))));
            }
    const auto dir = scae_test::scratch_dir("io_matrix_market");
    for (const bool shuffle : {false, true}) {
        if (shuffle) std::shuffle(lines.begin(), lines.end(), rng);
        std::ostringstream text;
        text << "%%MatrixMarket matrix coordinate integer general\n"
             << genes << " " << cells << " " << lines.size() << "\n";
        for (const std::string& line : lines) text << line << "\n";
        const auto path = dir / (shuffle ? "shuffled.mtx" : "sorted.mtx");
        scae_test::write_text(path, text.str());
        INFO("shuffled: " << shuffle);
        const CountMatrix<double> m = read_matrix_market<double>(path.string());
        CHECK(m.counts.nonZeros() == static_cast<scae::Index>(lines.size()));
        CHECK(m.counts.toDense() == dense);
        CHECK(rows_sorted_and_unique(m.counts));
        ReadOptions transposed;
        transposed.layout = Layout::cells_by_genes;
        const CountMatrix<double> t = read_matrix_market<double>(path.string(), transposed);
        CHECK(t.counts.toDense() == dense.transpose());
        CHECK(rows_sorted_and_unique(t.counts));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("an empty matrix with zero entries is valid") {
    const auto dir = scae_test::scratch_dir("io_matrix_market_empty");
    scae_test::write_text(dir / "zero.mtx", "%%MatrixMarket matrix coordinate real general\n5 0 0\n");
    const CountMatrix<float> m = read_matrix_market((dir / "zero.mtx").string());
    CHECK(m.cells() == 0);
    CHECK(m.genes() == 5);
    CHECK(m.counts.nonZeros() == 0);
    std::filesystem::remove_all(dir);
}

} // namespace test_io_matrix_market

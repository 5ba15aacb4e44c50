// The streaming line reader: line ends, chunk boundaries, gzip by content, truncation.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/fields.hpp>
#include <scae/io/line_reader.hpp>

#include <string>
#include <vector>

namespace test_io_line_reader {

using scae::io::LineReader;
using scae_test::error_of;
using scae_test::io_fixture;
using scae_test::mentions;

namespace {

/// Every line of `path`, read `chunk` bytes at a time, checking the line numbers on the way.
std::vector<std::string> all_lines(const std::string& path, std::size_t chunk) {
    LineReader reader(path, chunk);
    std::vector<std::string> lines;
    std::string_view line;
    bool numbered = true;
    while (reader.next(line)) {
        lines.emplace_back(line);
        numbered = numbered && reader.line_number() == static_cast<long long>(lines.size());
    }
    CHECK(numbered);
    return lines;
}

} // namespace

TEST_CASE("lines come back without LF or CRLF, blank lines kept, last line without newline") {
    const auto dir = scae_test::scratch_dir("io_line_reader");
    const std::string long_line(1000, 'x');
    scae_test::write_text(dir / "mixed.txt", "a\r\n\nb c\n" + long_line + "\r\nlast");
    const std::vector<std::string> expected = {"a", "", "b c", long_line, "last"};
    for (const std::size_t chunk : {64, 100, 1 << 20}) {
        INFO("chunk " << chunk);
        CHECK(all_lines((dir / "mixed.txt").string(), chunk) == expected);
    }
    scae_test::write_text(dir / "empty.txt", "");
    CHECK(all_lines((dir / "empty.txt").string(), 64).empty());
    scae_test::write_text(dir / "newline.txt", "\n");
    CHECK(all_lines((dir / "newline.txt").string(), 64) == std::vector<std::string>{""});
    std::filesystem::remove_all(dir);
}

TEST_CASE("gzip content reads like the plain text, whatever the file is called") {
    const std::vector<std::string> plain = all_lines(io_fixture("good.mtx"), 64);
    CHECK(plain.size() == 9);
    CHECK(all_lines(io_fixture("gzip_without_gz_name.mtx"), 64) == plain);
    CHECK(all_lines(io_fixture("tenx_v2_gz/barcodes.tsv.gz"), 64) ==
          std::vector<std::string>{"AAAC-1", "AAAG-1", "AACC-1"});
}

#ifdef SCAE_HAVE_ZLIB
TEST_CASE("a reader dropped early stops its decompression thread") {
    const auto dir = scae_test::scratch_dir("io_line_reader_gz");
    const std::string path = (dir / "many.txt.gz").string();
    gzFile out = gzopen(path.c_str(), "wb");
    REQUIRE(out != nullptr);
    for (int i = 0; i < 20000; ++i) gzprintf(out, "line %d\n", i);
    gzclose(out);
    for (const std::size_t chunk : {64, 4096}) {
        LineReader reader(path, chunk);
        std::string_view line;
        for (int i = 0; i < 3; ++i) REQUIRE(reader.next(line));
        CHECK(line == "line 2");
    } // the destructor must not hang while the worker waits for room
    CHECK(all_lines(path, 64).size() == 20000);
    CHECK(all_lines(path, 64).back() == "line 19999");
    std::filesystem::remove_all(dir);
}
#endif

TEST_CASE("a truncated gzip file is an error, not a short read") {
    const std::string path = io_fixture("broken/truncated.mtx.gz");
    CHECK(mentions(error_of([&] { all_lines(path, 64); }), {path + ": truncated gzip file", "ends early"}));
}

TEST_CASE("a missing file names the path") {
    const std::string path = io_fixture("nothing_here.txt");
    CHECK(mentions(error_of([&] { LineReader reader(path); }), {path + ": cannot open file"}));
}

TEST_CASE("fail() names the file and the line last read") {
    LineReader reader(io_fixture("good.mtx"));
    std::string_view line;
    reader.next(line);
    reader.next(line);
    CHECK(error_of([&] { reader.fail("found x, expected y"); }) ==
          io_fixture("good.mtx") + ":2: found x, expected y");
}

TEST_CASE("number parsing takes whole fields only") {
    long long integer = 0;
    double real = 0;
    CHECK(scae::io::parse_number("42", integer));
    CHECK(integer == 42);
    CHECK(scae::io::parse_number("+7", integer));
    CHECK(integer == 7);
    CHECK_FALSE(scae::io::parse_number("4x", integer));
    CHECK_FALSE(scae::io::parse_number("", integer));
    CHECK_FALSE(scae::io::parse_number("+-1", integer));
    CHECK_FALSE(scae::io::parse_number("2.5", integer));
    CHECK(scae::io::parse_number("2.5e-1", real));
    CHECK(real == 0.25);
    unsigned long long digits = 0;
    CHECK(scae::io::parse_digits("0012", digits));
    CHECK(digits == 12);
    CHECK_FALSE(scae::io::parse_digits("-1", digits));
    CHECK_FALSE(scae::io::parse_digits("1a", digits));
    CHECK_FALSE(scae::io::parse_digits("", digits));
    CHECK_FALSE(scae::io::parse_digits("1234567890123456789", digits));
    std::string_view rest = "  12\t 3  ";
    CHECK(scae::io::next_token(rest) == "12");
    CHECK(scae::io::next_token(rest) == "3");
    CHECK(scae::io::next_token(rest).empty());
}

} // namespace test_io_line_reader

// Built as if zlib were missing: a .gz input must give a clear, actionable error while plain
// files still read. This file is its own executable, so undefining the macro here affects only it.
#undef SCAE_HAVE_ZLIB
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/io/read_counts.hpp>

using scae_test::error_of;
using scae_test::io_fixture;
using scae_test::mentions;

TEST_CASE("without zlib a gzip file asks for zlib1g-dev and a reconfigure") {
    const std::string path = io_fixture("gzip_without_gz_name.mtx");
    CHECK(mentions(error_of([&] { scae::io::read_matrix_market(path); }),
                   {path + ": the file is gzip-compressed but scae was built without zlib",
                    "install zlib1g-dev and reconfigure"}));
    const std::string dir = io_fixture("tenx_v2_gz");
    CHECK(mentions(error_of([&] { scae::io::read_10x(dir); }), {"matrix.mtx.gz: the file is gzip-compressed"}));
}

TEST_CASE("without zlib plain files still read") {
    CHECK(scae::io::read_10x(io_fixture("tenx_v3")).counts.nonZeros() == 6);
}

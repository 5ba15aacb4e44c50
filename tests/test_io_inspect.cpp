// `scae inspect`, called directly with string streams.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/cli/inspect.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

namespace test_io_inspect {

using scae_test::io_fixture;

namespace {

struct Run {
    int code;
    std::string out, err;
};

Run inspect(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = scae::cli::inspect(args, out, err);
    return {code, out.str(), err.str()};
}

} // namespace

TEST_CASE("a 10x directory gives one JSON object with the matrix size and total") {
    const Run run = inspect({io_fixture("tenx_v3")});
    CHECK(run.code == 0);
    CHECK(run.err.empty());
    const auto report = nlohmann::json::parse(run.out);
    CHECK(report["format"] == "10x");
    CHECK(report["cells"] == 3);
    CHECK(report["genes"] == 4);
    CHECK(report["nnz"] == 6);
    CHECK(report["total"] == 19.0);
    CHECK(report["density"].get<double>() == doctest::Approx(0.5));
    CHECK(report["field"] == "integer");
    CHECK(report["integer_values"] == true);
    CHECK(report["seconds"].get<double>() >= 0);
}

TEST_CASE("options reach the reader: summed duplicates, layout of a bare .mtx") {
    const Run error = inspect({io_fixture("duplicate.mtx")});
    CHECK(error.code == 1);
    const Run summed = inspect({"--duplicates", "sum", io_fixture("duplicate.mtx")});
    REQUIRE(summed.code == 0);
    const auto report = nlohmann::json::parse(summed.out);
    CHECK(report["nnz"] == 6);
    CHECK(report["total"] == 23.0);
    const Run turned = inspect({"--layout=cells-by-genes", io_fixture("good.mtx")});
    REQUIRE(turned.code == 0);
    CHECK(nlohmann::json::parse(turned.out)["cells"] == 4);
    const Run table = inspect({"--layout", "cells-by-genes", io_fixture("table_cells_by_genes.csv")});
    REQUIRE(table.code == 0);
    CHECK(nlohmann::json::parse(table.out)["format"] == "dense_table");
    CHECK(nlohmann::json::parse(table.out)["total"] == 19.0);
}

TEST_CASE("broken input prints 'scae inspect: <error>' and returns 1") {
    const std::string path = io_fixture("broken/row_zero.mtx");
    const Run run = inspect({path});
    CHECK(run.code == 1);
    CHECK(run.out.empty());
    CHECK(run.err == "scae inspect: " + path + ":6: found the row index 0, expected 1..4 (the size line declares 4)\n");
}

TEST_CASE("usage errors return 2, --help returns 0") {
    const Run help = inspect({"--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("usage: scae inspect") == 0);
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{}, {"a", "b"}, {"--bogus", "x"}, {"--duplicates", "keep", "x"}, {"--layout"}}) {
        const Run run = inspect(bad);
        CHECK(run.code == 2);
        CHECK(run.out.empty());
        CHECK(run.err.find("scae inspect: ") == 0);
        CHECK(run.err.find("usage: scae inspect") != std::string::npos);
    }
}

} // namespace test_io_inspect

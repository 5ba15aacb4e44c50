// mpi::gather_rows under mpirun -np 2 (tests/CMakeLists.txt): blocks of different heights arrive
// in rank order; blocks of different widths throw on every rank, so none is left waiting in a
// collective (the test's timeout would catch a deadlock). The communicator's sum (reduce-scatter
// and all-gather) gives every rank the rank-order sum bit for bit, for vectors shorter than the
// rank count, of one pass and of several; its gather returns every rank's values in rank order;
// stream_rows_to_first hands rank 0 every rank's rows in rank order, piece by piece. Run with -np 2
// and -np 3. Exit code 0 on every rank when all hold.
#include "scae/train/mpi.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what, int rank) {
    if (!ok) {
        std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what);
        ++failures;
    }
}

} // namespace

int main() {
    const scae::mpi::Session session;
    const scae::train::Communicator c = scae::mpi::world();
    if (c.size < 2) {
        std::fprintf(stderr, "run under mpirun -np 2 or more\n");
        return 1;
    }
    // Rank r holds r + 1 rows of value 100 r + row, 3 columns wide; rank 1 also tries 0 rows.
    scae::Matrix<float> mine(c.rank + 1, 3);
    for (scae::Index i = 0; i < mine.rows(); ++i) mine.row(i).setConstant(float(100 * c.rank + i));
    const scae::Matrix<float> all = scae::mpi::gather_rows(mine);
    if (c.rank == 0) {
        scae::Index expected_rows = 0;
        for (int r = 0; r < c.size; ++r) expected_rows += r + 1;
        check(all.rows() == expected_rows && all.cols() == 3, "the gathered shape", c.rank);
        scae::Index at = 0;
        for (int r = 0; r < c.size && all.rows() == expected_rows; ++r)
            for (int i = 0; i <= r; ++i, ++at) check(all(at, 2) == float(100 * r + i), "rows in rank order", c.rank);
    } else {
        check(all.rows() == 0 && all.cols() == 3, "an empty matrix off rank 0", c.rank);
    }
    const scae::Matrix<float> none = scae::mpi::gather_rows(scae::Matrix<float>(c.rank == 1 ? 0 : 2, 3));
    if (c.rank == 0) check(none.rows() == 2 * (c.size - 1), "a rank with no rows", c.rank);
    // Different widths: every rank throws the same error, none waits.
    bool threw = false;
    try {
        scae::mpi::gather_rows(scae::Matrix<float>::Zero(2, c.rank == 1 ? 4 : 3));
    } catch (const scae::Error& e) {
        threw = std::string(e.what()).find("expected the same width on every rank") != std::string::npos;
    }
    check(threw, "a width mismatch throws on every rank", c.rank);
    // And the ranks still talk afterwards.
    const scae::Matrix<float> again = scae::mpi::gather_rows(mine);
    if (c.rank == 0) check(again == all, "a gather after a refusal", c.rank);
    // The sum: rank r's value i is a function of (r, i) that every rank can compute, so each rank
    // checks the result against its own rank-order sum, bit for bit.
    const auto value = [](int r, std::size_t i) { return 1.0 / double(3 + r) + double(i % 1000) * 1e-7 * double(r + 1); };
    for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(c.size - 1), std::size_t(1001), (std::size_t(1) << 21) + 3}) {
        std::vector<double> values(n);
        for (std::size_t i = 0; i < n; ++i) values[i] = value(c.rank, i);
        c.sum(values);
        bool exact = true;
        for (std::size_t i = 0; i < n; ++i) {
            double total = 0;
            for (int r = 0; r < c.size; ++r) total += value(r, i);
            exact = exact && values[i] == total;
        }
        check(exact, "the sum equals the rank-order sum, bit for bit", c.rank);
    }
    std::vector<double> values_of_rank(std::size_t(c.rank), double(c.rank)), gathered; // rank r: r values of r
    c.gather(values_of_rank, gathered);
    std::vector<double> expected;
    for (int r = 0; r < c.size; ++r) expected.insert(expected.end(), std::size_t(r), double(r));
    check(gathered == expected, "the gather in rank order", c.rank);
    // stream_rows_to_first: rank r's 2 r + 3 rows reach rank 0's callback in rank order, in pieces
    // of at most 2 rows (pieces of 7 values, rows of 3), each with its first row among all.
    scae::Matrix<float> block(2 * c.rank + 3, 3);
    for (scae::Index i = 0; i < block.rows(); ++i) block.row(i).setConstant(float(100 * c.rank + i));
    std::vector<float> seen;
    scae::Index next = 0, largest_piece = 0;
    bool in_order = true;
    scae::mpi::stream_rows_to_first(
        block,
        [&](const scae::Matrix<float>& rows, scae::Index first) {
            in_order = in_order && first == next && rows.cols() == 3;
            next = first + rows.rows();
            if (first > 0) largest_piece = std::max(largest_piece, rows.rows());
            for (scae::Index i = 0; i < rows.rows(); ++i) seen.push_back(rows(i, 1));
        },
        7);
    if (c.rank == 0) {
        std::vector<float> expected_rows;
        for (int r = 0; r < c.size; ++r)
            for (int i = 0; i < 2 * r + 3; ++i) expected_rows.push_back(float(100 * r + i));
        check(in_order && seen == expected_rows, "stream_rows_to_first: every rank's rows in rank order", c.rank);
        check(largest_piece == 2, "stream_rows_to_first: other ranks' rows in pieces of at most 7 values", c.rank);
    } else {
        check(seen.empty(), "stream_rows_to_first: no callback off rank 0", c.rank);
    }
    threw = false;
    try {
        scae::mpi::stream_rows_to_first(scae::Matrix<float>::Zero(2, c.rank == 1 ? 4 : 3), [](const scae::Matrix<float>&, scae::Index) {});
    } catch (const scae::Error& e) {
        threw = std::string(e.what()).find("expected the same width on every rank") != std::string::npos;
    }
    check(threw, "stream_rows_to_first: a width mismatch throws on every rank", c.rank);
    if (failures == 0) std::printf("rank %d: gather_rows, sum, gather and stream_rows_to_first ok\n", c.rank);
    return failures == 0 ? 0 : 1;
}

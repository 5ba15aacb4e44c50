// mpi::gather_rows under mpirun -np 2 (tests/CMakeLists.txt): blocks of different heights arrive
// in rank order; blocks of different widths throw on every rank, so none is left waiting in a
// collective (the test's timeout would catch a deadlock). Exit code 0 on every rank when all hold.
#include "scae/train/mpi.hpp"

#include <cstdio>

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
    if (failures == 0) std::printf("rank %d: gather_rows ok\n", c.rank);
    return failures == 0 ? 0 : 1;
}

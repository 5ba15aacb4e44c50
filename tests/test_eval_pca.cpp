// PCA (both solvers) and the 2-D embedding. The 8 x 4 reference values come
// from numpy: np.linalg.svd of the centred matrix, explained variance
// S**2 / (n - 1), each row of Vt flipped so its largest |entry| is positive.
#include <doctest/doctest.h>

#include "scae/core/random.hpp"
#include "scae/eval/embed2d.hpp"
#include "scae/eval/pca.hpp"

#include <limits>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace test_eval_pca {

using scae::Index;
using scae::Matrix;
using namespace scae::eval;

namespace {
Matrix<double> reference_data() {
    Matrix<double> P(8, 4);
    P << 0.00, 0.60, -0.27, -0.45, -1.36, -1.98, 0.06, 0.67, -1.48, -1.24, 0.49, 0.18, 0.32, -1.86,
        -0.03, 0.35, -4.03, -0.92, -1.90, -0.64, -5.53, -0.47, -1.27, 0.14, 0.47, -0.37, -2.52,
        -0.27, -0.15, 0.23, -1.53, -0.24;
    return P;
}

void check_against_numpy(const Pca& pca) {
    const double variance[4] = {4.88929478317074, 1.5984820644270632, 0.5164361287459013,
                                0.06103345222772295};
    const double ratio[4] = {0.6920204174901429, 0.2262457623506094, 0.07309527473202702,
                             0.00863854542722068};
    const double components[4][4] = {
        {0.9945541911946099, 0.030231602737176, 0.09896003074006307, 0.01244681843293019},
        {-0.06073493882756459, -0.5883591925125531, 0.754290908140061, 0.28493850860989295},
        {-0.08447536800926939, 0.7589233602437216, 0.633092474058164, -0.12685883795380115},
        {-0.00609427457089646, 0.27740736121865206, -0.142989711182588, 0.9500326090482784}};
    const double first_scores[4] = {1.5571482860414003, -0.5497451377845259, 1.334926814428886,
                                    -0.11672306489870142};
    REQUIRE(pca.components.rows() == 4);
    CHECK(pca.mean(0) == doctest::Approx(-1.47));
    CHECK(pca.mean(1) == doctest::Approx(-0.75125));
    for (int c = 0; c < 4; ++c) {
        CHECK(pca.explained_variance(c) == doctest::Approx(variance[c]));
        CHECK(pca.explained_variance_ratio(c) == doctest::Approx(ratio[c]));
        CHECK(pca.scores(0, c) == doctest::Approx(first_scores[c]));
        for (int j = 0; j < 4; ++j) CHECK(pca.components(c, j) == doctest::Approx(components[c][j]));
    }
}
} // namespace

TEST_CASE("row-chunked products equal plain products, whatever the thread count") {
    Matrix<double> A(1000, 7), B(1000, 5), C(7, 3);
    for (Index i = 0; i < A.size(); ++i) A.data()[i] = std::sin(0.7 * double(i));
    for (Index i = 0; i < B.size(); ++i) B.data()[i] = std::cos(0.3 * double(i));
    for (Index i = 0; i < C.size(); ++i) C.data()[i] = double(i) - 10.0;
    CHECK(rows_times(A, C).isApprox(A * C, 1e-12));
    const Matrix<double> atb = transpose_times(A, B);
    CHECK(atb.isApprox(A.transpose() * B, 1e-12));
    CHECK(row_chunks(10) == 1);
    CHECK(row_chunks(1000) == 15);
    CHECK(row_chunks(1000000) == 16);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const Matrix<double> serial = transpose_times(A, B);
    omp_set_num_threads(threads);
    CHECK(serial == atb); // bit for bit
#endif
}

TEST_CASE("both solvers match numpy on a small matrix, with the fixed sign convention") {
    PcaOptions options;
    options.solver = PcaSolver::covariance;
    check_against_numpy(fit_pca(reference_data(), options));
    options.solver = PcaSolver::randomized; // sketch reaches all 4 features: exact
    check_against_numpy(fit_pca(reference_data(), options));
    // Default 50 components capped at min(8, 4).
    CHECK(fit_pca(reference_data()).components.rows() == 4);
}

TEST_CASE("project applies the fitted mean and axes to new cells") {
    const Matrix<double> train = reference_data();
    PcaOptions options;
    options.components = 2;
    const Pca pca = fit_pca(train, options);
    CHECK(pca.project(train).isApprox(pca.scores, 1e-12));
    Matrix<float> other(2, 4);
    other << 1, 2, 3, 4, -1, 0, 0.5f, 2;
    const Matrix<double> projected = pca.project(other);
    const Matrix<double> by_hand =
        (other.cast<double>().rowwise() - pca.mean) * pca.components.transpose();
    CHECK(projected.isApprox(by_hand, 1e-12));
    CHECK(projected.cols() == 2);
    const Matrix<double> wrong_width = Matrix<double>::Zero(2, 3);
    CHECK_THROWS_AS(pca.project(wrong_width), scae::Error);
}

TEST_CASE("randomized PCA of a wide matrix recovers the exact leading components") {
    // Planted spectrum plus noise, 400 cells x 700 features (automatic picks randomized).
    const Index n = 400, p = 700, rank = 6;
    scae::Rng rng(9);
    Matrix<double> left(n, rank), right(rank, p), noise(n, p);
    for (Index i = 0; i < left.size(); ++i) left.data()[i] = rng.normal();
    for (Index i = 0; i < right.size(); ++i) right.data()[i] = rng.normal();
    for (Index i = 0; i < noise.size(); ++i) noise.data()[i] = 0.3 * rng.normal();
    for (Index r = 0; r < rank; ++r) left.col(r) *= 10.0 - r;
    const Matrix<double> X = left * right + noise;

    PcaOptions options;
    options.components = 10;
    const Pca fast = fit_pca(X, options);
    options.solver = PcaSolver::covariance;
    const Pca exact = fit_pca(X, options);
    for (Index c = 0; c < rank; ++c) {
        CHECK(fast.explained_variance(c) == doctest::Approx(exact.explained_variance(c)).epsilon(1e-8));
        // Same sign convention: the axes agree as vectors, not only up to sign.
        CHECK((fast.components.row(c) - exact.components.row(c)).norm() < 1e-6);
    }
    const Matrix<double> gram = fast.components * fast.components.transpose();
    CHECK(gram.isApprox(Matrix<double>::Identity(10, 10), 1e-10));
    // Sign rule: the largest-magnitude loading of every axis is positive.
    for (Index c = 0; c < 10; ++c) {
        Index largest = 0;
        fast.components.row(c).cwiseAbs().maxCoeff(&largest);
        CHECK(fast.components(c, largest) > 0);
    }
    // Past the planted rank only noise is left; the sketch still gets its
    // variance to within a percent.
    for (Index c = rank; c < 10; ++c)
        CHECK(fast.explained_variance(c) == doctest::Approx(exact.explained_variance(c)).epsilon(0.01));
    // Deterministic for a seed.
    options.solver = PcaSolver::automatic;
    CHECK(fit_pca(X, options).components == fast.components);
}

TEST_CASE("fewer cells than features: components capped, still orthonormal") {
    Matrix<double> X(3, 600);
    for (Index i = 0; i < X.size(); ++i) X.data()[i] = std::sin(0.1 * double(i * i % 977));
    const Pca pca = fit_pca(X);
    CHECK(pca.components.rows() == 3);
    CHECK((pca.components * pca.components.transpose()).isApprox(Matrix<double>::Identity(3, 3), 1e-10));
    CHECK(pca.explained_variance(2) == doctest::Approx(0.0).epsilon(1e-12)); // centring removes one
    CHECK(pca.explained_variance_ratio.sum() == doctest::Approx(1.0));
}

TEST_CASE("zero-variance directions still get orthonormal axes (both solvers)") {
    // 6 cells, three distinct profiles: rank 2 after centring, 6 axes asked.
    Matrix<double> X(6, 600);
    for (Index j = 0; j < 600; ++j) {
        const double a = std::sin(0.3 * double(j)), b = std::cos(0.17 * double(j));
        X.col(j) << a, a, b, b, a + b, a + b;
    }
    PcaOptions options;
    options.components = 6;
    for (PcaSolver solver : {PcaSolver::randomized, PcaSolver::covariance}) {
        options.solver = solver;
        const Pca pca = fit_pca(X, options);
        REQUIRE(pca.components.rows() == 6);
        const Matrix<double> gram = pca.components * pca.components.transpose();
        CHECK((gram - Matrix<double>::Identity(6, 6)).cwiseAbs().maxCoeff() < 1e-8);
        CHECK(pca.explained_variance.tail(4).cwiseAbs().maxCoeff() < 1e-12);
        CHECK(pca.explained_variance_ratio.head(2).sum() == doctest::Approx(1.0));
    }
}

TEST_CASE("fit_pca rejects bad input") {
    const Matrix<double> one_cell = Matrix<double>::Zero(1, 3);
    const Matrix<double> no_features(3, 0);
    CHECK_THROWS_AS(fit_pca(one_cell), scae::Error);
    CHECK_THROWS_AS(fit_pca(no_features), scae::Error);
    PcaOptions options;
    options.components = 0;
    CHECK_THROWS_AS(fit_pca(reference_data(), options), scae::Error);
    Matrix<double> X = reference_data();
    X(3, 3) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(fit_pca(X), scae::Error);
}

TEST_CASE("embed_2d gives the first two PCA scores; one feature pads with zeros") {
    const Matrix<double> X = reference_data();
    const Matrix<double> xy = embed_2d(X);
    REQUIRE(xy.cols() == 2);
    CHECK(xy(0, 0) == doctest::Approx(1.5571482860414003));
    CHECK(xy(0, 1) == doctest::Approx(-0.5497451377845259));
    CHECK(embed_2d(X) == xy);
    Matrix<float> line(3, 1);
    line << 1, 2, 4;
    const Matrix<double> flat = embed_2d(line);
    CHECK(flat(2, 0) == doctest::Approx(4.0 - 7.0 / 3.0));
    CHECK(flat.col(1).isZero());
    const Matrix<double> one_cell = Matrix<double>::Zero(1, 2);
    CHECK_THROWS_AS(embed_2d(one_cell), scae::Error);
}

} // namespace test_eval_pca

namespace test_eval_pca_sparse {

using scae::Csr;
using scae::Index;
using scae::Matrix;
using namespace scae::eval;

namespace {
/// A sparse cells x features matrix with a few strong directions (count-like values, ~15% nonzero).
Csr<float> sparse_data(Index cells, Index features, std::uint64_t seed) {
    scae::Rng rng(seed);
    std::vector<Eigen::Triplet<float>> entries;
    for (Index r = 0; r < cells; ++r) {
        const Index group = r % 3;
        for (Index c = 0; c < features; ++c) {
            const double chance = 0.1 + (c % 3 == group ? 0.3 : 0.0);
            if (rng.uniform() < chance) entries.emplace_back(int(r), int(c), float(1 + rng.below(3 + (c % 3 == group ? 4 : 0))));
        }
    }
    Csr<float> m(cells, features);
    m.setFromTriplets(entries.begin(), entries.end());
    m.makeCompressed();
    return m;
}
} // namespace

TEST_CASE("sparse PCA of the implicitly centred matrix matches the dense PCA (both solvers)") {
    const Csr<float> X = sparse_data(300, 40, 3);
    const Matrix<float> dense = Matrix<float>(X);
    for (const PcaSolver solver : {PcaSolver::covariance, PcaSolver::randomized}) {
        CAPTURE(int(solver));
        PcaOptions options;
        options.components = 5;
        options.solver = solver;
        options.seed = 11;
        const Pca sparse = fit_pca(X, options), reference = fit_pca(dense, options);
        REQUIRE(sparse.components.rows() == 5);
        CHECK(sparse.mean.isApprox(reference.mean, 1e-12));
        for (Index c = 0; c < 5; ++c) {
            CHECK(sparse.explained_variance(c) == doctest::Approx(reference.explained_variance(c)).epsilon(1e-8));
            CHECK(sparse.explained_variance_ratio(c) == doctest::Approx(reference.explained_variance_ratio(c)).epsilon(1e-8));
            // Same sign convention, so the axes agree entry by entry.
            CHECK((sparse.components.row(c) - reference.components.row(c)).norm() < 1e-6);
        }
        CHECK((sparse.scores - reference.scores).norm() < 1e-6 * reference.scores.norm());
    }
}

TEST_CASE("randomized sparse PCA matches the exact SVD of the centred matrix within tolerance") {
    // Leading components separated by a clear gap: a few power iterations recover them.
    const Csr<float> X = sparse_data(2000, 300, 5);
    PcaOptions options;
    options.components = 2;
    options.solver = PcaSolver::randomized;
    options.power_iterations = 3;
    const Pca fast = fit_pca(X, options);
    options.solver = PcaSolver::covariance;
    const Pca exact = fit_pca(Matrix<float>(X), options);
    for (Index c = 0; c < 2; ++c) {
        CHECK(fast.explained_variance(c) == doctest::Approx(exact.explained_variance(c)).epsilon(1e-4));
        CHECK(std::abs(fast.components.row(c).dot(exact.components.row(c))) > 0.999);
    }
}

TEST_CASE("sparse PCA never densifies: a matrix whose dense form would need 80 GB runs") {
    // 100,000 cells x 100,000 features with 20 nonzeros per cell: dense doubles would be 80 GB.
    const Index cells = 100000, features = 100000;
    scae::Rng rng(2);
    std::vector<Eigen::Triplet<float>> entries;
    for (Index r = 0; r < cells; ++r)
        for (int k = 0; k < 20; ++k) entries.emplace_back(int(r), int((r % 7) * 1000 + Index(rng.below(2000))), 1.0f);
    Csr<float> X(cells, features);
    X.setFromTriplets(entries.begin(), entries.end());
    X.makeCompressed();
    PcaOptions options;
    options.components = 3;
    options.oversampling = 5;
    options.power_iterations = 1;
    const Pca pca = fit_pca(X, options);
    CHECK(pca.scores.rows() == cells);
    CHECK(pca.components.rows() == 3);
    CHECK(pca.explained_variance(0) >= pca.explained_variance(1));
    CHECK(pca.explained_variance_ratio.sum() <= 1.0 + 1e-9);
}

TEST_CASE("sparse fit_pca rejects bad input") {
    Csr<float> one_cell(1, 3);
    CHECK_THROWS_AS(fit_pca(one_cell), scae::Error);
    Csr<float> X = sparse_data(10, 4, 1);
    X.valuePtr()[0] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(fit_pca(X), scae::Error);
}

} // namespace test_eval_pca_sparse

// Behaviour of the tape itself: parameters, reuse without reallocation, the guided rule.
#include <doctest/doctest.h>

#include "scae/ad/losses.hpp"

#include <atomic>
#include <vector>

namespace test_ad_tape {

using namespace scae;
using M = Matrix<double>;

TEST_CASE("parameter gradients accumulate into the parameter until zeroed") {
    ad::Param<double> w{M::Constant(2, 2, 0.5), {}};
    M x = M::Ones(3, 2);
    ad::Tape<double> tape;
    for (int pass = 1; pass <= 2; ++pass) {
        tape.clear();
        auto loss = ad::sum(ad::matmul(tape.input(x), tape.param(w)));
        tape.backward(loss);
        CHECK(w.grad(0, 0) == doctest::Approx(3.0 * pass)); // each pass adds sum of x's column
    }
}

TEST_CASE("clear keeps memory: the same shapes reuse the same buffers") {
    ad::Param<float> w{Matrix<float>::Random(50, 20), {}};
    Matrix<float> x = Matrix<float>::Random(16, 50);
    ad::Tape<float> tape;
    std::vector<const float*> first;
    for (int pass = 0; pass < 3; ++pass) {
        tape.clear();
        auto h = ad::softplus(ad::matmul(tape.input(x), tape.param(w)));
        auto loss = ad::mean(ad::square(h));
        tape.backward(loss);
        std::vector<const float*> now;
        for (int id = 0; id < int(tape.size()); ++id) now.push_back(tape.node(id).value.data());
        if (pass == 0) first = now;
        else CHECK(now == first);
    }
}

TEST_CASE("inputs can require gradients; constants get none") {
    M x = M::Ones(1, 2), y = M::Ones(1, 2);
    ad::Tape<double> tape;
    auto a = tape.input(x, true);
    auto b = tape.input(y);
    auto loss = ad::sum(ad::mul(a, b));
    tape.backward(loss);
    CHECK(a.grad().isApprox(y));
    CHECK(tape.node(b).grad.size() == 0);
    CHECK_FALSE(tape.node(b).needs_grad);
}

TEST_CASE("guided rule zeroes negative gradients entering each activation") {
    // y = -softplus(x): the true gradient is negative, guided backprop blocks it.
    M x(1, 3);
    x << -1, 0, 2;
    ad::Tape<double> tape;
    auto in = tape.input(x, true);
    auto y = ad::sum(ad::scale(ad::softplus(in), -1.0));
    tape.backward(y, ad::Rule::standard);
    CHECK((in.grad().array() < 0).all());
    tape.backward(y, ad::Rule::guided);
    CHECK((in.grad().array() == 0).all());
}

TEST_CASE("guided and standard agree where no gradient is negative") {
    M x = M::Random(4, 3), w1 = M::Random(3, 5).cwiseAbs(), w2 = M::Random(5, 2).cwiseAbs();
    ad::Tape<double> tape;
    auto in = tape.input(x, true);
    auto out = ad::sum(ad::softplus(ad::matmul(ad::relu(ad::matmul(in, tape.input(w1))), tape.input(w2))));
    tape.backward(out, ad::Rule::standard);
    const M standard = in.grad();
    tape.backward(out, ad::Rule::guided);
    CHECK(in.grad().isApprox(standard));
}

TEST_CASE("shape errors are scae::Error") {
    M a = M::Ones(2, 3), b = M::Ones(2, 3);
    ad::Tape<double> tape;
    CHECK_THROWS_AS(ad::matmul(tape.input(a), tape.input(b)), Error);
    CHECK_THROWS_AS(ad::add(tape.input(a), tape.input(M(M::Ones(3, 2)))), Error);
    auto s = ad::add(tape.input(a), tape.input(b));
    CHECK_THROWS_AS(tape.backward(s), Error); // not a scalar and no seed
}

TEST_CASE("a handle of another tape is refused, not read as this tape's node") {
    M x = M::Ones(2, 2);
    ad::Tape<double> first, second;
    const auto a = first.input(x);
    const auto b = second.input(x); // the same id on another tape
    CHECK_THROWS_WITH_AS(ad::add(a, b), doctest::Contains("belongs to another tape"), Error);
    CHECK_THROWS_WITH_AS(ad::matmul(a, b), doctest::Contains("belongs to another tape"), Error);
    CHECK_THROWS_WITH_AS(first.value(b), doctest::Contains("belongs to another tape"), Error);
    CHECK_NOTHROW(ad::add(a, first.input(x)));
}

#ifdef _OPENMP
TEST_CASE("products give the same bits for every thread count (fixed blocks, not slices per thread)") {
    using F = Matrix<float>;
    const int omp_threads = omp_get_max_threads(), eigen_threads = Eigen::nbThreads();
    for (const int eigen : {1, eigen_threads}) { // training's case (the block pool), and OpenMP loops
        Eigen::setNbThreads(eigen);
        for (Index rows : {7, 33, 100, 270})
            for (Index inner : {16, 300})
                for (Index cols : {4, 64, 300}) {
                    CAPTURE(eigen);
                    CAPTURE(rows);
                    CAPTURE(inner);
                    CAPTURE(cols);
                    ad::Param<float> w{F::Random(inner, cols), {}};
                    const F x = F::Random(rows, inner), seed = F::Random(rows, cols);
                    F value, dx, dw;
                    for (int threads = 1; threads <= 5; ++threads) {
                        omp_set_num_threads(threads);
                        w.grad.resize(0, 0);
                        ad::Tape<float> tape;
                        const auto in = tape.input(x, true);
                        const auto out = ad::matmul(in, tape.param(w));
                        tape.backward(out, seed);
                        if (threads == 1) {
                            value = out.value(), dx = in.grad(), dw = w.grad;
                            continue;
                        }
                        CHECK(out.value() == value);
                        CHECK(in.grad() == dx);
                        CHECK(w.grad == dw);
                    }
                }
    }
    omp_set_num_threads(omp_threads);
    Eigen::setNbThreads(eigen_threads);
}
#endif

} // namespace test_ad_tape

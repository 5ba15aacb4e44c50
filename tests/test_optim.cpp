// Optimisers against hand-computed updates (PyTorch's conventions) and on a quadratic.
#include <doctest/doctest.h>

#include "scae/optim/adam.hpp"
#include "scae/optim/sgd.hpp"

namespace test_optim {

using namespace scae;
using M = Matrix<double>;

namespace {
ad::Param<double> scalar(double value, double grad) { return {M::Constant(1, 1, value), M::Constant(1, 1, grad)}; }
} // namespace

TEST_CASE("SGD with momentum and Nesterov follow PyTorch's update") {
    auto p = scalar(1.0, 0.5);
    optim::Sgd<double> sgd({&p}, {0.1, 0.9, false, 0.0});
    sgd.step(); // v = 0.5, w = 1 - 0.05
    CHECK(p.value(0, 0) == doctest::Approx(0.95));
    p.grad(0, 0) = 0.5;
    sgd.step(); // v = 0.9*0.5 + 0.5 = 0.95, w = 0.95 - 0.095
    CHECK(p.value(0, 0) == doctest::Approx(0.855));
    CHECK(p.grad.isZero()); // a step uses the gradients up: the next backward pass adds into zeros

    auto q = scalar(1.0, 0.5);
    optim::Sgd<double> nesterov({&q}, {0.1, 0.9, true, 0.0});
    nesterov.step(); // v = 0.5, step = 0.5 + 0.45 = 0.95
    CHECK(q.value(0, 0) == doctest::Approx(0.905));

    ad::Param<double> unset{M::Constant(2, 2, 1.0), M()}; // no gradient yet
    optim::Sgd<double> plain({&unset}, {0.1, 0.0, false, 0.0});
    CHECK_THROWS_WITH_AS(plain.step(), doctest::Contains("differs in shape"), scae::Error);
}

TEST_CASE("Adam's first step moves each weight by the learning rate") {
    auto p = scalar(2.0, 3.0), q = scalar(2.0, -0.001);
    optim::Adam<double> adam({&p, &q}, {});
    adam.step();
    CHECK(p.value(0, 0) == doctest::Approx(2.0 - 1e-3).epsilon(1e-6));
    CHECK(q.value(0, 0) == doctest::Approx(2.0 + 1e-3).epsilon(1e-4));
    CHECK(p.grad.isZero());
    CHECK(q.grad.isZero());
}

TEST_CASE("AdamW decays weights directly; Adam's decay goes through the moments") {
    auto p = scalar(2.0, 0.0), q = scalar(2.0, 0.0);
    optim::AdamOptions decoupled;
    decoupled.weight_decay = 0.1;
    decoupled.decoupled = true;
    optim::Adam<double> adamw({&p}, decoupled);
    adamw.step();
    CHECK(p.value(0, 0) == doctest::Approx(2.0 * (1 - 1e-4)));
    optim::AdamOptions coupled = decoupled;
    coupled.decoupled = false;
    optim::Adam<double> adam({&q}, coupled);
    adam.step(); // the gradient becomes 0.2, a normalised step of lr
    CHECK(q.value(0, 0) == doctest::Approx(2.0 - 1e-3).epsilon(1e-6));
}

TEST_CASE("optimisers minimise a quadratic") {
    M target = M::Random(3, 4);
    for (int kind = 0; kind < 3; ++kind) {
        ad::Param<double> w{M::Zero(3, 4), M::Zero(3, 4)};
        optim::Adam<double> adam({&w}, {0.05, 0.9, 0.999, 1e-8, 0, false});
        optim::Sgd<double> sgd({&w}, {0.1, 0.9, kind == 2, 0});
        for (int i = 0; i < 500; ++i) {
            w.grad = 2 * (w.value - target);
            if (kind == 0) adam.step();
            else sgd.step();
        }
        CHECK((w.value - target).norm() < 1e-3);
    }
}

TEST_CASE("gradient clipping scales all gradients together") {
    ad::Param<double> a{M::Zero(1, 2), M(1, 2)}, b{M::Zero(1, 1), M(1, 1)};
    a.grad << 3, 0;
    b.grad << 4;
    const double norm = optim::clip_grad_norm<double>({&a, &b}, 1.0);
    CHECK(norm == doctest::Approx(5.0));
    CHECK(a.grad(0, 0) == doctest::Approx(0.6));
    CHECK(b.grad(0, 0) == doctest::Approx(0.8));
    CHECK(optim::clip_grad_norm<double>({&a, &b}, 10.0) == doctest::Approx(1.0)); // under the limit: unchanged
    optim::zero_grad<double>({&a, &b});
    CHECK(a.grad.norm() == 0);
}

} // namespace test_optim

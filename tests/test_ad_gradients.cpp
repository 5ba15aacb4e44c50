// Every differentiable op against central finite differences, in double precision,
// on random shapes that include a single row.
#include <doctest/doctest.h>

#include "scae/ad/fused.hpp"
#include "scae/ad/losses.hpp"
#include "scae/core/random.hpp"

#include <cmath>
#include <functional>
#include <tuple>

namespace test_ad_gradients {

using namespace scae;
using M = Matrix<double>;
using V = ad::Var<double>;

namespace {

M random(Index rows, Index cols, Rng& rng, double lo = -1, double hi = 1) {
    M m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = lo + (hi - lo) * rng.uniform();
    return m;
}

Csr<double> random_counts(Index rows, Index cols, Rng& rng, double density = 0.4) {
    std::vector<Eigen::Triplet<double>> entries;
    for (Index r = 0; r < rows; ++r)
        for (Index c = 0; c < cols; ++c)
            if (rng.uniform() < density) entries.emplace_back(int(r), int(c), double(1 + rng.below(6)));
    Csr<double> m(rows, cols);
    m.setFromTriplets(entries.begin(), entries.end());
    m.makeCompressed();
    return m;
}

/// Builds a scalar from leaf variables; output shapes other than 1x1 are reduced
/// with a fixed random weighting so the whole Jacobian is exercised.
using Build = std::function<V(ad::Tape<double>&, const std::vector<V>&)>;

double evaluate(const std::vector<M>& inputs, const Build& build, const M& weights) {
    ad::Tape<double> tape;
    std::vector<V> leaves;
    for (const M& x : inputs) leaves.push_back(tape.input(x));
    V out = build(tape, leaves);
    if (out.value().size() == 1) return out.value()(0, 0);
    return (out.value().array() * weights.array()).sum();
}

void check(std::vector<M> inputs, const Build& build, double tolerance = 1e-6) {
    Rng rng(7);
    // Shape of the output, for the weighting.
    M weights;
    {
        ad::Tape<double> tape;
        std::vector<V> leaves;
        for (const M& x : inputs) leaves.push_back(tape.input(x));
        weights = random(build(tape, leaves).value().rows(), build(tape, leaves).value().cols(), rng);
    }
    ad::Tape<double> tape;
    std::vector<V> leaves;
    for (const M& x : inputs) leaves.push_back(tape.input(x, true));
    V out = build(tape, leaves);
    if (out.value().size() == 1) tape.backward(out);
    else tape.backward(out, weights);
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const M analytic = leaves[k].grad();
        for (Index i = 0; i < inputs[k].size(); ++i) {
            const double h = 1e-6 * std::max(1.0, std::abs(inputs[k].data()[i]));
            std::vector<M> plus = inputs, minus = inputs;
            plus[k].data()[i] += h;
            minus[k].data()[i] -= h;
            const double numeric = (evaluate(plus, build, weights) - evaluate(minus, build, weights)) / (2 * h);
            INFO("input " << k << " element " << i);
            CHECK(analytic.data()[i] == doctest::Approx(numeric).epsilon(tolerance).scale(1.0));
        }
    }
}

const std::vector<std::pair<Index, Index>> shapes = {{1, 3}, {4, 5}, {7, 2}};

} // namespace

TEST_CASE("matmul") {
    Rng rng(1);
    for (auto [n, k] : shapes) check({random(n, k, rng), random(k, 3, rng)}, [](auto&, auto& v) { return ad::matmul(v[0], v[1]); });
}

TEST_CASE("sparse matmul: gradient with respect to the dense operand") {
    Rng rng(2);
    for (auto [n, k] : shapes) {
        const Csr<double> s = random_counts(n, k, rng);
        check({random(k, 4, rng)}, [&](auto&, auto& v) { return ad::sparse_matmul(view_all(s), v[0]); });
    }
}

TEST_CASE("sparse matmul equals the dense product on a row range") {
    Rng rng(3);
    const Csr<double> s = random_counts(9, 6, rng);
    const M b = random(6, 4, rng);
    M out;
    sparse_times_dense(view_rows(s, 2, 5), b, out);
    const M expected = M(s).middleRows(2, 5) * b;
    CHECK((out - expected).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("bias add") {
    Rng rng(4);
    for (auto [n, k] : shapes) check({random(n, k, rng), random(1, k, rng)}, [](auto&, auto& v) { return ad::add_bias(v[0], v[1]); });
}

TEST_CASE("row scaling by constant factors") {
    Rng rng(15);
    for (auto [n, k] : shapes) {
        const Vector<double> factors = random(n, 1, rng, 0.1, 3);
        check({random(n, k, rng)}, [&](auto&, auto& v) { return ad::scale_rows(v[0], factors); });
    }
}

TEST_CASE("elementwise add, sub, mul, scale") {
    Rng rng(5);
    for (auto [n, k] : shapes) {
        const M a = random(n, k, rng), b = random(n, k, rng);
        check({a, b}, [](auto&, auto& v) { return ad::add(v[0], v[1]); });
        check({a, b}, [](auto&, auto& v) { return ad::sub(v[0], v[1]); });
        check({a, b}, [](auto&, auto& v) { return ad::mul(v[0], v[1]); });
        check({a}, [](auto&, auto& v) { return ad::scale(v[0], -2.5); });
        check({a}, [](auto&, auto& v) { return ad::mul(v[0], v[0]); }); // an input used twice
    }
}

TEST_CASE("activations") {
    Rng rng(6);
    for (auto [n, k] : shapes) {
        M a = random(n, k, rng, -3, 3);
        check({a}, [](auto&, auto& v) { return ad::softplus(v[0], 1.0); });
        check({a}, [](auto&, auto& v) { return ad::softplus(v[0], 2.5); });
        check({a}, [](auto&, auto& v) { return ad::sigmoid(v[0]); });
        check({a}, [](auto&, auto& v) { return ad::tanh(v[0]); });
        M away = a; // relu is not differentiable at 0: keep inputs away from it
        for (Index i = 0; i < away.size(); ++i) away.data()[i] += away.data()[i] >= 0 ? 0.1 : -0.1;
        check({away}, [](auto&, auto& v) { return ad::relu(v[0]); });
    }
}

TEST_CASE("softplus is stable for large inputs") {
    M x(1, 4);
    x << -200, -30, 30, 200;
    ad::Tape<double> tape;
    V y = ad::softplus(tape.input(x), 1.0);
    CHECK(y.value()(0, 0) == doctest::Approx(std::exp(-200.0)).epsilon(1e-9));
    CHECK(y.value()(0, 3) == doctest::Approx(200.0));
    CHECK(y.value().allFinite());
    ad::Tape<float> tf;
    Matrix<float> xf = x.cast<float>();
    auto yf = ad::softplus(tf.input(xf), 1.0f);
    CHECK(yf.value().allFinite());
    CHECK(yf.value()(0, 3) == doctest::Approx(200.0));
}

TEST_CASE("softplus and its slope in float are within a few ulp of the exact values") {
    // 1 + e rounds to 1 for z below -16.6 and loses e's low bits above it: the value corrects
    // the rounding of 1 + e (ad/activations.hpp), which is checked here on a dense grid.
    const int n = 200001;
    Eigen::ArrayXf z(n);
    for (int i = 0; i < n; ++i) z(i) = -60.0f + 120.0f * float(i) / float(n - 1);
    const Eigen::ArrayXf e = ad::activation::softplus_e(z);
    const Eigen::ArrayXf r = ad::activation::softplus_r(e);
    const Eigen::ArrayXf value = ad::activation::softplus_times_beta(z, e, r);
    const Eigen::ArrayXf slope = ad::activation::softplus_slope(z, e, r);
    double worst_value = 0, worst_slope = 0;
    auto ulps = [](float got, double exact) {
        const float f = float(exact);
        return std::abs(double(got) - exact) / double(std::nextafter(f, INFINITY) - f);
    };
    for (int i = 0; i < n; ++i) {
        const double x = z(i);
        worst_value = std::max(worst_value, ulps(value(i), x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))));
        worst_slope = std::max(worst_slope, ulps(slope(i), 1.0 / (1.0 + std::exp(-x))));
    }
    MESSAGE("softplus within " << worst_value << " ulp, its slope within " << worst_slope << " ulp");
    CHECK(worst_value <= 4.0);
    CHECK(worst_slope <= 4.0);
}

TEST_CASE("exp, log, square") {
    Rng rng(8);
    for (auto [n, k] : shapes) {
        check({random(n, k, rng)}, [](auto&, auto& v) { return ad::exp(v[0]); });
        check({random(n, k, rng, 0.5, 3)}, [](auto&, auto& v) { return ad::log(v[0]); });
        check({random(n, k, rng)}, [](auto&, auto& v) { return ad::square(v[0]); });
    }
}

TEST_CASE("sum and mean") {
    Rng rng(9);
    for (auto [n, k] : shapes) {
        check({random(n, k, rng)}, [](auto&, auto& v) { return ad::sum(v[0]); });
        check({random(n, k, rng)}, [](auto&, auto& v) { return ad::mean(v[0]); });
    }
}

TEST_CASE("Poisson NLL, with and without the Stirling term") {
    Rng rng(10);
    for (auto [n, k] : shapes) {
        const Csr<double> x = random_counts(n, k, rng);
        const M rate = random(n, k, rng, 0.2, 4);
        check({rate}, [&](auto&, auto& v) { return ad::poisson_nll(v[0], view_all(x)); });
        check({rate}, [&](auto&, auto& v) { return ad::poisson_nll(v[0], view_all(x), 1e-8, true); });
    }
}

TEST_CASE("Poisson NLL value matches the definition") {
    M rate(1, 3);
    rate << 0.5, 2.0, 3.0;
    Csr<double> x(1, 3);
    x.insert(0, 1) = 2;
    x.insert(0, 2) = 5;
    x.makeCompressed();
    ad::Tape<double> tape;
    const double expected = (0.5 + (2.0 - 2 * std::log(2.0)) + (3.0 - 5 * std::log(3.0))) / 3;
    CHECK(ad::poisson_nll(tape.input(rate), view_all(x), 0.0).value()(0, 0) == doctest::Approx(expected));
    // full=True adds log(k!) by Stirling for k > 1 (PyTorch's convention).
    const double stirling = (2 * std::log(2.0) - 2 + 0.5 * std::log(4 * M_PI)) + (5 * std::log(5.0) - 5 + 0.5 * std::log(10 * M_PI));
    CHECK(ad::poisson_nll(tape.input(rate), view_all(x), 0.0, true).value()(0, 0) == doctest::Approx(expected + stirling / 3));
}

TEST_CASE("negative binomial NLL with a learned per-gene dispersion") {
    Rng rng(11);
    for (auto [n, k] : shapes) {
        const Csr<double> x = random_counts(n, k, rng);
        check({random(n, k, rng, 0.2, 4), random(1, k, rng, -1, 1.5)},
              [&](auto&, auto& v) { return ad::nb_nll(v[0], v[1], view_all(x)); }, 1e-5);
    }
}

TEST_CASE("negative binomial NLL value matches the log-density") {
    // One entry: k = 3, mu = 2, theta = 1.5.
    M mu(1, 1), lt(1, 1);
    mu << 2.0;
    lt << std::log(1.5);
    Csr<double> x(1, 1);
    x.insert(0, 0) = 3;
    x.makeCompressed();
    const double k = 3, m = 2, th = 1.5;
    const double logp = std::lgamma(k + th) - std::lgamma(th) - std::lgamma(k + 1) + th * std::log(th / (th + m)) + k * std::log(m / (th + m));
    ad::Tape<double> tape;
    CHECK(ad::nb_nll(tape.input(mu), tape.input(lt), view_all(x), 0.0).value()(0, 0) == doctest::Approx(-logp));
}

TEST_CASE("mean squared error") {
    Rng rng(12);
    for (auto [n, k] : shapes) {
        const Csr<double> x = random_counts(n, k, rng);
        check({random(n, k, rng)}, [&](auto&, auto& v) { return ad::mse(v[0], view_all(x)); });
    }
}

TEST_CASE("orthogonality penalty trains") {
    Rng rng(13);
    for (auto [n, k] : shapes) check({random(n + 3, k, rng)}, [](auto&, auto& v) { return ad::orthogonality(v[0]); });
    // Orthonormal columns give zero.
    M q = M::Identity(5, 3);
    ad::Tape<double> tape;
    CHECK(ad::orthogonality(tape.input(q)).value()(0, 0) == doctest::Approx(0.0));
}

TEST_CASE("fused softplus layers, dense and sparse input") {
    Rng rng(18);
    // Up to 70 cells and genes: more than one block of cells (32) and of weight rows (32).
    for (auto [n, k, m] : std::vector<std::tuple<Index, Index, Index>>{{1, 3, 2}, {5, 4, 3}, {70, 40, 2}}) {
        const Csr<double> s = random_counts(n, k, rng, 0.3);
        for (double beta : {1.0, 2.5}) {
            check({random(n, k, rng, -2, 2), random(k, m, rng), random(1, m, rng)},
                  [&](auto&, auto& v) { return ad::softplus_layer(v[0], v[1], v[2], beta); });
            check({random(k, m, rng), random(1, m, rng)},
                  [&](auto&, auto& v) { return ad::softplus_layer(view_all(s), v[0], v[1], beta); });
        }
    }
}

TEST_CASE("fused softplus layers equal the composed ops, under both rules") {
    Rng rng(19);
    const Index n = 40, k = 70, m = 5;
    const Csr<double> s = random_counts(n, k, rng, 0.3);
    const M x = random(n, k, rng), w = random(k, m, rng), b = random(1, m, rng), w2 = random(m, 3, rng);
    for (ad::Rule rule : {ad::Rule::standard, ad::Rule::guided}) {
        for (bool sparse : {false, true}) {
            ad::Tape<double> fused, composed;
            V xf = fused.input(x, true), wf = fused.input(w, true), bf = fused.input(b, true);
            V xc = composed.input(x, true), wc = composed.input(w, true), bc = composed.input(b, true);
            V hf = sparse ? ad::softplus_layer(view_all(s), wf, bf, 2.0) : ad::softplus_layer(xf, wf, bf, 2.0);
            V hc = ad::softplus(ad::add_bias(sparse ? ad::sparse_matmul(view_all(s), wc) : ad::matmul(xc, wc), bc), 2.0);
            CHECK((hf.value() - hc.value()).cwiseAbs().maxCoeff() < 1e-12);
            // A mixed-sign head so that the guided rule has something to clamp.
            V lf = ad::sum(ad::matmul(hf, fused.input(w2))), lc = ad::sum(ad::matmul(hc, composed.input(w2)));
            fused.backward(lf, rule);
            composed.backward(lc, rule);
            INFO("guided " << (rule == ad::Rule::guided) << " sparse " << sparse);
            CHECK((wf.grad() - wc.grad()).cwiseAbs().maxCoeff() < 1e-12);
            CHECK((bf.grad() - bc.grad()).cwiseAbs().maxCoeff() < 1e-12);
            if (!sparse) CHECK((xf.grad() - xc.grad()).cwiseAbs().maxCoeff() < 1e-12);
        }
    }
}

TEST_CASE("fused output layer and Poisson NLL") {
    Rng rng(16);
    // Widths below, at and above one gene block (128), and more cells than one block of the
    // input gradient (32), so that several blocks of each kind write their share.
    for (auto [n, k, g] : std::vector<std::tuple<Index, Index, Index>>{{1, 3, 5}, {4, 3, 300}, {7, 2, 129}, {70, 2, 130}}) {
        const Csr<double> x = random_counts(n, g, rng, 0.3);
        const Vector<double> factors = random(n, 1, rng, 0.2, 3);
        for (double beta : {1.0, 2.5}) {
            check({random(n, k, rng), random(k, g, rng), random(1, g, rng)},
                  [&](auto&, auto& v) { return ad::softplus_poisson_nll(v[0], v[1], v[2], view_all(x), beta); });
            check({random(n, k, rng), random(k, g, rng), random(1, g, rng)},
                  [&](auto&, auto& v) { return ad::softplus_poisson_nll(v[0], v[1], v[2], view_all(x), beta, factors); });
        }
    }
}

TEST_CASE("the fused output layer equals the composed ops, under both rules") {
    Rng rng(17);
    const Index n = 40, k = 6, g = 300; // more than one block of cells (32) and of genes (128)
    const Csr<double> x = random_counts(n, g, rng, 0.2);
    const Vector<double> factors = random(n, 1, rng, 0.5, 2);
    const M h = random(n, k, rng), w = random(k, g, rng), b = random(1, g, rng);
    for (ad::Rule rule : {ad::Rule::standard, ad::Rule::guided}) {
        ad::Tape<double> fused, composed;
        V hf = fused.input(h, true), wf = fused.input(w, true), bf = fused.input(b, true);
        V hc = composed.input(h, true), wc = composed.input(w, true), bc = composed.input(b, true);
        V lf = ad::scale(ad::softplus_poisson_nll(hf, wf, bf, view_all(x), 1.5, factors), -0.7);
        V lc = ad::scale(ad::poisson_nll(ad::scale_rows(ad::softplus(ad::add_bias(ad::matmul(hc, wc), bc), 1.5), factors), view_all(x)), -0.7);
        CHECK(lf.value()(0, 0) == doctest::Approx(lc.value()(0, 0)).epsilon(1e-12));
        fused.backward(lf, rule);
        composed.backward(lc, rule);
        INFO("guided " << (rule == ad::Rule::guided));
        CHECK((hf.grad() - hc.grad()).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((wf.grad() - wc.grad()).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((bf.grad() - bc.grad()).cwiseAbs().maxCoeff() < 1e-12);
        if (rule == ad::Rule::guided) CHECK(hf.grad().cwiseAbs().maxCoeff() > 0); // not all clamped
    }
    // Unsorted column indices are refused rather than misread.
    std::vector<int> outer{0, 2}, inner{3, 1};
    std::vector<double> values{1, 2};
    const CsrView<double> unsorted{1, g, outer.data(), inner.data(), values.data()};
    ad::Tape<double> tape;
    const M h1 = h.topRows(1);
    CHECK_THROWS_AS(ad::softplus_poisson_nll(tape.input(h1), tape.input(w), tape.input(b), unsorted), Error);
}

TEST_CASE("the output layer takes the first layer's row positions for the same rows, with the same result") {
    // In training the encoder's input and the target are one structure: the output layer reuses
    // where the first layer found each row's gene blocks instead of searching every row again.
    Rng rng(18);
    const Index n = 40, g = 300, k = 5; // more than one gene block (128) and cell block (32)
    const Csr<double> x = random_counts(n, g, rng, 0.2), copy = x;
    const M w1 = random(g, k, rng, -0.3, 0.3), b1 = random(1, k, rng), w2 = random(k, g, rng), b2 = random(1, g, rng);
    auto run = [&](const CsrView<double>& first, const CsrView<double>& target, M& grad_w1, M& grad_w2) {
        ad::Tape<double> tape;
        V vw1 = tape.input(w1, true), vb1 = tape.input(b1, true), vw2 = tape.input(w2, true), vb2 = tape.input(b2, true);
        V loss = ad::softplus_poisson_nll(ad::softplus_layer(first, vw1, vb1), vw2, vb2, target);
        tape.backward(loss);
        grad_w1 = vw1.grad();
        grad_w2 = vw2.grad();
        return loss.value()(0, 0);
    };
    M shared1, shared2, searched1, searched2;
    const double shared = run(view_all(x), view_all(x), shared1, shared2);    // positions reused
    const double searched = run(view_all(x), view_all(copy), searched1, searched2); // other storage: searched
    CHECK(shared == searched);
    CHECK(shared1 == searched1);
    CHECK(shared2 == searched2);

    // Positions are only those found in this pass: the same storage with other columns on a
    // cleared tape is searched again, not read from the last pass's positions.
    std::vector<int> outer{0, 2, 3}, inner{5, 200, 130};
    std::vector<double> values{1, 2, 3};
    const CsrView<double> rows{2, g, outer.data(), inner.data(), values.data()};
    const M h = random(2, k, rng);
    ad::Tape<double> tape;
    ad::softplus_poisson_nll(ad::softplus_layer(rows, tape.input(w1), tape.input(b1)), tape.input(w2), tape.input(b2), rows);
    inner = {100, 140, 2}; // row 0 now has entries in blocks 0 and 1, row 1 in block 0
    tape.clear();
    const double reused = ad::softplus_poisson_nll(tape.input(h), tape.input(w2), tape.input(b2), rows).value()(0, 0);
    ad::Tape<double> fresh;
    const std::vector<int> inner_copy = inner, outer_copy = outer;
    const CsrView<double> other{2, g, outer_copy.data(), inner_copy.data(), values.data()};
    CHECK(reused == ad::softplus_poisson_nll(fresh.input(h), fresh.input(w2), fresh.input(b2), other).value()(0, 0));
}

TEST_CASE("a composed network: sparse input layer, softplus, Poisson loss and penalty, every weight checked") {
    Rng rng(14);
    const Csr<double> x = random_counts(3, 6, rng);
    check({random(6, 4, rng, -0.5, 0.5), random(1, 4, rng), random(4, 6, rng, -0.5, 0.5)}, [&](auto&, auto& v) {
        V h = ad::softplus(ad::add_bias(ad::sparse_matmul(view_all(x), v[0]), v[1]));
        V rate = ad::softplus(ad::matmul(h, v[2]));
        return ad::add(ad::poisson_nll(rate, view_all(x)), ad::scale(ad::orthogonality(v[0]), 0.05));
    });
}

} // namespace test_ad_gradients

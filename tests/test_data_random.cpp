// The random source (scae::Rng, scae::derive_seed) and the portable count distributions
// (scae::data): fixed values for fixed seeds, and the moments of each distribution the simulator draws from.
#include <doctest/doctest.h>

#include "scae/data/random.hpp"

#include <cmath>
#include <functional>
#include <set>

namespace test_data_random {

namespace sd = scae::data;
using scae::Rng;

namespace {

struct Moments {
    double mean = 0, variance = 0;
};

Moments moments(int n, const std::function<double()>& draw) {
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
        const double x = draw();
        sum += x;
        sum_sq += x * x;
    }
    const double mean = sum / n;
    return {mean, (sum_sq - n * mean * mean) / (n - 1)};
}

// Checks sample moments against the true ones within 5 standard errors; `kurtosis_factor` bounds
// the variance of the sample variance as factor * variance^2 / n.
void check_moments(const Moments& m, double mean, double variance, int n, double kurtosis_factor = 3) {
    CHECK(std::abs(m.mean - mean) < 5 * std::sqrt(variance / n));
    CHECK(std::abs(m.variance - variance) < 5 * variance * std::sqrt(kurtosis_factor / n));
}

} // namespace

TEST_CASE("fixed seeds give fixed numbers") {
    Rng standard(5489); // std::mt19937_64's default seed
    for (int i = 0; i < 9999; ++i) standard.bits();
    CHECK(standard.bits() == 9981545732273789042ULL); // the C++ standard's check value for mt19937_64
    Rng rng(123);
    CHECK(rng.uniform() == 0.31320017867847072);
    CHECK(rng.uniform() == 0.55597911939485845);
}

TEST_CASE("derive_seed: SplitMix64's outputs, distinct across bases and streams") {
    // The first three outputs of SplitMix64 from state 0 (the reference implementation's values).
    CHECK(scae::derive_seed(0, 0) == 0xE220A8397B1DCDAFULL);
    CHECK(scae::derive_seed(0, 1) == 0x6E789E6AA1B965F4ULL);
    CHECK(scae::derive_seed(0, 2) == 0x06C45D188009454FULL);
    // Nearby bases and streams never collide (base + stream would: (1, 0) and (0, 1)).
    std::set<std::uint64_t> seen;
    for (std::uint64_t base = 0; base < 64; ++base)
        for (std::uint64_t stream = 0; stream < 64; ++stream) seen.insert(scae::derive_seed(base, stream));
    CHECK(seen.size() == 64 * 64);
}

TEST_CASE("uniform, normal and gamma moments") {
    const int n = 200000;
    Rng rng(1);
    check_moments(moments(n, [&] { return rng.uniform(); }), 0.5, 1.0 / 12, n);
    check_moments(moments(n, [&] { return rng.normal(); }), 0, 1, n);
    check_moments(moments(n, [&] { return sd::standard_normal(rng); }), 0, 1, n);
    check_moments(moments(n, [&] { return sd::gamma_variate(rng, 3.0, 2.0); }), 6, 12, n, 6);
    check_moments(moments(n, [&] { return sd::gamma_variate(rng, 0.4, 1.5); }), 0.6, 0.9, n, 40);
    CHECK(sd::gamma_variate(rng, 0, 1) == 0);
}

TEST_CASE("Poisson moments, by inversion and by PTRS") {
    const int n = 200000;
    Rng rng(2);
    check_moments(moments(n, [&] { return double(sd::poisson_variate(rng, 0.05)); }), 0.05, 0.05, n, 25);
    check_moments(moments(n, [&] { return double(sd::poisson_variate(rng, 3.5)); }), 3.5, 3.5, n);
    check_moments(moments(n, [&] { return double(sd::poisson_variate(rng, 250)); }), 250, 250, n);
    CHECK(sd::poisson_variate(rng, 0) == 0);
}

TEST_CASE("negative binomial moments: variance mean + dispersion * mean^2") {
    const int n = 200000;
    Rng rng(3);
    check_moments(moments(n, [&] { return double(sd::negative_binomial_variate(rng, 0.2, 0.3)); }), 0.2,
                  0.2 + 0.3 * 0.04, n, 30);
    check_moments(moments(n, [&] { return double(sd::negative_binomial_variate(rng, 5, 0.3)); }), 5, 5 + 0.3 * 25,
                  n, 10);
    check_moments(moments(n, [&] { return double(sd::negative_binomial_variate(rng, 80, 0.3)); }), 80,
                  80 + 0.3 * 6400, n, 10);
    check_moments(moments(n, [&] { return double(sd::negative_binomial_variate(rng, 7, 0)); }), 7, 7, n);
    CHECK(sd::negative_binomial_variate(rng, 0, 0.3) == 0);
}

TEST_CASE("log_gamma agrees with the standard library") {
    for (double x : {1e-6, 0.01, 0.3, 0.999, 1.0, 1.5, 2.0, 3.0, 6.5, 7.0, 10.0, 101.0, 1e5}) { // theta below 1 too (nb_nll)
        CHECK(sd::log_gamma(x) == doctest::Approx(std::lgamma(x)).epsilon(1e-12));
    }
}

} // namespace test_data_random

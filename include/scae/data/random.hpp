#pragma once
/// @file random.hpp
/// @brief Portable variates for the simulator (normal, gamma, Poisson, negative binomial) on scae::Rng
/// (core/random.hpp). The standard library's distributions are implementation-defined (libstdc++,
/// libc++ and MSVC give different numbers for the same seed), so the simulator draws from these
/// instead: same seed, same numbers, on every platform.

#include "scae/core/log_gamma.hpp"
#include "scae/core/random.hpp"

#include <cmath>
#include <cstdint>

namespace scae::data {

namespace detail {

/// Uniform on (0, 1]: safe to take the logarithm of.
inline double uniform_positive(Rng& rng) { return 1.0 - rng.uniform(); }

} // namespace detail

/// Standard normal by the Box-Muller transform, one variate per call: the draw that the simulator
/// and gamma_variate() are defined with. Rng::normal() keeps the pair's second value instead
/// (twice as fast), but switching the simulator to it would change every simulated data set.
/// @param rng  the generator; advanced by two uniforms
/// @return one draw of N(0, 1)
inline double standard_normal(Rng& rng) {
    const double radius = std::sqrt(-2.0 * std::log(detail::uniform_positive(rng)));
    return radius * std::cos(6.283185307179586 * rng.uniform());
}

/// Gamma(shape, scale) by Marsaglia and Tsang (2000); shape < 1 uses the boost
/// Gamma(shape) = Gamma(shape + 1) * U^(1/shape). Returns 0 when shape or scale is not positive.
/// @param rng    the generator
/// @param shape  shape parameter k
/// @param scale  scale parameter theta (the mean is k theta)
/// @return one draw, or 0 for a non-positive shape or scale
inline double gamma_variate(Rng& rng, double shape, double scale) {
    if (!(shape > 0) || !(scale > 0)) return 0;
    if (shape < 1) return gamma_variate(rng, shape + 1, scale) * std::pow(detail::uniform_positive(rng), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        const double x = standard_normal(rng);
        double v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        const double u = detail::uniform_positive(rng);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
        if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
    }
}

using scae::log_gamma; // core/log_gamma.hpp

/// Poisson(mean): inversion for mean < 10, Hormann's PTRS transformed rejection above.
/// @param rng   the generator
/// @param mean  the Poisson mean; 0 or less (or NaN) gives 0
/// @return one draw
inline std::int64_t poisson_variate(Rng& rng, double mean) {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
        const double u = rng.uniform();
        // P(0) = exp(-mean) >= 1 - mean: most draws of a small mean end here without an exp.
        if (u < 1 - mean) return 0;
        std::int64_t k = 0;
        double pmf = std::exp(-mean);
        double cdf = pmf;
        while (u > cdf && pmf > 0) {
            ++k;
            pmf *= mean / static_cast<double>(k);
            cdf += pmf;
        }
        return k;
    }
    const double root = std::sqrt(mean), log_mean = std::log(mean);
    const double b = 0.931 + 2.53 * root;
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double v_r = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        const double u = rng.uniform() - 0.5;
        const double v = detail::uniform_positive(rng);
        const double us = 0.5 - std::abs(u);
        const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
            -mean + k * log_mean - log_gamma(k + 1)) {
            return static_cast<std::int64_t>(k);
        }
    }
}

/// Negative binomial with mean `mean` and variance mean + dispersion * mean^2 (dispersion 0 is
/// Poisson). Small means (< 30) by inversion of the NB probabilities (a single comparison
/// for most zeros of a small mean); larger ones as Poisson(Gamma(1/dispersion, mean * dispersion)).
/// @param rng         the generator
/// @param mean        the mean; 0 or less (or NaN) gives 0
/// @param dispersion  the overdispersion (1 / size); 0 or less gives a Poisson draw
/// @return one draw
inline std::int64_t negative_binomial_variate(Rng& rng, double mean, double dispersion) {
    if (!(mean > 0)) return 0;
    if (!(dispersion > 0)) return poisson_variate(rng, mean);
    const double size = 1.0 / dispersion;
    if (mean >= 30) return poisson_variate(rng, gamma_variate(rng, size, mean * dispersion));
    const double u = rng.uniform();
    // P(0) >= 1 - mean (Markov's inequality), so a small mean mostly returns here, skipping exp and log1p.
    if (u < 1 - mean) return 0;
    const double success = mean / (mean + size);
    double pmf = std::exp(-size * std::log1p(mean / size));
    double cdf = pmf;
    std::int64_t k = 0;
    while (u > cdf && pmf > 0) {
        pmf *= success * (static_cast<double>(k) + size) / static_cast<double>(k + 1);
        ++k;
        cdf += pmf;
    }
    return k;
}

} // namespace scae::data

#pragma once
/// @file log_gamma.hpp
/// @brief log(Gamma(x)) without std::lgamma, which writes the global `signgam` (a data race
/// when threads call it) and whose last bits differ between C libraries.

#include <cmath>

namespace scae {

/// log(Gamma(x)) for x > 0 by Stirling's series, shifted up to x >= 6 (the form NumPy's PTRS
/// sampler uses); within about 1e-14 relative of std::lgamma.
/// @param x a positive number
/// @return log(Gamma(x)).
inline double log_gamma(double x) {
    static constexpr double series[10] = {8.333333333333333e-02,  -2.777777777777778e-03, 7.936507936507937e-04,
                                          -5.952380952380952e-04, 8.417508417508418e-04,  -1.917526917526918e-03,
                                          6.410256410256410e-03,  -2.955065359477124e-02, 1.796443723688307e-01,
                                          -1.39243221690590e+00};
    if (x == 1.0 || x == 2.0) return 0.0;
    const int shift = x < 7.0 ? static_cast<int>(7.0 - x) : 0;
    const double x0 = x + shift;
    const double inv_sq = 1.0 / (x0 * x0);
    double sum = series[9];
    for (int k = 8; k >= 0; --k) sum = sum * inv_sq + series[k];
    double result = sum / x0 + 0.9189385332046727 + (x0 - 0.5) * std::log(x0) - x0;
    // Down the recurrence Gamma(x + 1) = x Gamma(x); x + k rather than x0 - 1 - ..., which would
    // lose a small x's digits.
    for (int k = shift - 1; k >= 0; --k) result -= std::log(x + k);
    return result;
}

} // namespace scae

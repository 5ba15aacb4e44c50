#pragma once
/// @file random.hpp
/// @brief The one random source of scae: a seeded generator whose streams are identical on every
/// platform, and derive_seed() for independent streams of one seed.
///
/// The standard distributions (std::normal_distribution and friends) are
/// implementation-defined, so a seed would give different models under
/// libstdc++ and libc++. Only std::mt19937_64 is fully specified; everything
/// on top of it is written out here (count distributions: data/random.hpp).

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace scae {

/// Seed of stream `stream` of a run seeded with `base`: the (stream + 1)-th output of SplitMix64
/// started at `base` (Steele, Lea and Flood 2014). Streams of one base never repeat each other, and
/// nearby bases or streams give unrelated seeds, unlike `base + stream`. Use one per independent
/// purpose (a cell, a null set, a data split) so that adding draws to one leaves the others alone.
/// @param base    the run's seed.
/// @param stream  index of the independent purpose.
/// @return the stream's seed.
inline std::uint64_t derive_seed(std::uint64_t base, std::uint64_t stream) {
    std::uint64_t x = base + (stream + 1) * 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Seeded generator with portable uniform, normal and shuffle draws.
class Rng {
public:
    /// Creates a generator; equal seeds give equal streams everywhere.
    /// @param seed  seed of std::mt19937_64.
    explicit Rng(std::uint64_t seed) : engine_(seed) {}

    /// Next raw 64-bit value.
    /// @return the engine's next output.
    std::uint64_t bits() { return engine_(); }

    /// Uniform in [0, 1) with 53 random bits.
    /// @return a multiple of 2^-53 in [0, 1).
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, bias below 2^-64 * n).
    /// @param n  number of values (positive).
    /// @return the draw.
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(engine_()) * n) >> 64);
    }

    /// Standard normal draw (Box-Muller; the second value of each pair is kept for the next call).
    /// @return the draw.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = 0;
        while (u1 <= 0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double angle = 2.0 * M_PI * u2;
        spare_ = r * std::sin(angle);
        has_spare_ = true;
        return r * std::cos(angle);
    }

    /// Fisher-Yates shuffle of `items` in place.
    /// @param items  the items to shuffle.
    template <class Item>
    void shuffle(std::vector<Item>& items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
    }

private:
    std::mt19937_64 engine_;
    double spare_ = 0;
    bool has_spare_ = false;
};

} // namespace scae

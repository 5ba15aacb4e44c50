#pragma once
/// @file colour.hpp
/// @brief Colours for pictures: a categorical palette for cell labels and
/// continuous colour maps (sequential viridis, diverging blue-white-red).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

namespace scae::report {

/// An sRGB colour.
struct Rgb {
    unsigned char r = 0; ///< red, 0-255
    unsigned char g = 0; ///< green, 0-255
    unsigned char b = 0; ///< blue, 0-255
};

/// "#rrggbb".
/// @param colour  the colour
/// @return seven characters, lower-case hex digits
inline std::string hex(Rgb colour) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", colour.r, colour.g, colour.b);
    return buffer;
}

/// Relative luminance in [0, 1] (sRGB weights, gamma ignored): enough to
/// choose black or white marks on top of a colour.
/// @param colour  the colour
/// @return 0 for black, 1 for white
inline double luminance(Rgb colour) {
    return (0.2126 * colour.r + 0.7152 * colour.g + 0.0722 * colour.b) / 255.0;
}

/// Number of colours in the categorical palette before it repeats.
inline constexpr std::size_t category_palette_size = 20;

/// Colour of category `index`: Kelly's 22 colours of maximum contrast
/// without white and black, in Kelly's order (the first few are the most
/// distinct). Repeats after category_palette_size.
/// @param index  the category's position (e.g. its code in sorted label order)
/// @return its colour
inline Rgb category_colour(std::size_t index) {
    static constexpr std::array<Rgb, category_palette_size> kelly{{
        {0xf3, 0xc3, 0x00}, {0x87, 0x56, 0x92}, {0xf3, 0x84, 0x00}, {0xa1, 0xca, 0xf1},
        {0xbe, 0x00, 0x32}, {0xc2, 0xb2, 0x80}, {0x84, 0x84, 0x82}, {0x00, 0x88, 0x56},
        {0xe6, 0x8f, 0xac}, {0x00, 0x67, 0xa5}, {0xf9, 0x93, 0x79}, {0x60, 0x4e, 0x97},
        {0xf6, 0xa6, 0x00}, {0xb3, 0x44, 0x6c}, {0xdc, 0xd3, 0x00}, {0x88, 0x2d, 0x17},
        {0x8d, 0xb6, 0x00}, {0x65, 0x45, 0x22}, {0xe2, 0x58, 0x22}, {0x2b, 0x3d, 0x26},
    }};
    return kelly[index % category_palette_size];
}

/// Linear interpolation through equally spaced colour stops at t in [0, 1]
/// (clamped).
/// @param stops  at least 2 colours, the first at t = 0 and the last at t = 1
/// @param t      position along the map, clamped to [0, 1] (NaN: 0)
/// @return the interpolated colour, channels rounded
template <std::size_t N>
Rgb interpolate_stops(const std::array<Rgb, N>& stops, double t) {
    t = (std::isnan(t) ? 0.0 : std::clamp(t, 0.0, 1.0)) * double(N - 1); // NaN: the start, not a cast of NaN
    const auto low = std::min(static_cast<std::size_t>(t), N - 2);
    const double f = t - double(low);
    const auto mix = [f](unsigned char a, unsigned char b) {
        return static_cast<unsigned char>(std::lround(double(a) + f * (double(b) - double(a))));
    };
    const Rgb a = stops[low], b = stops[low + 1];
    return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

/// Sequential map, dark purple (0) to yellow (1): viridis, from its 9-stop
/// table (viridisLite::viridis(9)). Perceptually ordered and readable in grey.
/// @param t  position along the map, clamped to [0, 1] (NaN: 0)
/// @return its colour
inline Rgb viridis(double t) {
    static constexpr std::array<Rgb, 9> stops{{
        {0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e},
        {0x21, 0x90, 0x8c}, {0x27, 0xad, 0x81}, {0x5d, 0xc8, 0x63}, {0xaa, 0xdc, 0x32},
        {0xfd, 0xe7, 0x25},
    }};
    return interpolate_stops(stops, t);
}

/// Diverging map, blue (0) through near-white (0.5) to red (1): ColorBrewer
/// RdBu with 9 classes, reversed so that high is red.
/// @param t  position along the map, clamped to [0, 1] (NaN: 0)
/// @return its colour
inline Rgb blue_white_red(double t) {
    static constexpr std::array<Rgb, 9> stops{{
        {0x21, 0x66, 0xac}, {0x43, 0x93, 0xc3}, {0x92, 0xc5, 0xde}, {0xd1, 0xe5, 0xf0},
        {0xf7, 0xf7, 0xf7}, {0xfd, 0xdb, 0xc7}, {0xf4, 0xa5, 0x82}, {0xd6, 0x60, 0x4d},
        {0xb2, 0x18, 0x2b},
    }};
    return interpolate_stops(stops, t);
}

} // namespace scae::report

#pragma once
/// @file svg_text.hpp
/// @brief Small pieces shared by the SVG writers: XML escaping, number
/// formatting, text-width estimates for layout, and "nice" axis ticks.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace scae::report {

/// `text` safe inside XML character data and attribute values: & < > " '
/// become entities; control characters, which XML 1.0 forbids, become spaces.
/// @param text  any text (UTF-8 passes through)
/// @return the escaped text
inline std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
        }
    }
    return out;
}

/// A coordinate or length with `decimals` decimals and no trailing zeros
/// ("12.5", "3", "-0.25"), locale-independent for the decimal point used here.
/// @param value     the number
/// @param decimals  digits after the point before trailing zeros are dropped
/// @return the shortest such text; "-0" becomes "0"
inline std::string svg_number(double value, int decimals = 2) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    std::string out = buffer;
    if (out.find('.') != std::string::npos) {
        while (out.back() == '0') out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    if (out == "-0") out = "0";
    return out;
}

/// `value` with `digits` significant digits (printf %g style), for labels.
/// @param value   the number
/// @param digits  significant digits
/// @return the formatted number
inline std::string significant(double value, int digits) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    return buffer;
}

/// Estimated rendered width in pixels of `text` in a sans-serif font of
/// `font_size` px: 0.62 em per character (UTF-8 continuation bytes not
/// counted), the average of DejaVu Sans and a little over Arial/Helvetica,
/// so that labels laid out with it do not collide.
/// @param text       UTF-8 text
/// @param font_size  font size in px
/// @return the estimated width in px
inline double text_width(std::string_view text, double font_size) {
    std::size_t characters = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
    return 0.62 * font_size * double(characters);
}

/// Round tick positions covering [low, high]: a spacing of 1, 2 or 5 x 10^k
/// chosen so that about `target` ticks fall inside the range (only ticks
/// inside are returned). A zero-width range gets a single tick.
/// @param low     low end of the range
/// @param high    high end of the range
/// @param target  about how many ticks are wanted
/// @return the tick positions, ascending; `{low}` when high <= low
inline std::vector<double> nice_ticks(double low, double high, int target = 5) {
    if (!(high > low)) return {low};
    const double raw = (high - low) / double(target);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    const double step = (fraction < 1.5 ? 1.0 : fraction < 3.5 ? 2.0 : fraction < 7.5 ? 5.0 : 10.0) *
                        magnitude;
    std::vector<double> ticks;
    const double first = std::ceil(low / step - 1e-9);
    for (double i = first; i * step <= high + step * 1e-9; i += 1.0) ticks.push_back(i * step);
    return ticks;
}

/// A tick value with as many decimals as a 1/2/5 x 10^k `spacing` needs
/// (0.5 -> "1.5", 0.05 -> "0.15", 20 -> "40").
/// @param value    the tick position
/// @param spacing  the distance between ticks; 0 or less gives no decimals
/// @return the label
inline std::string tick_label(double value, double spacing) {
    const int decimals =
        spacing > 0 ? std::max(0, -static_cast<int>(std::floor(std::log10(spacing) + 1e-9))) : 0;
    return svg_number(value, decimals);
}

} // namespace scae::report

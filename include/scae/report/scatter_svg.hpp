#pragma once
/// @file scatter_svg.hpp
/// @brief A labelled 2-D scatter plot (e.g. cells on PC1/PC2 coloured by
/// cell type) as standalone SVG 1.1 text, with axes, ticks and a legend.
///
/// Points are drawn in a fixed pseudo-random order, so that when cells come
/// sorted by label no class is systematically painted over the others, yet
/// the same input always gives the same file. Classes beyond the 20 palette
/// colours reuse them as open rings instead of filled dots.

#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/labels.hpp"
#include "scae/report/colour.hpp"
#include "scae/report/svg_text.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace scae::report {

/// Natural order of names: runs of digits compare by value, so "cluster 2"
/// comes before "cluster 10"; otherwise byte order.
/// @param a  the first name
/// @param b  the second name
/// @return whether `a` sorts before `b`
inline bool natural_less(const std::string& a, const std::string& b) {
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            const std::size_t a_start = i, b_start = j;
            while (i < a.size() && digit(a[i])) ++i;
            while (j < b.size() && digit(b[j])) ++j;
            // Compare values without leading zeros: longer is larger, then digit by digit.
            const auto trimmed = [](const std::string& s, std::size_t from, std::size_t to) {
                while (from + 1 < to && s[from] == '0') ++from;
                return s.substr(from, to - from);
            };
            const std::string x = trimmed(a, a_start, i), y = trimmed(b, b_start, j);
            if (x.size() != y.size()) return x.size() < y.size();
            if (x != y) return x < y;
        } else {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
        }
    }
    if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
    return a < b; // equal up to leading zeros: fall back to byte order
}

/// Appearance of a scatter plot.
struct ScatterOptions {
    /// Heading above the plot; none when empty.
    std::string title;
    /// Caption of the horizontal axis.
    std::string x_label = "PC1";
    /// Caption of the vertical axis.
    std::string y_label = "PC2";
    /// Picture width in px; widened when the legend would leave the plot narrower than 200 px.
    int width = 760;
    /// Picture height in px (at least 200).
    int height = 560;
    /// Radius of each point in px.
    double point_radius = 2.5;
    /// Opacity of the points, so dense regions show their density.
    double point_opacity = 0.8;
};

/// The SVG text of a scatter plot of the rows of `xy` (cells x 2) coloured by
/// `labels`, one per row; the legend lists the classes in natural order
/// ("cluster 2" before "cluster 10") with their cell counts. Throws scae::Error unless xy has 2 columns, one label
/// per row and finite coordinates.
/// @param xy       cells x 2 coordinates
/// @param labels   one label per cell; the empty label is listed as "(empty label)"
/// @param options  title, axis captions, size and point style
/// @return a complete SVG document
/// @throws Error unless `xy` has 2 columns, one label per row and finite coordinates, and the
/// point radius and opacity are in range
inline std::string scatter_svg(const Matrix<double>& xy, const std::vector<std::string>& labels,
                               const ScatterOptions& options = {}) {
    if (xy.cols() != 2)
        fail("scatter_svg", 0,
             "coordinates have " + std::to_string(xy.cols()) + " columns; expected 2 (x, y)");
    if (static_cast<Index>(labels.size()) != xy.rows())
        fail("scatter_svg", 0,
             std::to_string(labels.size()) + " labels for " + std::to_string(xy.rows()) +
                 " points; expected one label per point");
    if (!xy.allFinite()) fail("scatter_svg", 0, "coordinates hold NaN or infinite values");
    if (!(options.point_radius > 0) || !(options.point_opacity > 0 && options.point_opacity <= 1))
        fail("scatter_svg", 0, "expected point_radius > 0 and 0 < point_opacity <= 1");

    // Legend rows and palette colours follow the natural order of the names.
    const auto encoded = eval::encode_labels(labels);
    const std::size_t n_classes = encoded.classes.size();
    std::vector<std::size_t> legend_order(n_classes);
    std::iota(legend_order.begin(), legend_order.end(), std::size_t(0));
    std::sort(legend_order.begin(), legend_order.end(), [&](std::size_t x, std::size_t y) {
        return natural_less(encoded.classes[x], encoded.classes[y]);
    });
    std::vector<std::size_t> style_of_class(n_classes);
    for (std::size_t row = 0; row < n_classes; ++row) style_of_class[legend_order[row]] = row;
    std::vector<Index> counts(n_classes, 0);
    for (int c : encoded.codes) ++counts[static_cast<std::size_t>(c)];
    std::vector<std::string> legend_text(n_classes);
    for (std::size_t row = 0; row < n_classes; ++row) {
        const std::size_t c = legend_order[row];
        legend_text[row] = (encoded.classes[c].empty() ? std::string("(empty label)")
                                                       : encoded.classes[c]) +
                           " (" + std::to_string(counts[c]) + ")";
    }

    // Data range with a small margin; a flat axis gets a unit range.
    double range[2][2];
    for (int axis = 0; axis < 2; ++axis) {
        double low = xy.rows() > 0 ? xy.col(axis).minCoeff() : 0.0;
        double high = xy.rows() > 0 ? xy.col(axis).maxCoeff() : 1.0;
        if (!(high > low)) {
            low -= 0.5;
            high += 0.5;
        }
        const double pad = 0.04 * (high - low);
        range[axis][0] = low - pad;
        range[axis][1] = high + pad;
    }

    // Layout: title on top, axes left and below, legend on the right in as
    // many columns as the height needs.
    const double font = 12, title_font = 15, row_height = 18;
    const double top = options.title.empty() ? 14 : 40;
    const double bottom = 50, right_pad = 12;
    const double height = std::max(200, options.height);
    const double plot_height = height - top - bottom;
    const auto y_ticks = nice_ticks(range[1][0], range[1][1], std::max(2, int(plot_height / 70)));
    const double y_spacing = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1.0;
    double widest_y_tick = 0;
    for (double t : y_ticks)
        widest_y_tick = std::max(widest_y_tick, text_width(tick_label(t, y_spacing), font));
    const double left = 28 + widest_y_tick + 10; // caption, tick labels, tick marks
    const auto rows_per_column =
        std::max<std::size_t>(1, static_cast<std::size_t>((plot_height - 8) / row_height));
    const std::size_t legend_columns = (n_classes + rows_per_column - 1) / rows_per_column;
    double widest = 0;
    for (const auto& text : legend_text) widest = std::max(widest, text_width(text, font));
    const double legend_column_width = 22 + widest + 14;
    const double legend_width = double(legend_columns) * legend_column_width;
    const double title_width = options.title.empty() ? 0 : text_width(options.title, title_font);
    const double width =
        std::max({double(options.width), left + 200 + 16 + legend_width + right_pad, title_width + 16});
    const double plot_width = width - left - 16 - legend_width - right_pad;
    const auto x_ticks = nice_ticks(range[0][0], range[0][1], std::max(2, int(plot_width / 90)));
    const double x_spacing = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1.0;
    const auto px = [&](double x) {
        return left + (x - range[0][0]) / (range[0][1] - range[0][0]) * plot_width;
    };
    const auto py = [&](double y) {
        return top + (range[1][1] - y) / (range[1][1] - range[1][0]) * plot_height;
    };

    std::string svg;
    svg.reserve(static_cast<std::size_t>(xy.rows()) * 64 + 4096);
    svg += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + svg_number(width) +
           "\" height=\"" + svg_number(height) + "\" viewBox=\"0 0 " + svg_number(width) + " " +
           svg_number(height) + "\" font-family=\"sans-serif\" font-size=\"" + svg_number(font) +
           "\">\n";
    svg += "<style type=\"text/css\"><![CDATA[\n";
    for (std::size_t row = 0; row < n_classes; ++row) {
        const std::string colour = hex(category_colour(row));
        svg += ".c" + std::to_string(row) +
               (row < category_palette_size ? "{fill:" + colour + ";stroke:none}\n"
                                          : "{fill:none;stroke:" + colour + ";stroke-width:1.2}\n");
    }
    svg += "]]></style>\n";
    svg += "<rect x=\"0\" y=\"0\" width=\"" + svg_number(width) + "\" height=\"" +
           svg_number(height) + "\" fill=\"white\"/>\n";
    if (!options.title.empty())
        // Centred over the plot, but never cut off by the picture's edges.
        svg += "<text x=\"" + svg_number(std::clamp(left + plot_width / 2, 8 + title_width / 2, width - 8 - title_width / 2)) +
               "\" y=\"24\" font-size=\"" +
               svg_number(title_font) + "\" font-weight=\"bold\" text-anchor=\"middle\">" +
               xml_escape(options.title) + "</text>\n";

    // Axes: frame, ticks with labels, captions.
    svg += "<rect x=\"" + svg_number(left) + "\" y=\"" + svg_number(top) + "\" width=\"" +
           svg_number(plot_width) + "\" height=\"" + svg_number(plot_height) +
           "\" fill=\"none\" stroke=\"#444444\"/>\n<g stroke=\"#444444\">\n";
    const double plot_bottom = top + plot_height;
    for (double t : x_ticks)
        svg += "<line x1=\"" + svg_number(px(t)) + "\" y1=\"" + svg_number(plot_bottom) +
               "\" x2=\"" + svg_number(px(t)) + "\" y2=\"" + svg_number(plot_bottom + 5) + "\"/>\n";
    for (double t : y_ticks)
        svg += "<line x1=\"" + svg_number(left - 5) + "\" y1=\"" + svg_number(py(t)) + "\" x2=\"" +
               svg_number(left) + "\" y2=\"" + svg_number(py(t)) + "\"/>\n";
    svg += "</g>\n<g fill=\"#222222\">\n";
    for (double t : x_ticks)
        svg += "<text x=\"" + svg_number(px(t)) + "\" y=\"" + svg_number(plot_bottom + 18) +
               "\" text-anchor=\"middle\">" + tick_label(t, x_spacing) + "</text>\n";
    for (double t : y_ticks)
        svg += "<text x=\"" + svg_number(left - 8) + "\" y=\"" + svg_number(py(t) + 4) +
               "\" text-anchor=\"end\">" + tick_label(t, y_spacing) + "</text>\n";
    svg += "<text x=\"" + svg_number(left + plot_width / 2) + "\" y=\"" +
           svg_number(plot_bottom + 40) + "\" text-anchor=\"middle\">" +
           xml_escape(options.x_label) + "</text>\n";
    const double y_caption_x = 16, y_caption_y = top + plot_height / 2;
    svg += "<text x=\"" + svg_number(y_caption_x) + "\" y=\"" + svg_number(y_caption_y) +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 " + svg_number(y_caption_x) + " " +
           svg_number(y_caption_y) + ")\">" + xml_escape(options.y_label) + "</text>\n</g>\n";

    // Points, in a fixed shuffled order.
    std::vector<Index> order(static_cast<std::size_t>(xy.rows()));
    std::iota(order.begin(), order.end(), Index(0));
    Rng rng(0);
    rng.shuffle(order);
    svg += "<g fill-opacity=\"" + svg_number(options.point_opacity) + "\">\n";
    const std::string radius = svg_number(options.point_radius);
    for (Index i : order)
        svg += "<circle class=\"c" +
               std::to_string(style_of_class[static_cast<std::size_t>(
                   encoded.codes[static_cast<std::size_t>(i)])]) +
               "\" cx=\"" + svg_number(px(xy(i, 0)), 1) + "\" cy=\"" + svg_number(py(xy(i, 1)), 1) +
               "\" r=\"" + radius + "\"/>\n";
    svg += "</g>\n";

    // Legend.
    svg += "<g>\n";
    const double legend_left = left + plot_width + 16;
    for (std::size_t row = 0; row < n_classes; ++row) {
        const double x = legend_left + double(row / rows_per_column) * legend_column_width;
        const double y = top + 4 + double(row % rows_per_column) * row_height + row_height / 2;
        svg += "<circle class=\"c" + std::to_string(row) + "\" cx=\"" + svg_number(x + 7) +
               "\" cy=\"" + svg_number(y) + "\" r=\"5\"/>\n";
        svg += "<text x=\"" + svg_number(x + 18) + "\" y=\"" + svg_number(y + 4) + "\">" +
               xml_escape(legend_text[row]) + "</text>\n";
    }
    svg += "</g>\n</svg>\n";
    return svg;
}

} // namespace scae::report

#pragma once
/// @file heatmap_svg.hpp
/// @brief A labelled heatmap (e.g. gene programmes x cell types) as
/// standalone SVG 1.1 text: row labels on the left, column labels below
/// rotated 45 degrees, a colour bar with ticks, optional marks on cells
/// (significance), and hover tooltips with each value.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/report/colour.hpp"
#include "scae/report/svg_text.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace scae::report {

/// Which cells of a heatmap carry a mark (rows x columns, like the values).
using Mask = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// How values map to colours.
enum class ColourScale {
    sequential, ///< viridis from min (dark) to max (yellow)
    diverging,  ///< blue (min) - white (centre) - red (max); auto range is symmetric about 0
};

/// Appearance of a heatmap.
struct HeatmapOptions {
    /// Heading above the heatmap; none when empty.
    std::string title;
    /// Colour map.
    ColourScale scale = ColourScale::sequential;
    /// Value shown at the low end of the colour bar; NaN picks it from the
    /// data (the minimum, or -max|value| for diverging). Values beyond the
    /// ends get the end colours.
    double min = std::numeric_limits<double>::quiet_NaN();
    /// Value at the high end; NaN picks the maximum (max|value| for diverging).
    double max = std::numeric_limits<double>::quiet_NaN();
    /// Caption above the colour bar (e.g. "mean activation").
    std::string value_label;
    /// Legend text for marked cells (e.g. "FDR < 0.05"); shown when non-empty.
    std::string mark_label;
    /// Side of one cell in px.
    double cell_size = 18;
};

/// Ends of the colour bar for `values` under `options` (see HeatmapOptions).
/// A range of zero width is widened to one unit.
/// @param values   rows x columns; non-finite values are ignored
/// @param options  `scale`, `min` and `max` are read
/// @return the low and high ends, low < high
/// @throws Error when the resulting min exceeds the max
inline std::pair<double, double> heatmap_range(const Matrix<double>& values,
                                               const HeatmapOptions& options) {
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (Index i = 0; i < values.size(); ++i) {
        const double v = values.data()[i];
        if (!std::isfinite(v)) continue;
        low = std::min(low, v);
        high = std::max(high, v);
    }
    if (!(high >= low)) low = high = 0; // no finite value at all
    if (options.scale == ColourScale::diverging) {
        const double extent = std::max(std::abs(low), std::abs(high));
        low = -extent;
        high = extent;
    }
    if (!std::isnan(options.min)) low = options.min;
    if (!std::isnan(options.max)) high = options.max;
    if (low > high)
        fail("heatmap_svg", 0,
             "colour range min " + std::to_string(low) + " > max " + std::to_string(high) +
                 "; expected min <= max");
    if (high == low) {
        low -= 0.5;
        high += 0.5;
    }
    return {low, high};
}

/// The SVG text of a heatmap of `values` (rows x columns) with one name per
/// row and column; when `marks` is non-empty it must have the same shape and
/// each true cell gets a dot. NaN cells are grey. Throws scae::Error for an
/// empty matrix, names or marks not matching the shape, infinite values, a
/// non-positive cell size or min > max.
/// @param values rows x columns; NaN is drawn grey
/// @param row_names one label per row, drawn left of the grid
/// @param col_names one label per column, drawn below it at 45 degrees
/// @param options title, colour scale and range, legend captions, cell size
/// @param marks cells to mark with a dot, or empty
/// @return a complete SVG document
inline std::string heatmap_svg(const Matrix<double>& values, const std::vector<std::string>& row_names,
                               const std::vector<std::string>& col_names,
                               const HeatmapOptions& options = {}, const Mask& marks = Mask()) {
    if (values.rows() == 0 || values.cols() == 0)
        fail("heatmap_svg", 0, "the matrix is empty; expected at least one row and column");
    if (static_cast<Index>(row_names.size()) != values.rows() ||
        static_cast<Index>(col_names.size()) != values.cols())
        fail("heatmap_svg", 0,
             std::to_string(row_names.size()) + " row and " + std::to_string(col_names.size()) +
                 " column names for a " + std::to_string(values.rows()) + " x " +
                 std::to_string(values.cols()) + " matrix; expected one name per row and column");
    const bool has_marks = marks.size() > 0;
    if (has_marks && (marks.rows() != values.rows() || marks.cols() != values.cols()))
        fail("heatmap_svg", 0,
             "marks are " + std::to_string(marks.rows()) + " x " + std::to_string(marks.cols()) +
                 "; expected the shape of the values or no marks");
    if (values.array().isInf().any()) fail("heatmap_svg", 0, "values hold infinities");
    if (!(options.cell_size > 0))
        fail("heatmap_svg", 0, "cell_size must be positive");
    const auto [low, high] = heatmap_range(values, options);
    const auto colour_of = [&, low = low, high = high](double v) {
        const double t = (v - low) / (high - low);
        return options.scale == ColourScale::diverging ? blue_white_red(t) : viridis(t);
    };
    const bool has_missing = values.array().isNaN().any();

    // Layout.
    const double font = 11, title_font = 15, cell = options.cell_size;
    const double diagonal = std::sqrt(0.5); // cos 45 = sin 45
    double row_label_width = 0, col_label_extent = 0, left_overhang = 0;
    for (const auto& name : row_names) row_label_width = std::max(row_label_width, text_width(name, font));
    for (std::size_t j = 0; j < col_names.size(); ++j) {
        const double along = text_width(col_names[j], font) * diagonal;
        col_label_extent = std::max(col_label_extent, along);
        left_overhang = std::max(left_overhang, along - (double(j) + 0.5) * cell);
    }
    const double top = options.title.empty() ? 12 : 40;
    const double left = std::max(row_label_width + 14, left_overhang + 14);
    const double grid_width = cell * double(values.cols());
    const double grid_height = cell * double(values.rows());
    const double bar_height = std::clamp(grid_height, 120.0, 280.0);
    const double bar_left = left + grid_width + 28;
    // The colour bar's caption, wrapped at spaces to about the bar's legend width, so that a long
    // caption does not widen the canvas beyond the grid.
    std::vector<std::string> caption;
    for (std::size_t at = 0; at < options.value_label.size();) {
        std::size_t end = std::min(options.value_label.size(), at + 24);
        if (end < options.value_label.size()) {
            const std::size_t space = options.value_label.rfind(' ', end);
            end = space != std::string::npos && space > at ? space : options.value_label.find(' ', end);
            if (end == std::string::npos) end = options.value_label.size();
        }
        caption.push_back(options.value_label.substr(at, end - at));
        at = end < options.value_label.size() ? end + 1 : end;
    }
    const double bar_top = top + (caption.empty() ? 4 : 8 + 14 * double(caption.size()));
    const auto ticks = nice_ticks(low, high, 5);
    const double tick_spacing = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
    double tick_width = 0;
    for (double t : ticks) tick_width = std::max(tick_width, text_width(tick_label(t, tick_spacing), font));
    double legend_width = 14 + 6 + tick_width;
    for (const std::string& line : caption) legend_width = std::max(legend_width, text_width(line, font));
    if (has_marks && !options.mark_label.empty())
        legend_width = std::max(legend_width, 18 + text_width(options.mark_label, font));
    if (has_missing) legend_width = std::max(legend_width, 18 + text_width("missing", font));
    double legend_bottom = bar_top + bar_height + 10;
    if (has_marks && !options.mark_label.empty()) legend_bottom += 20;
    if (has_missing) legend_bottom += 20;
    const double grid_bottom = top + grid_height;
    const double width = std::max(bar_left + legend_width + 12,
                                  options.title.empty()
                                      ? 0.0
                                      : text_width(options.title, title_font) + 24);
    const double height = std::max(grid_bottom + 8 + col_label_extent + font + 4, legend_bottom + 8);

    std::string svg;
    svg.reserve(static_cast<std::size_t>(values.size()) * 110 + 4096);
    svg += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + svg_number(width) +
           "\" height=\"" + svg_number(height) + "\" viewBox=\"0 0 " + svg_number(width) + " " +
           svg_number(height) + "\" font-family=\"sans-serif\" font-size=\"" + svg_number(font) +
           "\">\n";
    svg += "<rect x=\"0\" y=\"0\" width=\"" + svg_number(width) + "\" height=\"" +
           svg_number(height) + "\" fill=\"white\"/>\n";
    if (!options.title.empty())
        svg += "<text x=\"12\" y=\"24\" font-size=\"" + svg_number(title_font) +
               "\" font-weight=\"bold\">" + xml_escape(options.title) + "</text>\n";

    // Cells, each with a tooltip "row / column: value"; crisp edges avoid
    // hairline seams between neighbouring cells.
    svg += "<g shape-rendering=\"crispEdges\">\n";
    for (Index r = 0; r < values.rows(); ++r)
        for (Index c = 0; c < values.cols(); ++c) {
            const double v = values(r, c);
            svg += "<rect x=\"" + svg_number(left + cell * double(c)) + "\" y=\"" +
                   svg_number(top + cell * double(r)) + "\" width=\"" + svg_number(cell) +
                   "\" height=\"" + svg_number(cell) + "\" fill=\"" +
                   (std::isnan(v) ? std::string("#d9d9d9") : hex(colour_of(v))) + "\"><title>" +
                   xml_escape(row_names[static_cast<std::size_t>(r)]) + " / " +
                   xml_escape(col_names[static_cast<std::size_t>(c)]) + ": " +
                   (std::isnan(v) ? std::string("missing") : significant(v, 4)) +
                   "</title></rect>\n";
        }
    svg += "</g>\n";
    if (has_marks) {
        svg += "<g>\n";
        for (Index r = 0; r < values.rows(); ++r)
            for (Index c = 0; c < values.cols(); ++c) {
                if (!marks(r, c)) continue;
                const double v = values(r, c);
                const bool on_dark = !std::isnan(v) && luminance(colour_of(v)) < 0.5;
                svg += "<circle cx=\"" + svg_number(left + cell * (double(c) + 0.5)) + "\" cy=\"" +
                       svg_number(top + cell * (double(r) + 0.5)) + "\" r=\"" +
                       svg_number(std::max(1.5, 0.16 * cell)) + "\" fill=\"" +
                       (on_dark ? "white" : "black") + "\"/>\n";
            }
        svg += "</g>\n";
    }

    // Row labels left of the grid, column labels below it at 45 degrees.
    svg += "<g fill=\"#222222\">\n";
    for (Index r = 0; r < values.rows(); ++r)
        svg += "<text x=\"" + svg_number(left - 6) + "\" y=\"" +
               svg_number(top + cell * (double(r) + 0.5) + font * 0.35) + "\" text-anchor=\"end\">" +
               xml_escape(row_names[static_cast<std::size_t>(r)]) + "</text>\n";
    for (Index c = 0; c < values.cols(); ++c) {
        const double x = left + cell * (double(c) + 0.5) + font * 0.3;
        const double y = grid_bottom + 8;
        svg += "<text x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) +
               "\" text-anchor=\"end\" transform=\"rotate(-45 " + svg_number(x) + " " +
               svg_number(y) + ")\">" + xml_escape(col_names[static_cast<std::size_t>(c)]) +
               "</text>\n";
    }
    svg += "</g>\n";

    // Colour bar: a gradient through the map's stops, low at the bottom.
    svg += "<defs><linearGradient id=\"colour-bar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n";
    const int stops = 16;
    for (int i = 0; i <= stops; ++i) {
        const double t = double(i) / stops;
        svg += "<stop offset=\"" + svg_number(t, 4) + "\" stop-color=\"" +
               hex(colour_of(low + t * (high - low))) + "\"/>\n";
    }
    svg += "</linearGradient></defs>\n<g fill=\"#222222\">\n";
    for (std::size_t i = 0; i < caption.size(); ++i)
        svg += "<text x=\"" + svg_number(bar_left) + "\" y=\"" + svg_number(bar_top - 8 - 14 * double(caption.size() - 1 - i)) + "\">" +
               xml_escape(caption[i]) + "</text>\n";
    svg += "<rect x=\"" + svg_number(bar_left) + "\" y=\"" + svg_number(bar_top) +
           "\" width=\"14\" height=\"" + svg_number(bar_height) +
           "\" fill=\"url(#colour-bar)\" stroke=\"#444444\"/>\n";
    for (double t : ticks) {
        const double y = bar_top + (high - t) / (high - low) * bar_height;
        svg += "<line x1=\"" + svg_number(bar_left + 14) + "\" y1=\"" + svg_number(y) + "\" x2=\"" +
               svg_number(bar_left + 18) + "\" y2=\"" + svg_number(y) + "\" stroke=\"#444444\"/>\n";
        svg += "<text x=\"" + svg_number(bar_left + 21) + "\" y=\"" + svg_number(y + font * 0.35) +
               "\">" + tick_label(t, tick_spacing) + "</text>\n";
    }
    double legend_y = bar_top + bar_height + 24;
    if (has_marks && !options.mark_label.empty()) {
        svg += "<circle cx=\"" + svg_number(bar_left + 7) + "\" cy=\"" + svg_number(legend_y - 4) +
               "\" r=\"3\" fill=\"black\"/>\n<text x=\"" + svg_number(bar_left + 18) + "\" y=\"" +
               svg_number(legend_y) + "\">" + xml_escape(options.mark_label) + "</text>\n";
        legend_y += 20;
    }
    if (has_missing)
        svg += "<rect x=\"" + svg_number(bar_left + 1) + "\" y=\"" + svg_number(legend_y - 10) +
               "\" width=\"12\" height=\"12\" fill=\"#d9d9d9\"/>\n<text x=\"" +
               svg_number(bar_left + 18) + "\" y=\"" + svg_number(legend_y) + "\">missing</text>\n";
    svg += "</g>\n</svg>\n";
    return svg;
}

} // namespace scae::report

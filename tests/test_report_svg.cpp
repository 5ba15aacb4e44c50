// SVG writers: structure, escaping, colours, determinism, bad input, and
// that every picture is well-formed XML (checked by a small parser below).
#include <doctest/doctest.h>

#include "scae/core/random.hpp"
#include "scae/report/svg.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace test_report_svg {

using scae::Index;
using scae::Matrix;
using namespace scae::report;

namespace {

/// True when `xml` is one well-formed element tree after the XML
/// declaration: tags nest and match, attributes are quoted, '&' only starts
/// the five predefined entities, and no '<' appears in text.
bool well_formed(const std::string& xml, std::string& why) {
    std::vector<std::string> open;
    std::size_t i = 0;
    int roots = 0;
    const auto entity_ok = [&](std::size_t at) {
        for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
            if (xml.compare(at, std::strlen(e), e) == 0) return true;
        return false;
    };
    while (i < xml.size()) {
        if (xml[i] == '<') {
            if (xml.compare(i, 5, "<?xml") == 0) {
                i = xml.find("?>", i) + 2;
                continue;
            }
            if (xml.compare(i, 9, "<![CDATA[") == 0) {
                i = xml.find("]]>", i) + 3;
                continue;
            }
            const std::size_t end = xml.find('>', i);
            if (end == std::string::npos) return why = "unterminated tag", false;
            std::string tag = xml.substr(i + 1, end - i - 1);
            if (tag.empty()) return why = "empty tag", false;
            if (tag[0] == '/') {
                if (open.empty() || open.back() != tag.substr(1))
                    return why = "mismatched </" + tag.substr(1) + ">", false;
                open.pop_back();
            } else {
                const bool self_closing = tag.back() == '/';
                const std::string name = tag.substr(0, tag.find_first_of(" /\n"));
                std::size_t quotes = 0;
                for (std::size_t k = 0; k < tag.size(); ++k) {
                    if (tag[k] == '"') ++quotes;
                    if (tag[k] == '&' && !entity_ok(i + 1 + k)) return why = "bare & in tag", false;
                    if (tag[k] == '<') return why = "< inside tag", false;
                }
                if (quotes % 2 != 0) return why = "unbalanced quotes in <" + name, false;
                if (open.empty()) ++roots;
                if (!self_closing) open.push_back(name);
            }
            i = end + 1;
        } else {
            if (xml[i] == '&' && !entity_ok(i)) return why = "bare & in text", false;
            if (xml[i] == '>') return why = "bare > in text", false;
            ++i;
        }
    }
    if (!open.empty()) return why = "unclosed <" + open.back() + ">", false;
    if (roots != 1) return why = "expected exactly one root element", false;
    return true;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

void require_well_formed(const std::string& svg) {
    std::string why;
    CHECK_MESSAGE(well_formed(svg, why), why);
    CHECK(svg.rfind("<?xml version=\"1.0\"", 0) == 0);
    CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"") != std::string::npos);
}

/// Writes sample pictures to $SCAE_SVG_SAMPLES (when set) for a look by eye.
void keep_sample(const std::string& name, const std::string& svg) {
    if (const char* dir = std::getenv("SCAE_SVG_SAMPLES"); dir && *dir)
        scae::write_text_atomically((std::filesystem::path(dir) / name).string(), svg);
}

} // namespace

TEST_CASE("the well-formedness check itself rejects broken XML") {
    std::string why;
    CHECK(well_formed("<?xml version=\"1.0\"?>\n<a><b x=\"1\"/>t &amp; u</a>\n", why));
    CHECK_FALSE(well_formed("<a><b></a></b>", why));
    CHECK_FALSE(well_formed("<a>x & y</a>", why));
    CHECK_FALSE(well_formed("<a x=\"1></a>", why));
    CHECK_FALSE(well_formed("<a></a><b></b>", why));
}

TEST_CASE("text helpers: escaping, numbers, ticks") {
    CHECK(xml_escape("a<b & \"c\" 'd'>\x01") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt; ");
    CHECK(svg_number(12.5) == "12.5");
    CHECK(svg_number(3.0) == "3");
    CHECK(svg_number(-0.001) == "0");
    CHECK(nice_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
    const auto ticks = nice_ticks(-3.7, 12.2);
    // 15.9 units / 5 ticks = 3.18, rounded to a spacing of 2.
    CHECK(ticks == std::vector<double>{-2, 0, 2, 4, 6, 8, 10, 12});
    CHECK(nice_ticks(2, 2).size() == 1);
    CHECK(tick_label(0.6000000000000001, 0.2) == "0.6");
    CHECK(tick_label(40, 20) == "40");
    CHECK(tick_label(0.15, 0.05) == "0.15");
    CHECK(text_width("abcd", 10) == doctest::Approx(24.8));
    CHECK(text_width("\xc3\xa9t\xc3\xa9", 10) == doctest::Approx(18.6)); // "été": 3 characters
}

TEST_CASE("natural order compares digit runs by value") {
    CHECK(natural_less("cluster 2", "cluster 10"));
    CHECK_FALSE(natural_less("cluster 10", "cluster 2"));
    CHECK(natural_less("B cell", "T cell"));
    CHECK(natural_less("x", "x1"));
    CHECK(natural_less("v007", "v8"));
    CHECK_FALSE(natural_less("same", "same"));
    CHECK(natural_less("a01", "a1") != natural_less("a1", "a01")); // still a strict order
}

TEST_CASE("colour maps hit their documented end points") {
    CHECK(hex(viridis(0)) == "#440154");
    CHECK(hex(viridis(1)) == "#fde725");
    CHECK(hex(viridis(7)) == "#fde725"); // clamped
    CHECK(hex(viridis(std::nan(""))) == "#440154"); // NaN: the start of the map
    CHECK(hex(blue_white_red(0)) == "#2166ac");
    CHECK(hex(blue_white_red(0.5)) == "#f7f7f7");
    CHECK(hex(blue_white_red(1)) == "#b2182b");
    CHECK(hex(category_colour(0)) == hex(category_colour(category_palette_size)));
    CHECK(hex(category_colour(0)) != hex(category_colour(1)));
    CHECK(luminance(Rgb{255, 255, 255}) == doctest::Approx(1.0));
}

TEST_CASE("scatter plot: one dot per cell, legend with counts, escaped names") {
    const Index n = 60;
    Matrix<double> xy(n, 2);
    std::vector<std::string> labels;
    for (Index i = 0; i < n; ++i) {
        const int c = int(i % 3);
        xy(i, 0) = 4.0 * c + std::sin(double(i));
        xy(i, 1) = -2.0 * c + std::cos(double(i));
        labels.push_back(c == 0 ? "T cell" : c == 1 ? "B & <plasma>" : "NK");
    }
    ScatterOptions options;
    options.title = "Latent space \"test\"";
    options.x_label = "PC1 (42%)";
    const std::string svg = scatter_svg(xy, labels, options);
    require_well_formed(svg);
    keep_sample("scatter.svg", svg);
    CHECK(count(svg, "<circle") == std::size_t(n) + 3); // cells plus 3 legend swatches
    CHECK(svg.find("B &amp; &lt;plasma&gt; (20)") != std::string::npos);
    CHECK(svg.find("T cell (20)") != std::string::npos);
    CHECK(svg.find("Latent space &quot;test&quot;") != std::string::npos);
    CHECK(svg.find("PC1 (42%)") != std::string::npos);
    CHECK(svg.find("PC2") != std::string::npos);
    CHECK(svg.find(".c0{fill:" + hex(category_colour(0))) != std::string::npos);
    CHECK(scatter_svg(xy, labels, options) == svg); // deterministic
}

TEST_CASE("scatter plot: a title wider than the plot stays inside the picture") {
    Matrix<double> xy(2, 2);
    xy << 0, 0, 1, 1;
    ScatterOptions options;
    options.title = "Foreign-model latent space of human_melanoma_chetah_query (PCA of the bottleneck)";
    const std::string svg = scatter_svg(xy, {"a", "b"}, options);
    const double width = std::stod(svg.substr(svg.find("width=\"") + 7));
    const std::size_t title = svg.rfind("<text x=\"", svg.find("Foreign-model"));
    const double centre = std::stod(svg.substr(title + 9));
    const double half = text_width(options.title, 15) / 2;
    CHECK(centre - half >= 0);
    CHECK(centre + half <= width);
}

TEST_CASE("scatter plot with many classes: rings after the palette, legend in columns") {
    const Index n = 600;
    Matrix<double> xy(n, 2);
    std::vector<std::string> labels;
    for (Index i = 0; i < n; ++i) {
        xy(i, 0) = std::cos(0.05 * double(i)) * double(i % 30);
        xy(i, 1) = std::sin(0.05 * double(i)) * double(i % 30);
        labels.push_back("cluster " + std::to_string(i % 30));
    }
    ScatterOptions options;
    options.height = 400;
    const std::string svg = scatter_svg(xy, labels, options);
    require_well_formed(svg);
    keep_sample("scatter_many.svg", svg);
    CHECK(svg.find("{fill:none;stroke:") != std::string::npos);
    // Natural order: cluster 2 is listed (and coloured) before cluster 10.
    CHECK(svg.find(">cluster 2 (20)<") < svg.find(">cluster 10 (20)<"));
    CHECK(svg.find(">cluster 9 (20)<") < svg.find(">cluster 10 (20)<"));
    CHECK(count(svg, "(20)</text>") == 30);
    CHECK(svg.find("(empty label)") == std::string::npos);
}

TEST_CASE("scatter plot makes room for wide tick labels") {
    const Index n = 3000;
    Matrix<double> xy(n, 2);
    std::vector<std::string> labels;
    scae::Rng rng(4);
    const char* names[] = {"CD4 T", "CD8 T", "NK", "B", "monocyte", "dendritic cell", "platelet"};
    for (Index i = 0; i < n; ++i) {
        const int c = int(rng.below(7));
        xy(i, 0) = 3.0 * c + rng.normal();
        xy(i, 1) = -25000.0 * (c % 3) + 4000.0 * rng.normal();
        labels.push_back(names[c]);
    }
    ScatterOptions options;
    options.title = "PBMC latent space (k-fold accuracy 0.93)";
    const std::string svg = scatter_svg(xy, labels, options);
    require_well_formed(svg);
    keep_sample("scatter_wide_ticks.svg", svg);
    CHECK(svg.find(">-60000</text>") != std::string::npos);
}

TEST_CASE("scatter plot edge cases and bad input") {
    const Matrix<double> none(0, 2);
    require_well_formed(scatter_svg(none, {}));
    Matrix<double> one(1, 2);
    one << 3, 3;
    const std::string single = scatter_svg(one, {""});
    require_well_formed(single);
    CHECK(single.find("(empty label) (1)") != std::string::npos);

    const Matrix<double> three_columns = Matrix<double>::Zero(2, 3);
    CHECK_THROWS_AS(scatter_svg(three_columns, {"a", "b"}), scae::Error);
    const Matrix<double> two = Matrix<double>::Zero(2, 2);
    CHECK_THROWS_AS(scatter_svg(two, {"a"}), scae::Error);
    Matrix<double> bad = two;
    bad(1, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(scatter_svg(bad, {"a", "b"}), scae::Error);
    ScatterOptions options;
    options.point_radius = 0;
    CHECK_THROWS_AS(scatter_svg(two, {"a", "b"}, options), scae::Error);
}

TEST_CASE("heatmap: one cell per value, marks, colour bar, escaped names") {
    Matrix<double> values(3, 4);
    values << -2.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.5, -1.0, 0.2, 0.1, -0.1, 3.0;
    const std::vector<std::string> rows{"programme 1", "programme <2>", "IFN & stress"};
    const std::vector<std::string> cols{"CD8 T cell", "B cell", "classical monocyte",
                                        "plasmacytoid dendritic cell"};
    Mask marks = Mask::Constant(3, 4, false);
    marks(0, 0) = marks(2, 3) = true;
    HeatmapOptions options;
    options.title = "Programme activity";
    options.scale = ColourScale::diverging;
    options.value_label = "z-score";
    options.mark_label = "FDR < 0.05";
    const std::string svg = heatmap_svg(values, rows, cols, options, marks);
    require_well_formed(svg);
    keep_sample("heatmap.svg", svg);
    CHECK(count(svg, "<title>") == 12);
    CHECK(count(svg, "<circle") == 2 + 1); // two marks and the legend dot
    CHECK(svg.find("programme &lt;2&gt;") != std::string::npos);
    CHECK(svg.find("IFN &amp; stress / B cell: 0.1") != std::string::npos);
    CHECK(svg.find("FDR &lt; 0.05") != std::string::npos);
    CHECK(svg.find("rotate(-45") != std::string::npos);
    // Diverging auto range is symmetric, -3..3: the extremes get the end colours.
    CHECK(svg.find("fill=\"" + hex(blue_white_red(1.0)) + "\"><title>IFN &amp; stress / plasmacytoid") !=
          std::string::npos);
    CHECK(svg.find(">-2</text>") != std::string::npos);
    CHECK(svg.find(">2</text>") != std::string::npos);
    CHECK(svg.find("missing") == std::string::npos);
}

TEST_CASE("heatmap: sequential scale, fixed range, missing values") {
    Matrix<double> values(2, 2);
    values << 0.0, 0.5, std::numeric_limits<double>::quiet_NaN(), 1.0;
    HeatmapOptions options;
    options.min = 0;
    options.max = 2; // 1.0 sits mid-scale
    const std::string svg = heatmap_svg(values, {"r1", "r2"}, {"c1", "c2"}, options);
    require_well_formed(svg);
    CHECK(svg.find("fill=\"#d9d9d9\"><title>r2 / c1: missing") != std::string::npos);
    CHECK(svg.find("fill=\"" + hex(viridis(0.5)) + "\"><title>r2 / c2: 1") != std::string::npos);
    CHECK(svg.find("fill=\"" + hex(viridis(0.0)) + "\"><title>r1 / c1: 0") != std::string::npos);
    CHECK(svg.find(">missing</text>") != std::string::npos);
    // A constant matrix still gets a usable scale.
    const Matrix<double> flat = Matrix<double>::Constant(1, 1, 7.0);
    require_well_formed(heatmap_svg(flat, {"r"}, {"c"}));
}

TEST_CASE("heatmap of a larger matrix: every cell and label present") {
    const Index rows = 15, cols = 30;
    Matrix<double> values(rows, cols);
    Mask marks(rows, cols);
    std::vector<std::string> row_names, col_names;
    scae::Rng rng(8);
    for (Index r = 0; r < rows; ++r) row_names.push_back("programme " + std::to_string(r + 1));
    for (Index c = 0; c < cols; ++c)
        col_names.push_back(c % 4 == 0 ? "ENSG000001" + std::to_string(1000 + c) : "GENE" + std::to_string(c));
    for (Index r = 0; r < rows; ++r)
        for (Index c = 0; c < cols; ++c) {
            values(r, c) = std::abs(rng.normal()) * double(r + 1) / 10.0;
            marks(r, c) = values(r, c) > 1.0;
        }
    HeatmapOptions options;
    options.title = "Top loadings per programme";
    options.value_label = "|loading|";
    options.mark_label = "|loading| > 1";
    const std::string svg = heatmap_svg(values, row_names, col_names, options, marks);
    require_well_formed(svg);
    keep_sample("heatmap_large.svg", svg);
    CHECK(count(svg, "<title>") == std::size_t(rows * cols));
    CHECK(count(svg, "<circle") == std::size_t(marks.count()) + 1);
    CHECK(count(svg, "rotate(-45") == std::size_t(cols));
}

TEST_CASE("heatmap rejects bad input") {
    const Matrix<double> values = Matrix<double>::Zero(2, 3);
    CHECK_THROWS_AS(heatmap_svg(values, {"a"}, {"x", "y", "z"}), scae::Error);
    CHECK_THROWS_AS(heatmap_svg(values, {"a", "b"}, {"x", "y"}), scae::Error);
    CHECK_THROWS_AS(heatmap_svg(values, {"a", "b"}, {"x", "y", "z"}, {}, Mask::Constant(3, 2, true)),
                    scae::Error);
    HeatmapOptions options;
    options.min = 1;
    options.max = 0;
    CHECK_THROWS_AS(heatmap_svg(values, {"a", "b"}, {"x", "y", "z"}, options), scae::Error);
    const Matrix<double> empty(0, 0);
    CHECK_THROWS_AS(heatmap_svg(empty, {}, {}), scae::Error);
    Matrix<double> infinite = values;
    infinite(0, 0) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(heatmap_svg(infinite, {"a", "b"}, {"x", "y", "z"}), scae::Error);
}

TEST_CASE("write_text_atomically replaces the file whole and leaves no temporary behind") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() /
                         ("scae_test_report_svg_" +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    const std::string path = (dir / "picture.svg").string();
    scae::write_text_atomically(path, "first version, longer than the second\n");
    scae::write_text_atomically(path, "second\n");
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    CHECK(content.str() == "second\n");
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    try {
        scae::write_text_atomically((dir / "no_such_dir" / "x.svg").string(), "x");
        FAIL("expected scae::Error");
    } catch (const scae::Error& e) {
        CHECK(std::string(e.what()).find("no_such_dir") != std::string::npos);
    }
    fs::remove_all(dir);
}

} // namespace test_report_svg

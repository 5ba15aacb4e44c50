// Loess and highly variable gene selection (scae::data): the loess against R, the Seurat v3 and
// dispersion scores against hand computations, and selection of planted variable genes.
#include <doctest/doctest.h>

#include "scae/data/hvg.hpp"
#include "scae/data/loess.hpp"
#include "scae/data/random.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace test_data_hvg {

using scae::Csr;
using scae::Index;
namespace sd = scae::data;

namespace {

Csr<double> from_dense(const std::vector<std::vector<double>>& rows) {
    Eigen::MatrixXd dense(static_cast<Index>(rows.size()), static_cast<Index>(rows[0].size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < rows[r].size(); ++c) dense(static_cast<Index>(r), static_cast<Index>(c)) = rows[r][c];
    }
    Csr<double> m = dense.sparseView();
    m.makeCompressed();
    return m;
}

// x, y and R 4.2.2's fitted values, made by:
//   set.seed(7); n <- 60; x <- round(runif(n, 0, 4), 2); x[1:8] <- 1.5
//   y <- sin(x) + 0.3 * x^2 + rnorm(n, sd = 0.2)
//   f <- loess(y ~ x, span = 0.3, degree = 2, surface = "direct")
const double r_loess_direct[][3] = {
    {1.5, 1.498324782090336, 1.6058040888914409},
    {1.5, 1.8162370972209034, 1.6058040888914409},
    {1.5, 1.6946255621579216, 1.6058040888914409},
    {1.5, 1.6568016330097135, 1.6058040888914409},
    {1.5, 1.5883968947356548, 1.6058040888914409},
    {1.5, 1.5600698113470013, 1.6058040888914409},
    {1.5, 1.8719976755551153, 1.6058040888914409},
    {1.5, 1.4514689748414018, 1.6058040888914409},
    {0.66000000000000003, 0.7153392858185168, 0.75106995096823836},
    {1.8400000000000001, 2.0426619771300305, 1.9951894161438077},
    {0.68999999999999995, 1.0230772891234374, 0.79727210696470618},
    {0.93000000000000005, 0.92122652514667447, 1.0874406522416935},
    {3.0899999999999999, 2.8589132180927894, 2.939656526944546},
    {0.39000000000000001, 0.16350788060128424, 0.40454758710318761},
    {1.8100000000000001, 1.8761544695324637, 1.9396537575096207},
    {0.34000000000000002, 0.28786176952181997, 0.34839395374991966},
    {2.2400000000000002, 2.5596994412690108, 2.386720585810679},
    {0.029999999999999999, 0.14850350562033982, 0.058400550690146824},
    {3.9399999999999999, 3.9609395220017429, 4.0680089022918438},
    {1.27, 1.6251852546887116, 1.3922712913936717},
    {2.5600000000000001, 2.4628869667138202, 2.4327097473404757},
    {1.1799999999999999, 1.3407923914654876, 1.3614317365148405},
    {3.9900000000000002, 4.0992322730792088, 4.1582412495267969},
    {3.6200000000000001, 3.8123865941985229, 3.5715731685914047},
    {3.9500000000000002, 4.1023099284191638, 4.0857896673271492},
    {0.26000000000000001, 0.37356776163373856, 0.2628657556555451},
    {2.5099999999999998, 2.1668872692688619, 2.418548183273324},
    {1.96, 2.1413415774843338, 2.2011596456639522},
    {3.8799999999999999, 3.8764073577919076, 3.9642626521641868},
    {1.45, 1.4434814651119541, 1.586678271878152},
    {2.7200000000000002, 2.6440084644441324, 2.5088006768250599},
    {1.05, 1.2300042812465626, 1.2053082826748998},
    {0.73999999999999999, 0.94730274857008478, 0.87113178674483571},
    {0.73999999999999999, 0.97952938215075447, 0.87113178674483571},
    {1.52, 1.7556239724870049, 1.6147229122259454},
    {3.3900000000000001, 3.4236194535095743, 3.3021739265193464},
    {1.99, 2.2552742002726474, 2.2461906959442945},
    {3.1600000000000001, 3.2079684280227339, 3.0235459797436137},
    {3.3500000000000001, 3.4119847288627878, 3.2613278770526937},
    {1.8300000000000001, 2.1113890931477628, 1.9767651068955439},
    {3.2000000000000002, 3.1001512887416114, 3.0777125027661318},
    {1.53, 1.5169176016200918, 1.6188488178987883},
    {3.04, 2.7507811449904178, 2.8773749385320606},
    {1.75, 1.729404009223662, 1.7775887341527381},
    {3.6200000000000001, 3.1430506677347743, 3.5715731685914043},
    {1.28, 1.1843680115205431, 1.3946147903042772},
    {0.33000000000000002, 0.17890568286727435, 0.33739561375654004},
    {3.27, 2.9682947696731974, 3.1653893588952231},
    {3.5899999999999999, 3.4204186554796125, 3.5303008163853757},
    {3.8700000000000001, 4.3119266103857665, 3.9474797518073701},
    {2.29, 2.3940776464236309, 2.3761121721508727},
    {2.8799999999999999, 2.7477889969115368, 2.6687567477625187},
    {3.1000000000000001, 2.9304246308336213, 2.9510127189466062},
    {2.5099999999999998, 2.4017762322896519, 2.4185481832733249},
    {2.8900000000000001, 2.5960358741153668, 2.6813999527061334},
    {1.55, 1.6581933911303228, 1.6111763302699482},
    {0.65000000000000002, 0.66272268737986761, 0.73598203336594337},
    {0.75, 0.78946724237426924, 0.88458106067441356},
    {1.5600000000000001, 1.3728430227410628, 1.6088894710328607},
    {1.1000000000000001, 1.3716622944330294, 1.2896215243530809},
};

} // namespace

TEST_CASE("loess matches R's loess(surface = \"direct\"), ties included") {
    std::vector<double> x, y, expected;
    for (const auto& row : r_loess_direct) {
        x.push_back(row[0]);
        y.push_back(row[1]);
        expected.push_back(row[2]);
    }
    const std::vector<double> fitted = sd::loess_fit(x, y, {0.3, 2});
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(fitted[i] == doctest::Approx(expected[i]).epsilon(1e-10));
}

TEST_CASE("a degree-2 loess reproduces a quadratic exactly, for any span") {
    std::vector<double> x, y;
    for (int i = 0; i < 50; ++i) {
        x.push_back(std::sqrt(static_cast<double>(i)) - 3);
        y.push_back(2 - 0.5 * x.back() + 0.25 * x.back() * x.back());
    }
    for (double span : {0.1, 0.3, 1.0}) {
        const std::vector<double> fitted = sd::loess_fit(x, y, {span, 2});
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(fitted[i] == doctest::Approx(y[i]).epsilon(1e-9));
    }
}

TEST_CASE("loess refuses what it cannot fit") {
    const std::vector<double> x{0, 1, 2, 3, 4}, y{1, 2, 3, 4, 5};
    CHECK_THROWS_AS(sd::loess_fit(x, {1, 2}), scae::Error);                  // sizes differ
    CHECK_THROWS_AS(sd::loess_fit(x, y, {0.3, 2}), scae::Error);             // 1 point per neighbourhood
    CHECK_THROWS_AS(sd::loess_fit(x, y, {1.5, 2}), scae::Error);             // span above 1
    CHECK_THROWS_AS(sd::loess_fit({0, 1, NAN, 3, 4}, y, {1, 2}), scae::Error); // not finite
    CHECK_NOTHROW(sd::loess_fit(x, y, {1, 2}));
}

TEST_CASE("seurat_v3 scores: genes on the trend score 1, and the clipped-variance formula holds") {
    // Ten genes with identical mean 1.5 and variance 5/3 (each a permutation of 0..3 over four
    // cells): the trend through tied points is their own variance, so each scores exactly 1.
    std::vector<std::vector<double>> rows(4, std::vector<double>(10));
    for (int g = 0; g < 10; ++g) {
        for (int c = 0; c < 4; ++c) rows[static_cast<std::size_t>(c)][static_cast<std::size_t>(g)] = (c + g) % 4;
    }
    const sd::HvgResult flat = sd::seurat_v3_scores(from_dense(rows), 0.3);
    for (int g = 0; g < 10; ++g) {
        CHECK(flat.means[static_cast<std::size_t>(g)] == doctest::Approx(1.5));
        CHECK(flat.variances[static_cast<std::size_t>(g)] == doctest::Approx(5.0 / 3.0));
        CHECK(flat.trend[static_cast<std::size_t>(g)] == doctest::Approx(5.0 / 3.0));
        CHECK(flat.scores[static_cast<std::size_t>(g)] == doctest::Approx(1.0));
    }

    // A larger random matrix: recompute every score by hand from the returned trend, clipping at
    // mean + sqrt(N) * sd; one gene has a huge outlier that the clip must cap.
    scae::Rng rng(3);
    const int cells = 40, genes = 200;
    std::vector<std::vector<double>> dense(cells, std::vector<double>(genes));
    for (int g = 0; g < genes; ++g) {
        for (int c = 0; c < cells; ++c) {
            dense[static_cast<std::size_t>(c)][static_cast<std::size_t>(g)] =
                static_cast<double>(sd::poisson_variate(rng, 0.2 + 0.05 * g));
        }
    }
    dense[5][57] = 60;
    const sd::HvgResult r = sd::seurat_v3_scores(from_dense(dense), 0.3);
    bool clipped_somewhere = false;
    for (int g = 0; g < genes; ++g) {
        const std::size_t gi = static_cast<std::size_t>(g);
        const double mean = r.means[gi], sd_fit = std::sqrt(r.trend[gi]);
        const double clip = mean + std::sqrt(double(cells)) * sd_fit;
        double squares = 0;
        for (int c = 0; c < cells; ++c) {
            const double v = std::min(dense[static_cast<std::size_t>(c)][gi], clip);
            clipped_somewhere = clipped_somewhere || dense[static_cast<std::size_t>(c)][gi] > clip;
            squares += (v - mean) * (v - mean);
        }
        CHECK(r.scores[gi] == doctest::Approx(squares / ((cells - 1) * r.trend[gi])));
    }
    CHECK(clipped_somewhere);
}

TEST_CASE("dispersion scores match a hand computation with one bin") {
    // Three cells, three genes (already normalised values).
    //   gene 0: 1 2 3 -> mean 2, var 1,  dispersion 0.5
    //   gene 1: 0 0 6 -> mean 2, var 12, dispersion 6
    //   gene 2: 4 4 4 -> mean 4, var 0,  dispersion 0 -> undefined (NaN)
    const Csr<double> m = from_dense({{1, 0, 4}, {2, 0, 4}, {3, 6, 4}});
    const sd::HvgResult r = sd::dispersion_scores(m, 1);
    const double d0 = std::log(0.5), d1 = std::log(6.0);
    const double mean = (d0 + d1) / 2, sd_bin = std::sqrt(((d0 - mean) * (d0 - mean) + (d1 - mean) * (d1 - mean)) / 1);
    CHECK(r.scores[0] == doctest::Approx((d0 - mean) / sd_bin));
    CHECK(r.scores[1] == doctest::Approx((d1 - mean) / sd_bin));
    CHECK(std::isnan(r.scores[2]));
    // With 20 bins, genes 0 and 1 share the lowest bin; alone in a bin a gene scores 1 (scanpy's rule).
    const Csr<double> spread = from_dense({{1, 0, 40}, {2, 0, 50}, {3, 6, 60}});
    const sd::HvgResult binned = sd::dispersion_scores(spread, 20);
    CHECK(binned.scores[0] == doctest::Approx((d0 - mean) / sd_bin));
    CHECK(binned.scores[2] == doctest::Approx(1.0));
}

TEST_CASE("top_scoring: best first, NaN last, ties to the lower column, output ascending") {
    const std::vector<double> scores{1.0, NAN, 3.0, 3.0, 2.0};
    CHECK(sd::top_scoring(scores, 2) == std::vector<Index>{2, 3});
    CHECK(sd::top_scoring(scores, 3) == std::vector<Index>{2, 3, 4});
    CHECK(sd::top_scoring(scores, 5) == std::vector<Index>{0, 1, 2, 3, 4});
    CHECK(sd::top_scoring(scores, 9).size() == 5);
}

TEST_CASE("both flavours select the planted high-variance genes") {
    // 400 cells x 1000 Poisson genes with means from 0.05 to 20; the 12 planted genes (means 1 to
    // 20) are 8x higher in a random half of the cells than in the other half.
    scae::Rng rng(11);
    const int cells = 400, genes = 1000;
    std::vector<Index> planted;
    for (int g = 520; g < genes; g += 40) planted.push_back(g);
    std::vector<bool> high(cells);
    for (int c = 0; c < cells; ++c) high[static_cast<std::size_t>(c)] = rng.uniform() < 0.5;
    std::vector<Eigen::Triplet<double>> entries;
    for (int c = 0; c < cells; ++c) {
        for (int g = 0; g < genes; ++g) {
            double mean = 0.05 * std::pow(400.0, g / double(genes - 1));
            if (std::binary_search(planted.begin(), planted.end(), Index{g})) mean *= high[static_cast<std::size_t>(c)] ? 1.6 : 0.2;
            const auto k = sd::poisson_variate(rng, mean);
            if (k > 0) entries.emplace_back(c, g, static_cast<double>(k));
        }
    }
    Csr<double> counts(cells, genes);
    counts.setFromTriplets(entries.begin(), entries.end());

    sd::HvgOptions options;
    options.n_top_genes = static_cast<Index>(planted.size());
    CHECK(sd::highly_variable_genes(counts, options).selected == planted);
    options.flavor = sd::HvgFlavor::dispersion;
    CHECK(sd::highly_variable_genes(counts, options).selected == planted);
}

} // namespace test_data_hvg

// Which groups of cells activate each bottleneck node: means and AUCs against hand-computed values.
#include <doctest/doctest.h>

#include "scae/interpret/node_activity.hpp"

#include <cmath>

namespace test_interpret_node_activity {

using namespace scae;

TEST_CASE("node_activity: per group, the mean activation on its cells and the rest, and the AUC of group vs rest") {
    // Five cells, two nodes; the last cell has no label and takes no part.
    Matrix<double> latent(5, 2);
    latent << 3.0, 1.0, //
        2.0, 1.0,       //
        1.0, 1.0,       //
        0.5, 2.0,       //
        9.0, 9.0;
    const std::vector<std::string> labels = {"mono", "mono", "t", "t", ""};
    const interpret::NodeActivity a = interpret::node_activity(latent, labels);
    REQUIRE(a.groups == std::vector<std::string>{"mono", "t"});
    CHECK(a.cells == std::vector<Index>{2, 2});
    // Node 0 separates the groups completely.
    CHECK(a.mean_group(0, 0) == doctest::Approx(2.5));
    CHECK(a.mean_rest(0, 0) == doctest::Approx(0.75));
    CHECK(a.auc(0, 0) == doctest::Approx(1.0));
    CHECK(a.auc(1, 0) == doctest::Approx(0.0));
    // Node 1: mono {1, 1} against t {1, 2}: of the four pairs, two ties (half each) and two losses.
    CHECK(a.auc(0, 1) == doctest::Approx(0.25));
    CHECK(a.auc(1, 1) == doctest::Approx(0.75));
    CHECK(interpret::most_active_group(a, 0, 0.8) == "mono");
    CHECK(interpret::most_active_group(a, 1, 0.8).empty()); // t's 0.75 is below 0.8
    CHECK(interpret::most_active_group(a, 1, 0.7) == "t");
}

TEST_CASE("node_activity: one group has no rest (NaN AUC); mismatched lengths are an error") {
    Matrix<double> latent(2, 1);
    latent << 1.0, 2.0;
    const auto a = interpret::node_activity(latent, {"only", "only"});
    CHECK(std::isnan(a.auc(0, 0)));
    CHECK(std::isnan(a.mean_rest(0, 0)));
    CHECK(interpret::most_active_group(a, 0, 0.5).empty());
    CHECK_THROWS_WITH_AS(interpret::node_activity(latent, {"a"}), doctest::Contains("1 labels for 2 cells"), Error);
}

TEST_CASE("input_shift: each gene's activity-weighted mean input minus its mean, per node") {
    // Four cells, two genes; node 0 is raised by cells 0 and 1, node 1 by cell 3 only.
    Matrix<float> dense(4, 2);
    dense << 4, 0, //
        2, 0,      //
        0, 1,      //
        0, 3;
    const Csr<float> input = dense.sparseView();
    Matrix<double> weights(4, 2);
    weights << 1, 0, //
        3, 0,        //
        0, 0,        //
        0, 2;
    const Matrix<double> shift = interpret::input_shift(input, weights);
    // Means over cells: gene 0 1.5, gene 1 1. Node 0: (4 + 6) / 4 = 2.5 and 0; node 1: 0 and 3.
    CHECK(shift(0, 0) == doctest::Approx(1.0));
    CHECK(shift(0, 1) == doctest::Approx(-1.0));
    CHECK(shift(1, 0) == doctest::Approx(-1.5));
    CHECK(shift(1, 1) == doctest::Approx(2.0));
    CHECK(interpret::input_shift(input, Matrix<double>::Zero(4, 1)).isZero()); // no cell raises the node
    CHECK_THROWS_AS(interpret::input_shift(input, Matrix<double>::Ones(3, 2)), scae::Error);
}

TEST_CASE("silent nodes: activation that hardly varies over the cells") {
    Matrix<float> latent(4, 4);
    latent << 1, 0.001f, 5, 2, //
        3, 0.002f, 5, 4,       //
        5, 0.001f, 5, 6,       //
        7, 0.003f, 5, 9;       // node 2 is constant
    const RowVector<double> sd = interpret::activation_sd(latent);
    CHECK(sd(0) == doctest::Approx(std::sqrt(20.0 / 3.0)));
    CHECK(sd(2) == 0);
    // The median of {2.58, 0.00096, 0, 2.99} is 1.29: nodes 1 and 2 fall below 5% of it.
    CHECK(interpret::silent_nodes(sd) == std::vector<Index>{1, 2});
    CHECK(interpret::silent_nodes(sd, 0.0).empty());
    CHECK(interpret::silent_nodes(RowVector<double>()).empty());
    CHECK(interpret::activation_sd(Matrix<float>(1, 3)).isZero());
}

} // namespace test_interpret_node_activity

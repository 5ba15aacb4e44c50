// Known-answer tests of the label metrics. Reference values were computed
// with small numpy/scipy scripts that write out scikit-learn's definitions
// independently of the C++ code (sklearn itself is not installed here):
//   - F1: per class from TP / predicted / actual counts, 0 when undefined;
//   - ARI: Hubert-Arabie formula with binomial coefficients (the C++ code
//     uses the pair-confusion form, so the two agree only if both are right);
//   - NMI: sum p_ij log(p_ij / (p_i p_j)) over (H_a + H_b) / 2;
//   - silhouette: scipy cdist, then a and b by explicit loops.
#include <doctest/doctest.h>

#include "scae/eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace test_eval_metrics {

using scae::Matrix;
using namespace scae::eval;

namespace {
std::vector<std::string> chars(const std::string& s) {
    std::vector<std::string> out;
    for (char c : s) out.emplace_back(1, c);
    return out;
}
} // namespace

TEST_CASE("label encoding numbers classes in sorted order; empty string is a class") {
    const std::vector<std::string> labels{"T", "", "B", "T"};
    const auto enc = encode_labels(labels);
    CHECK(enc.classes == std::vector<std::string>{"", "B", "T"});
    CHECK(enc.codes == std::vector<int>{2, 0, 1, 2});
    CHECK_THROWS_AS(codes_in(enc.classes, std::vector<std::string>{"NK"}), scae::Error);
}

TEST_CASE("classification report matches the numpy reference") {
    // truth "aaabbccccd", predicted "abaabcacec": d is never predicted, e never true.
    const auto truth = chars("aaabbccccd");
    const auto predicted = chars("abaabcacec");
    const auto report = classification_report(truth, predicted);
    CHECK(report.classes == chars("abcde"));
    CHECK(report.accuracy == doctest::Approx(0.5));
    CHECK(accuracy(truth, predicted) == doctest::Approx(0.5));
    const std::vector<double> f1{0.5714285714285715, 0.5, 0.5714285714285715, 0.0, 0.0};
    for (std::size_t c = 0; c < f1.size(); ++c) CHECK(report.f1[c] == doctest::Approx(f1[c]));
    CHECK(report.precision[2] == doctest::Approx(2.0 / 3.0));
    CHECK(report.recall[2] == doctest::Approx(0.5));
    CHECK(report.macro_f1 == doctest::Approx(0.3285714285714286));
    CHECK(macro_f1(truth, predicted) == doctest::Approx(0.3285714285714286));
    CHECK(report.support == std::vector<scae::Index>{3, 2, 4, 1, 0});
    // Rows truth, columns prediction: the c cells went to c, c, a, e.
    CHECK(report.confusion(2, 2) == 2);
    CHECK(report.confusion(2, 0) == 1);
    CHECK(report.confusion(2, 4) == 1);
    CHECK(report.confusion(3, 2) == 1);
    CHECK(report.confusion.sum() == 10);
}

TEST_CASE("classification metrics work on integer labels and a single class") {
    const std::vector<int> truth{7, 7, 7};
    CHECK(accuracy(truth, truth) == 1.0);
    CHECK(macro_f1(truth, truth) == 1.0);
    const std::vector<int> wrong{3, 3, 3};
    CHECK(macro_f1(truth, wrong) == 0.0);
}

TEST_CASE("classification metrics reject mismatched or empty input") {
    CHECK_THROWS_AS(accuracy(chars("ab"), chars("abc")), scae::Error);
    CHECK_THROWS_AS(macro_f1(chars(""), chars("")), scae::Error);
    CHECK_THROWS_AS(classification_report(chars("a"), chars("")), scae::Error);
    CHECK_THROWS_AS(confusion_from_codes({0, 1}, {0, 2}, 2), scae::Error);
}

TEST_CASE("adjusted Rand index and NMI match the numpy reference") {
    const std::vector<int> a{0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
    const std::vector<int> b{1, 1, 0, 0, 2, 2, 2, 2, 0, 0};
    CHECK(adjusted_rand_index(a, b) == doctest::Approx(0.05904059040590404));
    CHECK(normalized_mutual_information(a, b) == doctest::Approx(0.3692033550634543));
    const std::vector<int> pairs{0, 0, 1, 1, 2, 2, 3, 3, 4, 4};
    CHECK(adjusted_rand_index(a, pairs) == doctest::Approx(0.372093023255814));
    CHECK(normalized_mutual_information(a, pairs) == doctest::Approx(0.7043376913891887));
    // Symmetric in its arguments.
    CHECK(adjusted_rand_index(b, a) == doctest::Approx(adjusted_rand_index(a, b)));
}

TEST_CASE("partition agreement ignores label names and handles trivial partitions") {
    const std::vector<int> a{0, 0, 1, 1, 2};
    const std::vector<std::string> renamed{"x", "x", "y", "y", "z"};
    CHECK(adjusted_rand_index(a, renamed) == doctest::Approx(1.0));
    CHECK(normalized_mutual_information(a, renamed) == doctest::Approx(1.0));
    const std::vector<int> one_class{4, 4, 4, 4, 4};
    // Both put every cell together: perfect agreement, as in scikit-learn.
    CHECK(adjusted_rand_index(one_class, one_class) == 1.0);
    CHECK(normalized_mutual_information(one_class, one_class) == 1.0);
    // One partition trivial, the other not: no information shared.
    CHECK(normalized_mutual_information(one_class, a) == 0.0);
    CHECK(adjusted_rand_index(one_class, a) == doctest::Approx(0.0));
    CHECK_THROWS_AS(adjusted_rand_index(a, std::vector<int>{1}),
                    scae::Error);
    CHECK_THROWS_AS(normalized_mutual_information(std::vector<int>{}, std::vector<int>{}),
                    scae::Error);
}

TEST_CASE("silhouette matches the numpy reference, singleton class scores 0") {
    Matrix<double> X(7, 2);
    X << 0.0, 0.0, 0.5, 0.2, 0.1, 0.9, 4.0, 4.0, 4.2, 3.1, 3.3, 4.4, 9.0, 0.0;
    const std::vector<int> labels{0, 0, 0, 1, 1, 1, 2};
    const std::vector<double> expected{0.8677363681204483, 0.8647600642889695, 0.8214095159298342,
                                       0.8359847660179036, 0.7423771551061047, 0.7657936227461255,
                                       0.0};
    const auto s = silhouette_samples(X, labels);
    REQUIRE(s.size() == expected.size());
    for (std::size_t i = 0; i < s.size(); ++i) CHECK(s[i] == doctest::Approx(expected[i]));
    CHECK(silhouette_score(X, labels) == doctest::Approx(0.6997230703156265));
    // Float input gives the same score to float precision.
    const Matrix<float> Xf = X.cast<float>();
    CHECK(silhouette_score(Xf, labels) == doctest::Approx(0.6997230703156265).epsilon(1e-6));
}

TEST_CASE("silhouette rejects undefined cases and bad input") {
    Matrix<double> X(3, 1);
    X << 0.0, 1.0, 2.0;
    CHECK_THROWS_AS(silhouette_score(X, std::vector<int>{0, 0, 0}), scae::Error); // one class
    CHECK_THROWS_AS(silhouette_score(X, std::vector<int>{0, 1, 2}), scae::Error); // all singletons
    CHECK_THROWS_AS(silhouette_score(X, std::vector<int>{0, 1}), scae::Error);    // size mismatch
    X(1, 0) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(silhouette_score(X, std::vector<int>{0, 0, 1}), scae::Error);
}

TEST_CASE("silhouette on a larger sample agrees with a direct evaluation") {
    // Several blocks of rows, so the blocked parallel path is exercised.
    const scae::Index n = 1500;
    Matrix<double> X(n, 3);
    std::vector<int> labels(n);
    for (scae::Index i = 0; i < n; ++i) {
        labels[i] = int(i % 4);
        for (scae::Index j = 0; j < 3; ++j)
            X(i, j) = std::sin(0.37 * double(i) + double(j)) + 2.0 * labels[i] * (j == 0);
    }
    const auto s = silhouette_samples(X, labels);
    for (scae::Index i : {scae::Index(0), scae::Index(777), n - 1}) {
        std::vector<double> sum(4, 0.0), count(4, 0.0);
        for (scae::Index j = 0; j < n; ++j) {
            if (j == i) continue;
            sum[labels[j]] += (X.row(i) - X.row(j)).norm();
            count[labels[j]] += 1.0;
        }
        const double a = sum[labels[i]] / count[labels[i]];
        double b = 1e300;
        for (int c = 0; c < 4; ++c)
            if (c != labels[i]) b = std::min(b, sum[c] / count[c]);
        CHECK(s[i] == doctest::Approx((b - a) / std::max(a, b)).epsilon(1e-9));
    }
}

} // namespace test_eval_metrics

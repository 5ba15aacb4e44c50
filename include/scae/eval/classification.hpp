#pragma once
/// @file classification.hpp
/// @brief Accuracy, confusion matrix and per-class / macro F1 of predicted
/// labels against true labels (the scores of a label-transfer classifier).
///
/// Conventions follow scikit-learn's defaults: the classes are the union of
/// those in the truth and in the predictions; a class that is never predicted
/// (or never true) has precision (or recall) 0 and so F1 0, and still counts
/// in the macro average. Macro-F1 is the unweighted mean of per-class F1.

#include "scae/core/types.hpp"
#include "scae/eval/labels.hpp"

#include <string>
#include <vector>

namespace scae::eval {

/// Counts of (true class, predicted class) pairs: rows are true classes,
/// columns predicted classes, both indexed like `classes` of the report.
using ConfusionMatrix = Matrix<Index>;

/// Everything a classifier evaluation prints, for one set of predictions.
template <class Label>
struct ClassificationReport {
    /// Sorted union of true and predicted classes; indexes all per-class vectors.
    std::vector<Label> classes;
    /// confusion(t, p): number of cells of true class t predicted as p.
    ConfusionMatrix confusion;
    /// Per class: true positives / predicted positives (0 when never predicted).
    std::vector<double> precision;
    /// Per class: true positives / actual positives (0 when never true).
    std::vector<double> recall;
    /// Per class: harmonic mean of precision and recall (0 when both are 0).
    std::vector<double> f1;
    /// Per class: number of cells whose true label is the class.
    std::vector<Index> support;
    /// Fraction of cells predicted correctly.
    double accuracy = 0;
    /// Unweighted mean of `f1` over all classes.
    double macro_f1 = 0;
};

/// Confusion matrix of integer codes in 0..n_classes-1 (rows truth, columns prediction).
/// @param truth      true class code of each cell
/// @param predicted  predicted class code of each cell, as many as `truth`
/// @param n_classes  number of classes; every code must be below it
/// @return n_classes x n_classes counts
/// @throws Error when the lengths differ or are 0, or a code is out of range
inline ConfusionMatrix confusion_from_codes(const std::vector<int>& truth,
                                            const std::vector<int>& predicted, Index n_classes) {
    require_same_nonzero_length(truth.size(), predicted.size(), "confusion_from_codes");
    ConfusionMatrix confusion = ConfusionMatrix::Zero(n_classes, n_classes);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= n_classes || predicted[i] < 0 || predicted[i] >= n_classes)
            fail("confusion_from_codes", 0,
                 "code out of range at entry " + std::to_string(i) + "; expected 0.." +
                     std::to_string(n_classes - 1));
        ++confusion(truth[i], predicted[i]);
    }
    return confusion;
}

/// Per-class precision, recall, F1 and macro-F1 from a confusion matrix.
/// `classes` must have one entry per row of `confusion`.
/// @param classes    the class of each row (and column) of `confusion`
/// @param confusion  square counts, rows truth, columns prediction
/// @return the report, owning `classes` and `confusion`
/// @throws Error when `confusion` is not square with one row per class
template <class Label>
ClassificationReport<Label> report_from_confusion(std::vector<Label> classes,
                                                  ConfusionMatrix confusion) {
    const Index n_classes = confusion.rows();
    if (confusion.cols() != n_classes || static_cast<Index>(classes.size()) != n_classes)
        fail("report_from_confusion", 0,
             "expected a square confusion matrix with one row per class; found " +
                 std::to_string(confusion.rows()) + " x " + std::to_string(confusion.cols()) +
                 " for " + std::to_string(classes.size()) + " classes");
    ClassificationReport<Label> report;
    report.precision.resize(n_classes);
    report.recall.resize(n_classes);
    report.f1.resize(n_classes);
    report.support.resize(n_classes);
    Index correct = 0;
    const Index total = confusion.sum();
    double f1_sum = 0;
    for (Index c = 0; c < n_classes; ++c) {
        const Index true_positive = confusion(c, c);
        const Index actual = confusion.row(c).sum();
        const Index predicted = confusion.col(c).sum();
        correct += true_positive;
        report.support[c] = actual;
        report.precision[c] = predicted > 0 ? double(true_positive) / double(predicted) : 0.0;
        report.recall[c] = actual > 0 ? double(true_positive) / double(actual) : 0.0;
        // F1 = 2 TP / (2 TP + FP + FN), which is 0 exactly when precision and recall are.
        const Index denominator = actual + predicted;
        report.f1[c] = denominator > 0 ? 2.0 * double(true_positive) / double(denominator) : 0.0;
        f1_sum += report.f1[c];
    }
    report.accuracy = total > 0 ? double(correct) / double(total) : 0.0;
    report.macro_f1 = n_classes > 0 ? f1_sum / double(n_classes) : 0.0;
    report.classes = std::move(classes);
    report.confusion = std::move(confusion);
    return report;
}

/// Full report of `predicted` against `truth`. Throws scae::Error when the
/// vectors differ in length or are empty.
/// @param truth      true label of each cell
/// @param predicted  predicted label of each cell
/// @return the report over the sorted union of labels
/// @throws Error when the lengths differ or are 0
template <class Label>
ClassificationReport<Label> classification_report(const std::vector<Label>& truth,
                                                  const std::vector<Label>& predicted) {
    require_same_nonzero_length(truth.size(), predicted.size(), "classification_report");
    auto encoded = encode_label_pair(truth, predicted);
    const auto n_classes = static_cast<Index>(encoded.classes.size());
    auto confusion = confusion_from_codes(encoded.first, encoded.second, n_classes);
    return report_from_confusion(std::move(encoded.classes), std::move(confusion));
}

/// Fraction of cells whose prediction equals the truth.
/// @param truth      true label of each cell
/// @param predicted  predicted label of each cell
/// @return the accuracy, in [0, 1]
/// @throws Error when the lengths differ or are 0
template <class Label>
double accuracy(const std::vector<Label>& truth, const std::vector<Label>& predicted) {
    require_same_nonzero_length(truth.size(), predicted.size(), "accuracy");
    std::size_t correct = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) correct += truth[i] == predicted[i] ? 1 : 0;
    return double(correct) / double(truth.size());
}

/// Unweighted mean of per-class F1 over the union of true and predicted
/// classes; classes never predicted (or never true) contribute F1 = 0.
/// @param truth      true label of each cell
/// @param predicted  predicted label of each cell
/// @return the macro-F1, in [0, 1]
/// @throws Error when the lengths differ or are 0
template <class Label>
double macro_f1(const std::vector<Label>& truth, const std::vector<Label>& predicted) {
    return classification_report(truth, predicted).macro_f1;
}

} // namespace scae::eval

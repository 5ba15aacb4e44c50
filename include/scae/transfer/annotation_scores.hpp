#pragma once
/// @file annotation_scores.hpp
/// @brief How well labels transferred from a reference (annotate.hpp) match the target's own.

#include "scae/transfer/annotate.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace scae::transfer {

/// How well labels transferred from a reference (annotate.hpp) match the target's own.
struct LabelTransferScores {
    Index reference_cells = 0;       ///< labelled reference cells used
    Index reference_cells_total = 0; ///< labelled reference cells in the model (more than used when subsampled)
    Index target_cells = 0;          ///< target cells given a label or `unknown` (all of them)
    double error_rate = 0.05;        ///< the level below which a cell is `unknown`
    std::map<std::string, Index> predicted_counts; ///< target cells per predicted label, `unknown` included
    Index shared_label_cells = 0;    ///< target cells whose own label the reference has (after the label map): the ones scored
    /// Share of the shared-label cells called `unknown` (NaN: none scored); at most about
    /// error_rate when the target's cells are drawn like the reference's.
    double unknown_share = std::numeric_limits<double>::quiet_NaN();
    double accuracy = std::numeric_limits<double>::quiet_NaN(); ///< of the shared-label cells given a label, the share given their own
    double macro_f1 = std::numeric_limits<double>::quiet_NaN(); ///< macro-F1 over the shared-label cells, `unknown` counting as wrong
    /// Accuracy of the kNN majority label without rejection, on all shared-label cells.
    double nearest_accuracy = std::numeric_limits<double>::quiet_NaN();
    Index unseen_label_cells = 0;    ///< labelled target cells of types the reference lacks
    double unseen_unknown_share = std::numeric_limits<double>::quiet_NaN(); ///< share of those called `unknown` (NaN: none)
};

/// JSON form of the scores (the shares only where some cell was scored).
/// @param j receives a JSON object with the cell counts and the scores
/// @param s the scores
template <class Json>
void to_json(Json& j, const LabelTransferScores& s) {
    j = {{"reference_cells", s.reference_cells},
         {"reference_cells_total", s.reference_cells_total},
         {"target_cells", s.target_cells},
         {"error_rate", s.error_rate},
         {"predicted_counts", s.predicted_counts},
         {"shared_label_cells", s.shared_label_cells},
         {"unseen_label_cells", s.unseen_label_cells}};
    for (const auto& [name, value] : {std::pair<const char*, double>{"unknown_share", s.unknown_share}, {"accuracy", s.accuracy},
                                      {"macro_f1", s.macro_f1}, {"nearest_accuracy", s.nearest_accuracy},
                                      {"unseen_unknown_share", s.unseen_unknown_share}})
        if (!std::isnan(value)) j[name] = value;
}

/// Scores an annotation against the target's own labels. `label_map` maps reference labels to
/// the target's vocabulary where the two differ (several may map to one); a reference label it
/// does not name stands for itself.
/// @param annotation annotate()'s result for the target
/// @param target_labels one label per target cell ("": not scored)
/// @param label_map reference label -> target label
/// @return the counts and shares (NaN where no cell was scored)
/// @throws Error when the labels and the annotation's cells differ in number
/// (A template on the annotation's type only so that including this header compiles none of it.)
template <class AnnotationT = Annotation>
LabelTransferScores score_annotation(const AnnotationT& annotation, const std::vector<std::string>& target_labels,
                                     const std::map<std::string, std::string>& label_map = {}) {
    if (target_labels.size() != annotation.labels.size())
        throw Error("score_annotation: " + std::to_string(target_labels.size()) + " target labels for " +
                    std::to_string(annotation.labels.size()) + " annotated cells");
    const auto mapped = [&](const std::string& l) {
        const auto it = label_map.find(l);
        return it == label_map.end() ? l : it->second;
    };
    LabelTransferScores s;
    s.reference_cells = annotation.reference_cells;
    s.reference_cells_total = annotation.reference_cells_total;
    s.target_cells = Index(annotation.labels.size());
    s.error_rate = annotation.error_rate;
    s.predicted_counts = annotation.counts;
    std::set<std::string> known;
    for (const auto& [label, cells] : annotation.reference_types) known.insert(mapped(label));
    std::vector<std::string> truth, guess;
    Index called = 0, right = 0, nearest_right = 0, unseen_unknown = 0;
    for (std::size_t i = 0; i < target_labels.size(); ++i) {
        const std::string& t = target_labels[i];
        if (t.empty()) continue;
        const bool unknown = annotation.labels[i] == unknown_label;
        if (!known.count(t)) {
            ++s.unseen_label_cells;
            unseen_unknown += unknown;
            continue;
        }
        const std::string g = unknown ? unknown_label : mapped(annotation.labels[i]);
        truth.push_back(t), guess.push_back(g);
        called += !unknown;
        right += !unknown && g == t;
        nearest_right += mapped(annotation.nearest[i]) == t;
    }
    s.shared_label_cells = Index(truth.size());
    if (!truth.empty()) {
        s.unknown_share = 1 - double(called) / double(truth.size());
        if (called > 0) s.accuracy = double(right) / double(called);
        s.nearest_accuracy = double(nearest_right) / double(truth.size());
        s.macro_f1 = eval::macro_f1(truth, guess);
    }
    if (s.unseen_label_cells > 0) s.unseen_unknown_share = double(unseen_unknown) / double(s.unseen_label_cells);
    return s;
}

} // namespace scae::transfer

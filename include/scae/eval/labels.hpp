#pragma once
/// @file labels.hpp
/// @brief Turns labels of any ordered type (cell-type names, cluster numbers)
/// into dense integer codes 0..C-1, the form every metric works on.
///
/// Classes are numbered in sorted order, so the same set of labels always gets
/// the same codes. The empty string is an ordinary class name like any other.

#include "scae/core/error.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace scae::eval {

/// Labels mapped to dense codes: `classes[codes[i]] == labels[i]`.
template <class Label>
struct LabelEncoding {
    /// The distinct labels, sorted ascending; code c stands for classes[c].
    std::vector<Label> classes;
    /// One code per input label, in 0..classes.size()-1.
    std::vector<int> codes;
};

/// The sorted distinct values of `labels`.
/// @param labels  the labels, taken by copy
/// @return each distinct label once, ascending
template <class Label>
std::vector<Label> distinct_sorted(std::vector<Label> labels) {
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    return labels;
}

/// Codes of `labels` within `classes` (sorted, distinct). Throws scae::Error
/// naming `what` when a label is not among the classes.
/// @param classes  the known classes, sorted and distinct
/// @param labels   the labels to encode
/// @param what     the name the message starts with
/// @return the position in `classes` of each label
/// @throws Error when a label is not among `classes`
template <class Label>
std::vector<int> codes_in(const std::vector<Label>& classes, const std::vector<Label>& labels,
                          const std::string& what = "labels") {
    std::vector<int> codes(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto it = std::lower_bound(classes.begin(), classes.end(), labels[i]);
        if (it == classes.end() || !(*it == labels[i]))
            fail(what, 0, "entry " + std::to_string(i) + " is not one of the known classes");
        codes[i] = static_cast<int>(it - classes.begin());
    }
    return codes;
}

/// Encodes `labels` with classes numbered in sorted order.
/// @param labels  the labels; may be empty
/// @return the sorted classes and one code per label
template <class Label>
LabelEncoding<Label> encode_labels(const std::vector<Label>& labels) {
    LabelEncoding<Label> out;
    out.classes = distinct_sorted(labels);
    out.codes = codes_in(out.classes, labels);
    return out;
}

/// Two label vectors over one shared class list (the union of both), as
/// needed to compare true and predicted labels.
template <class Label>
struct PairedEncoding {
    /// Sorted union of the labels in `first` and `second`.
    std::vector<Label> classes;
    /// Codes of the first vector.
    std::vector<int> first;
    /// Codes of the second vector.
    std::vector<int> second;
};

/// Encodes two label vectors against the sorted union of their classes.
/// @param first   the first label vector (e.g. the truth)
/// @param second  the second label vector (e.g. the predictions)
/// @return the shared classes and the codes of both vectors
template <class Label>
PairedEncoding<Label> encode_label_pair(const std::vector<Label>& first,
                                        const std::vector<Label>& second) {
    std::vector<Label> all = first;
    all.insert(all.end(), second.begin(), second.end());
    PairedEncoding<Label> out;
    out.classes = distinct_sorted(std::move(all));
    out.first = codes_in(out.classes, first);
    out.second = codes_in(out.classes, second);
    return out;
}

/// Throws scae::Error unless `a` and `b` have equal, nonzero length.
/// `context` names the calling function in the message.
/// @param a        length of the first vector
/// @param b        length of the second vector
/// @param context  the name the message starts with
/// @throws Error when the lengths differ or are 0
inline void require_same_nonzero_length(std::size_t a, std::size_t b, const std::string& context) {
    if (a != b)
        fail(context, 0,
             "label vectors differ in length: " + std::to_string(a) + " vs " + std::to_string(b));
    if (a == 0) fail(context, 0, "label vectors are empty; expected at least one cell");
}

} // namespace scae::eval

#pragma once
/// @file latent_alignment.hpp
/// @brief Moving a target's bottleneck onto the reference's before labels are transferred, so
/// that a shift between labs, depths or tissues does not make every cell look new.
///
/// - `none`: the target as the model puts it.
/// - `standardize`: each dimension of each dataset centred and scaled to unit variance (the
///   simplest per-dataset correction; it assumes both hold the same mix of cell types).
/// - `mnn` (default): mutual nearest neighbours (Haghverdi et al. 2018). A target cell and a
///   reference cell that are among each other's k nearest form a pair; each pair's difference is a
///   local correction, and every target cell is moved by a Gaussian-weighted mean of the
///   corrections of the paired target cells nearest to it. Cells of a type the reference lacks find
///   no partners of their own, so they are moved as their neighbours are and stay apart.

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/neighbours.hpp"
#include "scae/eval/subsample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace scae::transfer {

/// How the target's bottleneck is moved onto the reference's (see the file comment).
enum class LatentAlignment {
    none,        ///< as the model puts it
    standardize, ///< each dimension centred and scaled per dataset
    mnn          ///< mutual-nearest-neighbour corrections (default)
};

/// The alignments' names in reports and on the command line.
inline constexpr EnumNames<LatentAlignment, 3> latent_alignment_names{
    {{LatentAlignment::none, "none"}, {LatentAlignment::standardize, "standardize"}, {LatentAlignment::mnn, "mnn"}}};

/// The alignment's name.
/// @param a  the alignment
/// @return "none", "standardize" or "mnn"
inline std::string to_string(LatentAlignment a) { return enum_name(a, latent_alignment_names); }

/// Parses an alignment name.
/// @param name  a name as to_string() writes it
/// @return the alignment
/// @throws Error when no alignment has that name
inline LatentAlignment latent_alignment_from_string(const std::string& name) {
    return enum_from_name(name, latent_alignment_names, "latent alignment");
}

/// Settings of align_latent().
struct LatentAlignmentOptions {
    LatentAlignment method = LatentAlignment::mnn; ///< how (default mutual nearest neighbours)
    Index k = 5;                ///< mnn: neighbours searched in each direction for pairs
    Index max_cells = 20000;    ///< mnn: target cells pairs are searched among at most (a seeded subsample)
    /// mnn: paired target cells whose corrections a cell averages (default 50): wide, so that a cell
    /// moves with its kind, not onto its own partners, which would make it look more typical than it is.
    Index smoothing = 50;
    Index max_anchors = 4096;   ///< mnn: paired target cells whose corrections are kept at most (a seeded subsample)
    std::uint64_t seed = 0;     ///< mnn: the target subsample
};

/// What align_latent() did.
struct LatentAlignmentResult {
    LatentAlignment method = LatentAlignment::none; ///< the alignment applied
    Index pairs = 0;                                ///< mnn: mutual pairs found
    std::vector<Index> paired_target;               ///< mnn: target rows in some pair, ascending
    std::vector<Index> paired_reference;            ///< mnn: reference rows in some pair, ascending
};

/// Moves `target` onto `reference` in place (see the file comment). Falls back to `none` (said
/// in the result) when mnn finds fewer than 10 pairs.
/// @param reference  reference coordinates, cells x dims
/// @param target  target coordinates, cells x the same dims; moved in place
/// @param options  method and mnn settings
/// @return the method applied and the pairs
/// @throws Error when the dimensions differ or a setting is out of range
template <class Scalar>
LatentAlignmentResult align_latent(const Matrix<Scalar>& reference, Matrix<Scalar>& target, const LatentAlignmentOptions& options = {}) {
    if (reference.cols() != target.cols())
        throw Error("align_latent: the reference has " + std::to_string(reference.cols()) + " dimensions, the target " + std::to_string(target.cols()));
    if (options.k < 1 || options.smoothing < 1 || options.max_cells < 2 || options.max_anchors < 1)
        throw Error("align_latent: k, smoothing, max_cells and max_anchors must be positive");
    LatentAlignmentResult out;
    if (options.method == LatentAlignment::none || target.rows() == 0 || reference.rows() < 2) return out;
    if (options.method == LatentAlignment::standardize) {
        const auto moments = [](const Matrix<Scalar>& m, RowVector<double>& mean, RowVector<double>& sd) {
            mean = m.template cast<double>().colwise().mean();
            sd = ((m.template cast<double>().rowwise() - mean).array().square().colwise().sum() / double(std::max<Index>(1, m.rows() - 1))).sqrt();
        };
        RowVector<double> rm, rs, tm, ts;
        moments(reference, rm, rs);
        moments(target, tm, ts);
        for (Index d = 0; d < target.cols(); ++d) {
            const double scale = ts(d) > 0 ? rs(d) / ts(d) : 1.0;
            target.col(d) = ((target.col(d).template cast<double>().array() - tm(d)) * scale + rm(d)).template cast<Scalar>().matrix();
        }
        out.method = options.method;
        return out;
    }
    // mnn: pairs among a subsample of the target.
    Rng rng(options.seed);
    const std::vector<Index> sample = eval::random_subsample(target.rows(), options.max_cells, rng);
    const Matrix<Scalar> sampled = target(sample, Eigen::all);
    const eval::Neighbours to_reference = eval::nearest_neighbours(reference, sampled, options.k);
    const eval::Neighbours to_target = eval::nearest_neighbours(sampled, reference, options.k);
    std::vector<std::vector<Index>> partners(sample.size()); // reference rows paired with each sampled cell
    for (Index r = 0; r < reference.rows(); ++r)
        for (Index j = 0; j < to_target.indices.cols(); ++j) {
            const Index t = to_target.indices(r, j);
            const auto row = to_reference.indices.row(t);
            if (std::find(row.begin(), row.end(), r) != row.end()) partners[std::size_t(t)].push_back(r), ++out.pairs;
        }
    if (out.pairs < 10) {
        out.pairs = 0;
        return out; // too few anchors to say where the target should go
    }
    // Each paired target cell's correction: the mean of its partners minus itself.
    std::vector<Index> anchors;
    for (std::size_t t = 0; t < partners.size(); ++t)
        if (!partners[t].empty()) anchors.push_back(Index(t));
    if (Index(anchors.size()) > options.max_anchors) { // a seeded subsample: the field is smooth, and every cell searches the anchors
        Rng anchor_rng(derive_seed(options.seed, 1));
        std::vector<Index> kept;
        for (Index i : eval::random_subsample(Index(anchors.size()), options.max_anchors, anchor_rng)) kept.push_back(anchors[std::size_t(i)]);
        anchors.swap(kept);
    }
    Matrix<Scalar> anchor_points(Index(anchors.size()), target.cols()), correction(Index(anchors.size()), target.cols());
    std::vector<Index> paired_reference;
    for (std::size_t a = 0; a < anchors.size(); ++a) {
        const auto& mates = partners[std::size_t(anchors[a])];
        RowVector<double> mean = RowVector<double>::Zero(target.cols());
        for (Index r : mates) mean += reference.row(r).template cast<double>(), paired_reference.push_back(r);
        mean /= double(mates.size());
        anchor_points.row(Index(a)) = sampled.row(anchors[a]);
        correction.row(Index(a)) = (mean - sampled.row(anchors[a]).template cast<double>()).template cast<Scalar>();
        out.paired_target.push_back(sample[std::size_t(anchors[a])]);
    }
    std::sort(paired_reference.begin(), paired_reference.end());
    paired_reference.erase(std::unique(paired_reference.begin(), paired_reference.end()), paired_reference.end());
    out.paired_reference = std::move(paired_reference);
    // Every target cell moves by a Gaussian-weighted mean of its nearest anchors' corrections; the
    // bandwidth is the median distance of a sampled cell to its smoothing-th nearest anchor.
    const Index smoothing = std::min<Index>(options.smoothing, Index(anchors.size()));
    std::vector<double> nearest;
    {
        const eval::Neighbours n = eval::nearest_neighbours(anchor_points, sampled, smoothing);
        for (Index i = 0; i < n.distances.rows(); ++i) nearest.push_back(n.distances(i, smoothing - 1));
    }
    std::nth_element(nearest.begin(), nearest.begin() + std::ptrdiff_t(nearest.size() / 2), nearest.end());
    const double bandwidth = std::max(nearest[nearest.size() / 2], 1e-12);
    const Index block = 65536;
    for (Index first = 0; first < target.rows(); first += block) {
        const Index count = std::min(block, target.rows() - first);
        const eval::Neighbours n = eval::nearest_neighbours(anchor_points, Matrix<Scalar>(target.middleRows(first, count)), smoothing);
        for (Index i = 0; i < count; ++i) {
            RowVector<double> shift = RowVector<double>::Zero(target.cols());
            double total = 0;
            for (Index j = 0; j < n.indices.cols(); ++j) {
                const double excess = (n.distances(i, j) - n.distances(i, 0)) / bandwidth;
                const double w = std::exp(-0.5 * excess * excess);
                shift += w * correction.row(n.indices(i, j)).template cast<double>();
                total += w;
            }
            target.row(first + i) += (shift / total).template cast<Scalar>();
        }
    }
    out.method = LatentAlignment::mnn;
    return out;
}

} // namespace scae::transfer

#pragma once
/// @file method.hpp
/// @brief What a saliency map explains (the target) and how (the method), with their options.
///
/// Saliency is always taken with respect to the model INPUT: the transformed values the first
/// layer sees (e.g. log1p counts), never the raw counts. Callers pass raw counts in model gene
/// order; the model's own input transform is applied first.

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <string>

namespace scae::interpret {

/// How an output is attributed to the input genes.
enum class Method {
    vanilla,            ///< the gradient d(target)/d(input)
    guided,             ///< guided backprop: negative gradients zeroed as they enter each activation
                        ///< (the method of Kinalis et al. 2019)
    gradient_x_input,   ///< the gradient times the input
    integrated_gradients ///< (input - baseline) times the mean gradient on the straight path from the baseline
};

/// The methods' names on the command line and in reports.
inline constexpr EnumNames<Method, 4> method_names{{{Method::vanilla, "vanilla"},
                                                    {Method::guided, "guided"},
                                                    {Method::gradient_x_input, "gradxinput"},
                                                    {Method::integrated_gradients, "ig"}}};

/// The method's name on the command line and in reports: "vanilla", "guided", "gradxinput", "ig".
/// @param m  the method
/// @return its name
inline std::string to_string(Method m) { return enum_name(m, method_names); }

/// Parses a method name (see to_string()); throws scae::Error naming the accepted ones.
/// @param name  a method name, as to_string() writes it
/// @return the method
/// @throws Error for any other name
inline Method method_from_string(const std::string& name) { return enum_from_name(name, method_names, "saliency method"); }

/// The reference point integrated gradients starts from.
enum class Baseline {
    zeros,     ///< an all-zero input (no expression)
    mean_cell, ///< the mean transformed input over the cells being explained
    /// the mean transformed input of cells as deep as this one (a per-gene line in the cell's log
    /// total count; cell_baselines()); the mean cell when the model scales depth away
    depth
};

/// The baselines' names on the command line and in reports.
inline constexpr EnumNames<Baseline, 3> baseline_names{
    {{Baseline::zeros, "zeros"}, {Baseline::mean_cell, "mean"}, {Baseline::depth, "depth"}}};

/// The baseline's name on the command line and in reports: "zeros", "mean" or "depth".
/// @param b  the baseline
/// @return its name
inline std::string to_string(Baseline b) { return enum_name(b, baseline_names); }

/// What is explained: a scalar per cell (one bottleneck node, one output gene, the cell's
/// reconstruction loss) or every bottleneck node at once.
struct Target {
    /// The kinds of target.
    enum class Kind { node, all_nodes, output_gene, loss };
    Kind kind = Kind::all_nodes; ///< what is explained
    Index index = 0;             ///< the node or the output gene (unused otherwise)

    /// Bottleneck node `k` (its activation).
    /// @param k  node index, from 0 (checked against the model where it is used)
    /// @return the target
    static Target node(Index k) { return {Kind::node, k}; }
    /// Every bottleneck node (batched; see node_saliency.hpp).
    /// @return the target
    static Target all_nodes() { return {Kind::all_nodes, 0}; }
    /// The reconstructed rate (expected count, with the cell's size factor when the model
    /// normalises library size) of output gene `g`.
    /// @param g  output gene index, from 0 in model gene order (checked where it is used)
    /// @return the target
    static Target output_gene(Index g) { return {Kind::output_gene, g}; }
    /// The cell's reconstruction loss (its mean over genes) against its own counts.
    /// @return the target
    static Target loss() { return {Kind::loss, 0}; }
};

/// Settings shared by every saliency computation.
struct SaliencyOptions {
    /// The method (default guided backprop, as in the reference work).
    Method method = Method::guided;
    /// Integrated gradients: where the path starts (default zeros).
    Baseline baseline = Baseline::zeros;
    /// Integrated gradients: points on the path, evaluated at the midpoints (s + 1/2) / steps,
    /// s = 0..steps-1, whose error falls as 1/steps^2 (default 64).
    int steps = 64;
    /// Cells processed together (default 128). Memory: their gradients (block_cells x nodes x
    /// first-layer units) and one block_cells x genes map per thread.
    Index block_cells = 128;
    /// Threads for the work of a call given these options (default 1; 0: OpenMP's default, which
    /// `OMP_NUM_THREADS` sets). Results do not depend on it.
    int threads = 1;
};

/// Whether the maps of `options` are zero wherever the input is: gradient x input, and
/// integrated gradients from the zero baseline (an attribution is the input's change times a
/// gradient).
/// @param options  the saliency settings
/// @return true when every map is zero where the input is
inline bool vanishes_where_input_is_zero(const SaliencyOptions& options) {
    return options.method == Method::gradient_x_input ||
           (options.method == Method::integrated_gradients && options.baseline == Baseline::zeros);
}

/// Throws scae::Error when `options` cannot be used.
/// @param options  the settings to check
/// @throws Error when `steps` or `block_cells` is below 1
inline void check(const SaliencyOptions& options) {
    if (options.steps < 1) throw Error("SaliencyOptions: steps must be at least 1, got " + std::to_string(options.steps));
    if (options.block_cells < 1)
        throw Error("SaliencyOptions: block_cells must be at least 1, got " + std::to_string(options.block_cells));
}

} // namespace scae::interpret

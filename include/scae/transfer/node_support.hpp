#pragma once
/// @file node_support.hpp
/// @brief How much of each bottleneck node rests on model genes the target lacks, so a user
/// knows which nodes (and node names) to doubt on that target.
///
/// Each node is linearised at the reference's mean input: z_k ~ z_k(mu) + (x - mu) J_k, with J
/// the encoder's Jacobian (genes x nodes). Under the reference's covariance S (reference_input.hpp)
/// the node's variance is J_k^T S J_k, and two shares of it are reported:
/// - `missing_share`: the part carried by the missing genes (J_mk^T S_mm J_mk / J_k^T S J_k);
/// - `unexplained_share`: the part the method in use cannot recover from the present genes. For
///   `conditional` it is the conditional variance J_mk^T S_m|o J_mk / J_k^T S J_k; for `zero` and
///   `reference_mean`, which do not use the present genes, it equals missing_share.
/// `support` is 1 - unexplained_share: the share of the node's reference variation that the
/// target still determines. A node below `NodeSupportOptions::min_support` is flagged.

#include "scae/interpret/node_saliency.hpp"
#include "scae/transfer/missing_genes.hpp"
#include "scae/core/atomic_file.hpp"

#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace scae::transfer {

/// Settings of node_support().
struct NodeSupportOptions {
    /// Nodes whose support is below this are flagged as not to be trusted on the target (default
    /// 0.8: a fifth of the node's reference variation is not determined by the target's genes).
    double min_support = 0.8;
};

/// One bottleneck node's support on a target.
struct NodeSupport {
    double missing_share = 0;     ///< share of the node's reference variance carried by missing genes
    double unexplained_share = 0; ///< share the fill method cannot recover from the present genes
    double support = 1;           ///< 1 - unexplained_share
    bool trusted = true;          ///< support >= min_support
};

/// Every node's support (see the file comment); all ones without missing genes. A model without a
/// reference summary (trained before format 1.2) gets an empty result: its support is unknown.
/// @param model  the trained model (not adapted)
/// @param ref  its reference summary
/// @param missing  model gene columns the target lacks
/// @param method  how the missing genes are stood in for
/// @param options  the trust threshold
/// @return one entry per bottleneck node, or none when `ref` is empty
/// @throws Error when a column is not a model gene or the summary's genes differ from the model's
template <class T>
std::vector<NodeSupport> node_support(const nn::Autoencoder<T>& model, const ReferenceInput& ref, const std::vector<Index>& missing,
                                      MissingGenes method, const NodeSupportOptions& options = {}) {
    if (ref.empty()) return {};
    if (ref.genes() != model.genes())
        throw Error("node_support: the reference summary has " + std::to_string(ref.genes()) + " genes, the model " + std::to_string(model.genes()));
    const Index nodes = model.latent_size(), genes = model.genes();
    const std::vector<bool> is_missing = detail::missing_mask(genes, missing);
    std::vector<NodeSupport> out(static_cast<std::size_t>(nodes));
    if (missing.empty()) return out;
    // The encoder's Jacobian at the mean input: W1 diag(d1) W2 diag(d2) ... (genes x nodes).
    Matrix<T> pre1 = ref.mean.template cast<T>() * model.layers.front().weight.value;
    pre1.rowwise() += model.layers.front().bias.value.row(0);
    std::vector<Matrix<T>> derivative;
    Matrix<T> top;
    interpret::detail::encoder_trace(model, pre1, derivative, top);
    Matrix<double> jacobian = model.layers.front().weight.value.template cast<double>();
    for (std::size_t l = 0; l < model.encoder_layers(); ++l) {
        if (l > 0) jacobian = (jacobian * model.layers[l].weight.value.template cast<double>()).eval();
        jacobian.array().rowwise() *= derivative[l].row(0).template cast<double>().array();
    }
    const Matrix<double> loadings = ref.loadings.template cast<double>();
    Matrix<double> jm = jacobian; // the missing genes' rows only
    for (Index g = 0; g < genes; ++g)
        if (!is_missing[std::size_t(g)]) jm.row(g).setZero();
    const Vector<double> noise = ref.noise.transpose().template cast<double>();
    const Matrix<double> total_low = loadings.transpose() * jacobian, missing_low = loadings.transpose() * jm;
    Matrix<double> conditional_low;
    if (method == MissingGenes::conditional && loadings.cols() > 0) {
        // S_m|o = N_m + W_m (I + W_o^T N_o^-1 W_o)^-1 W_m^T
        const auto f = detail::present_gene_factor(ref, is_missing);
        conditional_low = f.inner.matrixL().solve(missing_low);
    }
    for (Index k = 0; k < nodes; ++k) {
        const double total = total_low.col(k).squaredNorm() + (jacobian.col(k).array().square() * noise.array()).sum();
        const double missing_diag = (jm.col(k).array().square() * noise.array()).sum();
        const double missing_part = missing_low.col(k).squaredNorm() + missing_diag;
        NodeSupport& s = out[std::size_t(k)];
        s.missing_share = total > 0 ? std::min(1.0, missing_part / total) : 0.0;
        s.unexplained_share = s.missing_share;
        if (conditional_low.size() > 0)
            s.unexplained_share = total > 0 ? std::min(1.0, (conditional_low.col(k).squaredNorm() + missing_diag) / total) : 0.0;
        s.support = 1 - s.unexplained_share;
        s.trusted = s.support >= options.min_support;
    }
    return out;
}

/// "node0", "node1", ...: the column names of the bottleneck in latent.tsv (embed, transfer).
/// Everywhere else a node is its number from 0 (the `node` column of every table, `node` and
/// node lists in JSON), so column nodeK is node K.
/// @param n  number of bottleneck nodes
/// @return "node0" to "node<n-1>"
inline std::vector<std::string> node_names(Index n) {
    std::vector<std::string> names;
    for (Index i = 0; i < n; ++i) names.push_back("node" + std::to_string(i));
    return names;
}

/// node_support.tsv: per bottleneck node (numbered from 0, as every `node` column), the share of its reference variation carried by genes
/// the target lacks, the share the fill method cannot recover, the support and whether it is
/// trusted (the header alone for a model without a reference summary).
/// @param support  node_support()'s result
/// @return the table, a header and one line per node
inline std::string node_support_tsv(const std::vector<NodeSupport>& support) {
    std::ostringstream s;
    s << "node\tmissing_share\tunexplained_share\tsupport\ttrusted\n" << std::setprecision(4);
    for (std::size_t k = 0; k < support.size(); ++k)
        s << k << '\t' << support[k].missing_share << '\t' << support[k].unexplained_share << '\t' << support[k].support << '\t'
          << (support[k].trusted ? "yes" : "no") << '\n';
    return s.str();
}

/// Writes node_support.tsv (node_support_tsv()) atomically.
/// @param path  the file
/// @param support  node_support()'s result
/// @throws Error when the file cannot be written
inline void write_node_support(const std::string& path, const std::vector<NodeSupport>& support) {
    write_text_atomically(path, node_support_tsv(support));
}

} // namespace scae::transfer

#pragma once
/// @file missing_genes.hpp
/// @brief A model gene the target lacks is not a gene the target does not express: the model is
/// adapted once to the genes present, so that their absence does not move the bottleneck.
///
/// Filling a missing gene's input with a value that depends affinely on the present genes'
/// inputs is the same as changing the first layer: with present genes o and missing genes m,
///
///     x_m = mu_m + (x_o - mu_o) A^T   gives   x W1 + b1 = x_o (W1_o + A^T W1_m) + (b1 + (mu_m - mu_o A^T) W1_m),
///
/// so the adapted model keeps the sparse first layer and costs nothing per cell. The methods:
/// - `zero`: the missing inputs are zero, as if the genes were not expressed (the model as it is;
///   what scae did before format 1.2).
/// - `reference_mean`: the training cells' mean input (A = 0; Symphony's choice).
/// - `conditional` (default): the Gaussian conditional expectation given the present genes under
///   the reference's low-rank-plus-diagonal covariance (reference_input.hpp),
///   A = W_m (I + W_o^T N_o^-1 W_o)^-1 W_o^T N_o^-1 (Woodbury: only a components x components solve).
///
/// With depth normalisation (target_sum > 0) a cell's total is summed over the genes it has; the
/// adapted model divides it by the share p of the reference's counts that those genes hold,
/// which is the same as normalising to target_sum * p, for the input and the output alike.

#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/transfer/reference_input.hpp"

#include <Eigen/Cholesky>

#include <string>
#include <vector>

namespace scae::transfer {

/// How a model stands in for the model genes a target lacks (see the file comment).
enum class MissingGenes {
    zero,           ///< as not expressed (the model unchanged)
    reference_mean, ///< the reference's mean input, and the depth corrected
    conditional     ///< the expectation given the present genes, and the depth corrected (default)
};

/// The methods' names in reports and on the command line.
inline constexpr EnumNames<MissingGenes, 3> missing_genes_names{
    {{MissingGenes::zero, "zero"}, {MissingGenes::reference_mean, "reference_mean"}, {MissingGenes::conditional, "conditional"}}};

/// The method's name ("zero", "reference_mean" or "conditional").
/// @param m  the method
/// @return its name
inline std::string to_string(MissingGenes m) { return enum_name(m, missing_genes_names); }

/// Parses a method name.
/// @param name  a name as to_string() writes it
/// @return the method
/// @throws Error when no method has that name
inline MissingGenes missing_genes_from_string(const std::string& name) { return enum_from_name(name, missing_genes_names, "missing-gene method"); }

/// What adapt_to_present_genes() did.
struct MissingGeneAdaptation {
    MissingGenes method = MissingGenes::zero; ///< the method applied (zero when nothing was missing or the model holds no summary)
    Index missing = 0;                        ///< model genes the target lacks
    double present_count_share = 1;           ///< the reference's share of counts on the genes present (1: no depth correction)
    std::string note;                         ///< why another method than the one asked for was applied ("" when none)
};

namespace detail {

/// (I + W_o^T N_o^-1 W_o)^-1 as a Cholesky factorisation, and N_o^-1 W_o (present rows only,
/// others zero): the two pieces of the conditional expectation and of its variance.
template <class Real>
struct PresentGeneFactor {
    Matrix<Real> scaled_present; ///< genes x k: N^-1 W on present genes, 0 on missing ones
    Eigen::LLT<Matrix<Real>> inner; ///< k x k: I + W_o^T N_o^-1 W_o
};

/// (A template on the summary's type only so that including this header compiles none of it.)
template <class Reference, class Real = double>
PresentGeneFactor<Real> present_gene_factor(const Reference& ref, const std::vector<bool>& is_missing) {
    const Index genes = ref.genes(), k = ref.loadings.cols();
    PresentGeneFactor<Real> f;
    f.scaled_present.setZero(genes, k);
    for (Index g = 0; g < genes; ++g)
        if (!is_missing[std::size_t(g)]) f.scaled_present.row(g) = ref.loadings.row(g).template cast<Real>() / Real(ref.noise(g));
    Matrix<Real> inner = Matrix<Real>::Identity(k, k);
    inner.noalias() += ref.loadings.template cast<Real>().transpose() * f.scaled_present;
    f.inner.compute(inner);
    return f;
}

inline std::vector<bool> missing_mask(Index genes, const std::vector<Index>& missing) {
    std::vector<bool> mask(std::size_t(genes), false);
    for (Index g : missing) {
        if (g < 0 || g >= genes) throw Error("adapt_to_present_genes: missing gene column " + std::to_string(g) + " is not a model gene");
        mask[std::size_t(g)] = true;
    }
    return mask;
}

} // namespace detail

/// The model adapted to a target that lacks the model genes `missing` (see the file comment).
/// `zero`, an empty `missing` or a model without a reference summary return the model as it is
/// (the last with a note in `adaptation`).
/// @param model  the trained model
/// @param ref  the model's reference summary (ModelFile::reference_input); may be empty
/// @param missing  model gene columns the target lacks (data::Alignment::missing_model_columns)
/// @param method  how the missing genes are stood in for
/// @param adaptation  receives what was done, when not null
/// @return the model to apply to the target's counts, in model gene order with the missing columns empty
/// @throws Error when a column is not a model gene, or the summary's genes differ from the model's
template <class T>
nn::Autoencoder<T> adapt_to_present_genes(const nn::Autoencoder<T>& model, const ReferenceInput& ref, const std::vector<Index>& missing,
                                          MissingGenes method, MissingGeneAdaptation* adaptation = nullptr) {
    MissingGeneAdaptation done;
    done.missing = Index(missing.size());
    nn::Autoencoder<T> out = model;
    const std::vector<bool> is_missing = detail::missing_mask(model.genes(), missing);
    if (method == MissingGenes::zero || missing.empty()) {
        if (adaptation) *adaptation = done;
        return out;
    }
    if (ref.empty()) {
        done.note = "the model holds no reference summary (trained before format 1.2): missing genes enter as zero";
        if (adaptation) *adaptation = done;
        return out;
    }
    if (ref.genes() != model.genes())
        throw Error("adapt_to_present_genes: the reference summary has " + std::to_string(ref.genes()) + " genes, the model " +
                    std::to_string(model.genes()));
    done.method = method;
    Matrix<T>& w1 = out.layers.front().weight.value;
    Matrix<T>& b1 = out.layers.front().bias.value; // 1 x units
    const Matrix<double> w1_original = model.layers.front().weight.value.template cast<double>();
    // Missing genes' rows of W1 and their mean input.
    Matrix<double> w_missing(Index(missing.size()), w1.cols());
    RowVector<double> mu_missing(Index(missing.size()));
    for (std::size_t i = 0; i < missing.size(); ++i) {
        w_missing.row(Index(i)) = w1_original.row(missing[i]);
        mu_missing(Index(i)) = double(ref.mean(missing[i]));
    }
    RowVector<double> bias = model.layers.front().bias.value.template cast<double>();
    bias.noalias() += mu_missing * w_missing;
    if (method == MissingGenes::conditional && ref.loadings.cols() > 0) {
        const auto f = detail::present_gene_factor(ref, is_missing);
        Matrix<double> loadings_missing(Index(missing.size()), ref.loadings.cols());
        for (std::size_t i = 0; i < missing.size(); ++i) loadings_missing.row(Index(i)) = ref.loadings.row(missing[i]).template cast<double>();
        // A^T W1_m = N_o^-1 W_o (I + W_o^T N_o^-1 W_o)^-1 W_m^T W1_m: genes x units, zero on missing rows.
        const Matrix<double> d = f.inner.solve(loadings_missing.transpose() * w_missing);
        const Matrix<double> shift = f.scaled_present * d;
        Matrix<double> w1_new = w1_original + shift;
        bias.noalias() -= ref.mean.template cast<double>() * shift; // mu_o A^T W1_m (shift is zero on missing rows)
        w1 = w1_new.template cast<T>();
    }
    for (Index g : missing) w1.row(g).setZero();
    b1 = Matrix<double>(bias).template cast<T>();
    if (out.options.input.target_sum > 0) {
        double share = 0;
        for (Index g = 0; g < model.genes(); ++g)
            if (!is_missing[std::size_t(g)]) share += double(ref.count_share(g));
        if (share > 0 && share < 1) {
            done.present_count_share = share;
            out.options.input.target_sum *= share;
        }
    }
    if (adaptation) *adaptation = done;
    return out;
}

} // namespace scae::transfer

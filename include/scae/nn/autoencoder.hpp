#pragma once
/// @file autoencoder.hpp
/// @brief The count autoencoder: genes -> encoder -> bottleneck -> mirrored decoder -> genes.

#include "scae/ad/fused.hpp"
#include "scae/ad/losses.hpp"
#include "scae/core/enum_names.hpp"
#include "scae/nn/dense.hpp"
#include "scae/nn/input_transform.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace scae::nn {

/// The reconstruction loss against raw counts.
enum class Loss {
    poisson,          ///< mean of rate - x log(rate) (the reference work's choice)
    negative_binomial, ///< with a learned per-gene dispersion
    mse               ///< mean squared error on counts
};

/// The losses' names in model files and on the command line.
inline constexpr EnumNames<Loss, 3> loss_names{{{Loss::poisson, "poisson"}, {Loss::negative_binomial, "negative_binomial"}, {Loss::mse, "mse"}}};

/// The loss' name as written in model files.
/// @param loss  the loss.
/// @return its name; "unknown" for a value outside the enum.
inline std::string to_string(Loss loss) { return enum_name(loss, loss_names); }

/// Parses a loss name; throws scae::Error on an unknown one.
/// @param name  a name as to_string() writes it.
/// @return the loss.
/// @throws Error when no loss has that name.
inline Loss loss_from_string(const std::string& name) { return enum_from_name(name, loss_names, "loss"); }

/// Architecture and objective of an autoencoder.
struct AutoencoderOptions {
    /// Encoder layer sizes, the last one being the bottleneck; the decoder mirrors them.
    /// Default {128, 64}: genes -> 128 -> 64 -> 128 -> genes, as in Kinalis et al. 2019.
    std::vector<Index> encoder_sizes{128, 64};
    /// Activation of every hidden layer (default softplus).
    Activation activation = Activation::softplus;
    /// Activation of the output layer; it must give non-negative rates for the count
    /// losses (default softplus).
    Activation output_activation = Activation::softplus;
    /// Softplus sharpness beta (default 1).
    double softplus_beta = 1.0;
    /// Reconstruction loss (default Poisson).
    Loss loss = Loss::poisson;
    /// Weight of ||I - W^T W||_F on the weights into the bottleneck (default 0.05).
    double orthogonality_weight = 0.05;
    /// Input transform applied to counts (default log1p of raw counts).
    InputTransform input{};
    /// Seed of the Xavier-normal initialisation (default 42).
    std::uint64_t seed = 42;
};

/// An autoencoder over a fixed list of genes. Tape-level functions take inputs that
/// are already transformed; the plain functions take raw counts in model gene order.
template <class T>
class Autoencoder {
public:
    AutoencoderOptions options;  ///< what it was built with
    std::vector<Dense<T>> layers; ///< encoder layers, then decoder layers
    ad::Param<T> log_theta;      ///< per-gene log dispersion (negative binomial loss only)

    /// Builds and initialises the network for `genes` inputs.
    /// @param genes  number of genes (input and output width, positive).
    /// @param opts   architecture, objective and seed.
    /// @throws Error when `genes` or a layer size is not positive, or encoder_sizes is empty.
    Autoencoder(Index genes, AutoencoderOptions opts) : options(std::move(opts)) {
        if (genes <= 0) throw Error("Autoencoder: the number of genes must be positive");
        if (options.encoder_sizes.empty()) throw Error("Autoencoder: encoder_sizes must name at least the bottleneck");
        for (Index size : options.encoder_sizes)
            if (size <= 0) throw Error("Autoencoder: layer sizes must be positive");
        std::vector<Index> sizes{genes};
        sizes.insert(sizes.end(), options.encoder_sizes.begin(), options.encoder_sizes.end());
        for (auto it = options.encoder_sizes.rbegin() + 1; it != options.encoder_sizes.rend(); ++it) sizes.push_back(*it);
        sizes.push_back(genes);
        Rng rng(options.seed);
        for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
            const bool last = i + 2 == sizes.size();
            layers.emplace_back(sizes[i], sizes[i + 1], last ? options.output_activation : options.activation,
                                T(options.softplus_beta), rng);
        }
        if (options.loss == Loss::negative_binomial) log_theta.value.setZero(1, genes);
    }

    /// Number of genes (input and output width).
    /// @return columns of the first layer's weight.
    Index genes() const { return layers.front().inputs(); }
    /// Number of bottleneck nodes.
    /// @return the last of encoder_sizes.
    Index latent_size() const { return options.encoder_sizes.back(); }
    /// Number of encoder layers; layer `encoder_layers() - 1` feeds the bottleneck.
    /// @return the size of encoder_sizes.
    std::size_t encoder_layers() const { return options.encoder_sizes.size(); }

    /// Every trainable parameter, for an optimiser.
    /// @return pointers into this model (weights and biases layer by layer, then log_theta for the negative binomial loss); valid while it lives.
    std::vector<ad::Param<T>*> parameters() {
        std::vector<ad::Param<T>*> out;
        for (Dense<T>& layer : layers) {
            out.push_back(&layer.weight);
            out.push_back(&layer.bias);
        }
        if (options.loss == Loss::negative_binomial) out.push_back(&log_theta);
        return out;
    }

    // ---- on the tape -------------------------------------------------------------

    /// Bottleneck activations of a transformed sparse batch.
    /// @param tape   the tape to record on.
    /// @param input  transformed counts, cells x genes; viewed: it must outlive the tape's backward pass.
    /// @return cells x latent_size().
    ad::Var<T> encode(ad::Tape<T>& tape, const CsrView<T>& input) {
        ad::Var<T> h = layers[0].forward(tape, input);
        for (std::size_t i = 1; i < encoder_layers(); ++i) h = layers[i].forward(h);
        return h;
    }

    /// Bottleneck activations of a transformed dense batch (e.g. an input that needs a gradient).
    /// @param input  transformed counts, cells x genes.
    /// @return cells x latent_size().
    ad::Var<T> encode(ad::Var<T> input) {
        ad::Var<T> h = input;
        for (std::size_t i = 0; i < encoder_layers(); ++i) h = layers[i].forward(h);
        return h;
    }

    /// Output rates (expected counts) from bottleneck activations.
    /// @param latent  cells x latent_size().
    /// @return cells x genes.
    ad::Var<T> decode(ad::Var<T> latent) {
        ad::Var<T> h = latent;
        for (std::size_t i = encoder_layers(); i < layers.size(); ++i) h = layers[i].forward(h);
        return h;
    }

    /// Reconstruction loss of `rate` against raw counts.
    /// @param rate    expected counts, cells x genes.
    /// @param counts  raw counts, cells x genes; viewed: it must outlive the tape's backward pass.
    /// @return the mean loss, a 1 x 1 node.
    /// @throws Error when the shapes differ.
    ad::Var<T> reconstruction_loss(ad::Var<T> rate, const CsrView<T>& counts) {
        switch (options.loss) {
        case Loss::negative_binomial: return ad::nb_nll(rate, rate.tape->param(log_theta), counts);
        case Loss::mse: return ad::mse(rate, counts);
        case Loss::poisson: break;
        }
        return ad::poisson_nll(rate, counts);
    }

    /// Expected counts of a batch: the decoder's output times each cell's size factor when
    /// the input is library-size normalised (see InputTransform), the output itself otherwise.
    /// @param tape    the tape to record on.
    /// @param input   transformed counts, cells x genes.
    /// @param counts  the same cells' raw counts (for the size factors).
    /// @return expected counts, cells x genes.
    ad::Var<T> reconstruct(ad::Tape<T>& tape, const CsrView<T>& input, const CsrView<T>& counts) {
        ad::Var<T> rate = decode(encode(tape, input));
        if (options.input.target_sum <= 0) return rate;
        size_factors(counts, options.input.target_sum, size_factors_);
        return ad::scale_rows(rate, size_factors_);
    }

    /// The reconstruction loss of a batch: `reconstruction_loss(reconstruct(...))`, computed
    /// by the fused output-layer op (ad::softplus_poisson_nll) for the Poisson loss on a
    /// softplus output, which is faster and gives the same value up to rounding.
    /// @param tape    the tape to record on.
    /// @param input   transformed counts, cells x genes.
    /// @param counts  the same cells' raw counts, the target; viewed: it must outlive the tape's backward pass.
    /// @return the mean loss, a 1 x 1 node.
    /// @throws Error when the shapes differ.
    ad::Var<T> batch_loss(ad::Tape<T>& tape, const CsrView<T>& input, const CsrView<T>& counts) {
        const Dense<T>& out = layers.back();
        if (options.loss != Loss::poisson || out.activation != Activation::softplus)
            return reconstruction_loss(reconstruct(tape, input, counts), counts);
        ad::Var<T> h = encode(tape, input);
        for (std::size_t i = encoder_layers(); i + 1 < layers.size(); ++i) h = layers[i].forward(h);
        if (options.input.target_sum > 0) size_factors(counts, options.input.target_sum, size_factors_);
        else size_factors_.resize(0);
        return ad::softplus_poisson_nll(h, tape.param(layers.back().weight), tape.param(layers.back().bias), counts, out.beta,
                                        size_factors_);
    }

    /// The training objective of a batch: reconstruction loss plus the weighted
    /// orthogonality penalty on the weights into the bottleneck.
    /// @param tape    the tape to record on.
    /// @param input   transformed counts, cells x genes.
    /// @param counts  the same cells' raw counts, the target; viewed: it must outlive the tape's backward pass.
    /// @return the objective, a 1 x 1 node.
    /// @throws Error when the shapes differ.
    ad::Var<T> objective(ad::Tape<T>& tape, const CsrView<T>& input, const CsrView<T>& counts) {
        ad::Var<T> loss = batch_loss(tape, input, counts);
        if (options.orthogonality_weight == 0) return loss;
        ad::Var<T> w = tape.param(layers[encoder_layers() - 1].weight);
        return ad::add(loss, ad::scale(ad::orthogonality(w), T(options.orthogonality_weight)));
    }

    // ---- without the tape (inference on raw counts in model gene order) ------------

    /// Bottleneck activations (cells x latent) of raw counts.
    /// @param counts  raw counts, cells x genes in model gene order.
    /// @return cells x latent_size().
    /// @throws Error when `counts` does not have genes() columns.
    Matrix<T> encode(const Csr<T>& counts) const { return run(counts, encoder_layers()); }

    /// Expected counts (cells x genes) reconstructed from raw counts: the denoised data.
    /// @param counts  raw counts, cells x genes in model gene order.
    /// @return cells x genes.
    /// @throws Error when `counts` does not have genes() columns.
    Matrix<T> reconstruct(const Csr<T>& counts) const { return run(counts, layers.size()); }

    /// Expected counts from bottleneck activations, at depth target_sum when the input is
    /// library-size normalised.
    /// @param latent  cells x latent_size().
    /// @return cells x genes.
    /// @throws Error when `latent` does not have latent_size() columns.
    Matrix<T> decode(const Matrix<T>& latent) const {
        if (latent.cols() != latent_size()) throw Error("Autoencoder::decode: latent width differs from the bottleneck");
        Matrix<T> h = latent, next;
        for (std::size_t i = encoder_layers(); i < layers.size(); ++i) {
            layers[i].apply(h, next);
            h.swap(next);
        }
        return h;
    }

private:
    /// Cells per pass of run(): the transformed counts and hidden layers of one block exist at a
    /// time, so that applying a model to an atlas holds its output and little else.
    static constexpr Index inference_block = 4096;

    Matrix<T> run(const Csr<T>& counts, std::size_t depth) const {
        if (counts.cols() != genes())
            throw Error("Autoencoder: data has " + std::to_string(counts.cols()) + " genes, the model " +
                        std::to_string(genes()) + " (align the genes to the model first)");
        Matrix<T> out, h, next;
        Index first = 0;
        do { // once at least, so that no cells still give the output's width
            const Index n = std::min(inference_block, counts.rows() - first);
            Csr<T> block = counts.middleRows(first, n);
            block.makeCompressed();
            const Csr<T> input = transform_input(block, options.input);
            layers[0].apply(view_all(input), h);
            for (std::size_t i = 1; i < depth; ++i) {
                layers[i].apply(h, next);
                h.swap(next);
            }
            if (depth == layers.size() && options.input.target_sum > 0) {
                Vector<T> factors;
                size_factors(view_all(block), options.input.target_sum, factors);
                h.array().colwise() *= factors.array();
            }
            if (first == 0) out.resize(counts.rows(), h.cols());
            out.middleRows(first, n) = h;
            first += n;
        } while (first < counts.rows());
        return out;
    }

    Vector<T> size_factors_; // reused between batches
};

} // namespace scae::nn

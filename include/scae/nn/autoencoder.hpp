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
#include <sstream>
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

/// Widest hidden layer (bottleneck included) a model may have: far above the published 128,64,
/// far below sizes that exhaust memory. The limits here are checked where a model is built
/// (Autoencoder's constructor), so a model the library trains can always be saved and loaded.
inline constexpr long long max_layer_size = 16384;
/// Most hidden layers (bottleneck included) a model may have; see max_layer_size.
inline constexpr long long max_layers = 16;
/// Most genes a model may have.
inline constexpr long long max_model_genes = 10000000;
/// Softplus sharpness range: beta <= 0 is no softplus, and a huge beta overflows exp() in float.
inline constexpr double min_softplus_beta = 1e-3;
/// Largest softplus sharpness; see min_softplus_beta.
inline constexpr double max_softplus_beta = 1e3;
/// Largest orthogonality weight: far above any that trains (the default is 0.05).
inline constexpr double max_orthogonality_weight = 1e6;
/// Largest library-size normalisation target: far above any depth (about 1e4 is usual).
inline constexpr double max_target_sum = 1e12;

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
    /// @throws Error when `genes`, a layer size, the number of layers, softplus_beta,
    /// orthogonality_weight or input.target_sum is outside its limit (max_layer_size and the
    /// constants beside it), naming the option, its value and the limit
    Autoencoder(Index genes, AutoencoderOptions opts) : options(std::move(opts)) {
        check_limits(genes, options);
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

    /// Throws Error unless `genes` and `o` are within the limits every model file must meet
    /// (max_layer_size, max_layers, max_model_genes, the softplus, orthogonality and target-sum
    /// ranges): the one check of them, made before a network is built.
    /// @param genes  number of genes
    /// @param o  the architecture, objective and input transform
    /// @throws Error naming the first option out of range, its value and the range
    static void check_limits(Index genes, const AutoencoderOptions& o) {
        const auto refuse = [](const std::string& what, const std::string& value, const std::string& range) {
            throw Error("Autoencoder: " + what + " is " + value + ", expected " + range + " (the limits of a model file, nn/autoencoder.hpp)");
        };
        const auto text = [](double v) {
            std::ostringstream s;
            s << v;
            return s.str();
        };
        if (genes < 1 || genes > max_model_genes) refuse("the number of genes", std::to_string(genes), "1.." + std::to_string(max_model_genes));
        if (o.encoder_sizes.empty() || Index(o.encoder_sizes.size()) > max_layers)
            refuse("the number of encoder_sizes", std::to_string(o.encoder_sizes.size()), "1.." + std::to_string(max_layers) + " (bottleneck last)");
        for (std::size_t i = 0; i < o.encoder_sizes.size(); ++i)
            if (o.encoder_sizes[i] < 1 || o.encoder_sizes[i] > max_layer_size)
                refuse("encoder_sizes[" + std::to_string(i) + "]", std::to_string(o.encoder_sizes[i]), "1.." + std::to_string(max_layer_size));
        if (!(o.softplus_beta >= min_softplus_beta && o.softplus_beta <= max_softplus_beta))
            refuse("softplus_beta", text(o.softplus_beta), "[" + text(min_softplus_beta) + ", " + text(max_softplus_beta) + "]");
        if (!(o.orthogonality_weight >= 0 && o.orthogonality_weight <= max_orthogonality_weight))
            refuse("orthogonality_weight", text(o.orthogonality_weight), "[0, " + text(max_orthogonality_weight) + "]");
        if (!(o.input.target_sum >= 0 && o.input.target_sum <= max_target_sum))
            refuse("input.target_sum", text(o.input.target_sum), "[0, " + text(max_target_sum) + "] (0: raw counts)");
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

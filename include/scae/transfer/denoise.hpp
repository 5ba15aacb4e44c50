#pragma once
/// @file denoise.hpp
/// @brief Denoising with a model, and the predictors it is measured against (mcv.hpp): the
/// model itself, the gene-mean baseline and a PCA reconstruction, all as eval::RatePredictor.

#include "scae/eval/pca.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/transfer/calibrate.hpp"

namespace scae::transfer {

/// The model's expected counts of a batch (`model` must outlive the predictor).
/// @param model the trained autoencoder; held by reference
/// @return a predictor of expected counts, cells x model genes
template <class T = float>
eval::RatePredictor model_predictor(const nn::Autoencoder<T>& model) {
    return [&model](const Csr<T>& batch) { return model.reconstruct(batch); };
}

/// The baseline every denoiser must beat: each cell's library size (over these genes) times
/// each gene's share of all counts in `reference` (gene_shares).
/// @param reference counts (cells x genes) the shares are taken from; copied into the predictor
/// @return a predictor of gene-mean rates for batches of the same genes
/// @throws Error when `reference` holds no counts
template <class T = float>
eval::RatePredictor gene_mean_predictor(const Csr<T>& reference) {
    return [share = gene_shares(reference)](const Csr<T>& batch) {
        Matrix<T> rates(batch.rows(), batch.cols());
        for (Index r = 0; r < batch.rows(); ++r) rates.row(r) = (share * double(batch.row(r).sum())).template cast<T>();
        return rates;
    };
}

/// A PCA of the model's input space (its transform of the counts) and the way back to counts.
struct PcaDenoiser {
    eval::Pca pca;                ///< fitted on the transformed reference cells
    nn::InputTransform transform; ///< the model's input transform
    RowVector<double> share;      ///< each gene's share of the reference counts (the floor's shape)
};

/// Fits PcaDenoiser on `reference` counts with `components` axes.
/// @param reference counts, cells x genes in the model's gene order
/// @param transform the model's input transform, applied before the PCA
/// @param components number of principal axes kept
/// @param seed seed of the PCA's randomised solver
/// @return the fitted PCA, the transform and the reference gene shares
template <class T = float>
PcaDenoiser fit_pca_denoiser(const Csr<T>& reference, const nn::InputTransform& transform, Index components,
                                    std::uint64_t seed = 0) {
    eval::PcaOptions options;
    options.components = components;
    options.seed = seed;
    return {eval::fit_pca(nn::transform_input(reference, transform), options), transform, gene_shares(reference)};
}

/// The PCA reconstruction of a batch, transformed back to counts: the inverse of the input
/// transform, scaled so each cell's rates sum to its library size (the reconstruction lives in
/// a depth-free space when the model normalises), with every rate floored at 1% of the gene-mean
/// rate, because a reconstruction at or below zero says "absent", which no count model believes.
/// @param d the fitted denoiser; held by reference, so it must outlive the predictor
/// @return a predictor of expected counts, cells x genes
template <class T = float>
eval::RatePredictor pca_predictor(const PcaDenoiser& d) {
    return [&d](const Csr<T>& batch) {
        const Matrix<Double<T>> scores = d.pca.project(Matrix<T>(nn::transform_input(batch, d.transform)));
        Matrix<Double<T>> x = (scores * d.pca.components).rowwise() + d.pca.mean;
        if (d.transform.log1p) x = x.array().min(30.0).exp() - 1.0;
        x = x.cwiseMax(0.0);
        Matrix<T> rates(x.rows(), x.cols());
        for (Index r = 0; r < x.rows(); ++r) {
            const double library = batch.row(r).sum(), total = x.row(r).sum();
            const RowVector<Double<T>> mean_rate = d.share * library;
            const RowVector<Double<T>> rate = total > 0 ? RowVector<Double<T>>(x.row(r) * (library / total)) : mean_rate;
            rates.row(r) = rate.cwiseMax(0.01 * mean_rate).template cast<T>();
        }
        return rates;
    };
}

/// Settings of `denoise`.
struct DenoiseOptions {
    CalibrationOptions calibration{}; ///< per-gene rescaling fitted on the data being denoised (default groups)
};

/// Denoised data and how they were made.
struct DenoiseResult {
    Matrix<float> rates;          ///< expected counts, cells x model genes
    GeneCalibration calibration;  ///< factors applied (method none: all ones)
};

/// Calibrates `rates`, the model's expected counts of `counts` predicted already (by blocks of
/// cells on several processes, say), as denoise() does. The model is not changed.
/// @param model the trained autoencoder the rates came from (some calibrations predict subsets again)
/// @param counts the data being denoised, cells x genes in the model's gene order
/// @param rates model.reconstruct(counts), cells x model genes; calibrated into the result
/// @param options calibration settings
/// @param cells where `counts` lies among cells spread over ranks (`scae denoise --shard`; default:
/// they are all the cells): every rank calls it with its own block and its rates, the calibration
/// is fitted on all ranks' cells (fit_calibration()) and each rank gets its block calibrated
/// @return the calibrated rates (cells x model genes) and the calibration applied
/// @throws Error when the calibration options are out of range, or the rates are not one row per cell
template <class T = float>
DenoiseResult calibrate_rates(const nn::Autoencoder<T>& model, const Csr<T>& counts, Matrix<T> rates, const DenoiseOptions& options = {},
                              const SpreadCells& cells = {}) {
    if (rates.rows() != counts.rows() || rates.cols() != counts.cols())
        throw Error("calibrate_rates: " + std::to_string(rates.rows()) + " x " + std::to_string(rates.cols()) + " rates for " +
                    std::to_string(counts.rows()) + " x " + std::to_string(counts.cols()) + " counts");
    DenoiseResult out;
    out.rates = std::move(rates);
    const Matrix<T>& predicted = out.rates;
    // The rates are already computed: calibrate from them rather than predicting twice.
    CalibrationOptions once = options.calibration;
    once.batch_cells = std::max<Index>(1, counts.rows());
    const bool whole = options.calibration.method != Calibration::blend && !grouped(options.calibration.method); // these predict subsets
    out.calibration = whole ? fit_calibration(counts, [&predicted](const Csr<T>&) { return predicted; }, once, cells)
                            : fit_calibration(counts, model_predictor(model), options.calibration, cells);
    apply_calibration(out.rates, counts, out.calibration);
    return out;
}

/// Applies `model` to `counts` (model gene order) and calibrates the rates per gene on the same
/// counts. The model is not changed.
/// @param model the trained autoencoder
/// @param counts the data to denoise, cells x genes in the model's gene order
/// @param options calibration settings
/// @return the calibrated rates (cells x model genes) and the calibration applied
/// @throws Error when the calibration options are out of range
template <class T = float>
DenoiseResult denoise(const nn::Autoencoder<T>& model, const Csr<T>& counts, const DenoiseOptions& options = {}) {
    return calibrate_rates(model, counts, model.reconstruct(counts), options);
}

} // namespace scae::transfer

#pragma once
/// @file h5ad_output.hpp
/// @brief `scae embed` and `scae denoise` output for scanpy users: an AnnData .h5ad with the
/// input's cells as obs, the latent as obsm["X_scae"] or the denoised counts as X (var = the
/// model's genes), and where it came from in uns["scae"].

#include "scae/cli/args.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/io/hdf5_signature.hpp"
#include "scae/version.hpp"

#ifdef SCAE_HAVE_HDF5
#include "scae/io/h5ad_write.hpp"
#endif

#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

namespace scae::cli {

/// True when an output name ends in .h5ad (any case): written as AnnData, not TSV.
/// @param path  the output name
/// @return true for a name ending in .h5ad, .H5AD, ...
inline bool is_h5ad_output(const std::string& path) {
    if (path.size() < 5) return false;
    std::string end = path.substr(path.size() - 5);
    for (char& c : end) c = char(std::tolower(static_cast<unsigned char>(c)));
    return end == ".h5ad";
}

/// Writes the AnnData output of `command` ("embed" or "denoise") for the aligned input `in`
/// (an AlignedInput): X = `denoised` (cells x model genes) when given, obsm["X_scae"] =
/// `latent` when given, uns["scae"] = the command, model, input, matrix read, gene alignment
/// and the model's provenance, plus `extra` (denoise: the calibration applied).
/// @param path  the .h5ad file to write
/// @param command  the subcommand, stored in uns["scae"]
/// @param a  the parsed options (--model and --data are recorded)
/// @param in  the model, data and alignment the output came from
/// @param denoised  the expected counts for X, or nullptr for none; not owned
/// @param latent  the activations for obsm["X_scae"], or nullptr for none; not owned
/// @param extra  more entries merged into uns["scae"] (default none)
/// @throws Error when the file cannot be written, or always in a build without HDF5
template <class Input>
void write_h5ad_output(const std::string& path, const std::string& command, const Args& a, const Input& in,
                       const Matrix<float>* denoised, const Matrix<float>* latent, const nlohmann::json& extra = nlohmann::json::object()) {
#ifdef SCAE_HAVE_HDF5
    io::H5adContent content;
    content.obs_names = in.data.barcodes;
    if (denoised) {
        content.X = denoised;
        content.var_names = in.model.gene_symbols;
        content.var_columns = {{"gene_ids", in.model.gene_ids}};
    }
    if (latent) content.obsm = {{"X_scae", latent}};
    const auto& p = in.model.provenance;
    content.uns["scae"] = {
        {"command", "scae " + command},
        {"scae_version", SCAE_VERSION},
        {"model", a.required("model")},
        {"data", a.required("data")},
        {"matrix", in.data.source},
        {"values", denoised ? "expected counts under the model (Poisson rates) for the model's genes" : "bottleneck activations"},
        {"alignment",
         {{"matched", in.alignment.matched}, {"model_genes", in.alignment.n_model_genes}, {"coverage", in.alignment.coverage}}},
        {"model_provenance",
         {{"data_path", p.data_path}, {"cells", p.cells}, {"seed", p.seed}, {"created", p.created}, {"extra", p.extra.dump()}}}};
    content.uns["scae"].update(extra);
    io::write_h5ad(path, content);
#else
    (void)command, (void)a, (void)in, (void)denoised, (void)latent, (void)extra;
    throw Error(path + ": writing AnnData .h5ad needs HDF5, and scae was built without it; install libhdf5-dev and "
                       "reconfigure scae (cmake -B build -DSCAE_WITH_HDF5=ON), or name a .tsv output");
#endif
}

} // namespace scae::cli

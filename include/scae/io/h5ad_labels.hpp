#pragma once
/// @file h5ad_labels.hpp
/// @brief Cell labels from wherever the user keeps them: a `barcode<TAB>label` file, or a
/// column of the obs table of the AnnData file being read (`obs:COLUMN`).

#include "scae/core/error.hpp"
#include "scae/io/hdf5_signature.hpp"
#include "scae/io/labels.hpp"

#ifdef SCAE_HAVE_HDF5
#include "scae/io/h5ad_frame.hpp"
#endif

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace scae::io {

/// True when `spec` names an obs column ("obs:COLUMN") rather than a labels file: it starts with
/// "obs:" and no file of that name exists.
/// @param spec  the labels argument as the user gave it.
/// @return whether it is to be read from the obs table.
inline bool is_obs_column(const std::string& spec) {
    return spec.rfind("obs:", 0) == 0 && !std::filesystem::exists(spec);
}

/// Labels from column `column` of the obs table of the AnnData file `path`, matched to
/// `barcodes` (the matrix cells) by obs name. Categorical columns are decoded; a missing value
/// leaves its cell unlabelled. Throws Error when the file is not AnnData, the column is missing
/// (the message lists the columns) or no obs name matches a barcode.
/// @param path      the AnnData file.
/// @param column    the obs column holding the labels.
/// @param barcodes  the matrix's cells, in row order.
/// @return one label per barcode ("" for none), with the unmatched cells and obs names listed.
/// @throws Error naming `path` in a build without HDF5, besides the cases above.
inline Labels read_obs_labels(const std::string& path, const std::string& column, const std::vector<std::string>& barcodes) {
#ifdef SCAE_HAVE_HDF5
    if (!is_hdf5_file(path)) fail(path, 0, "obs:" + column + " needs --data to be an AnnData .h5ad file; this one is not HDF5");
    const hdf5::File file(path);
    if (!file.exists("/obs")) fail(path, 0, "obs:" + column + " needs an AnnData file with an obs table; this file has no /obs");
    const h5ad::Frame obs(file, "/obs");
    const std::vector<std::string> names = obs.index();
    const std::vector<std::string> values = obs.column(column);
    if (values.size() != names.size())
        file.fail_at("/obs/" + column, "holds " + std::to_string(values.size()) + " values for " + std::to_string(names.size()) + " cells");
    Labels labels;
    labels.column_name = column;
    labels.per_cell.assign(barcodes.size(), std::string());
    std::unordered_map<std::string, std::size_t> cell_of;
    cell_of.reserve(barcodes.size());
    for (std::size_t k = 0; k < barcodes.size(); ++k) cell_of.emplace(barcodes[k], k);
    std::vector<bool> seen(barcodes.size(), false);
    for (std::size_t k = 0; k < names.size(); ++k) {
        const auto cell = cell_of.find(names[k]);
        if (cell == cell_of.end()) {
            labels.labels_without_cell.push_back(names[k]);
            continue;
        }
        seen[cell->second] = true;
        if (values[k].empty()) continue;
        labels.per_cell[cell->second] = values[k];
        ++labels.matched;
    }
    if (labels.matched == 0)
        file.fail_at("/obs/" + column, names.empty() ? std::string("the obs table is empty")
                                                     : "labels none of the " + std::to_string(barcodes.size()) +
                                                           " cells of the matrix (missing values, or obs names that are not its barcodes)");
    for (std::size_t k = 0; k < barcodes.size(); ++k)
        if (labels.per_cell[k].empty()) labels.cells_without_label.push_back(barcodes[k]);
    return labels;
#else
    (void)barcodes;
    throw Error(hdf5_missing_message(path) + " (needed for obs:" + column + ")");
#endif
}

/// Labels named by `spec`: "obs:COLUMN" reads that obs column of the AnnData file `data_path`
/// (the counts being read); anything else is a `barcode<TAB>label` file (read_labels()).
/// @param spec       "obs:COLUMN", or the path of a `barcode<TAB>label` file.
/// @param data_path  the counts' file, read for "obs:COLUMN".
/// @param barcodes   the matrix's cells, in row order.
/// @return one label per barcode ("" for none), with the unmatched cells and labels listed.
/// @throws Error when `spec` is "obs:" alone, or as read_obs_labels() and read_labels() throw.
inline Labels read_cell_labels(const std::string& spec, const std::string& data_path, const std::vector<std::string>& barcodes) {
    if (is_obs_column(spec)) {
        if (spec.size() == 4) throw Error(spec + ": expected obs:COLUMN, the name of an obs column of the AnnData input");
        return read_obs_labels(data_path, spec.substr(4), barcodes);
    }
    return read_labels(spec, barcodes);
}

} // namespace scae::io

#pragma once
/// @file h5ad_write.hpp
/// @brief Writes an AnnData `.h5ad` file in the current encoding (`encoding-type` attributes,
/// as anndata 0.8 and later write and read it): obs and var names and string columns, an
/// optional dense X, dense obsm arrays and a JSON object as nested `uns` dicts. The file is
/// written beside its destination and renamed onto it when complete. Needs SCAE_HAVE_HDF5.

#include "scae/core/atomic_file.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/io/hdf5_file.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace scae::io {

/// What write_h5ad() puts into the file. Pointers refer to the caller's data (nothing is copied).
struct H5adContent {
    /// obs names (one per cell); every obs-aligned array has this many rows.
    std::vector<std::string> obs_names;
    /// String columns of obs, each with one value per cell ("predicted_label", ...).
    std::vector<std::pair<std::string, std::vector<std::string>>> obs_columns;
    /// Numeric (float64) columns of obs, each with one value per cell ("confidence", ...).
    std::vector<std::pair<std::string, std::vector<double>>> obs_numbers;
    /// var names (one per column of X); empty when there is no X.
    std::vector<std::string> var_names;
    /// String columns of var, each with one value per var name ("gene_ids", ...).
    std::vector<std::pair<std::string, std::vector<std::string>>> var_columns;
    /// Dense X (cells x var), or null to leave X out (AnnData allows X = None).
    const Matrix<float>* X = nullptr;
    /// Dense obsm arrays (cells x k), written as obsm/NAME.
    std::vector<std::pair<std::string, const Matrix<float>*>> obsm;
    /// Written as uns/NAME for each key: objects become dicts, strings strings, numbers
    /// numeric scalars, arrays of numbers or of strings arrays; anything else its JSON text.
    nlohmann::json uns = nlohmann::json::object();
};

namespace h5ad_detail {

using hdf5::Id;

/// Writes objects into one HDF5 file created (truncated) at `path`.
class Writer {
public:
    explicit Writer(const std::string& path) : path_(path) {
        hdf5::detail::silence_library();
        file_ = Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        if (!file_.valid()) fail("cannot create the file: " + hdf5::detail::take_error());
    }
    hid_t root() const { return file_.get(); }

    [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + what); }
    void check(herr_t status, const std::string& what) const {
        if (status < 0) fail("cannot write " + what + ": " + hdf5::detail::take_error());
    }

    Id group(hid_t parent, const std::string& name, const char* encoding, const char* version) {
        Id g(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.valid()) fail("cannot create group " + name + ": " + hdf5::detail::take_error());
        encode(g.get(), encoding, version);
        return g;
    }

    void encode(hid_t object, const char* encoding, const char* version) {
        string_attribute(object, "encoding-type", encoding);
        string_attribute(object, "encoding-version", version);
    }

    void string_attribute(hid_t object, const char* name, const std::string& value) {
        const Id type = hdf5::detail::vlen_string_type();
        const Id space(H5Screate(H5S_SCALAR), H5Sclose);
        const Id attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        const char* text = value.c_str();
        check(attribute.valid() ? H5Awrite(attribute.get(), type.get(), &text) : -1, std::string("attribute ") + name);
    }

    /// An array-of-strings attribute; an empty one is an empty float64 array, as anndata writes it.
    void strings_attribute(hid_t object, const char* name, const std::vector<std::string>& values) {
        const hsize_t n = values.size();
        const Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        if (values.empty()) {
            const Id attribute(H5Acreate2(object, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
            check(attribute.valid() ? 0 : -1, std::string("attribute ") + name);
            return;
        }
        const Id type = hdf5::detail::vlen_string_type();
        std::vector<const char*> texts;
        for (const std::string& v : values) texts.push_back(v.c_str());
        const Id attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(attribute.valid() ? H5Awrite(attribute.get(), type.get(), texts.data()) : -1, std::string("attribute ") + name);
    }

    /// A one-dimensional vlen-string dataset with encoding string-array.
    void strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
        const hsize_t n = values.size();
        const Id type = hdf5::detail::vlen_string_type();
        const Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        const Id dataset(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
        if (!dataset.valid()) fail("cannot create dataset " + name + ": " + hdf5::detail::take_error());
        std::vector<const char*> texts;
        for (const std::string& v : values) texts.push_back(v.c_str());
        if (n > 0) check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), "dataset " + name);
        encode(dataset.get(), "string-array", "0.2.0");
    }

    /// A dense rows x cols float32 dataset (row-major), chunked and gzip-compressed when large.
    void matrix(hid_t parent, const std::string& name, const Matrix<float>& m) {
        const hsize_t dims[2] = {hsize_t(m.rows()), hsize_t(m.cols())};
        const Id space(H5Screate_simple(2, dims, nullptr), H5Sclose);
        const Id properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        if (dims[0] > 0 && dims[1] > 0 && dims[0] * dims[1] > 65536) {
            const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (hsize_t(1) << 18) / dims[1])), dims[1]};
            H5Pset_chunk(properties.get(), 2, chunk);
            H5Pset_deflate(properties.get(), 4);
        }
        const Id dataset(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                         H5Dclose);
        if (!dataset.valid()) fail("cannot create dataset " + name + ": " + hdf5::detail::take_error());
        if (m.size() > 0) check(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data()), "dataset " + name);
        encode(dataset.get(), "array", "0.2.0");
    }

    /// A data frame group: index `names`, string columns, then numeric columns.
    void frame(const std::string& name, const std::vector<std::string>& names,
               const std::vector<std::pair<std::string, std::vector<std::string>>>& columns,
               const std::vector<std::pair<std::string, std::vector<double>>>& numbers = {}) {
        const Id g = group(root(), name, "dataframe", "0.2.0");
        string_attribute(g.get(), "_index", "_index");
        std::vector<std::string> order;
        for (const auto& [column, values] : columns) order.push_back(column);
        for (const auto& [column, values] : numbers) order.push_back(column);
        strings_attribute(g.get(), "column-order", order);
        strings(g.get(), "_index", names);
        const auto check_rows = [&](const std::string& column, std::size_t rows) {
            if (rows != names.size())
                fail(name + "/" + column + ": " + std::to_string(rows) + " values for " + std::to_string(names.size()) + " rows");
        };
        for (const auto& [column, values] : columns) {
            check_rows(column, values.size());
            strings(g.get(), column, values);
        }
        for (const auto& [column, values] : numbers) {
            check_rows(column, values.size());
            const hsize_t n = values.size();
            const Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
            const Id dataset(H5Dcreate2(g.get(), column.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
            if (!dataset.valid()) fail("cannot create dataset " + column + ": " + hdf5::detail::take_error());
            if (n > 0) check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "dataset " + column);
            encode(dataset.get(), "array", "0.2.0");
        }
    }

    /// A JSON value as AnnData's uns encoding.
    void json(hid_t parent, const std::string& name, const nlohmann::json& value) {
        if (value.is_object()) {
            const Id g = group(parent, name, "dict", "0.1.0");
            for (const auto& [key, item] : value.items()) json(g.get(), key, item);
            return;
        }
        if (value.is_number() || value.is_boolean()) {
            const bool integer = value.is_number_integer() || value.is_boolean();
            const double real = value.is_number() ? value.get<double>() : 0.0;
            const std::int64_t whole = value.is_boolean() ? std::int64_t(value.get<bool>()) : integer ? value.get<std::int64_t>() : 0;
            const Id space(H5Screate(H5S_SCALAR), H5Sclose);
            const Id dataset(H5Dcreate2(parent, name.c_str(), integer ? H5T_STD_I64LE : H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                        H5P_DEFAULT, H5P_DEFAULT),
                             H5Dclose);
            check(dataset.valid() ? H5Dwrite(dataset.get(), integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                             H5P_DEFAULT, integer ? static_cast<const void*>(&whole) : static_cast<const void*>(&real))
                                  : -1,
                  "uns " + name);
            encode(dataset.get(), "numeric-scalar", "0.2.0");
            return;
        }
        if (value.is_array() && !value.empty()) {
            bool numbers = true, texts = true;
            for (const auto& item : value) {
                numbers = numbers && item.is_number();
                texts = texts && item.is_string();
            }
            if (texts) {
                strings(parent, name, value.get<std::vector<std::string>>());
                return;
            }
            if (numbers) {
                const std::vector<double> v = value.get<std::vector<double>>();
                const hsize_t n = v.size();
                const Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
                const Id dataset(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 H5Dclose);
                check(dataset.valid() ? H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) : -1,
                      "uns " + name);
                encode(dataset.get(), "array", "0.2.0");
                return;
            }
        }
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        const Id type = hdf5::detail::vlen_string_type();
        const Id space(H5Screate(H5S_SCALAR), H5Sclose);
        const Id dataset(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
        const char* pointer = text.c_str();
        check(dataset.valid() ? H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer) : -1, "uns " + name);
        encode(dataset.get(), "string", "0.2.0");
    }

    /// Flushes and closes the file; throws Error when HDF5 cannot finish it.
    void close() {
        check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "the file (disk full?)");
        file_ = Id();
    }

private:
    std::string path_;
    Id file_;
};

} // namespace h5ad_detail

/// Writes `content` as an AnnData file at `path` (anndata 0.8 reads it back): obs, var, X when
/// given, obsm, uns, and the empty layers, obsp, varm and varp groups anndata expects. Written
/// beside `path` and renamed onto it when complete (replace_atomically()), so `path` is never half written.
/// Throws Error naming the file when the sizes disagree or HDF5 cannot write.
/// @param path     the file to write; replaced whole, or left as it was on failure.
/// @param content  what to write; its pointers must be valid during the call.
/// @throws Error naming the file when the sizes disagree or HDF5 cannot write.
inline void write_h5ad(const std::string& path, const H5adContent& content) {
    const Index cells = Index(content.obs_names.size());
    if (content.X && (content.X->rows() != cells || content.X->cols() != Index(content.var_names.size())))
        throw Error(path + ": X is " + std::to_string(content.X->rows()) + " x " + std::to_string(content.X->cols()) + ", expected " +
                    std::to_string(cells) + " cells x " + std::to_string(content.var_names.size()) + " var names");
    for (const auto& [name, m] : content.obsm)
        if (m->rows() != cells)
            throw Error(path + ": obsm " + name + " has " + std::to_string(m->rows()) + " rows, expected " + std::to_string(cells));
    replace_atomically(path, [&](const std::filesystem::path& temporary) {
        h5ad_detail::Writer w(temporary.string());
        w.encode(w.root(), "anndata", "0.1.0");
        w.frame("obs", content.obs_names, content.obs_columns, content.obs_numbers);
        w.frame("var", content.var_names, content.var_columns);
        if (content.X) w.matrix(w.root(), "X", *content.X);
        {
            const auto obsm = w.group(w.root(), "obsm", "dict", "0.1.0");
            for (const auto& [name, m] : content.obsm) w.matrix(obsm.get(), name, *m);
        }
        for (const char* empty : {"layers", "obsp", "varm", "varp"}) w.group(w.root(), empty, "dict", "0.1.0");
        {
            const auto uns = w.group(w.root(), "uns", "dict", "0.1.0");
            for (const auto& [key, value] : content.uns.items()) w.json(uns.get(), key, value);
        }
        w.close();
    });
}

} // namespace scae::io

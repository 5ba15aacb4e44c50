#pragma once
/// @file h5ad_frame.hpp
/// @brief Reads an AnnData data frame (obs, var, raw/var): its index and its columns as strings,
/// in the three layouts AnnData has written: the current encoding (`encoding-type` attributes,
/// categorical columns as groups of codes and categories), 0.7 (categories in `__categories`,
/// linked by an object reference) and before 0.7 (one compound dataset, categories in
/// `uns/<column>_categories`). Needs SCAE_HAVE_HDF5.

#include "scae/io/hdf5_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace scae::io::h5ad {

namespace detail {

/// A number as a label: whole numbers without a decimal point, NaN as missing ("").
inline std::string number_label(double v) {
    if (std::isnan(v)) return "";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    std::ostringstream s;
    s.precision(10);
    s << v;
    return s.str();
}

/// Any one-dimensional dataset as strings: strings as they are, numbers as labels, enums
/// (h5py booleans) by member name.
inline std::vector<std::string> dataset_strings(const hdf5::Dataset& dataset) {
    dataset.expect_vector(-1, "column");
    switch (dataset.kind()) {
    case hdf5::ValueKind::string: return dataset.read_strings();
    case hdf5::ValueKind::integer:
    case hdf5::ValueKind::real: {
        const std::vector<double> values = dataset.read_all<double>();
        std::vector<std::string> out;
        out.reserve(values.size());
        for (double v : values) out.push_back(number_label(v));
        return out;
    }
    default:
        if (H5Tget_class(dataset.type()) == H5T_ENUM) return dataset.read_enum_names();
        dataset.fail("holds " + std::string(hdf5::to_string(dataset.kind())) + ", expected strings or numbers");
    }
}

/// Decodes categorical codes: code k is categories[k]; -1 (or NaN) is missing ("").
inline std::vector<std::string> decode(const std::vector<double>& codes, const std::vector<std::string>& categories,
                                       const hdf5::Dataset& where) {
    std::vector<std::string> out;
    out.reserve(codes.size());
    for (std::size_t k = 0; k < codes.size(); ++k) {
        const double c = codes[k];
        if (std::isnan(c) || c < 0) {
            out.emplace_back();
            continue;
        }
        if (c >= double(categories.size()) || c != std::floor(c))
            where.fail("code " + number_label(c) + " at element " + std::to_string(k) + " names no category, expected 0 to " +
                       std::to_string(categories.size()) + " - 1 or -1 for missing");
        out.push_back(categories[std::size_t(c)]);
    }
    return out;
}

} // namespace detail

/// One data frame of an AnnData file.
class Frame {
public:
    /// Opens the frame at `path` ("/obs", "/var", "/raw/var"); throws Error when it is missing.
    /// @param file  the open AnnData file; the frame keeps a reference, so it must outlive the frame.
    /// @param path  absolute path of the frame in the file.
    /// @throws Error when the path is missing, is neither a group nor a compound dataset, or the frame has no index.
    Frame(const hdf5::File& file, std::string path) : file_(file), path_(std::move(path)) {
        if (file.is_dataset(path_)) {
            const hdf5::Dataset table = file.dataset(path_);
            if (table.kind() != hdf5::ValueKind::compound) table.fail("is a dataset of " + std::string(hdf5::to_string(table.kind())) +
                                                                      ", expected a data frame (a group, or a compound dataset)");
            compound_ = true;
            fields_ = table.field_names();
            table.expect_vector(-1, "table of records");
            index_name_ = "index";
            for (const char* name : {"index", "_index"})
                if (std::find(fields_.begin(), fields_.end(), name) != fields_.end()) index_name_ = name;
            return;
        }
        const hdf5::Id group = file.open_group(path_);
        const hdf5::Attributes attributes(group.get(), file.where(path_));
        index_name_ = attributes.string_or("_index", "");
        if (index_name_.empty())
            for (const char* name : {"_index", "index"})
                if (file.exists(path_ + "/" + name)) index_name_ = name;
        if (index_name_.empty()) file.fail_at(path_, "has no index: neither an '_index' attribute nor an '_index' or 'index' column");
    }

    /// The frame's path in the file.
    /// @return the path given to the constructor.
    const std::string& path() const { return path_; }

    /// The row names (obs names or var names).
    /// @return one name per row, as column() reads them.
    /// @throws Error when the index cannot be read as strings.
    std::vector<std::string> index() const { return column(index_name_); }

    /// True when the frame has column `name` (the index counts as one).
    /// @param name  column name.
    /// @return whether the frame has it.
    bool has(const std::string& name) const {
        if (compound_) return std::find(fields_.begin(), fields_.end(), name) != fields_.end();
        return file_.exists(path_ + "/" + name);
    }

    /// Column names, the index left out.
    /// @return the names in file order (a group's children or a compound dataset's fields).
    std::vector<std::string> columns() const {
        std::vector<std::string> names = compound_ ? fields_ : file_.children(path_);
        std::vector<std::string> out;
        for (std::string& n : names)
            if (n != index_name_ && n != "__categories") out.push_back(std::move(n));
        return out;
    }

    /// Column `name` as strings, one per row: categorical columns decoded (missing as ""),
    /// numbers as labels. Throws Error naming the column when it is missing or unreadable.
    /// @param name  column name (the index's name gives the index).
    /// @return one string per row.
    /// @throws Error when the column is missing (the message lists the columns) or cannot be read.
    std::vector<std::string> column(const std::string& name) const {
        if (!has(name))
            file_.fail_at(path_, "has no column '" + name + "'; its columns are " + list(columns()));
        if (compound_) return compound_column(name);
        const std::string path = path_ + "/" + name;
        if (file_.is_group(path)) return group_column(path);
        const hdf5::Dataset dataset = file_.dataset(path);
        const std::string categories = dataset.attributes().reference_target("categories");
        if (!categories.empty()) { // AnnData 0.7: codes here, categories in __categories
            const hdf5::Dataset names = file_.dataset(categories);
            return detail::decode(dataset.read_all<double>(), detail::dataset_strings(names), dataset);
        }
        return detail::dataset_strings(dataset);
    }

private:
    static std::string list(const std::vector<std::string>& names) {
        if (names.empty()) return "(none)";
        std::string out;
        for (std::size_t k = 0; k < names.size(); ++k) out += (k ? ", '" : "'") + names[k] + "'";
        return out;
    }

    std::vector<std::string> group_column(const std::string& path) const {
        const hdf5::Id group = file_.open_group(path);
        const std::string encoding = hdf5::Attributes(group.get(), file_.where(path)).string_or("encoding-type", "");
        if (file_.exists(path + "/codes") && file_.exists(path + "/categories")) {
            const hdf5::Dataset codes = file_.dataset(path + "/codes");
            codes.expect_numbers("category codes");
            return detail::decode(codes.read_all<double>(), detail::dataset_strings(file_.dataset(path + "/categories")), codes);
        }
        if (file_.exists(path + "/values") && file_.exists(path + "/mask")) { // nullable-integer, -boolean, -string-array
            std::vector<std::string> values = detail::dataset_strings(file_.dataset(path + "/values"));
            const std::vector<std::string> mask = detail::dataset_strings(file_.dataset(path + "/mask"));
            if (mask.size() != values.size()) file_.fail_at(path + "/mask", "holds " + std::to_string(mask.size()) +
                                                                               " values, expected one per row (" + std::to_string(values.size()) + ")");
            for (std::size_t k = 0; k < values.size(); ++k)
                if (mask[k] == "TRUE" || mask[k] == "1") values[k].clear();
            return values;
        }
        file_.fail_at(path, "is a column group of encoding '" + encoding +
                                "', expected a categorical (codes, categories) or nullable (values, mask) column");
    }

    std::vector<std::string> compound_column(const std::string& name) const {
        const hdf5::Dataset table = file_.dataset(path_);
        if (table.field_kind(name) == hdf5::ValueKind::string) return table.read_field_strings(name);
        const std::vector<double> values = table.read_field_numbers(name);
        const std::string categories = "/uns/" + name + "_categories"; // AnnData before 0.7
        if (file_.is_dataset(categories)) return detail::decode(values, detail::dataset_strings(file_.dataset(categories)), table);
        std::vector<std::string> out;
        out.reserve(values.size());
        for (double v : values) out.push_back(detail::number_label(v));
        return out;
    }

    const hdf5::File& file_;
    std::string path_;
    std::string index_name_;
    bool compound_ = false;
    std::vector<std::string> fields_;
};

} // namespace scae::io::h5ad

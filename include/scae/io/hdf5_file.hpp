#pragma once
/// @file hdf5_file.hpp
/// @brief A small read-only view of an HDF5 file over the C API: handles that close themselves,
/// datasets read slab by slab into native types, strings (fixed or variable length) and
/// attributes. Every failure becomes a scae::Error naming the file and the object path; the
/// HDF5 error stack is never printed. A dataset compressed with a filter this HDF5 cannot decode
/// (Blosc, Zstandard, ... without their plugins) is named, with what to install, before it is
/// read; LZF, which libhdf5 lacks, is decoded by scae itself (hdf5_lzf.hpp). Needs SCAE_HAVE_HDF5.

#ifndef SCAE_HAVE_HDF5
#error "scae/io/hdf5_file.hpp needs HDF5: build with SCAE_HAVE_HDF5 (libhdf5-dev found by CMake)"
#endif

#include "scae/core/error.hpp"
#include "scae/io/hdf5_lzf.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace scae::io::hdf5 {

/// Elements per slab when a reader streams a dataset: 64 Ki elements (512 KiB of int64), few
/// enough that the slabs add little to the result's memory, many enough that HDF5's per-call
/// cost does not show.
inline constexpr hsize_t slab_elements = hsize_t(1) << 16;

/// Datasets of up to this many elements (8 MiB of doubles) are opened whatever their storage;
/// larger ones must fit what their storage in the file can hold (Dataset::capacity()).
inline constexpr hsize_t unchecked_elements = hsize_t(1) << 20;


/// An HDF5 identifier that closes itself (file, group, dataset, dataspace, type or attribute).
class Id {
public:
    Id() = default;
    /// Takes `id` (H5I_INVALID_HID or negative: none), to be released with `close`.
    /// @param id     the identifier to own.
    /// @param close  the HDF5 function that releases it (H5Fclose, H5Dclose, ...).
    Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    /// Takes over `other`'s identifier.
    /// @param other  left without an identifier.
    Id(Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    /// Releases this identifier and takes over `other`'s.
    /// @param other  left without an identifier.
    /// @return this handle.
    Id& operator=(Id&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    ~Id() { reset(); }

    /// The raw identifier (negative when invalid).
    /// @return the identifier; H5I_INVALID_HID after a move or for none.
    hid_t get() const { return id_; }
    /// True for a valid identifier.
    /// @return whether the handle holds an open identifier.
    bool valid() const { return id_ >= 0; }

private:
    void reset() {
        if (id_ >= 0 && close_) close_(id_);
        id_ = H5I_INVALID_HID;
    }
    hid_t id_ = H5I_INVALID_HID;
    herr_t (*close_)(hid_t) = nullptr;
};

namespace detail {

/// The most a filter can shrink data, for bounding what a dataset's stored bytes can hold:
/// deflate 1032 (zlib's limit), LZF 88 (a 3-byte reference gives 264 bytes), N-bit and
/// scale-offset 64 (one bit left of 64), shuffle and Fletcher32 none; szip 1032; another
/// filter (a plugin: Blosc, Zstandard, bzip2, ...) 65536.
/// @param id  a filter's HDF5 id
/// @return its largest ratio of decoded to stored bytes
inline double max_filter_ratio(H5Z_filter_t id) {
    switch (id) {
    case H5Z_FILTER_DEFLATE: return 1032;
    case H5Z_FILTER_SHUFFLE:
    case H5Z_FILTER_FLETCHER32: return 1;
    case H5Z_FILTER_SZIP: return 1032;
    case H5Z_FILTER_NBIT:
    case H5Z_FILTER_SCALEOFFSET: return 64;
    case lzf_filter: return 88;
    default: return 65536;
    }
}

inline herr_t collect_error(unsigned, const H5E_error2_t* error, void* data) {
    if (error && error->desc && *error->desc) *static_cast<std::string*>(data) = error->desc;
    return 0;
}

/// The innermost message of the current HDF5 error stack ("truncated file: eof = ..."), then
/// clears the stack; "" when it is empty.
inline std::string take_error() {
    std::string message;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

/// take_error(), or "HDF5 gave no reason" when the stack holds no message: for "cannot read: ...".
inline std::string reason() {
    const std::string message = take_error();
    return message.empty() ? "HDF5 gave no reason" : message;
}

/// The folders HDF5 searches for filter plugins (HDF5_PLUGIN_PATH, else its built-in default), joined by ':'.
inline std::string plugin_folders() {
    std::string folders;
#if H5_VERSION_GE(1, 10, 1)
    unsigned n = 0;
    if (H5PLsize(&n) >= 0)
        for (unsigned k = 0; k < n; ++k) {
            char folder[4096] = {};
            if (H5PLget(k, folder, sizeof folder) > 0) folders += (folders.empty() ? "" : ":") + std::string(folder);
        }
#endif
    take_error();
    return folders.empty() ? "HDF5_PLUGIN_PATH" : folders;
}

/// For a message: filter `id` (named `name` in the file), which this HDF5 cannot decode, and
/// what to install so that it can. The filters h5ad and 10x files are written with: gzip (Cell
/// Ranger, scanpy), shuffle, Fletcher32, szip and scale-offset (all built into libhdf5), LZF
/// (h5py's own, scanpy's compression="lzf"; scae decodes it, hdf5_lzf.hpp), and Blosc, Zstandard,
/// LZ4, Bitshuffle, bzip2 or ZFP (h5py with hdf5plugin).
/// @param id  the filter's registered HDF5 id (32000 for LZF)
/// @param name  the name the file gives it ("" when none)
/// @return "LZF (HDF5 filter 32000), which this HDF5 cannot decode: install ..."
inline std::string missing_filter(H5Z_filter_t id, const std::string& name) {
    struct Known {
        H5Z_filter_t id;
        const char* name;
        const char* remedy;
    };
    static const Known known[] = {
        {H5Z_FILTER_DEFLATE, "gzip", "use a libhdf5 built with zlib (Debian's libhdf5-dev is)"},
        {H5Z_FILTER_SHUFFLE, "shuffle", "use a complete libhdf5 (every build has it)"},
        {H5Z_FILTER_FLETCHER32, "Fletcher32", "use a complete libhdf5 (every build has it)"},
        {H5Z_FILTER_SZIP, "szip", "use a libhdf5 built with szip or libaec (Debian's libhdf5-dev is)"},
        {H5Z_FILTER_NBIT, "N-bit", "use a complete libhdf5 (every build has it)"},
        {H5Z_FILTER_SCALEOFFSET, "scale-offset", "use a complete libhdf5 (every build has it)"},
        {307, "bzip2", "install the Debian package hdf5-filter-plugin"},
        {32000, "LZF", "scae registers its own LZF decoder (io/hdf5_lzf.hpp), so this HDF5 refused it; an LZF plugin "
                       "(h5py's lzf_filter, which scanpy uses for compression=\"lzf\") in HDF5_PLUGIN_PATH would do"},
        {32001, "Blosc", "install the Debian package hdf5-filter-plugin-blosc-serial"},
        {32004, "LZ4", "install the Debian package hdf5-filter-plugin"},
        {32008, "Bitshuffle", "install the Debian package hdf5-filter-plugin"},
        {32013, "ZFP", "install the Debian package hdf5-filter-plugin-zfp-serial"},
        {32015, "Zstandard", "install python3-hdf5plugin (Debian) or pip's hdf5plugin and set HDF5_PLUGIN_PATH to its plugins, "
                             "python3 -c 'import hdf5plugin; print(hdf5plugin.PLUGIN_PATH)'"},
        {32026, "Blosc2", "install python3-hdf5plugin (Debian) or pip's hdf5plugin and set HDF5_PLUGIN_PATH to its plugins, "
                          "python3 -c 'import hdf5plugin; print(hdf5plugin.PLUGIN_PATH)'"}};
    std::string what = "HDF5 filter " + std::to_string(id);
    std::string remedy = "install its plugin (the HDF Group lists registered filters and their plugins: "
                         "https://github.com/HDFGroup/hdf5_plugins)";
    for (const Known& k : known)
        if (k.id == id) {
            what = std::string(k.name) + " (" + what + ")";
            remedy = k.remedy;
        }
    if (!name.empty() && what.find('(') == std::string::npos) what += " ('" + name + "')";
    return what + ", which this HDF5 library cannot decode: " + remedy + "; HDF5 looks for filter plugins in " + plugin_folders();
}

/// Turns off HDF5's printing of its error stack on stderr (once per process): scae reports
/// errors itself, as scae::Error messages.
inline void silence_library() {
    static const bool silenced = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)silenced;
}

template <class T> hid_t native_type();
template <> inline hid_t native_type<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> inline hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

/// A variable-length C string type in memory, of character set `cset` (UTF-8 by default).
inline Id vlen_string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
    Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), cset);
    return type;
}

/// The string of a fixed-length field of `size` bytes: up to the first NUL, without the
/// trailing spaces of a space-padded type.
inline std::string fixed_string(const char* begin, std::size_t size, bool space_padded) {
    std::size_t n = 0;
    while (n < size && begin[n] != '\0') ++n;
    if (space_padded)
        while (n > 0 && begin[n - 1] == ' ') --n;
    return std::string(begin, n);
}

/// Reads `count` strings of `type_of_file` (a string type) from `object` via `read(memtype, buffer)`.
template <class Read>
std::vector<std::string> read_string_values(hid_t type_of_file, std::size_t count, Read&& read, bool& ok) {
    std::vector<std::string> out;
    out.reserve(count);
    if (H5Tis_variable_str(type_of_file) > 0) {
        const Id memtype = vlen_string_type(H5Tget_cset(type_of_file)); // same character set: no conversion
        std::vector<char*> pointers(count, nullptr);
        ok = read(memtype.get(), pointers.data());
        for (char* p : pointers) {
            out.emplace_back(p ? p : "");
            H5free_memory(p);
        }
        return out;
    }
    const std::size_t size = H5Tget_size(type_of_file);
    const bool space_padded = H5Tget_strpad(type_of_file) == H5T_STR_SPACEPAD;
    Id memtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memtype.get(), size);
    H5Tset_strpad(memtype.get(), H5T_STR_NULLPAD);
    H5Tset_cset(memtype.get(), H5Tget_cset(type_of_file));
    std::vector<char> buffer(count * size + 1, '\0');
    ok = read(memtype.get(), buffer.data());
    for (std::size_t k = 0; k < count && ok; ++k) out.push_back(fixed_string(buffer.data() + k * size, size, space_padded));
    return out;
}

} // namespace detail

/// The class of values a dataset or attribute holds, as far as scae cares.
enum class ValueKind {
    integer,  ///< signed or unsigned integers of any width
    real,     ///< floating point
    string,   ///< fixed- or variable-length strings
    compound, ///< records (pre-0.7 AnnData obs/var tables)
    other     ///< enums (h5py booleans), references, opaque data, ...
};

/// The ValueKind of an HDF5 datatype.
/// @param type  an open datatype identifier.
/// @return its kind; ValueKind::other for enums, references and the rest.
inline ValueKind kind_of(hid_t type) {
    switch (H5Tget_class(type)) {
    case H5T_INTEGER: return ValueKind::integer;
    case H5T_FLOAT: return ValueKind::real;
    case H5T_STRING: return ValueKind::string;
    case H5T_COMPOUND: return ValueKind::compound;
    default: return ValueKind::other;
    }
}

/// A short description of `kind` for messages.
/// @param kind  the kind.
/// @return a plural noun phrase ("integers", "strings", ...).
inline const char* to_string(ValueKind kind) {
    switch (kind) {
    case ValueKind::integer: return "integers";
    case ValueKind::real: return "floating-point numbers";
    case ValueKind::string: return "strings";
    case ValueKind::compound: return "records (a compound type)";
    case ValueKind::other: break;
    }
    return "values of another type (enum, reference or opaque)";
}

class File;

/// Attributes of one object (file root, group or dataset).
class Attributes {
public:
    /// `object` is an open identifier; `where` names it in messages ("file.h5:/matrix").
    /// @param object  the object's identifier; it must stay open while the Attributes are used.
    /// @param where   the object's name for messages.
    Attributes(hid_t object, std::string where) : object_(object), where_(std::move(where)) {}

    /// True when the object has attribute `name`.
    /// @param name  attribute name.
    /// @return whether it exists.
    bool has(const std::string& name) const { return H5Aexists(object_, name.c_str()) > 0; }

    /// The ValueKind of attribute `name` (which must exist).
    /// @param name  attribute name.
    /// @return the kind of its type.
    /// @throws Error naming the object when the attribute cannot be opened.
    ValueKind kind(const std::string& name) const {
        const Id attribute = open(name);
        const Id type(H5Aget_type(attribute.get()), H5Tclose);
        return kind_of(type.get());
    }

    /// The strings of attribute `name` (a scalar gives one). Throws Error when it is missing or
    /// does not hold strings.
    /// @param name  attribute name.
    /// @return its strings, in storage order.
    std::vector<std::string> strings(const std::string& name) const {
        const Id attribute = open(name);
        const Id type(H5Aget_type(attribute.get()), H5Tclose);
        if (kind_of(type.get()) != ValueKind::string)
            fail_here("attribute '" + name + "' holds " + to_string(kind_of(type.get())) + ", expected strings");
        bool ok = false;
        auto values = detail::read_string_values(type.get(), elements(attribute.get()), [&](hid_t memtype, void* buffer) {
            return H5Aread(attribute.get(), memtype, buffer) >= 0;
        }, ok);
        if (!ok) fail_here("cannot read attribute '" + name + "': " + detail::take_error());
        return values;
    }

    /// The one string of attribute `name`, or `fallback` when it is missing or not one string.
    /// @param name      attribute name.
    /// @param fallback  the value for a missing attribute or one that is not a single string.
    /// @return the attribute's string or `fallback`.
    std::string string_or(const std::string& name, const std::string& fallback) const {
        if (!has(name) || kind(name) != ValueKind::string) return fallback;
        const auto values = strings(name);
        return values.size() == 1 ? values[0] : fallback;
    }

    /// The integers of attribute `name` (converted from any integer or real type). Throws Error
    /// when it is missing or not numeric.
    /// @param name  attribute name.
    /// @return its values, in storage order.
    std::vector<long long> integers(const std::string& name) const {
        const Id attribute = open(name);
        const Id type(H5Aget_type(attribute.get()), H5Tclose);
        const ValueKind k = kind_of(type.get());
        if (k != ValueKind::integer && k != ValueKind::real)
            fail_here("attribute '" + name + "' holds " + to_string(k) + ", expected integers");
        std::vector<std::int64_t> values(elements(attribute.get()));
        if (H5Aread(attribute.get(), H5T_NATIVE_INT64, values.data()) < 0)
            fail_here("cannot read attribute '" + name + "': " + detail::take_error());
        return std::vector<long long>(values.begin(), values.end());
    }

    /// The object an object-reference attribute points to, as an absolute path ("" when the
    /// attribute is not an object reference). AnnData 0.7 links categorical columns this way.
    /// @param name  attribute name.
    /// @return the target's absolute path, or "".
    std::string reference_target(const std::string& name) const {
        if (!has(name)) return "";
        const Id attribute = open(name);
        const Id type(H5Aget_type(attribute.get()), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_REFERENCE || elements(attribute.get()) != 1) return "";
        hobj_ref_t reference{};
        if (H5Aread(attribute.get(), H5T_STD_REF_OBJ, &reference) < 0) return detail::take_error(), "";
        const Id target(H5Rdereference2(object_, H5P_DEFAULT, H5R_OBJECT, &reference), H5Oclose);
        if (!target.valid()) return detail::take_error(), "";
        const ssize_t size = H5Iget_name(target.get(), nullptr, 0);
        if (size <= 0) return "";
        std::string path(std::size_t(size) + 1, '\0');
        H5Iget_name(target.get(), path.data(), path.size());
        path.resize(std::size_t(size));
        return path;
    }

private:
    Id open(const std::string& name) const {
        Id attribute(H5Aopen(object_, name.c_str(), H5P_DEFAULT), H5Aclose);
        if (!attribute.valid()) fail_here("cannot open attribute '" + name + "': " + detail::take_error());
        return attribute;
    }
    static std::size_t elements(hid_t attribute) {
        const Id space(H5Aget_space(attribute), H5Sclose);
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        return n > 0 ? std::size_t(n) : 0;
    }
    [[noreturn]] void fail_here(const std::string& what) const { throw Error(where_ + ": " + what); }

    hid_t object_;
    std::string where_;
};

/// One open dataset of a File: its shape and type, read in slabs.
class Dataset {
public:
    /// Opens `path` in `file`; throws Error naming both when it is missing or not a dataset.
    /// @param file  the open file.
    /// @param path  absolute path of the dataset.
    Dataset(const File& file, const std::string& path);

    /// The dataset's absolute path in the file.
    /// @return the path given to the constructor.
    const std::string& path() const { return path_; }
    /// "FILE:/path", the prefix of every message about this dataset.
    /// @return the prefix, as File::where() makes it.
    const std::string& where() const { return where_; }
    /// Extent of each dimension (empty for a scalar).
    /// @return one extent per dimension.
    const std::vector<hsize_t>& shape() const { return shape_; }
    /// Number of elements (1 for a scalar).
    /// @return the product of the extents.
    hsize_t size() const {
        hsize_t n = 1;
        for (hsize_t d : shape_) n *= d;
        return n;
    }
    /// What the dataset holds.
    /// @return the kind of its datatype.
    ValueKind kind() const { return kind_; }
    /// The datatype in the file.
    /// @return the datatype identifier, owned by the Dataset.
    hid_t type() const { return type_.get(); }
    /// Its attributes.
    /// @return the dataset's attributes, usable while the Dataset lives.
    Attributes attributes() const { return Attributes(dataset_.get(), where_); }

    /// Throws Error "FILE:/path: what".
    /// @param what  what is wrong and what was expected.
    /// @throws Error always.
    [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

    /// Throws Error unless the dataset is one-dimensional with `n` elements (`n` < 0: any).
    /// @param n        elements expected; negative accepts any number.
    /// @param meaning  what the dataset should be, for the message.
    /// @throws Error when the dataset is not one-dimensional or has another length.
    void expect_vector(long long n, const std::string& meaning) const {
        if (shape_.size() != 1)
            fail("has " + std::to_string(shape_.size()) + " dimensions, expected a one-dimensional " + meaning);
        if (n >= 0 && shape_[0] != hsize_t(n))
            fail("holds " + std::to_string(shape_[0]) + " values, expected " + std::to_string(n) + " (" + meaning + ")");
    }

    /// Throws Error unless the dataset holds numbers (integers or floating point).
    /// @param meaning  what the dataset should be, for the message.
    /// @throws Error when it holds another kind of value.
    void expect_numbers(const std::string& meaning) const {
        if (kind_ != ValueKind::integer && kind_ != ValueKind::real)
            fail("holds " + std::string(to_string(kind_)) + ", expected numbers (" + meaning + ")");
    }

    /// The chunk extent of each dimension; empty for a contiguous dataset.
    /// @return one extent per dimension, or empty.
    std::vector<hsize_t> chunk_shape() const {
        const Id properties(H5Dget_create_plist(dataset_.get()), H5Pclose);
        std::vector<hsize_t> chunk(shape_.size());
        if (chunk.empty() || H5Pget_layout(properties.get()) != H5D_CHUNKED ||
            H5Pget_chunk(properties.get(), int(chunk.size()), chunk.data()) < 0)
            return {};
        return chunk;
    }

    /// Elements per slab for streaming a one-dimensional dataset: about slab_elements, and a
    /// whole number of chunks, so that no chunk straddles two slabs (HDF5 would decompress it
    /// twice when it does not fit its 1 MiB chunk cache).
    /// @return elements per slab, at least 1.
    hsize_t slab() const {
        const std::vector<hsize_t> chunk = chunk_shape();
        if (chunk.empty() || chunk[0] == 0) return slab_elements;
        return std::max<hsize_t>(1, slab_elements / chunk[0]) * chunk[0];
    }

    /// Rows per block for streaming a two-dimensional dataset: about a slab, and a whole number
    /// of chunk rows, so that each chunk is decompressed once per pass.
    /// @return rows per block, at least 1.
    /// @throws std::out_of_range for a dataset with fewer than two dimensions.
    hsize_t row_block() const {
        const hsize_t width = std::max<hsize_t>(1, shape_.at(1));
        hsize_t rows = std::max<hsize_t>(1, slab_elements / width);
        const std::vector<hsize_t> chunk = chunk_shape();
        if (!chunk.empty() && chunk[0] > 0) rows = std::max<hsize_t>(1, rows / chunk[0]) * chunk[0];
        return rows;
    }

    /// Reads `count` elements from element `start` of a one-dimensional dataset, converted to T
    /// (HDF5 converts any integer or floating-point type).
    /// @param start  first element.
    /// @param count  number of elements; `out` has room for them.
    /// @param out    receives the values.
    /// @throws Error when the range leaves the dataset, the dataset is not one-dimensional or HDF5 cannot read it.
    template <class T>
    void read(hsize_t start, hsize_t count, T* out) const {
        read_slab(detail::native_type<T>(), {start}, {count}, out);
    }

    /// Reads rows [first, first + rows) of a two-dimensional dataset into `out` (row-major).
    /// @param first  first row.
    /// @param rows   number of rows; `out` has room for rows x columns values.
    /// @param out    receives the values, row-major.
    /// @throws Error when the rows leave the dataset or HDF5 cannot read it.
    template <class T>
    void read_rows(hsize_t first, hsize_t rows, T* out) const {
        read_slab(detail::native_type<T>(), {first, 0}, {rows, shape_.at(1)}, out);
    }

    /// Every element of a numeric dataset, converted to T.
    /// @return the values in storage order (row-major).
    /// @throws Error when HDF5 cannot read or convert them.
    template <class T>
    std::vector<T> read_all() const {
        std::vector<T> values(size());
        if (!values.empty()) {
            require_filters();
            if (shape_.empty()) {
                if (H5Dread(dataset_.get(), detail::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
                    fail("cannot read: " + detail::reason());
            } else {
                read_slab(detail::native_type<T>(), std::vector<hsize_t>(shape_.size(), 0), shape_, values.data());
            }
        }
        return values;
    }

    /// Every element of a string dataset. Throws Error when it does not hold strings.
    /// @return the strings in storage order.
    std::vector<std::string> read_strings() const {
        if (kind_ != ValueKind::string) fail("holds " + std::string(to_string(kind_)) + ", expected strings");
        require_filters();
        bool ok = false;
        auto values = detail::read_string_values(type_.get(), std::size_t(size()), [&](hid_t memtype, void* buffer) {
            return H5Dread(dataset_.get(), memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) >= 0;
        }, ok);
        if (!ok) fail("cannot read: " + detail::reason());
        return values;
    }

    /// Every element of an enum dataset (h5py stores booleans so) as its member name ("TRUE").
    /// @return one name per element ("" for a value no member has).
    /// @throws Error when the dataset is not an enum or cannot be read.
    std::vector<std::string> read_enum_names() const {
        if (H5Tget_class(type_.get()) != H5T_ENUM) fail("holds " + std::string(to_string(kind_)) + ", expected an enum");
        require_filters();
        const Id native(H5Tget_native_type(type_.get(), H5T_DIR_ASCEND), H5Tclose);
        const std::size_t width = H5Tget_size(native.get());
        std::vector<unsigned char> raw(std::size_t(size()) * width);
        if (!raw.empty() && H5Dread(dataset_.get(), native.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
            fail("cannot read: " + detail::reason());
        std::vector<std::string> names;
        names.reserve(std::size_t(size()));
        char name[256];
        for (std::size_t k = 0; k < std::size_t(size()); ++k)
            names.emplace_back(H5Tenum_nameof(native.get(), raw.data() + k * width, name, sizeof name) >= 0 ? name : "");
        detail::take_error();
        return names;
    }

    /// Names of the fields of a compound dataset (empty for other types).
    /// @return the field names in the type's order.
    std::vector<std::string> field_names() const {
        std::vector<std::string> names;
        if (kind_ != ValueKind::compound) return names;
        const int n = H5Tget_nmembers(type_.get());
        for (int i = 0; i < n; ++i) {
            char* name = H5Tget_member_name(type_.get(), unsigned(i));
            names.emplace_back(name ? name : "");
            H5free_memory(name);
        }
        return names;
    }

    /// The ValueKind of field `name` of a compound dataset.
    /// @param name  field name.
    /// @return the kind of its type.
    /// @throws Error when there is no such field.
    ValueKind field_kind(const std::string& name) const {
        const Id member = member_type(name);
        return kind_of(member.get());
    }

    /// Field `name` of every record of a compound dataset, as strings.
    /// @param name  field name.
    /// @return one string per record.
    /// @throws Error when there is no such field, it does not hold strings or cannot be read.
    std::vector<std::string> read_field_strings(const std::string& name) const {
        const Id member = member_type(name);
        if (kind_of(member.get()) != ValueKind::string)
            fail("field '" + name + "' holds " + std::string(to_string(kind_of(member.get()))) + ", expected strings");
        require_filters();
        bool ok = false;
        auto values = detail::read_string_values(member.get(), std::size_t(size()), [&](hid_t memtype, void* buffer) {
            const std::size_t bytes = H5Tget_size(memtype);
            const Id record(H5Tcreate(H5T_COMPOUND, bytes), H5Tclose);
            H5Tinsert(record.get(), name.c_str(), 0, memtype);
            return H5Dread(dataset_.get(), record.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) >= 0;
        }, ok);
        if (!ok) fail("cannot read field '" + name + "': " + detail::reason());
        return values;
    }

    /// Field `name` of every record of a compound dataset, as numbers.
    /// @param name  field name.
    /// @return one number per record.
    /// @throws Error when there is no such field, it does not hold numbers or cannot be read.
    std::vector<double> read_field_numbers(const std::string& name) const {
        const Id member = member_type(name);
        const ValueKind k = kind_of(member.get());
        if (k != ValueKind::integer && k != ValueKind::real)
            fail("field '" + name + "' holds " + std::string(to_string(k)) + ", expected numbers");
        require_filters();
        const Id record(H5Tcreate(H5T_COMPOUND, sizeof(double)), H5Tclose);
        H5Tinsert(record.get(), name.c_str(), 0, H5T_NATIVE_DOUBLE);
        std::vector<double> values(size());
        if (H5Dread(dataset_.get(), record.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
            fail("cannot read field '" + name + "': " + detail::reason());
        return values;
    }

    /// The most elements the dataset's storage in the file can hold: its stored bytes (all its
    /// written chunks, or its contiguous or compact data) times the largest ratio of its
    /// filters (detail::max_filter_ratio), divided by its element size. A dataset declared
    /// larger than that (an extent of 10^9 over a few KB: chunks never written read as fill
    /// values) is refused when it is opened, before any reader sizes a buffer from its shape.
    /// @return the bound, in elements
    double capacity() const {
        const Id properties(H5Dget_create_plist(dataset_.get()), H5Pclose);
        double ratio = 1;
        const int filters = properties.valid() ? H5Pget_nfilters(properties.get()) : 0;
        for (int k = 0; k < filters; ++k) {
            unsigned flags = 0, config = 0;
            std::size_t values = 0;
            char name[64] = {};
            const H5Z_filter_t id = H5Pget_filter2(properties.get(), unsigned(k), &flags, &values, nullptr, sizeof name, name, &config);
            ratio *= id < 0 ? 65536.0 : detail::max_filter_ratio(id);
        }
        detail::take_error();
        const double stored = double(H5Dget_storage_size(dataset_.get()));
        const double element_bytes = double(std::max<std::size_t>(1, H5Tget_size(type_.get())));
        return stored * std::min(ratio, 1e12) / element_bytes;
    }

    /// Throws Error unless this HDF5 can decode every filter of the dataset's pipeline (loading
    /// plugins as it needs them), naming the first one it cannot and what to install. Every read
    /// calls it first (once per dataset), so a missing plugin is never an empty "cannot read".
    /// @throws Error naming the filter, its HDF5 id and the package or plugin that decodes it
    void require_filters() const {
        if (filters_checked_) return;
        const Id properties(H5Dget_create_plist(dataset_.get()), H5Pclose);
        const int n = properties.valid() ? H5Pget_nfilters(properties.get()) : 0;
        for (int k = 0; k < n; ++k) {
            unsigned flags = 0, config = 0, info = 0;
            std::size_t values = 0;
            char name[256] = {};
            const H5Z_filter_t id = H5Pget_filter2(properties.get(), unsigned(k), &flags, &values, nullptr, sizeof name, name, &config);
            if (id < 0) continue;
            if (H5Zfilter_avail(id) > 0 && H5Zget_filter_info(id, &info) >= 0 && (info & H5Z_FILTER_CONFIG_DECODE_ENABLED)) continue;
            detail::take_error();
            fail("is compressed with " + detail::missing_filter(id, name));
        }
        detail::take_error();
        filters_checked_ = true;
    }

private:
    Id member_type(const std::string& name) const {
        const int index = kind_ == ValueKind::compound ? H5Tget_member_index(type_.get(), name.c_str()) : -1;
        if (index < 0) fail("has no field '" + name + "'");
        return Id(H5Tget_member_type(type_.get(), unsigned(index)), H5Tclose);
    }

    void read_slab(hid_t memtype, const std::vector<hsize_t>& start, const std::vector<hsize_t>& count, void* out) const {
        if (start.size() != shape_.size())
            fail("has " + std::to_string(shape_.size()) + " dimensions, expected " + std::to_string(start.size()));
        for (std::size_t d = 0; d < start.size(); ++d)
            if (start[d] + count[d] > shape_[d]) fail("read past the end of the dataset");
        for (hsize_t c : count)
            if (c == 0) return;
        require_filters();
        const Id file_space(H5Dget_space(dataset_.get()), H5Sclose);
        const Id memory_space(H5Screate_simple(int(count.size()), count.data(), nullptr), H5Sclose);
        if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0 ||
            H5Dread(dataset_.get(), memtype, memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0)
            fail("cannot read elements " + std::to_string(start[0]) + " to " + std::to_string(start[0] + count[0]) + ": " +
                 detail::reason() + " (a truncated or damaged file?)");
    }

    std::string path_, where_;
    Id dataset_, type_;
    ValueKind kind_ = ValueKind::other;
    std::vector<hsize_t> shape_;
    mutable bool filters_checked_ = false;
};

/// An HDF5 file opened read-only.
class File {
public:
    /// Opens `path`; throws Error naming it and HDF5's reason (truncated, not HDF5, ...).
    /// @param path  the file to open.
    explicit File(std::string path) : path_(std::move(path)) {
        detail::silence_library();
        register_lzf();
        // Reading needs no lock, and HPC file systems without flock (NFS, Lustre) would refuse one.
        const Id access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
#if H5_VERSION_GE(1, 10, 7)
        H5Pset_file_locking(access.get(), false, true);
#endif
        file_ = Id(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, access.get()), H5Fclose);
        if (!file_.valid()) {
            const std::string reason = detail::take_error();
            fail(path_, 0, "cannot open as HDF5" + (reason.empty() ? std::string() : ": " + reason) +
                               " (a truncated or damaged file?)");
        }
    }

    /// The file name as given.
    /// @return the path given to the constructor.
    const std::string& path() const { return path_; }
    /// The file identifier.
    /// @return the identifier, owned by the File.
    hid_t id() const { return file_.get(); }

    /// "FILE:/object", the prefix of messages about `object`.
    /// @param object  absolute path in the file.
    /// @return "FILE:/object".
    std::string where(const std::string& object) const { return path_ + ":" + object; }
    /// Throws Error "FILE:/object: what".
    /// @param object  absolute path in the file.
    /// @param what    what is wrong and what was expected.
    /// @throws Error always.
    [[noreturn]] void fail_at(const std::string& object, const std::string& what) const {
        throw Error(where(object) + ": " + what);
    }

    /// True when every component of the absolute path `object` exists ("/" always does).
    /// @param object  absolute path in the file.
    /// @return whether the object exists (a link to a missing object does not).
    bool exists(const std::string& object) const {
        if (object.empty() || object == "/") return true;
        std::size_t end = 0;
        while (end != std::string::npos) {
            end = object.find('/', end + 1);
            const std::string prefix = object.substr(0, end);
            const htri_t found = H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT);
            if (found <= 0) return detail::take_error(), false;
            if (end != std::string::npos && !is_group(prefix)) return false;
        }
        const htri_t target = H5Oexists_by_name(file_.get(), object.c_str(), H5P_DEFAULT);
        if (target < 0) detail::take_error();
        return target > 0;
    }

    /// True when `object` exists and is a group.
    /// @param object  absolute path in the file.
    /// @return whether it is a group.
    bool is_group(const std::string& object) const { return object_type(object) == H5O_TYPE_GROUP; }
    /// True when `object` exists and is a dataset.
    /// @param object  absolute path in the file.
    /// @return whether it is a dataset.
    bool is_dataset(const std::string& object) const { return object_type(object) == H5O_TYPE_DATASET; }

    /// Names of the members of group `group`, in HDF5's name order.
    /// @param group  absolute path of the group.
    /// @return the member names.
    /// @throws Error when `group` is missing or not a group.
    std::vector<std::string> children(const std::string& group) const {
        std::vector<std::string> names;
        const Id g = open_group(group);
        H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
            static_cast<std::vector<std::string>*>(data)->emplace_back(name);
            return 0;
        }, &names);
        detail::take_error();
        return names;
    }

    /// Opens group `group`; throws Error when it is missing or not a group.
    /// @param group  absolute path of the group.
    /// @return the open group.
    Id open_group(const std::string& group) const {
        if (!is_group(group)) fail_at(group, exists(group) ? "is not a group" : "no such group");
        Id g(H5Gopen2(file_.get(), group.c_str(), H5P_DEFAULT), H5Gclose);
        if (!g.valid()) fail_at(group, "cannot open group: " + detail::take_error());
        return g;
    }

    /// Attributes of `object` (a group or a dataset), valid while `handle` lives: open it with
    /// open_object().
    /// @param object  absolute path of a group or dataset.
    /// @return the open object, for Attributes(handle.get(), where(object)).
    /// @throws Error when it is missing or cannot be opened.
    Id open_object(const std::string& object) const {
        if (!exists(object)) fail_at(object, "no such group or dataset");
        Id o(H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT), H5Oclose);
        if (!o.valid()) fail_at(object, "cannot open: " + detail::take_error());
        return o;
    }

    /// Opens dataset `path`.
    /// @param path  absolute path of the dataset.
    /// @return the open dataset.
    /// @throws Error when it is missing or not a dataset.
    Dataset dataset(const std::string& path) const { return Dataset(*this, path); }

private:
    H5O_type_t object_type(const std::string& object) const {
        if (object == "/") return H5O_TYPE_GROUP;
        if (!exists(object)) return H5O_TYPE_UNKNOWN;
        H5O_info_t info{};
#if H5_VERSION_GE(1, 12, 0)
        if (H5Oget_info_by_name3(file_.get(), object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
#else
        if (H5Oget_info_by_name2(file_.get(), object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
#endif
            return detail::take_error(), H5O_TYPE_UNKNOWN;
        return info.type;
    }

    std::string path_;
    Id file_;
};

inline Dataset::Dataset(const File& file, const std::string& path) : path_(path), where_(file.where(path)) {
    if (!file.is_dataset(path)) fail(file.exists(path) ? "is a group, expected a dataset" : "no such dataset");
    dataset_ = Id(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset_.valid()) fail("cannot open dataset: " + detail::take_error());
    type_ = Id(H5Dget_type(dataset_.get()), H5Tclose);
    kind_ = kind_of(type_.get());
    const Id space(H5Dget_space(dataset_.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail("cannot read its shape: " + detail::take_error());
    shape_.resize(std::size_t(rank));
    if (rank > 0) H5Sget_simple_extent_dims(space.get(), shape_.data(), nullptr);
    double declared = 1; // in double: a product of absurd extents must not wrap
    for (const hsize_t d : shape_) declared *= double(d);
    if (declared > double(unchecked_elements)) {
        const double capacity = this->capacity();
        if (declared > capacity) {
            std::string extent;
            for (const hsize_t d : shape_) extent += (extent.empty() ? "" : " x ") + std::to_string(d);
            fail("declares " + extent + " elements, but its storage in the file (" + std::to_string(H5Dget_storage_size(dataset_.get())) +
                 " bytes) can hold at most " + std::to_string(static_cast<long long>(capacity)) +
                 ": a damaged file, or one whose data were never written");
        }
    }
}

} // namespace scae::io::hdf5

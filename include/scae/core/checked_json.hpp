#pragma once
/// @file checked_json.hpp
/// @brief Persistence's one home: checked reading of JSON documents (every problem a scae::Error
/// naming the file, the JSON path and what was expected) and the one codec for matrices stored in
/// JSON (base64 of little-endian float32 or float64, row-major). Model files
/// (transfer/model_file.hpp) and training checkpoints (train/checkpoint.hpp) both use it.
///
/// Everything here is a template on the JSON type, so including this header compiles none of it.

#include "scae/core/base64.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <nlohmann/json_fwd.hpp>

namespace scae::checked_json {

/// True on a little-endian machine (the byte order stored matrices use).
/// @return whether the lowest-addressed byte of an integer is its least significant
inline bool little_endian() {
    const std::uint16_t probe = 1;
    std::uint8_t first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

/// The stored type of a matrix, as its "dtype" field names it.
/// @param value_bytes  4 (float32) or 8 (float64)
/// @return "float32le" or "float64le"
inline const char* dtype_name(int value_bytes) { return value_bytes == 8 ? "float64le" : "float32le"; }

/// A matrix as a JSON object: name, rows, cols, dtype and data (base64 of its values, row-major,
/// as little-endian float32 or float64). Floats stored as float32 round-trip exactly.
/// @param name         the matrix' name, stored with it
/// @param m            the values
/// @param value_bytes  4: store as float32 (values converted), 8: as float64
/// @return the object {"name", "rows", "cols", "dtype", "data"}
template <class Json, class T>
Json encode_matrix(const std::string& name, const Matrix<T>& m, int value_bytes = 4) {
    std::vector<std::uint8_t> bytes(std::size_t(m.size()) * std::size_t(value_bytes));
    for (Index i = 0; i < m.size(); ++i) {
        if (value_bytes == 4) {
            const float v = float(m.data()[i]);
            std::memcpy(bytes.data() + 4 * i, &v, 4);
        } else {
            const double v = double(m.data()[i]);
            std::memcpy(bytes.data() + 8 * i, &v, 8);
        }
    }
    if (!little_endian())
        for (std::size_t i = 0; i < bytes.size(); i += std::size_t(value_bytes))
            std::reverse(bytes.begin() + std::ptrdiff_t(i), bytes.begin() + std::ptrdiff_t(i) + value_bytes);
    return {{"name", name}, {"rows", m.rows()}, {"cols", m.cols()}, {"dtype", dtype_name(value_bytes)},
            {"data", base64::encode(bytes.data(), bytes.size())}};
}

/// What a stored matrix must be (BasicReader::matrix).
struct MatrixSpec {
    std::string name;   ///< its expected "name" (empty: not checked; messages then say "the matrix")
    int value_bytes = 4; ///< 4: float32le, 8: float64le
    Index rows = -1;    ///< the rows it must have (-1: as stored, with `cols` -1 too)
    Index cols = -1;    ///< the columns it must have (-1: as stored, at most `max_values` in all)
    long long max_values = 0; ///< most values a stored shape may declare (with rows and cols -1)
    double max_magnitude = std::numeric_limits<double>::infinity(); ///< largest |value| accepted
};

/// Checked access to the fields of a JSON document: every problem is a scae::Error naming the file
/// and the JSON path ("architecture.encoder_sizes[0]") and what was expected.
template <class Json>
class BasicReader {
public:
    /// @param file  the file the document came from, named in every message; must outlive the reader
    explicit BasicReader(const std::string& file) : file_(file) {}

    /// Throws the error for the field at `path`.
    /// @param path  the JSON path
    /// @param what  what is wrong
    /// @throws Error "FILE: PATH: WHAT", always
    [[noreturn]] void fail(const std::string& path, const std::string& what) const { scae::fail(file_, 0, path + ": " + what); }

    /// What `j` holds, for messages: "the string \"x\"", "the number 230.5", "an array".
    /// @param j  any value
    /// @return a short description
    static std::string found(const Json& j) {
        if (j.is_null()) return "null";
        if (j.is_object()) return "an object";
        if (j.is_array()) return "an array of " + std::to_string(j.size());
        if (j.is_boolean()) return j.template get<bool>() ? "true" : "false";
        const std::string text = j.dump();
        return (j.is_string() ? "the string " : "the number ") + (text.size() > 40 ? text.substr(0, 40) + "..." : text);
    }

    /// `j`, which must be an object.
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @return `j`
    /// @throws Error when `j` is not an object
    const Json& object(const Json& j, const std::string& path) const {
        if (!j.is_object()) fail(path, "expected an object, found " + found(j));
        return j;
    }

    /// The member `key` of the object `j` at `path`; missing is an error.
    /// @param j     an object
    /// @param path  its JSON path
    /// @param key   the member's name
    /// @return the member
    /// @throws Error when `j` is not an object or has no member `key`
    const Json& at(const Json& j, const std::string& path, const std::string& key) const {
        object(j, path);
        const auto it = j.find(key);
        if (it == j.end()) fail(join(path, key), "missing (required field)");
        return *it;
    }

    /// The JSON path of member `key` of the value at `path`.
    /// @param path  a JSON path ("" for the top level)
    /// @param key   a member's name
    /// @return "PATH.KEY", or "KEY" at the top level
    static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

    /// An integer in [min, max].
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @param min   smallest value accepted
    /// @param max   largest value accepted
    /// @return the integer
    /// @throws Error for a value that is not an integer in range
    long long integer(const Json& j, const std::string& path, long long min, long long max) const {
        const std::string range = " in " + std::to_string(min) + ".." + std::to_string(max);
        if (j.is_number_unsigned()) {
            if (j.template get<unsigned long long>() > static_cast<unsigned long long>(max)) fail(path, "expected an integer" + range + ", found " + found(j));
            return static_cast<long long>(j.template get<unsigned long long>());
        }
        if (!j.is_number_integer()) fail(path, "expected an integer" + range + ", found " + found(j));
        const long long v = j.template get<long long>();
        if (v < min || v > max) fail(path, "expected an integer" + range + ", found " + found(j));
        return v;
    }

    /// A non-negative integer of up to 64 bits (a seed).
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @return the integer
    /// @throws Error for a value that is not a non-negative integer
    std::uint64_t unsigned_integer(const Json& j, const std::string& path) const {
        if (!j.is_number_unsigned()) fail(path, "expected a non-negative integer, found " + found(j));
        return j.template get<std::uint64_t>();
    }

    /// A finite number in [min, max].
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @param min   smallest value accepted
    /// @param max   largest value accepted
    /// @return the number
    /// @throws Error for a value that is not a finite number in range
    double real(const Json& j, const std::string& path, double min, double max) const {
        if (!j.is_number()) fail(path, "expected a number, found " + found(j));
        const double v = j.template get<double>();
        if (!std::isfinite(v) || v < min || v > max) {
            std::ostringstream s;
            s << "expected a finite number in [" << min << ", " << max << "], found " << found(j);
            fail(path, s.str());
        }
        return v;
    }

    /// A string.
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @return the string
    /// @throws Error for a value that is not a string
    std::string string(const Json& j, const std::string& path) const {
        if (!j.is_string()) fail(path, "expected a string, found " + found(j));
        return j.template get<std::string>();
    }

    /// true or false.
    /// @param j     the value at `path`
    /// @param path  its JSON path
    /// @return the boolean
    /// @throws Error for a value that is not a boolean
    bool boolean(const Json& j, const std::string& path) const {
        if (!j.is_boolean()) fail(path, "expected true or false, found " + found(j));
        return j.template get<bool>();
    }

    /// An array of exactly `size` strings (non-empty when `non_empty`).
    /// @param j          the value at `path`
    /// @param path       its JSON path
    /// @param size       the number of strings expected
    /// @param non_empty  refuse empty strings
    /// @return the strings
    /// @throws Error for a value that is not such an array
    std::vector<std::string> strings(const Json& j, const std::string& path, std::size_t size, bool non_empty) const {
        if (!j.is_array()) fail(path, "expected an array of strings, found " + found(j));
        if (j.size() != size) fail(path, "expected " + std::to_string(size) + " entries, found " + std::to_string(j.size()));
        std::vector<std::string> out;
        out.reserve(size);
        for (std::size_t i = 0; i < j.size(); ++i) {
            out.push_back(string(j[i], path + "[" + std::to_string(i) + "]"));
            if (non_empty && out.back().empty()) fail(path + "[" + std::to_string(i) + "]", "expected a non-empty string");
        }
        return out;
    }

    /// Reads a matrix written by encode_matrix(), checking its name, dtype and shape against `spec`
    /// and the length of its data before anything is allocated for it, and every value against
    /// spec.max_magnitude (non-finite values are always refused).
    /// @param entry  the matrix object
    /// @param path   its JSON path
    /// @param spec   what it must be
    /// @return the values, converted to T
    /// @throws Error naming the field when the entry is not such a matrix
    template <class T>
    Matrix<T> matrix(const Json& entry, const std::string& path, const MatrixSpec& spec) const {
        object(entry, path);
        const std::string what = spec.name.empty() ? std::string("the matrix") : "weight '" + spec.name + "'";
        if (!spec.name.empty()) {
            const std::string found_name = string(at(entry, path, "name"), join(path, "name"));
            if (found_name != spec.name)
                fail(join(path, "name"), "weights out of order: expected '" + spec.name + "', found '" + found_name + "'");
        }
        const std::string expected_dtype = dtype_name(spec.value_bytes);
        const std::string dtype = string(at(entry, path, "dtype"), join(path, "dtype"));
        if (dtype != expected_dtype) fail(join(path, "dtype"), what + " has dtype '" + dtype + "', expected " + expected_dtype);
        const long long rows = integer(at(entry, path, "rows"), join(path, "rows"), 0, std::numeric_limits<int>::max());
        const long long cols = integer(at(entry, path, "cols"), join(path, "cols"), 0, std::numeric_limits<int>::max());
        if (spec.rows >= 0) {
            if (rows != spec.rows || cols != spec.cols)
                fail(path, what + " is " + std::to_string(rows) + "x" + std::to_string(cols) + ", the architecture needs " +
                               std::to_string(spec.rows) + "x" + std::to_string(spec.cols));
        } else if (rows * cols > spec.max_values) {
            fail(path, "declares " + std::to_string(rows) + " x " + std::to_string(cols) + " values, more than any model");
        }
        const Json& data = at(entry, path, "data");
        if (!data.is_string()) fail(join(path, "data"), "expected a base64 string, found " + found(data));
        const std::string& text = data.template get_ref<const std::string&>();
        const std::size_t expected = std::size_t(rows) * std::size_t(cols) * std::size_t(spec.value_bytes);
        if (text.size() != (expected + 2) / 3 * 4)
            fail(join(path, "data"), what + " holds " + std::to_string(text.size()) + " characters of base64, expected " +
                                         std::to_string((expected + 2) / 3 * 4) + " (" + std::to_string(rows) + " x " +
                                         std::to_string(cols) + " " + expected_dtype + ")");
        std::vector<std::uint8_t> bytes;
        try {
            bytes = base64::decode(text);
        } catch (const Error& e) {
            fail(join(path, "data"), what + ": " + e.what());
        }
        if (bytes.size() != expected)
            fail(join(path, "data"), what + " holds " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(expected));
        if (!little_endian())
            for (std::size_t i = 0; i < bytes.size(); i += std::size_t(spec.value_bytes))
                std::reverse(bytes.begin() + std::ptrdiff_t(i), bytes.begin() + std::ptrdiff_t(i) + spec.value_bytes);
        Matrix<T> m(static_cast<Index>(rows), static_cast<Index>(cols));
        for (Index i = 0; i < m.size(); ++i) {
            if (spec.value_bytes == 4) {
                float v;
                std::memcpy(&v, bytes.data() + 4 * i, 4);
                check_value(v, i, what, path, spec.max_magnitude);
                m.data()[i] = T(v);
            } else {
                double v;
                std::memcpy(&v, bytes.data() + 8 * i, 8);
                check_value(v, i, what, path, spec.max_magnitude);
                m.data()[i] = T(v);
            }
        }
        return m;
    }

private:
    template <class V>
    void check_value(V v, Index position, const std::string& what, const std::string& path, double max_magnitude) const {
        if (std::isfinite(v) && !(std::abs(double(v)) > max_magnitude)) return;
        std::ostringstream s;
        s << what << " holds ";
        if (std::isnan(v))
            s << "NaN";
        else
            s << v;
        s << " at position " << position << ", expected finite values";
        if (std::isfinite(max_magnitude)) s << " of magnitude at most " << max_magnitude;
        fail(join(path, "data"), s.str());
    }

    const std::string& file_;
};

/// The reader of nlohmann::json documents.
using Reader = BasicReader<nlohmann::json>;

} // namespace scae::checked_json

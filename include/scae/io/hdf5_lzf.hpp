#pragma once
/// @file hdf5_lzf.hpp
/// @brief A decoder for LZF, the HDF5 filter h5py defines (id 32000) and scanpy uses for
/// `write_h5ad(compression="lzf")`, registered with HDF5 when no LZF plugin can be loaded.
///
/// LZF is not part of libhdf5: h5py carries its own filter, and other readers need a plugin.
/// Debian 12's `hdf5-plugin-lzf` (3.7.0-8) is installed into HDF5's plugin folder but cannot be
/// loaded ("undefined symbol: lzf_decompress": it is not linked against liblzf), so scae decodes
/// LZF itself. The decoder is checked for every byte it reads and writes: malformed chunks are an
/// HDF5 read error, never a read or write out of bounds. Needs SCAE_HAVE_HDF5.

#ifndef SCAE_HAVE_HDF5
#error "scae/io/hdf5_lzf.hpp needs HDF5: build with SCAE_HAVE_HDF5 (libhdf5-dev found by CMake)"
#endif

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace scae::io::hdf5 {

/// LZF's registered HDF5 filter id (h5py's).
inline constexpr H5Z_filter_t lzf_filter = 32000;

/// What lzf_decompress() found.
enum class LzfStatus {
    ok,        ///< the whole input decoded into the output
    too_small, ///< the output buffer is too small for the decoded data
    malformed  ///< the input is not LZF (a run past its end, a reference before the start)
};

/// Decodes the LZF data `in` (`in_size` bytes) into `out` (room for `out_size` bytes), as
/// liblzf's lzf_decompress does: a control byte below 32 starts a literal run of that many plus
/// one bytes; any other is a back reference of (control >> 5) + 2 bytes (7: plus the next byte)
/// to ((control & 31) << 8) + the next byte + 1 bytes back.
/// @param in  the compressed bytes
/// @param in_size  their number, at least 1
/// @param out  the output buffer
/// @param out_size  its size in bytes
/// @param written  set to the bytes decoded (when the result is LzfStatus::ok)
/// @return whether the data decoded, and if not, why
inline LzfStatus lzf_decompress(const unsigned char* in, std::size_t in_size, unsigned char* out, std::size_t out_size,
                                std::size_t& written) {
    const unsigned char* ip = in;
    const unsigned char* const in_end = in + in_size;
    unsigned char* op = out;
    written = 0;
    if (in_size == 0) return LzfStatus::malformed;
    while (ip < in_end) {
        const unsigned control = *ip++;
        if (control < 32) {
            const std::size_t length = control + 1;
            if (std::size_t(in_end - ip) < length) return LzfStatus::malformed;
            if (out_size - std::size_t(op - out) < length) return LzfStatus::too_small;
            std::memcpy(op, ip, length);
            op += length;
            ip += length;
            continue;
        }
        std::size_t length = control >> 5;
        if (ip == in_end) return LzfStatus::malformed;
        if (length == 7) {
            length += *ip++;
            if (ip == in_end) return LzfStatus::malformed;
        }
        const std::size_t distance = (std::size_t(control & 31) << 8) + *ip++ + 1;
        length += 2;
        if (distance > std::size_t(op - out)) return LzfStatus::malformed;
        if (out_size - std::size_t(op - out) < length) return LzfStatus::too_small;
        const unsigned char* from = op - distance;
        for (std::size_t k = 0; k < length; ++k) *op++ = *from++; // may overlap: byte by byte
    }
    written = std::size_t(op - out);
    return LzfStatus::ok;
}

namespace detail {

/// The HDF5 filter function of LZF, decoding only (scae writes no LZF). The chunk's decoded size
/// is h5py's third filter parameter; without it the buffer grows up to LZF's largest ratio (a
/// 3-byte reference gives 264 bytes). Returns 0 (an HDF5 read error) for malformed data.
inline std::size_t lzf_filter_function(unsigned flags, std::size_t n_values, const unsigned values[], std::size_t n_bytes,
                                       std::size_t* buffer_size, void** buffer) {
    if (!(flags & H5Z_FLAG_REVERSE) || n_bytes == 0) return 0; // encoding: not provided
    const std::size_t declared = n_values >= 3 ? std::size_t(values[2]) : 0;
    const std::size_t most = declared > 0 ? declared : n_bytes * 88 + 64;
    std::size_t size = declared > 0 ? declared : std::min(most, std::max(*buffer_size, n_bytes * 4));
    for (;;) {
        auto* out = static_cast<unsigned char*>(H5allocate_memory(size, false));
        if (!out) return 0;
        std::size_t written = 0;
        const LzfStatus status = lzf_decompress(static_cast<const unsigned char*>(*buffer), n_bytes, out, size, written);
        if (status == LzfStatus::ok) {
            H5free_memory(*buffer);
            *buffer = out;
            *buffer_size = size;
            return written;
        }
        H5free_memory(out);
        if (status == LzfStatus::malformed || size >= most) return 0;
        size = std::min(most, size * 2);
    }
}

} // namespace detail

/// Makes LZF datasets readable: registers scae's decoder as filter 32000 unless HDF5 already has
/// an LZF filter (registered, or a plugin it can load). Once per process; what HDF5 reports
/// while looking for a plugin is cleared.
inline void register_lzf() {
    static const bool registered = [] {
        if (H5Zfilter_avail(lzf_filter) > 0) return true;
        H5Eclear2(H5E_DEFAULT);
        static const H5Z_class2_t lzf_class = {H5Z_CLASS_T_VERS, lzf_filter, 0, 1, "lzf (scae's decoder)", nullptr, nullptr,
                                                detail::lzf_filter_function};
        const bool ok = H5Zregister(&lzf_class) >= 0;
        H5Eclear2(H5E_DEFAULT);
        return ok;
    }();
    (void)registered;
}

} // namespace scae::io::hdf5

#pragma once
/// @file gzip_writer.hpp
/// @brief gzip compression as a std::streambuf over another stream, so that any writer of a
/// std::ostream can write .gz without building its whole text first (needs zlib).
///
/// zlib counts bytes in 32-bit `unsigned`, so every call hands it at most `chunk_bytes` (default
/// 1 MiB): outputs of any size compress whole, never wrapped at 4 GiB.

#include "scae/core/error.hpp"

#include <cstddef>
#include <limits>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#ifdef SCAE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace scae::data {

/// The default number of bytes GzipStreambuf hands zlib per call, in and out.
inline constexpr std::size_t gzip_chunk_bytes = std::size_t(1) << 20;

#ifdef SCAE_HAVE_ZLIB

/// A write-only stream buffer that gzip-compresses (RFC 1952, readable by gunzip and zlib's
/// gzread) everything written through it into `sink`. Call finish() after the last byte: it
/// writes the gzip trailer and throws when compressing or writing failed. Errors of `sink` itself
/// show in its state (check it after finish()).
class GzipStreambuf : public std::streambuf {
public:
    /// Starts a gzip stream into `sink`.
    /// @param sink  where the compressed bytes go (opened in binary mode)
    /// @param chunk_bytes  the most bytes buffered and handed to zlib per call, in and out, in [1, 2^30]
    /// @param level  zlib compression level, 1 (fastest) to 9 (smallest)
    /// @throws Error for a chunk size or level out of range, or when zlib cannot start
    explicit GzipStreambuf(std::ostream& sink, std::size_t chunk_bytes = gzip_chunk_bytes, int level = 6)
        : sink_(sink), input_(checked_chunk(chunk_bytes)), output_(chunk_bytes) {
        if (level < 1 || level > 9) throw Error("gzip: compression level " + std::to_string(level) + ", expected 1..9");
        if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("gzip: zlib could not start a compressed stream (out of memory?)");
        setp(input_.data(), input_.data() + input_.size());
    }
    GzipStreambuf(const GzipStreambuf&) = delete;
    GzipStreambuf& operator=(const GzipStreambuf&) = delete;
    ~GzipStreambuf() override { deflateEnd(&stream_); }

    /// Compresses what is buffered and writes the gzip trailer; nothing may be written after it.
    /// @throws Error when zlib failed or `sink` refused bytes
    void finish() {
        if (!compress(Z_FINISH)) throw Error("gzip: compression or writing failed (disk full or file system error)");
    }

protected:
    /// Compresses the full buffer, then buffers `c`.
    /// @param c  the character that did not fit, or eof() for none
    /// @return `c` (not eof()) on success, eof() when compressing or writing failed
    int_type overflow(int_type c) override {
        if (!compress(Z_NO_FLUSH)) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }

    /// Compresses what is buffered (zlib may still hold some of it until finish()).
    /// @return 0 on success, -1 when compressing or writing failed
    int sync() override { return compress(Z_NO_FLUSH) ? 0 : -1; }

private:
    static std::size_t checked_chunk(std::size_t chunk_bytes) {
        if (chunk_bytes < 1 || chunk_bytes > (std::size_t(1) << 30))
            throw Error("gzip: chunk of " + std::to_string(chunk_bytes) + " bytes, expected 1 to 2^30");
        return chunk_bytes;
    }

    /// Hands the buffered bytes (at most one chunk) to zlib and writes what it returns, one
    /// output chunk at a time; false when zlib or the sink failed (and from then on).
    bool compress(int flush) {
        if (failed_) return false;
        stream_.next_in = reinterpret_cast<Bytef*>(pbase());
        stream_.avail_in = static_cast<uInt>(pptr() - pbase());
        int result = Z_OK;
        do {
            stream_.next_out = reinterpret_cast<Bytef*>(output_.data());
            stream_.avail_out = static_cast<uInt>(output_.size());
            result = deflate(&stream_, flush);
            const std::size_t produced = output_.size() - stream_.avail_out;
            if (result == Z_STREAM_ERROR || (produced > 0 && !sink_.write(output_.data(), static_cast<std::streamsize>(produced)))) {
                failed_ = true;
                return false;
            }
        } while (stream_.avail_out == 0);
        if (stream_.avail_in != 0 || (flush == Z_FINISH && result != Z_STREAM_END)) {
            failed_ = true;
            return false;
        }
        setp(input_.data(), input_.data() + input_.size());
        return true;
    }

    std::ostream& sink_;
    std::vector<char> input_, output_;
    z_stream stream_{};
    bool failed_ = false;
};

#endif // SCAE_HAVE_ZLIB

} // namespace scae::data

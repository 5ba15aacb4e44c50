#pragma once
/// @file line_reader.hpp
/// @brief Streaming line reader over plain or gzip-compressed text: the one input path of every
/// scae reader.
///
/// The file is read in fixed-size chunks and handed out line by line as views into the chunk, so a
/// reader never holds a copy of the whole text. gzip is recognised by its magic bytes (1f 8b), not
/// by the file name, and is decompressed through zlib when scae was built with it
/// (`SCAE_HAVE_ZLIB`), on a background thread that stays up to two chunks ahead of the parser.

#include "scae/core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#ifdef SCAE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace scae::io {

/// Longest line a reader accepts. A longer one almost always means a binary file, and stopping
/// there keeps memory bounded.
inline constexpr std::size_t max_line_bytes = std::size_t(1) << 28;

namespace detail {

/// Owns a `FILE*` and closes it.
struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for binary reading or throws an Error naming the file and the system's reason.
/// An empty path and a folder are named as such (fopen accepts a folder on Linux, and reading
/// it fails later with a less helpful message).
inline FilePtr open_or_throw(const std::string& path) {
    if (path.empty()) throw Error("the path is empty; expected the name of a file");
    {
        std::error_code error;
        if (std::filesystem::is_directory(path, error)) fail(path, 0, "is a folder, expected a file");
    }
    FilePtr f(std::fopen(path.c_str(), "rb"));
    if (!f) fail(path, 0, std::string("cannot open file: ") + std::strerror(errno));
    return f;
}

#ifdef SCAE_HAVE_ZLIB
/// Inflates a gzip file on a background thread, up to two chunks ahead of the reader, so that
/// decompressing and parsing use two cores. A damaged stream is reported after the data that
/// came before the damage.
class GzipSource {
public:
    /// Opens `path` (known to be gzip) and starts inflating `chunk_bytes` at a time.
    GzipSource(const std::string& path, std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {
        gz_ = gzopen(path.c_str(), "rb");
        if (!gz_) fail(path, 0, std::string("cannot open gzip file: ") + std::strerror(errno));
        gzbuffer(gz_, 1u << 17);
        worker_ = std::thread([this] { inflate_ahead(); });
    }

    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    ~GzipSource() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        worker_.join();
        gzclose(gz_);
    }

    /// Copies up to `room` inflated bytes into `into` and returns how many; returns 0 at the end
    /// of the data, with `error` set when the stream ended because it is damaged.
    std::size_t read(char* into, std::size_t room, std::string& error) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
        if (ready_.empty()) {
            error = error_;
            return 0;
        }
        Chunk& chunk = ready_.front();
        const std::size_t n = std::min(room, chunk.size - chunk.taken);
        std::memcpy(into, chunk.data.get() + chunk.taken, n);
        chunk.taken += n;
        if (chunk.taken == chunk.size) {
            ready_.pop_front();
            changed_.notify_all();
        }
        return n;
    }

private:
    struct Chunk {
        std::unique_ptr<char[]> data;
        std::size_t size = 0;  ///< bytes inflated into data
        std::size_t taken = 0; ///< bytes already handed to the reader
    };

    /// The worker: inflates chunks until the end, an error, or the destructor asks it to stop.
    void inflate_ahead() {
        for (;;) {
            Chunk chunk;
            std::string error;
            int got = 0;
            try {
                chunk.data.reset(new char[chunk_bytes_]);
                got = gzread(gz_, chunk.data.get(), static_cast<unsigned>(chunk_bytes_));
                int code = Z_OK;
                const char* message = gzerror(gz_, &code);
                if (got < 0 || (code != Z_OK && code != Z_BUF_ERROR))
                    error = std::string("corrupt gzip data (") + message + ")";
                else if (code == Z_BUF_ERROR)
                    error = "truncated gzip file: the compressed data ends early";
            } catch (const std::bad_alloc&) {
                error = "out of memory while decompressing";
            }
            chunk.size = got > 0 ? static_cast<std::size_t>(got) : 0;
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return ready_.size() < 2 || stopping_; });
            if (stopping_) return;
            if (chunk.size > 0) ready_.push_back(std::move(chunk));
            finished_ = got <= 0 || !error.empty();
            error_ = error;
            changed_.notify_all();
            if (finished_) return;
        }
    }

    gzFile gz_ = nullptr;
    std::size_t chunk_bytes_;
    std::thread worker_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Chunk> ready_; ///< inflated chunks the reader has not finished
    bool finished_ = false;   ///< the worker has pushed its last chunk
    bool stopping_ = false;   ///< the owner is being destroyed
    std::string error_;       ///< why the data ended early, if it did
};
#endif

} // namespace detail

/// Position (0-based) of the first byte of `text` that breaks UTF-8 (a stray continuation
/// byte, a truncated or overlong sequence, a surrogate, a code point above U+10FFFF), or npos
/// when `text` is valid UTF-8.
/// @param text  the bytes to check.
/// @return the offset of the first bad byte, or std::string_view::npos.
inline std::size_t invalid_utf8_at(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned lowest = 0x80, highest = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) lowest = 0xA0;  // overlong
            if (c == 0xED) highest = 0x9F; // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) lowest = 0x90;  // overlong
            if (c == 0xF4) highest = 0x8F; // above U+10FFFF
        } else {
            return i;
        }
        if (i + length > n || s[i + 1] < lowest || s[i + 1] > highest) return i;
        for (std::size_t k = 2; k < length; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += length;
    }
    return std::string_view::npos;
}

/// True when the file at `path` starts with the gzip magic bytes 1f 8b. Throws Error when the
/// file cannot be opened.
/// @param path  the file to look at.
/// @return whether its first two bytes are 1f 8b.
inline bool is_gzip(const std::string& path) {
    detail::FilePtr f = detail::open_or_throw(path);
    unsigned char magic[2] = {0, 0};
    const std::size_t got = std::fread(magic, 1, 2, f.get());
    return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/// Reads a text file (plain or gzip) line by line, counting lines for error messages.
///
/// Lines are returned without their `\n` and without a trailing `\r`, so CRLF files read like LF
/// files. A last line without a final newline is still returned.
class LineReader {
public:
    /// Opens `path`; `chunk_bytes` is how much is read (or decompressed) at a time.
    /// Throws Error when the file cannot be opened, or is gzip and zlib is not available.
    /// @param path         the file to read, plain or gzip.
    /// @param chunk_bytes  bytes read at a time (at least 64); lines longer than this grow the buffer, up to max_line_bytes.
    explicit LineReader(std::string path, std::size_t chunk_bytes = std::size_t(1) << 20)
        : path_(std::move(path)), capacity_(std::max<std::size_t>(chunk_bytes, 64)) {
        const bool gzip = is_gzip(path_);
#ifdef SCAE_HAVE_ZLIB
        if (gzip) gzip_ = std::make_unique<detail::GzipSource>(path_, capacity_);
#else
        if (gzip)
            scae::fail(path_, 0,
                 "the file is gzip-compressed but scae was built without zlib; install zlib1g-dev "
                 "and reconfigure (re-run cmake), or decompress the file with gunzip");
#endif
        if (!gzip) file_ = detail::open_or_throw(path_);
        buffer_.reset(new char[capacity_]);
    }

    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    /// Stores the next line in `line` and returns true, or returns false at the end of the file.
    /// The view stays valid until the next call. Throws Error on a read error or truncated gzip.
    /// @param line  set to the line, without its line end.
    /// @return false at the end of the file.
    /// @throws Error on a read error, damaged gzip data or a line longer than max_line_bytes.
    bool next(std::string_view& line) {
        for (;;) {
            const char* start = buffer_.get() + begin_;
            const char* from = buffer_.get() + std::max(begin_, scanned_);
            const void* newline = std::memchr(from, '\n', end_ - (from - buffer_.get()));
            if (newline) {
                const char* stop = static_cast<const char*>(newline);
                line = std::string_view(start, static_cast<std::size_t>(stop - start));
                begin_ = static_cast<std::size_t>(stop - buffer_.get()) + 1;
                return finish_line(line);
            }
            if (eof_) {
                if (begin_ == end_) return false;
                line = std::string_view(start, end_ - begin_);
                begin_ = end_;
                return finish_line(line);
            }
            scanned_ = end_;
            refill();
        }
    }

    /// Number (1-based) of the line last returned by next(); 0 before the first.
    /// @return the line number, for messages.
    long long line_number() const { return line_; }

    /// The path given to the constructor.
    /// @return the path as given.
    const std::string& path() const { return path_; }

    /// Throws Error "PATH:LINE: what" for the line last returned.
    /// @param what  what is wrong and what was expected.
    /// @throws Error always.
    [[noreturn]] void fail(const std::string& what) const { scae::fail(path_, line_, what); }

    /// Throws Error naming the file, the line and the byte when `text` (`what`: "the gene id",
    /// "the label") of the line last returned is not valid UTF-8: names end up in JSON and SVG
    /// reports, which must be UTF-8.
    /// @param text  the text to check, a part of the line last returned.
    /// @param what  what the text is, for the message.
    /// @throws Error when `text` is not valid UTF-8.
    void require_utf8(std::string_view text, const char* what) const {
        const std::size_t bad = invalid_utf8_at(text);
        if (bad == std::string_view::npos) return;
        static const char* hex = "0123456789abcdef";
        const unsigned char byte = static_cast<unsigned char>(text[bad]);
        std::string shown;
        for (const char c : text.substr(0, std::min<std::size_t>(bad, 40)))
            if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) shown += c;
        fail(std::string("found ") + what + " '" + shown + "' followed by the byte 0x" + hex[byte >> 4] + hex[byte & 15] +
             " at byte " + std::to_string(bad + 1) + ", which is not valid UTF-8; expected UTF-8 text (re-encode the file, e.g. with iconv)");
    }

private:
    bool finish_line(std::string_view& line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ++line_;
        return true;
    }

    /// Moves the unread tail to the front, grows the buffer when one line fills it, and reads
    /// the next chunk behind the tail.
    void refill() {
        const std::size_t tail = end_ - begin_;
        if (begin_ > 0) {
            std::memmove(buffer_.get(), buffer_.get() + begin_, tail);
            scanned_ -= begin_;
            begin_ = 0;
            end_ = tail;
        }
        if (end_ == capacity_) {
            if (capacity_ >= max_line_bytes)
                scae::fail(path_, line_ + 1,
                           "line longer than " + std::to_string(max_line_bytes >> 20) +
                               " MiB; expected a text file with newline-separated lines");
            std::unique_ptr<char[]> bigger(new char[capacity_ * 2]);
            std::memcpy(bigger.get(), buffer_.get(), end_);
            buffer_ = std::move(bigger);
            capacity_ *= 2;
        }
        const std::size_t got = read_some(buffer_.get() + end_, capacity_ - end_);
        if (got == 0) eof_ = true;
        end_ += got;
    }

    std::size_t read_some(char* into, std::size_t room) {
#ifdef SCAE_HAVE_ZLIB
        if (gzip_) {
            std::string error;
            const std::size_t got = gzip_->read(into, room, error);
            if (!error.empty())
                scae::fail(path_, 0, error + " (noticed after line " + std::to_string(line_) +
                                         "); expected a complete gzip stream (re-download or re-compress the file)");
            return got;
        }
#endif
        const std::size_t got = std::fread(into, 1, room, file_.get());
        if (got == 0 && std::ferror(file_.get()))
            scae::fail(path_, 0, std::string("read error after line ") + std::to_string(line_) + ": " +
                                     std::strerror(errno));
        return got;
    }

    std::string path_;
    detail::FilePtr file_;
#ifdef SCAE_HAVE_ZLIB
    std::unique_ptr<detail::GzipSource> gzip_;
#endif
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_;
    std::size_t begin_ = 0;   ///< first unread byte
    std::size_t end_ = 0;     ///< one past the last byte read
    std::size_t scanned_ = 0; ///< bytes before this hold no newline (saves rescans of long lines)
    bool eof_ = false;
    long long line_ = 0;
};

} // namespace scae::io

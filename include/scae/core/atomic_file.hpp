#pragma once
/// @file atomic_file.hpp
/// @brief The one way scae writes a file: into a temporary beside it, renamed over it when
/// complete, so that readers (and a run that is killed) see either the old file or the whole new
/// one, never a part. Models, checkpoints, TSV and gzip outputs, AnnData files and reports all go
/// through replace_atomically(); temporary names come from temporary_path() only.

#include "scae/core/error.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <system_error>

#if __has_include(<unistd.h>)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace scae {

/// A fresh name beside `target` for a file or folder that will replace it, or that holds what it
/// replaced: `.NAME.KIND-PID-N` in the target's folder (hidden, and unique to this process and
/// call, so that two writers of one target never share a temporary), e.g.
/// `.model.json.partial-4242-1` for a model being written.
/// @param target  the path the temporary stands for
/// @param kind    what the temporary is: "partial" (being written) or "old" (moved aside)
/// @return the temporary's path, in the same folder as `target` (so a rename is one step)
inline std::filesystem::path temporary_path(const std::filesystem::path& target, const char* kind = "partial") {
    static std::atomic<unsigned long long> counter{0};
#if __has_include(<unistd.h>)
    const long long pid = static_cast<long long>(::getpid());
#else
    const long long pid = 0;
#endif
    const std::string name = "." + target.filename().string() + "." + kind + "-" + std::to_string(pid) + "-" + std::to_string(++counter);
    return target.parent_path() / name;
}

/// Whether replace_atomically() forces the new file to disk before it takes the target's place.
enum class Durability {
    rename_only, ///< the rename alone: readers never see a part (enough unless the machine fails)
    sync         ///< fsync the file before the rename and its folder after: survives a power cut too
};

namespace detail {

/// fsync of `path` (a file or a folder); false where the system has none or it fails.
inline bool sync_path(const std::filesystem::path& path) {
#if __has_include(<unistd.h>)
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced;
#else
    (void)path;
    return false;
#endif
}

} // namespace detail

/// Replaces `path` whole: `write(temporary)` creates the new content at a temporary path beside
/// `path` (temporary_path()), which is then renamed onto `path`. On any failure, an exception of
/// `write` included, the temporary is removed and `path` is left as it was.
/// @param path        the file to create or replace; its folder must exist
/// @param write       callable taking the temporary's `const std::filesystem::path&`, which writes
///                    the whole content there (and throws on failure)
/// @param durability  Durability::sync also forces the content to disk before the rename
/// @throws Error naming `path` when the rename fails; whatever `write` throws, after cleaning up
template <class Write>
void replace_atomically(const std::filesystem::path& path, Write&& write, Durability durability = Durability::rename_only) {
    const std::filesystem::path temporary = temporary_path(path);
    const auto remove_temporary = [&] {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
    };
    try {
        write(temporary);
    } catch (...) {
        remove_temporary();
        throw;
    }
    if (durability == Durability::sync && !detail::sync_path(temporary)) {
        remove_temporary();
        throw Error(where(path.string(), 0, "cannot force the finished file to disk (fsync failed)"));
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        remove_temporary();
        throw Error(where(path.string(), 0, "cannot move the finished file into place: " + error.message()));
    }
    if (durability == Durability::sync) {
        const std::filesystem::path folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
        detail::sync_path(folder); // the rename itself; a file system that cannot sync a folder still has the file
    }
}

/// Calls `write(stream)` on a temporary file beside `path`, then renames it onto `path`
/// (replace_atomically()). On any failure the temporary file is removed and scae::Error names
/// `path` and the cause.
/// @param path        the file to create or replace; its folder must exist
/// @param write       callable taking `std::ostream&` (opened in binary mode) that writes the whole
///                    content; an exception it throws removes the temporary and propagates
/// @param durability  Durability::sync also forces the content to disk before the rename
/// @throws Error when the temporary cannot be opened, the write fails or the rename fails
template <class Writer>
void write_file_atomically(const std::filesystem::path& path, Writer&& write, Durability durability = Durability::rename_only) {
    replace_atomically(
        path,
        [&](const std::filesystem::path& temporary) {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            if (!out) throw Error(where(path.string(), 0, "cannot open " + temporary.string() + " for writing"));
            write(static_cast<std::ostream&>(out));
            out.flush();
            if (!out) throw Error(where(path.string(), 0, "write failed (disk full or file system error)"));
        },
        durability);
}

/// Writes `text` to `path` whole (write_file_atomically()).
/// @param path  the file to create or replace; its folder must exist
/// @param text  the whole content, written as bytes
/// @throws Error naming the path when the folder does not exist or the file cannot be written or renamed
inline void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
    write_file_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

} // namespace scae

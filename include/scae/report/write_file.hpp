#pragma once
/// @file write_file.hpp
/// @brief Writes a whole text file atomically: readers (and a crashed run)
/// see either the old file or the complete new one, never half of it.

#include "scae/core/error.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace scae::report {

/// Writes `text` to `path` through a temporary file in the same directory
/// that is then renamed over `path` (an atomic replace on POSIX file
/// systems). Throws scae::Error naming the path when the directory does not
/// exist or the file cannot be written or renamed; the temporary is removed.
inline void write_text_atomic(const std::string& path, const std::string& text) {
    namespace fs = std::filesystem;
    static std::atomic<unsigned long long> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    const fs::path target(path);
    fs::path temporary = target;
    temporary += ".tmp." + std::to_string(stamp) + "." + std::to_string(counter++);

    std::error_code ignored;
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            fail(path, 0,
                 std::string("cannot create the file for writing (") + std::strerror(errno) +
                     "); expected an existing, writable directory");
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            fs::remove(temporary, ignored);
            fail(path, 0, "writing failed (disk full or file system error)");
        }
    }
    std::error_code error;
    fs::rename(temporary, target, error);
    if (error) {
        fs::remove(temporary, ignored);
        fail(path, 0, "cannot replace the file: " + error.message());
    }
}

} // namespace scae::report

#pragma once
/// @file atomic_file.hpp
/// @brief Writing a file so that readers see either the old file or the complete new one, never a part.

#include "scae/core/error.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace scae {

/// Calls `write(stream)` on a temporary file beside `path`, then renames it onto `path`.
/// On any failure the temporary file is removed and scae::Error names `path` and the cause.
/// @param path   the file to create or replace; the temporary is `path` + ".partial"
/// @param write  callable taking `std::ostream&` (opened in binary mode) that writes the whole content;
/// an exception it throws removes the temporary and propagates
/// @throws Error when the temporary cannot be opened, the write fails or the rename fails
template <class Writer>
void write_file_atomically(const std::filesystem::path& path, Writer&& write) {
    const std::filesystem::path temporary = path.string() + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(where(path.string(), 0, "cannot open " + temporary.string() + " for writing"));
        try {
            write(out);
        } catch (...) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw;
        }
        out.flush();
        if (!out) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw Error(where(path.string(), 0, "write failed (disk full or file system error)"));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw Error(where(path.string(), 0, "cannot move the finished file into place: " + error.message()));
    }
}

} // namespace scae

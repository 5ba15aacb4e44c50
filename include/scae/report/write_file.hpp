#pragma once
/// @file write_file.hpp
/// @brief Writes a whole text file atomically: readers (and a crashed run)
/// see either the old file or the complete new one, never half of it.

#include "scae/core/atomic_file.hpp"

#include <string>

namespace scae::report {

/// Writes `text` to `path` through a temporary file beside it that is then renamed over `path`
/// (scae::write_file_atomically). Throws scae::Error naming the path when the directory does
/// not exist or the file cannot be written or renamed; the temporary is removed.
/// @param path  the file to create or replace; its folder must exist
/// @param text  the whole content, written as bytes
/// @throws Error when the file cannot be written or renamed
inline void write_text_atomic(const std::string& path, const std::string& text) {
    scae::write_file_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

} // namespace scae::report

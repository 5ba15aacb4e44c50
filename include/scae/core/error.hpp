#pragma once
/// @file error.hpp
/// @brief The one exception type scae throws for bad input and failed runs.

#include <stdexcept>
#include <string>

namespace scae {

/// Thrown for every problem a user can fix: unreadable or malformed files,
/// shape mismatches, non-finite losses. The message names the file, the line
/// and what was expected, so it can be shown to a user unchanged.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Builds the conventional message "FILE:LINE: what" (LINE omitted when 0).
/// @param file  file (or other source) the problem is in.
/// @param line  1-based line in it; 0 or less leaves the line out.
/// @param what  what is wrong and what was expected.
/// @return the message.
inline std::string where(const std::string& file, long long line, const std::string& what) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    return out + ": " + what;
}

/// Throws `Error(where(file, line, what))`.
/// @param file  file (or other source) the problem is in.
/// @param line  1-based line in it; 0 or less leaves the line out.
/// @param what  what is wrong and what was expected.
/// @throws Error always.
[[noreturn]] inline void fail(const std::string& file, long long line, const std::string& what) {
    throw Error(where(file, line, what));
}

} // namespace scae

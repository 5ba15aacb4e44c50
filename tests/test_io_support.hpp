#pragma once
// Helpers shared by the tests of scae::io: fixture paths, scratch files and error messages.
#include "support.hpp"

#include <scae/core/error.hpp>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace scae_test {

/// Path of a fixture under tests/fixtures/io.
inline std::string io_fixture(const std::string& name) { return fixtures_dir() + "/io/" + name; }

/// A fresh, empty scratch directory for this test executable, under the system temp folder.
inline std::filesystem::path scratch_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("scae_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

/// Writes `text` to `path` byte for byte.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

/// The message of the scae::Error that `action` throws, or "" when it returns normally.
/// Any other exception escapes and fails the test.
template <class Action>
std::string error_of(Action&& action) {
    try {
        action();
    } catch (const scae::Error& e) {
        return e.what();
    }
    return "";
}

/// True when `message` contains every one of `parts`.
inline bool mentions(const std::string& message, std::initializer_list<std::string> parts) {
    for (const std::string& part : parts)
        if (message.find(part) == std::string::npos) return false;
    return true;
}

/// The cells x genes matrix every good "tiny" fixture (tests/fixtures/io) holds.
inline scae::Matrix<float> expected_tiny() {
    scae::Matrix<float> m = scae::Matrix<float>::Zero(3, 4);
    m(0, 0) = 5;
    m(0, 2) = 1;
    m(1, 1) = 2;
    m(1, 3) = 7;
    m(2, 0) = 3;
    m(2, 3) = 1;
    return m;
}

} // namespace scae_test

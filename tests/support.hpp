#pragma once
// Test helpers: where the real data and the fixtures live, and the CI rule
// that a missing dataset fails in CI (CI=true) and is a visible skip elsewhere.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <doctest/doctest.h>

namespace scae_test {

inline std::string data_dir() {
    if (const char* env = std::getenv("SCAE_DATA_DIR"); env && *env) return env;
    return SCAE_DEFAULT_DATA_DIR;
}

inline std::string fixtures_dir() { return SCAE_FIXTURES_DIR; }

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

/// True when `relative` exists under the data directory. When it does not:
/// a failed check in CI, a printed skip message elsewhere.
inline bool have_data(const std::string& relative) {
    const auto path = std::filesystem::path(data_dir()) / relative;
    if (std::filesystem::exists(path)) return true;
    if (in_ci()) {
        FAIL_CHECK("real data missing in CI: " << path.string());
    } else {
        MESSAGE("SKIPPED (real data not found): " << path.string()
                << "; set SCAE_DATA_DIR to run this check");
    }
    return false;
}

} // namespace scae_test

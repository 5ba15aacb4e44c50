// The fuzz targets (tests/fuzz/targets.hpp) on their seed corpus and on every input that once
// crashed, hung, allocated without bound or gave a bare exception (tests/fuzz/regressions): each
// must read or give a scae::Error. The libFuzzer runs themselves are in .ci/run.
#include <doctest/doctest.h>

#include "fuzz/targets.hpp"

#include <algorithm>
#include <chrono>

namespace test_fuzz_regressions {

namespace fs = std::filesystem;

TEST_CASE("every fuzz corpus and regression input reads or gives a scae::Error") {
    const fs::path root = fs::path(SCAE_FIXTURES_DIR).parent_path() / "fuzz";
    std::size_t inputs = 0;
    for (const char* kind : {"corpus", "regressions"})
        for (const auto& [name, target] : scae_fuzz::targets()) {
            const fs::path dir = root / kind / name;
            if (!fs::is_directory(dir)) continue;
            std::vector<fs::path> files;
            for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            for (const fs::path& file : files) {
                std::ifstream in(file, std::ios::binary);
                const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                INFO(file.string());
                const auto start = std::chrono::steady_clock::now();
                CHECK_NOTHROW(target(bytes));
                CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
                ++inputs;
            }
        }
    CHECK(inputs >= 40);
    std::error_code ignored;
    fs::remove_all(scae_fuzz::scratch(), ignored);
}

} // namespace test_fuzz_regressions

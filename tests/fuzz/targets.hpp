#pragma once
// What each fuzz harness does with one input: write it where a reader expects a file, read it,
// and accept only success or a scae::Error. Any other exception, a crash, a sanitizer report, a
// hang or a huge allocation is a finding. Shared by the libFuzzer harnesses (fuzz_*.cpp, built by
// .ci/run with clang -fsanitize=fuzzer,address,undefined) and by tests/test_fuzz_regressions.cpp,
// which runs the seed corpus and every input that once failed through the same code under ctest.
#include "scae/core/error.hpp"
#include "scae/io/gmt.hpp"
#include "scae/io/labels.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/transfer/model_file.hpp"

#ifdef SCAE_HAVE_HDF5
#include "scae/io/h5ad_labels.hpp"
#endif

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace scae_fuzz {

namespace fs = std::filesystem;

/// A scratch folder of this process (readers take paths, not bytes).
inline const fs::path& scratch() {
    static const fs::path dir = [] {
#if __has_include(<unistd.h>)
        const std::string pid = std::to_string(::getpid());
#else
        const std::string pid = "0";
#endif
        fs::path d = fs::temp_directory_path() / ("scae_fuzz_" + pid);
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

inline std::string write_file(const std::string& name, std::string_view bytes) {
    const fs::path path = scratch() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path.string();
}

/// Runs `read`, accepting a scae::Error as the right answer to bad input.
template <class Read>
void expect_result_or_error(Read&& read) {
    try {
        read();
    } catch (const scae::Error&) {
    }
}

/// The first byte picks reader options, the rest is the file.
inline scae::io::ReadOptions options_from(std::string_view& bytes) {
    scae::io::ReadOptions options;
    if (bytes.empty()) return options;
    const unsigned char flags = static_cast<unsigned char>(bytes[0]);
    bytes.remove_prefix(1);
    if (flags & 1) options.duplicates = scae::io::Duplicates::sum;
    if (flags & 2) options.layout = scae::io::Layout::cells_by_genes;
    options.require_counts = flags & 4;
    options.allow_negative = flags & 8;
    if (flags & 16) options.delimiter = ',';
    return options;
}

/// Matrix Market: a bare .mtx (plain or gzip, told apart by the magic bytes).
inline void matrix_market(std::string_view bytes) {
    const scae::io::ReadOptions options = options_from(bytes);
    const std::string path = write_file("m.mtx", bytes);
    expect_result_or_error([&] { scae::io::read_matrix_market<float>(path, options); });
}

/// The line reader over any bytes, plain or gzip: every line is visited.
inline void line_reader(std::string_view bytes) {
    const std::string path = write_file("lines.gz", bytes);
    expect_result_or_error([&] {
        scae::io::LineReader reader(path, 64);
        std::string_view line;
        std::size_t total = 0;
        while (reader.next(line)) total += line.size();
        (void)total;
    });
}

/// A 10x folder: matrix.mtx, features.tsv and barcodes.tsv are the input's parts between NUL bytes.
inline void tenx(std::string_view bytes) {
    const fs::path dir = scratch() / "tenx";
    fs::create_directories(dir);
    const char* names[] = {"matrix.mtx", "features.tsv", "barcodes.tsv"};
    for (int k = 0; k < 3; ++k) {
        const std::size_t stop = k < 2 ? bytes.find('\0') : std::string_view::npos;
        write_file(std::string("tenx/") + names[k], bytes.substr(0, stop));
        bytes = stop == std::string_view::npos ? std::string_view() : bytes.substr(stop + 1);
    }
    expect_result_or_error([&] { scae::io::read_10x<float>(dir.string()); });
}

/// A dense TSV or CSV table (through read_counts, as the command line reads it).
inline void dense_table(std::string_view bytes) {
    const scae::io::ReadOptions options = options_from(bytes);
    const std::string path = write_file("table.tsv", bytes);
    expect_result_or_error([&] { scae::io::read_dense_table<float>(path, options); });
}

/// A labels file matched to a fixed list of barcodes.
inline void labels(std::string_view bytes) {
    const std::string path = write_file("labels.tsv", bytes);
    static const std::vector<std::string> barcodes = {"AAAC-1", "AAAG-1", "AACT-1", "cell1", "cell2", "c"};
    expect_result_or_error([&] {
        scae::io::LabelOptions options;
        if (!bytes.empty() && bytes[0] == 'H') options.header = scae::io::HeaderLine::present;
        scae::io::read_labels(path, barcodes, options);
    });
}

/// A GMT file, with and without size limits.
inline void gmt(std::string_view bytes) {
    const std::string path = write_file("sets.gmt", bytes);
    expect_result_or_error([&] { scae::io::read_gmt(path); });
    expect_result_or_error([&] {
        scae::io::GmtOptions options;
        options.min_genes = 2;
        options.max_genes = 5;
        scae::io::read_gmt(path, options);
    });
}

/// A model file, loaded as the command line loads it.
inline void model(std::string_view bytes) {
    const std::string path = write_file("model.json", bytes);
    expect_result_or_error([&] { scae::transfer::load_model(path); });
}

#ifdef SCAE_HAVE_HDF5
/// The first byte picks the HDF5 reader options (which matrix, which features), the rest is the file.
inline scae::io::ReadOptions hdf5_options_from(std::string_view& bytes) {
    scae::io::ReadOptions options = options_from(bytes);
    const unsigned char flags = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]);
    if (flags & 32) options.layer = (flags & 64) ? "raw" : "X";
    if (flags & 128) options.feature_types.clear();
    return options;
}

/// An AnnData .h5ad: its counts (read_counts, as the command line reads them) and an obs column.
inline void h5ad(std::string_view bytes) {
    const scae::io::ReadOptions options = hdf5_options_from(bytes);
    const std::string path = write_file("x.h5ad", bytes);
    scae::io::CountMatrix<float> counts;
    expect_result_or_error([&] { counts = scae::io::read_counts<float>(path, options); });
    expect_result_or_error([&] { scae::io::read_cell_labels("obs:cell_type", path, counts.barcodes); });
}

/// A Cell Ranger .h5 (v2 or v3 layout), through read_counts.
inline void cellranger_h5(std::string_view bytes) {
    const scae::io::ReadOptions options = hdf5_options_from(bytes);
    const std::string path = write_file("x.h5", bytes);
    expect_result_or_error([&] { scae::io::read_counts<float>(path, options); });
}
#endif

/// Every target by name (the folder names under tests/fuzz/corpus and tests/fuzz/regressions).
inline const std::map<std::string, std::function<void(std::string_view)>>& targets() {
    static const std::map<std::string, std::function<void(std::string_view)>> all = {
        {"matrix_market", matrix_market}, {"gzip", line_reader}, {"tenx", tenx}, {"dense_table", dense_table},
        {"labels", labels},               {"gmt", gmt},          {"model", model},
#ifdef SCAE_HAVE_HDF5
        {"h5ad", h5ad},                   {"cellranger_h5", cellranger_h5},
#endif
    };
    return all;
}

} // namespace scae_fuzz

#pragma once
// scae_bench read: how fast a 10x directory is read into cells x genes CSR, and at what peak
// memory. Generates a random 10x directory (plain .mtx and .mtx.gz, sorted by cell as Cell
// Ranger writes them) under /tmp unless --dir names an existing one. read_vs_scipy.py runs
// scipy.io.mmread on the same files in the same run.
#include "scae/cli/args.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/io/tenx.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#ifdef SCAE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace scae_bench {

namespace read_detail {

/// Writes the same text to a plain file and, with zlib, to a gzip file, through one buffer.
class TwinWriter {
public:
    TwinWriter(const std::string& plain, const std::string& gz) : plain_(std::fopen(plain.c_str(), "wb")) {
        if (!plain_) throw scae::Error(plain + ": cannot create file");
#ifdef SCAE_HAVE_ZLIB
        gz_ = gzopen(gz.c_str(), "wb6");
        if (!gz_) throw scae::Error(gz + ": cannot create file");
#else
        (void)gz;
#endif
        buffer_.reserve(1 << 20);
    }
    ~TwinWriter() {
        flush();
        std::fclose(plain_);
#ifdef SCAE_HAVE_ZLIB
        gzclose(gz_);
#endif
    }
    TwinWriter(const TwinWriter&) = delete;
    TwinWriter& operator=(const TwinWriter&) = delete;

    void text(const std::string& s) {
        buffer_ += s;
        if (buffer_.size() >= (1 << 20)) flush();
    }
    void entry(std::uint32_t gene, std::uint32_t cell, std::uint32_t value) {
        char line[40];
        const int n = std::snprintf(line, sizeof line, "%u %u %u\n", gene, cell, value);
        buffer_.append(line, static_cast<std::size_t>(n));
        if (buffer_.size() >= (1 << 20)) flush();
    }

private:
    void flush() {
        if (buffer_.empty()) return;
        if (std::fwrite(buffer_.data(), 1, buffer_.size(), plain_) != buffer_.size())
            throw scae::Error("write failed (disk full?)");
#ifdef SCAE_HAVE_ZLIB
        if (gzwrite(gz_, buffer_.data(), static_cast<unsigned>(buffer_.size())) != static_cast<int>(buffer_.size()))
            throw scae::Error("gzip write failed (disk full?)");
#endif
        buffer_.clear();
    }
    std::FILE* plain_;
#ifdef SCAE_HAVE_ZLIB
    gzFile gz_ = nullptr;
#endif
    std::string buffer_;
};

/// splitmix64: a small, fast, reproducible generator for the synthetic counts.
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
};

inline void write_names(const std::filesystem::path& dir, long long genes, long long cells) {
    std::ofstream features(dir / "features.tsv"), barcodes(dir / "barcodes.tsv");
    for (long long g = 1; g <= genes; ++g) features << "ENSG" << g << "\tGENE" << g << "\tGene Expression\n";
    for (long long c = 1; c <= cells; ++c) barcodes << "CELL" << c << "-1\n";
}

/// Writes `root`/mtx (matrix.mtx) and `root`/gz (matrix.mtx.gz) with the same random entries:
/// each gene is present in a cell with probability `density` (geometric gaps), values 1 + a
/// geometric count, sorted by cell then gene. Returns the number of entries.
inline long long generate(const std::filesystem::path& root, long long cells, long long genes, double density,
                   std::uint64_t seed) {
    std::filesystem::create_directories(root / "mtx");
    std::filesystem::create_directories(root / "gz");
    write_names(root / "mtx", genes, cells);
    write_names(root / "gz", genes, cells);
    // Pass 1 counts the entries for the size line; pass 2 replays the same generator.
    const double log_miss = std::log1p(-density);
    auto for_each_entry = [&](auto&& emit) {
        SplitMix rng{seed};
        for (long long c = 1; c <= cells; ++c)
            for (long long g = static_cast<long long>(std::log(rng.uniform()) / log_miss) + 1; g <= genes;
                 g += static_cast<long long>(std::log(rng.uniform()) / log_miss) + 1)
                emit(g, c, 1 + static_cast<long long>(std::log(rng.uniform()) / std::log(0.6)));
    };
    long long entries = 0;
    for_each_entry([&](long long, long long, long long) { ++entries; });
    TwinWriter out((root / "mtx" / "matrix.mtx").string(), (root / "gz" / "matrix.mtx.gz").string());
    out.text("%%MatrixMarket matrix coordinate integer general\n% scae_bench read: synthetic counts\n" +
             std::to_string(genes) + " " + std::to_string(cells) + " " + std::to_string(entries) + "\n");
    for_each_entry([&](long long g, long long c, long long v) {
        out.entry(static_cast<std::uint32_t>(g), static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(v));
    });
    return entries;
}

/// Resident memory of this process now, in MB (from /proc/self/statm; 0 where there is none).
inline double current_rss_mb() {
    std::ifstream statm("/proc/self/statm");
    double size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

/// Peak resident memory of this process so far, in MB (1e6 bytes, like csr_mb).
inline double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6; // Linux reports KiB
}

} // namespace read_detail

/// `scae_bench read --file PATH [--layer L] [--repeat R]`: reads any count file (Cell Ranger
/// .h5, .h5ad, ...) through io::read_counts into float CSR and prints one JSON line: the best
/// time, the CSR size, the resident memory before the first read and the peak after the reads.
inline int bench_read_file(const scae::cli::Args& a) {
    const std::string path = a.required("file");
    const int repeat = static_cast<int>(std::max(1LL, a.integer("repeat", 3)));
    scae::io::ReadOptions options;
    options.layer = a.get("layer", "");
    const double baseline = read_detail::current_rss_mb();
    double best = std::numeric_limits<double>::infinity();
    nlohmann::json line;
    for (int r = 0; r < repeat; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const scae::io::CountMatrix<float> m = scae::io::read_counts<float>(path, options);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        double total = 0;
        for (scae::Index k = 0; k < m.counts.nonZeros(); ++k) total += m.counts.valuePtr()[k];
        const double csr_bytes = static_cast<double>(m.counts.nonZeros()) * (sizeof(float) + sizeof(int)) +
                                 static_cast<double>(m.cells() + 1) * sizeof(int);
        line = {{"what", "read"}, {"impl", "scae"}, {"format", scae::io::to_string(scae::io::detect_count_format(path))},
                {"matrix", path}, {"source", m.source}, {"file_mb", static_cast<double>(std::filesystem::file_size(path)) / 1e6},
                {"cells", m.cells()}, {"genes", m.genes()}, {"nnz", m.counts.nonZeros()}, {"total", total},
                {"csr_mb", csr_bytes / 1e6}};
    }
    line["repeat"] = repeat;
    line["seconds"] = best;
    line["entries_per_s"] = line["nnz"].get<double>() / best;
    line["rss_before_mb"] = baseline;
    line["peak_rss_mb"] = read_detail::peak_rss_mb();
    std::cout << line.dump() << std::endl;
    return 0;
}

/// `scae_bench read`: argv[0] is the subcommand name, options follow (call it as
/// bench_read(argc - 1, argv + 1) from main). Prints one JSON line per format read.
inline int bench_read(int argc, char** argv) {
    namespace fs = std::filesystem;
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    const scae::cli::Args a(args, {"dir", "file", "out", "cells", "genes", "density", "repeat", "format", "seed", "layer"});
    if (a.has("file")) return bench_read_file(a);
    const long long cells = a.integer("cells", 20000), genes = a.integer("genes", 20000);
    const double density = a.number("density", 0.05);
    const int repeat = static_cast<int>(std::max(1LL, a.integer("repeat", 3)));
    const std::string format = a.get("format", "both");
    if (format != "both" && format != "mtx" && format != "gz")
        throw scae::cli::UsageError("--format expects both, mtx or gz, got '" + format + "'");
    if (!(density > 0 && density < 1)) throw scae::cli::UsageError("--density expects a number in (0, 1)");

    std::vector<std::pair<std::string, std::string>> inputs; // (format, directory)
    if (a.has("dir")) {
        inputs.emplace_back("given", a.required("dir"));
    } else {
        const fs::path root = a.get("out", "/tmp/scae_bench_read_" + std::to_string(cells) + "x" +
                                               std::to_string(genes) + "_" + a.get("density", "0.05"));
        const fs::path done = root / "complete";
        if (!fs::exists(done)) {
            const auto start = std::chrono::steady_clock::now();
            const long long entries =
                read_detail::generate(root, cells, genes, density, static_cast<std::uint64_t>(a.integer("seed", 1)));
            std::ofstream(done) << entries << "\n";
            std::cerr << "scae_bench read: wrote " << entries << " entries to " << root.string() << " in "
                      << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
        }
        if (format != "gz") inputs.emplace_back("mtx", (root / "mtx").string());
#ifdef SCAE_HAVE_ZLIB
        if (format != "mtx") inputs.emplace_back("gz", (root / "gz").string());
#endif
    }

    for (const auto& [kind, dir] : inputs) {
        double best = std::numeric_limits<double>::infinity();
        nlohmann::json line;
        for (int r = 0; r < repeat; ++r) {
            const auto start = std::chrono::steady_clock::now();
            const scae::io::CountMatrix<float> m = scae::io::read_10x<float>(dir);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            best = std::min(best, seconds);
            double total = 0;
            for (scae::Index k = 0; k < m.counts.nonZeros(); ++k) total += m.counts.valuePtr()[k];
            const double csr_bytes = static_cast<double>(m.counts.nonZeros()) * (sizeof(float) + sizeof(int)) +
                                     static_cast<double>(m.cells() + 1) * sizeof(int);
            const std::string matrix = scae::io::find_10x_files(dir).matrix;
            line = {{"what", "read"},
                    {"impl", "scae"},
                    {"format", kind},
                    {"matrix", matrix},
                    {"file_mb", static_cast<double>(fs::file_size(matrix)) / 1e6},
                    {"cells", m.cells()},
                    {"genes", m.genes()},
                    {"nnz", m.counts.nonZeros()},
                    {"total", total},
                    {"csr_mb", csr_bytes / 1e6}};
        }
        line["repeat"] = repeat;
        line["seconds"] = best;
        line["entries_per_s"] = line["nnz"].get<double>() / best;
        line["peak_rss_mb"] = read_detail::peak_rss_mb();
        std::cout << line.dump() << std::endl;
    }
    return 0;
}

} // namespace scae_bench

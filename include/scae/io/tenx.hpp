#pragma once
/// @file tenx.hpp
/// @brief Reads a 10x Genomics directory: matrix.mtx[.gz] (genes x cells), features.tsv[.gz]
/// (v3) or genes.tsv[.gz] (v2), and barcodes.tsv[.gz].

#include "scae/core/error.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"
#include "scae/io/matrix_market.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scae::io {

/// The files that make up one 10x directory.
struct TenxFiles {
    std::string matrix;   ///< matrix.mtx or matrix.mtx.gz
    std::string features; ///< features.tsv[.gz] (v3) or genes.tsv[.gz] (v2)
    std::string barcodes; ///< barcodes.tsv[.gz]
};

namespace detail {

/// The one existing file among `name` and `name`.gz in `dir`, or "" when neither exists.
/// Both existing is an error: which one is meant cannot be guessed.
inline std::string plain_or_gz(const std::filesystem::path& dir, const std::string& name) {
    const std::filesystem::path plain = dir / name, gz = dir / (name + ".gz");
    const bool has_plain = std::filesystem::exists(plain), has_gz = std::filesystem::exists(gz);
    if (has_plain && has_gz)
        fail(dir.string(), 0, "found both " + name + " and " + name + ".gz, expected one of them (remove the other)");
    return has_plain ? plain.string() : has_gz ? gz.string() : std::string();
}

/// Positions (first, again) of the first name that occurs twice in `names`, if any.
inline std::optional<std::pair<std::size_t, std::size_t>> find_repeat(const std::vector<std::string>& names) {
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(names.size());
    for (std::size_t k = 0; k < names.size(); ++k) {
        const auto [it, inserted] = seen.emplace(names[k], k);
        if (!inserted) return std::make_pair(it->second, k);
    }
    return std::nullopt;
}

} // namespace detail

/// Finds the matrix, features (or genes) and barcodes files in `dir`.
/// Throws Error when `dir` is not a directory or a file is missing.
/// @param dir  the 10x directory.
/// @return the paths of its three files.
inline TenxFiles find_10x_files(const std::string& dir) {
    const std::filesystem::path path(dir);
    if (!std::filesystem::is_directory(path))
        fail(dir, 0, std::filesystem::exists(path) ? "is not a directory, expected a 10x directory"
                                                   : "cannot open directory: it does not exist");
    TenxFiles files;
    files.matrix = detail::plain_or_gz(path, "matrix.mtx");
    files.features = detail::plain_or_gz(path, "features.tsv");
    if (files.features.empty()) files.features = detail::plain_or_gz(path, "genes.tsv");
    files.barcodes = detail::plain_or_gz(path, "barcodes.tsv");
    const char* missing = files.matrix.empty()     ? "matrix.mtx[.gz]"
                          : files.features.empty() ? "features.tsv[.gz] (or genes.tsv[.gz])"
                          : files.barcodes.empty() ? "barcodes.tsv[.gz]"
                                                   : nullptr;
    if (missing)
        fail(dir, 0, std::string("no ") + missing + " found; expected a 10x directory with matrix.mtx[.gz], "
                     "features.tsv[.gz] (or genes.tsv[.gz]) and barcodes.tsv[.gz]");
    return files;
}

/// Gene names from features.tsv (id, symbol, type) or genes.tsv (id, symbol).
struct Features {
    std::vector<std::string> ids;     ///< column 1
    std::vector<std::string> symbols; ///< column 2, or the ID when there is no second column
    std::vector<std::string> types;   ///< column 3, or "Gene Expression" when there is none
};

/// Reads features.tsv or genes.tsv (plain or gzip), one gene per line, no header.
/// Throws Error for an empty file or a line with an empty ID.
/// @param path  features.tsv[.gz] or genes.tsv[.gz].
/// @return one ID, symbol and type per line.
inline Features read_features(const std::string& path) {
    LineReader reader(path);
    Features features;
    std::vector<std::string_view> fields;
    std::string_view line;
    while (reader.next(line)) {
        reader.require_utf8(line, "the gene line");
        split(line, '\t', fields);
        if (fields[0].empty())
            reader.fail("found " + in_quotes(line) + ", expected 'gene_id<TAB>symbol[<TAB>type]'");
        features.ids.emplace_back(fields[0]);
        features.symbols.emplace_back(fields.size() > 1 && !fields[1].empty() ? fields[1] : fields[0]);
        features.types.emplace_back(fields.size() > 2 && !fields[2].empty() ? fields[2] : "Gene Expression");
    }
    if (features.ids.empty()) fail(path, 0, "empty file; expected one 'gene_id<TAB>symbol[<TAB>type]' line per gene");
    return features;
}

/// Reads barcodes.tsv (plain or gzip): one barcode per line (the first tab-separated field).
/// Throws Error for an empty file, an empty barcode or a repeated barcode.
/// @param path  barcodes.tsv[.gz].
/// @return the barcodes, in file order.
inline std::vector<std::string> read_barcodes(const std::string& path) {
    LineReader reader(path);
    std::vector<std::string> barcodes;
    std::string_view line;
    while (reader.next(line)) {
        const std::string_view barcode = line.substr(0, line.find('\t'));
        reader.require_utf8(barcode, "the barcode");
        if (barcode.empty()) reader.fail("found an empty line, expected one barcode per line");
        barcodes.emplace_back(barcode);
    }
    if (barcodes.empty()) fail(path, 0, "empty file; expected one barcode per line");
    if (const auto repeat = detail::find_repeat(barcodes))
        fail(path, static_cast<long long>(repeat->second + 1),
             "found the barcode " + in_quotes(barcodes[repeat->second]) + " again (first on line " +
                 std::to_string(repeat->first + 1) + "), expected each barcode once");
    return barcodes;
}

/// Reads a 10x directory into cells x genes counts with gene IDs, symbols, types and barcodes.
/// The matrix is genes x cells whatever `options.layout` says. Throws Error for a missing or
/// malformed file and when the numbers of genes or barcodes differ from the matrix size.
/// @param dir      the 10x directory.
/// @param options  duplicates and what values are accepted; `layout` is overridden.
/// @return the counts, cells x genes, with gene IDs, symbols, types and barcodes.
template <class T = float>
CountMatrix<T> read_10x(const std::string& dir, ReadOptions options = {}) {
    options.layout = Layout::genes_by_cells;
    const TenxFiles files = find_10x_files(dir);
    LineReader reader(files.matrix);
    const MatrixMarketHeader header = read_matrix_market_header(reader);
    Features features = read_features(files.features);
    std::vector<std::string> barcodes = read_barcodes(files.barcodes);
    const auto declared = files.matrix + ":" + std::to_string(header.size_line) + " declares ";
    if (static_cast<Index>(features.ids.size()) != header.rows)
        fail(files.features, 0,
             "found " + std::to_string(features.ids.size()) + " genes, expected " + std::to_string(header.rows) +
                 " (" + declared + std::to_string(header.rows) + " rows, genes x cells)");
    if (static_cast<Index>(barcodes.size()) != header.cols)
        fail(files.barcodes, 0,
             "found " + std::to_string(barcodes.size()) + " barcodes, expected " + std::to_string(header.cols) +
                 " (" + declared + std::to_string(header.cols) + " columns, genes x cells)");
    CountMatrix<T> result = read_matrix_market_entries<T>(reader, header, options);
    result.gene_ids = std::move(features.ids);
    result.gene_symbols = std::move(features.symbols);
    result.feature_types = std::move(features.types);
    result.barcodes = std::move(barcodes);
    return result;
}

} // namespace scae::io

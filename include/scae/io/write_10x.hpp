#pragma once
/// @file write_10x.hpp
/// @brief Writing a count matrix as an uncompressed 10x directory (matrix.mtx, features.tsv,
/// barcodes.tsv, optional labels.tsv), which read_10x() (tenx.hpp) reads back.

#include "scae/core/atomic_file.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

namespace scae::io {

namespace detail {

/// Appends `value` in decimal to `out`.
inline void append_integer(std::string& out, long long value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

/// Appends `value` with 9 significant digits, enough to read a float back exactly.
inline void append_real(std::string& out, double value) {
    char digits[32];
    const int length = std::snprintf(digits, sizeof digits, "%.9g", value);
    out.append(digits, static_cast<std::size_t>(length));
}

inline void require_tsv_field(const std::string& field, const std::filesystem::path& file, std::size_t line) {
    if (field.find_first_of("\t\r\n") != std::string::npos) {
        throw Error(where(file.string(), static_cast<long long>(line),
                          "value '" + field + "' contains a tab or line break, which the TSV file cannot hold"));
    }
}

} // namespace detail

/// Writes `counts` (cells x genes) as the 10x directory `dir` (created if needed): matrix.mtx in
/// Matrix Market coordinate form, genes x cells, sorted by cell then gene ("integer" when every
/// value is whole, else "real"); features.tsv as `id<TAB>symbol<TAB>Gene Expression`; barcodes.tsv;
/// and, when `labels` is not empty, labels.tsv with the header `barcode<TAB>label_column`. All files
/// are uncompressed and each is written atomically. Throws scae::Error on mismatched lengths, a
/// name with a tab or line break, or a failed write.
/// @param dir           the directory to write into, created with its parents if needed
/// @param counts        cells x genes
/// @param gene_ids      one id per gene
/// @param gene_symbols  one symbol per gene
/// @param barcodes      one barcode per cell
/// @param labels        one label per cell, or empty to write no labels.tsv
/// @param label_column  header of the label column in labels.tsv
/// @throws Error on mismatched lengths, a field with a tab or line break, or a failed write
template <class T>
void write_10x(const std::filesystem::path& dir, const Csr<T>& counts, const std::vector<std::string>& gene_ids,
               const std::vector<std::string>& gene_symbols, const std::vector<std::string>& barcodes,
               const std::vector<std::string>& labels = {}, const std::string& label_column = "cell_type") {
    const std::size_t cells = static_cast<std::size_t>(counts.rows()), genes = static_cast<std::size_t>(counts.cols());
    if (gene_ids.size() != genes || gene_symbols.size() != genes || barcodes.size() != cells ||
        (!labels.empty() && labels.size() != cells)) {
        throw Error(where(dir.string(), 0,
                          "cannot write a " + std::to_string(cells) + " x " + std::to_string(genes) + " matrix with " +
                              std::to_string(gene_ids.size()) + " gene ids, " + std::to_string(gene_symbols.size()) +
                              " symbols, " + std::to_string(barcodes.size()) + " barcodes and " +
                              std::to_string(labels.size()) + " labels"));
    }
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw Error(where(dir.string(), 0, "cannot create the directory: " + error.message()));

    bool whole = true;
    for (Index r = 0; r < counts.rows() && whole; ++r) {
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            const double v = static_cast<double>(it.value());
            whole = whole && v == std::floor(v) && std::abs(v) < 9e15;
        }
    }
    write_file_atomically(dir / "matrix.mtx", [&](std::ostream& out) {
        std::string buffer = std::string("%%MatrixMarket matrix coordinate ") + (whole ? "integer" : "real") +
                             " general\n%written by scae\n";
        detail::append_integer(buffer, static_cast<long long>(genes));
        buffer += ' ';
        detail::append_integer(buffer, static_cast<long long>(cells));
        buffer += ' ';
        detail::append_integer(buffer, static_cast<long long>(counts.nonZeros()));
        buffer += '\n';
        for (Index r = 0; r < counts.rows(); ++r) {
            for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
                detail::append_integer(buffer, static_cast<long long>(it.col()) + 1);
                buffer += ' ';
                detail::append_integer(buffer, static_cast<long long>(r) + 1);
                buffer += ' ';
                if (whole) {
                    detail::append_integer(buffer, static_cast<long long>(it.value()));
                } else {
                    detail::append_real(buffer, static_cast<double>(it.value()));
                }
                buffer += '\n';
            }
            if (buffer.size() > (1u << 20)) {
                out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                buffer.clear();
            }
        }
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    });
    write_file_atomically(dir / "features.tsv", [&](std::ostream& out) {
        for (std::size_t g = 0; g < genes; ++g) {
            detail::require_tsv_field(gene_ids[g], dir / "features.tsv", g + 1);
            detail::require_tsv_field(gene_symbols[g], dir / "features.tsv", g + 1);
            out << gene_ids[g] << '\t' << gene_symbols[g] << "\tGene Expression\n";
        }
    });
    write_file_atomically(dir / "barcodes.tsv", [&](std::ostream& out) {
        for (std::size_t c = 0; c < cells; ++c) {
            detail::require_tsv_field(barcodes[c], dir / "barcodes.tsv", c + 1);
            out << barcodes[c] << '\n';
        }
    });
    if (labels.empty()) return;
    write_file_atomically(dir / "labels.tsv", [&](std::ostream& out) {
        out << "barcode\t" << label_column << '\n';
        for (std::size_t c = 0; c < cells; ++c) {
            detail::require_tsv_field(labels[c], dir / "labels.tsv", c + 2);
            out << barcodes[c] << '\t' << labels[c] << '\n';
        }
    });
}

} // namespace scae::io
